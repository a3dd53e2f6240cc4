// A FileStore in a folder on disk, for Node (tests, CLI).
import { createReadStream } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Appender, FileStore } from '../models/download/file-store.ts';

export function folderStore(root: string): FileStore {
  const at = (path: string) => join(root, path);
  return {
    size: (path) =>
      stat(at(path)).then(
        (s) => s.size,
        () => null,
      ),
    async append(path, truncate): Promise<Appender> {
      await mkdir(dirname(at(path)), { recursive: true });
      const handle = await open(at(path), truncate ? 'w' : 'a');
      return { write: async (chunk) => void (await handle.write(chunk)), close: () => handle.close() };
    },
    async *read(path) {
      for await (const chunk of createReadStream(at(path), { highWaterMark: 1 << 20 })) yield new Uint8Array(chunk as Buffer);
    },
    rename: (from, to) => rename(at(from), at(to)),
    remove: (path) => rm(at(path), { recursive: true, force: true }),
    blob: (path) =>
      stat(at(path)).then(
        () => openAsBlob(at(path)),
        () => null,
      ),
    list: (folder) => readdir(at(folder)).catch(() => []),
    localPath: at,
  };
}
