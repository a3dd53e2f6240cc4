// Random access to a checkpoint's bytes, so a multi-GB file is read one tensor at a time:
// Blob.slice in the browser (dropped or picked files, OPFS files), HTTP Range requests for
// remote files, and file reads in Node (src/cli/fs-bytes.ts).
import { CheckpointError } from './errors.ts';

export interface ByteSource {
  /** The file's name, for messages. */
  readonly name: string;
  readonly size: number;
  /** `length` bytes from `offset`; a read past the end is an error, not a short result. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > src.size) {
    throw new CheckpointError(`${src.name} ends at ${src.size} bytes, but a read needs bytes ${offset}–${offset + length}: the file is truncated. Download or copy it again.`);
  }
}

export function blobBytes(blob: Blob, name: string): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange({ name, size: blob.size }, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Bytes held in memory already (small test files, headers). */
export function memoryBytes(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      checkRange({ name, size: bytes.length }, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Remote reads are made in blocks of this size and the last few kept: a checkpoint's small tensors sit side by side. */
const BLOCK = 8 * 1024 * 1024;
const BLOCKS_KEPT = 8;

/**
 * A remote file read with HTTP Range requests. Its size comes from a one-byte range request
 * (Content-Range), which also proves the server honours ranges; a server that ignores them
 * would send the whole file for every tensor, so it is refused. Reads go through a small cache
 * of 8 MB blocks (64 MB in all), so a thousand small tensors cost a few requests, not a thousand.
 */
export async function httpBytes(url: string, fetchImpl: typeof fetch = fetch, signal?: AbortSignal): Promise<ByteSource> {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  const get = async (offset: number, length: number) => {
    let res: Response;
    try {
      res = await fetchImpl(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` }, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new CheckpointError(`Could not read ${url}: ${(err as Error).message}. Check the address and the connection.`);
    }
    if (res.status === 404) throw new CheckpointError(`${url} was not found (404). Check the address.`);
    if (res.status !== 206)
      throw new CheckpointError(`${url} answered ${res.status} to a Range request; converting a remote file needs a server that sends byte ranges (206). Download the file and import it from disk.`);
    return res;
  };
  const first = await get(0, 1);
  await first.arrayBuffer();
  const total = /\/(\d+)\s*$/.exec(first.headers.get('content-range') ?? '');
  if (!total) throw new CheckpointError(`${url} did not say its size (no Content-Range); download the file and import it from disk.`);
  const size = Number(total[1]);
  const fetchRange = async (offset: number, length: number) => {
    const bytes = new Uint8Array(await (await get(offset, length)).arrayBuffer());
    if (bytes.length !== length) throw new CheckpointError(`${url} sent ${bytes.length} of ${length} bytes at ${offset}: the transfer was cut. Try again.`);
    return bytes;
  };
  const blocks = new Map<number, Promise<Uint8Array>>();
  const block = (index: number) => {
    let b = blocks.get(index);
    if (b) blocks.delete(index);
    else b = fetchRange(index * BLOCK, Math.min(BLOCK, size - index * BLOCK));
    blocks.set(index, b); // most recently used last
    b.catch(() => blocks.delete(index));
    if (blocks.size > BLOCKS_KEPT) blocks.delete(blocks.keys().next().value!);
    return b;
  };
  return {
    name,
    size,
    async read(offset, length) {
      checkRange({ name, size }, offset, length);
      if (length === 0) return new Uint8Array(0);
      if (length > BLOCK) return fetchRange(offset, length);
      const first = Math.floor(offset / BLOCK);
      const last = Math.floor((offset + length - 1) / BLOCK);
      const out = new Uint8Array(length);
      for (let i = first; i <= last; i++) {
        const data = await block(i);
        const from = Math.max(offset, i * BLOCK);
        const to = Math.min(offset + length, (i + 1) * BLOCK);
        out.set(data.subarray(from - i * BLOCK, to - i * BLOCK), from - offset);
      }
      return out;
    },
  };
}
