// Where downloaded model files live. The browser uses OPFS (opfs-store.ts); Node tests
// and the CLI use a folder (src/cli/fs-store.ts). Paths are relative, with "/" separators.

export interface Appender {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface FileStore {
  /** Bytes stored at `path`, or null when there is no such file. */
  size(path: string): Promise<number | null>;
  /** Opens `path` for appending (creating it; emptying it first when `truncate`). */
  append(path: string, truncate: boolean): Promise<Appender>;
  /** Reads `path` in chunks, never whole. */
  read(path: string): AsyncIterable<Uint8Array>;
  /** Replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file, or a folder with everything in it. */
  remove(path: string): Promise<void>;
  /** The stored file as a Blob, read in slices on demand (never whole), or null when there is none. */
  blob(path: string): Promise<Blob | null>;
  /** Names directly inside a folder ("" for the top), or [] when there is no such folder. */
  list(folder: string): Promise<string[]>;
  /** The file's path on disk, for a store that is a folder (Node): runtimes read graphs and their weights from there. */
  localPath?(path: string): string;
}

export async function writeStoreText(store: FileStore, path: string, text: string): Promise<void> {
  const w = await store.append(path, true);
  await w.write(new TextEncoder().encode(text));
  await w.close();
}

/** A small stored text file (an index, a hash), or null when it is not there. */
export async function readStoreText(store: FileStore, path: string): Promise<string | null> {
  if ((await store.size(path)) === null) return null;
  const chunks: Uint8Array[] = [];
  for await (const c of store.read(path)) chunks.push(c);
  return new TextDecoder().decode(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}
