// A model set read from a folder on disk (the CLI's and Node tests' SetSource).
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SetSource } from '../models/set-source.ts';
import { fileBytes } from './fs-bytes.ts';

export function folderSource(dir: string): SetSource {
  return {
    read: async (path) => new Uint8Array(await readFile(join(dir, path))),
    has: (path) =>
      access(join(dir, path)).then(
        () => true,
        () => false,
      ),
    size: (path) =>
      stat(join(dir, path)).then(
        (s) => s.size,
        () => null,
      ),
    localPath: (path) => join(dir, path),
    readRange: async (path, offset, length) => (await fileBytes(join(dir, path))).read(offset, length),
    list: (folder) => readdir(join(dir, folder)).catch(() => []),
  };
}
