// Streaming, resumable, verified downloads of model files into a FileStore. A file is
// written to "<path>.part" as it streams (never held whole in memory); a cut-off
// download resumes with an HTTP Range request from the bytes already stored (re-hashed
// from storage, so nothing unverified counts); only a file whose size and sha256 match
// is renamed into place. Errors name the file and say what to do.
import { sha256 } from '@noble/hashes/sha2.js';
import { readStoreText, writeStoreText, type FileStore } from './file-store.ts';

export interface RemoteFile {
  url: string;
  /** Where it is stored, e.g. "tiny-sd15/unet/model.onnx". */
  path: string;
  size: number | null;
  sha256: string | null;
}

export interface FileProgress {
  path: string;
  received: number;
  total: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Bytes that were already stored and not fetched again. */
  resumedFrom: number;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
}

const PART = '.part';
const HASH = '.sha256';

/**
 * The Hugging Face hub sends an LFS file's sha256 as its X-Linked-Etag (quoted); other servers
 * may send it as the ETag. Used when the manifest has no hash for the file.
 */
export function hubSha256(headers: Headers): string | null {
  for (const name of ['x-linked-etag', 'etag']) {
    const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(headers.get(name) ?? '');
    if (m) return m[1]!.toLowerCase();
  }
  return null;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Stored and verified: present under its final path (a .part never counts). */
export async function isCached(store: FileStore, file: RemoteFile): Promise<boolean> {
  const size = await store.size(file.path);
  return size !== null && (file.size === null || size === file.size);
}

export interface DownloadResult {
  /** Bytes fetched by this call. */
  fetchedBytes: number;
  /** Bytes kept from an earlier, cut-off download. */
  resumedFrom: number;
}

export async function downloadFile(store: FileStore, file: RemoteFile, opts: { signal?: AbortSignal; onProgress?: (p: FileProgress) => void; fetch?: typeof fetch } = {}): Promise<DownloadResult> {
  const doFetch = opts.fetch ?? fetch;
  const partPath = file.path + PART;
  // 1. What is already stored: hash it again, so resuming continues a verified prefix.
  let hash = sha256.create();
  let stored = (await store.size(partPath)) ?? 0;
  if (file.size !== null && stored > file.size) stored = 0;
  if (stored > 0) for await (const chunk of store.read(partPath)) hash.update(chunk);

  // 2. Ask for the rest.
  let response: Response;
  try {
    response = await doFetch(file.url, { signal: opts.signal, headers: stored > 0 ? { Range: `bytes=${stored}-` } : {} });
  } catch (err) {
    if (opts.signal?.aborted) throw new DownloadError(`Download of ${file.path} cancelled; ${stored} bytes are kept for resuming.`);
    throw new DownloadError(`Could not reach ${file.url} for ${file.path}: ${err instanceof Error ? err.message : String(err)}. Check the connection and retry.`);
  }
  const complete = response.status === 416 && stored > 0 && stored === file.size; // nothing left to fetch
  if (!response.ok && !complete) {
    throw new DownloadError(
      `Downloading ${file.path} failed: the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${file.url}.${response.status >= 500 ? ' Try again later.' : ' Check the model set’s address.'}`,
    );
  }
  // A 206 must continue exactly where we stopped; anything else starts over.
  const resumed = complete || (response.status === 206 && new RegExp(`^bytes ${stored}-`).test(response.headers.get('content-range') ?? ''));
  if (!resumed) {
    stored = 0;
    hash = sha256.create();
  }
  const length = Number(response.headers.get('content-length')) || 0;
  const total = file.size ?? (length ? length + stored : null);
  const expectedHash = file.sha256 ?? hubSha256(response.headers);

  // 3. Stream the body into the .part file.
  const writer = await store.append(partPath, !resumed);
  let received = stored;
  const resumedFrom = received;
  const started = performance.now();
  try {
    if (!complete && response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        await writer.write(value);
        received += value.length;
        const seconds = (performance.now() - started) / 1000;
        const speed = seconds > 0 ? (received - resumedFrom) / seconds : 0;
        opts.onProgress?.({ path: file.path, received, total, bytesPerSecond: speed, etaSeconds: total && speed > 0 ? (total - received) / speed : null, resumedFrom });
      }
    }
  } catch (err) {
    await writer.close();
    if (opts.signal?.aborted) throw new DownloadError(`Download of ${file.path} cancelled at ${received} bytes; they are kept, and a retry resumes from there.`);
    throw new DownloadError(`The connection broke while downloading ${file.path} (${received} of ${total ?? '?'} bytes). Retry to resume from byte ${received}.`);
  }
  await writer.close();

  // 4. Verify before it counts as cached.
  if (file.size !== null && received !== file.size) {
    if (received > file.size) await store.remove(partPath);
    throw new DownloadError(`${file.path} is incomplete: got ${received} of ${file.size} bytes. Retry to resume.`);
  }
  if (total !== null && received < total) throw new DownloadError(`${file.path} is incomplete: got ${received} of ${total} bytes. Retry to resume.`);
  const actual = hex(hash.digest());
  if (expectedHash !== null && actual !== expectedHash.toLowerCase()) {
    await store.remove(partPath);
    throw new DownloadError(`${file.path} is corrupt: its sha256 is ${actual}, expected ${expectedHash}. The bad file was deleted; retry the download.`);
  }
  await store.rename(partPath, file.path);
  // The verified hash stays beside the file, so "verify" can re-check sets without a manifest hash.
  await writeStoreText(store, file.path + HASH, actual);
  return { fetchedBytes: received - resumedFrom, resumedFrom };
}

/** Runs downloads a few at a time and never fetches the same path twice at once. */
export class DownloadQueue {
  private inFlight = new Map<string, Promise<DownloadResult>>();
  private running = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly store: FileStore,
    private readonly concurrency = 3,
  ) {}

  download(file: RemoteFile, opts: Parameters<typeof downloadFile>[2] = {}): Promise<DownloadResult> {
    const existing = this.inFlight.get(file.path);
    if (existing) return existing;
    const job = this.slot()
      .then(() => downloadFile(this.store, file, opts))
      .finally(() => {
        this.inFlight.delete(file.path);
        this.running--;
        this.waiting.shift()?.();
      });
    this.inFlight.set(file.path, job);
    return job;
  }

  private slot(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => (this.running++, resolve())));
  }
}

/** Asks for persistent storage, and refuses to start when the set won't fit. */
export async function checkStorage(bytesNeeded: number, storage: StorageManager | undefined = globalThis.navigator?.storage): Promise<{ persisted: boolean; free: number | null }> {
  if (!storage) return { persisted: false, free: null };
  const persisted = (await storage.persist?.().catch(() => false)) ?? false;
  const { quota, usage } = await storage.estimate();
  if (quota === undefined || usage === undefined) return { persisted, free: null };
  const free = quota - usage;
  if (bytesNeeded > free) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
    throw new DownloadError(`This model set needs ${mb(bytesNeeded)} but the browser allows ${mb(free)} more: ${mb(bytesNeeded - free)} are missing. Free space (delete other sets) and try again.`);
  }
  return { persisted, free };
}

export type FileStatus = 'cached' | 'partial' | 'missing' | 'corrupt';

export interface StoredFile {
  path: string;
  /** Expected size, when known. */
  size: number | null;
  /** Bytes stored (final file, or the .part of an unfinished download). */
  stored: number;
  status: FileStatus;
}

/** What is stored of each file, without reading them: sizes only. */
export async function fileStatuses(store: FileStore, files: RemoteFile[]): Promise<StoredFile[]> {
  return Promise.all(
    files.map(async (file) => {
      const size = await store.size(file.path);
      if (size !== null) return { path: file.path, size: file.size, stored: size, status: file.size === null || size === file.size ? ('cached' as const) : ('corrupt' as const) };
      const part = await store.size(file.path + PART);
      return { path: file.path, size: file.size, stored: part ?? 0, status: part ? ('partial' as const) : ('missing' as const) };
    }),
  );
}

/**
 * Re-hashes every stored file against the manifest's sha256 (or the one recorded when it was
 * downloaded). A file that no longer matches is deleted, so the next download fetches it again.
 */
export async function verifyFiles(store: FileStore, files: RemoteFile[], onFile?: (path: string) => void): Promise<{ checked: number; corrupt: string[]; unverifiable: string[] }> {
  const result = { checked: 0, corrupt: [] as string[], unverifiable: [] as string[] };
  for (const file of files) {
    const size = await store.size(file.path);
    if (size === null) continue;
    onFile?.(file.path);
    const expected = file.sha256 ?? (await readStoreText(store, file.path + HASH));
    const badSize = file.size !== null && size !== file.size;
    if (!expected && !badSize) {
      result.unverifiable.push(file.path);
      continue;
    }
    let actual = '';
    if (!badSize) {
      const hash = sha256.create();
      for await (const c of store.read(file.path)) hash.update(c);
      actual = hex(hash.digest());
    }
    result.checked++;
    if (badSize || actual !== expected!.toLowerCase()) {
      result.corrupt.push(file.path);
      await store.remove(file.path);
      await store.remove(file.path + HASH);
    }
  }
  return result;
}
