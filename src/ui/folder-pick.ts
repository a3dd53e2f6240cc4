// Local model folders into {path, file} lists: from the directory picker (File System Access,
// where the browser has it) or from a folder dropped on the page (webkitGetAsEntry). Paths
// start with the folder's own name, as <input webkitdirectory> gives them.

export interface PickedFile {
  path: string;
  file: File;
}

interface DirectoryHandle {
  kind: 'directory';
  name: string;
  values(): AsyncIterable<DirectoryHandle | { kind: 'file'; name: string; getFile(): Promise<File> }>;
}

export const hasDirectoryPicker = () => typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

async function walkHandle(dir: DirectoryHandle, prefix: string, out: PickedFile[]): Promise<void> {
  for await (const entry of dir.values()) {
    if (entry.kind === 'directory') await walkHandle(entry, `${prefix}${entry.name}/`, out);
    else out.push({ path: `${prefix}${entry.name}`, file: await entry.getFile() });
  }
}

/** Opens the browser's folder picker; null when the person closes it. */
export async function pickDirectory(): Promise<{ name: string; files: PickedFile[] } | null> {
  let dir: DirectoryHandle;
  try {
    dir = await (globalThis as unknown as { showDirectoryPicker(o: object): Promise<DirectoryHandle> }).showDirectoryPicker({ mode: 'read' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') return null;
    throw err;
  }
  const files: PickedFile[] = [];
  await walkHandle(dir, `${dir.name}/`, files);
  return { name: dir.name, files };
}

function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most ~100 entries per call: call until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walkEntry(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\//, ''), file });
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walkEntry(child, out);
  }
}

/** The files of folders (or files) dropped on the page; null when the drop held no folder. */
export async function droppedFolder(data: DataTransfer): Promise<{ name: string; files: PickedFile[] } | null> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  const folder = entries.find((e) => e.isDirectory);
  if (!folder) return null;
  const files: PickedFile[] = [];
  await walkEntry(folder, files);
  return { name: folder.name, files };
}
