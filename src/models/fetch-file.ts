// Plain HTTP fetch of a model-set file, with errors that name the file and the fix.
// (Resumable OPFS-cached downloads build on this for the real, multi-GB sets.)
import { ModelLoadError } from '../diffusion/errors.ts';

/** fetch, with a failed connection said in words (a cancel stays a cancel). */
async function fetchOrSay(url: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { signal, headers });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ModelLoadError(`Could not download ${url}: ${err instanceof Error ? err.message : String(err)}. Check the connection and try again.`);
  }
}

export async function fetchBytes(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await fetchOrSay(url, signal);
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
      const url = `${root}/${path}`;
      const res = await fetchOrSay(url, signal, { Range: `bytes=${offset}-${offset + length - 1}` });
      if (res.status !== 206)
        throw new ModelLoadError(`${url} answered ${res.status} to a Range request; LoRAs applied at load need a server that sends byte ranges. Store the set in the browser and load it from there.`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length !== length) throw new ModelLoadError(`${path} ends before bytes ${offset}–${offset + length}: the file is truncated. Download the set again.`);
      return bytes;
    },
    size: async (path) => {
      try {
        const res = await fetch(`${root}/${path}`, { method: 'HEAD', signal });
        return res.ok ? Number(res.headers.get('content-length')) || null : null;
      } catch {
        return null;
      }
    },
    list: (folder) => listRemoteFolder(root, folder, signal),
  };
}

const HUB_FILE = /^https:\/\/huggingface\.co\/([^/]+\/[^/]+)\/resolve\/([^/]+)$/;

/**
 * Names inside a folder of a set served over HTTP: the Hugging Face hub's file tree for a hub
 * address, else the server's directory listing (the links of its HTML index); [] when neither answers.
 */
async function listRemoteFolder(root: string, folder: string, signal?: AbortSignal): Promise<string[]> {
  try {
    const hub = HUB_FILE.exec(root);
    if (hub) {
      const res = await fetch(`https://huggingface.co/api/models/${hub[1]}/tree/${hub[2]}/${folder}`, { signal });
      if (!res.ok) return [];
      return ((await res.json()) as { path: string }[]).map((e) => e.path.slice(folder.length + 1));
    }
    const res = await fetch(`${root}/${folder}/`, { signal });
    if (!res.ok || !res.headers.get('content-type')?.includes('text/html')) return [];
    const links = [...(await res.text()).matchAll(/href="([^"?#]+)"/g)].map((m) => decodeURIComponent(m[1]!));
    return links.filter((l) => !l.startsWith('/') && !l.startsWith('.') && !l.includes(':'));
  } catch {
    return [];
  }
}
