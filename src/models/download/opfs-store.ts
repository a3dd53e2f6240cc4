// A FileStore in the browser's Origin Private File System. Files are written with
// createWritable (keepExistingData + seek to append), read back as streams, and
// renamed with move(), so a multi-GB file is never held whole in memory.
import type { Appender, FileStore } from './file-store.ts';

async function dirFor(root: FileSystemDirectoryHandle, path: string, create: boolean): Promise<[FileSystemDirectoryHandle, string] | null> {
  const parts = path.split('/').filter(Boolean);
  const name = parts.pop()!;
  let dir = root;
  for (const part of parts) {
    try {
      dir = await dir.getDirectoryHandle(part, { create });
    } catch {
      return null;
    }
  }
  return [dir, name];
}

async function fileHandle(root: FileSystemDirectoryHandle, path: string): Promise<FileSystemFileHandle | null> {
  const found = await dirFor(root, path, false);
  if (!found) return null;
  try {
    return await found[0].getFileHandle(found[1]);
  } catch {
    return null;
  }
}

export function opfsStore(prefix = 'models'): FileStore {
  const rootPromise = navigator.storage.getDirectory().then((r) => r.getDirectoryHandle(prefix, { create: true }));
  return {
    async size(path) {
      const h = await fileHandle(await rootPromise, path);
      return h ? (await h.getFile()).size : null;
    },
    async append(path, truncate): Promise<Appender> {
      const [dir, name] = (await dirFor(await rootPromise, path, true))!;
      const handle = await dir.getFileHandle(name, { create: true });
      const writable = await handle.createWritable({ keepExistingData: !truncate });
      if (!truncate) await writable.seek((await handle.getFile()).size);
      return {
        write: async (chunk) => {
          try {
            await writable.write(chunk as Uint8Array<ArrayBuffer>);
          } catch (err) {
            if (err instanceof DOMException && err.name === 'QuotaExceededError')
              throw new Error(`The browser's storage is full while writing ${path}. Free space (delete other model sets) and retry; what was written is kept.`);
            throw err;
          }
        },
        close: () => writable.close(),
      };
    },
    async *read(path) {
      const h = await fileHandle(await rootPromise, path);
      if (!h) return;
      const reader = (await h.getFile()).stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
    async rename(from, to) {
      const root = await rootPromise;
      const h = await fileHandle(root, from);
      if (!h) throw new Error(`${from} is not stored`);
      const [dir, name] = (await dirFor(root, to, true))!;
      await (h as FileSystemFileHandle & { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }).move(dir, name);
    },
    async blob(path) {
      const h = await fileHandle(await rootPromise, path);
      return h ? h.getFile() : null;
    },
    async list(folder) {
      let dir = await rootPromise;
      for (const part of folder.split('/').filter(Boolean)) {
        try {
          dir = await dir.getDirectoryHandle(part);
        } catch {
          return [];
        }
      }
      const names: string[] = [];
      for await (const name of (dir as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) names.push(name);
      return names;
    },
    async remove(path) {
      const found = await dirFor(await rootPromise, path, false);
      if (found) await found[0].removeEntry(found[1], { recursive: true }).catch(() => undefined);
    },
  };
}
