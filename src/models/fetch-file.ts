// Plain HTTP fetch of a model-set file, with errors that name the file and the fix.
// (Resumable OPFS-cached downloads build on this for the real, multi-GB sets.)
import { ModelLoadError } from '../diffusion/errors.ts';
import { httpBytes, type ByteSource } from '../convert/byte-source.ts';

export async function fetchBytes(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ModelLoadError(`Could not download ${url}: ${err instanceof Error ? err.message : String(err)}. Check the connection and try again.`);
  }
  if (!res.ok) throw new ModelLoadError(`Could not download ${url}: the server answered ${res.status} ${res.statusText}.`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function fetchJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const bytes = await fetchBytes(url, signal);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new ModelLoadError(`${url} is not valid JSON.`);
  }
}

/** A model set served over HTTP(S) at `base` (the tiny set, or a user's URL). */
export function urlSource(base: string, signal?: AbortSignal): import('./set-source.ts').SetSource {
  const root = base.replace(/\/$/, '');
  const ranged = new Map<string, Promise<ByteSource>>();
  return {
    read: (path) => fetchBytes(`${root}/${path}`, signal),
    has: async (path) => {
      try {
        return (await fetch(`${root}/${path}`, { method: 'HEAD', signal })).ok;
      } catch {
        return false;
      }
    },
    // LoRAs applied at load read single weights of multi-GB files: by HTTP range, not the whole file.
    readRange: async (path, offset, length) => {
      if (!ranged.has(path)) {
        const opened = httpBytes(new URL(`${root}/${path}`, globalThis.location?.href).href, fetch, signal);
        opened.catch(() => ranged.delete(path));
        ranged.set(path, opened);
      }
      return (await ranged.get(path)!).read(offset, length);
    },
    size: async (path) => {
      try {
        const res = await fetch(`${root}/${path}`, { method: 'HEAD', signal });
        return res.ok ? Number(res.headers.get('content-length')) || null : null;
      } catch {
        return null;
      }
    },
  };
}
