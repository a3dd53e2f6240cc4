// The LoRA library's import: a LoRA file (dropped, picked, or fetched from a Hugging Face repo)
// is read and checked as a LoRA first — a file that is not one is refused with nothing
// written — then copied into the library's store as it is, hashed on the way (sha256, for
// A1111's "Lora hashes"), with lora.json beside it saying what the studio read of it.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { readStoreText, writeStoreText, type FileStore } from '../models/download/file-store.ts';
import { STORED_LORA_INFO, type StoredLoraInfo } from '../models/set-layout.ts';
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import { blobBytes } from './byte-source.ts';
import { readLora, type LoraFile } from './lora/lora-file.ts';
import type { AppliedLora } from './lora/lora-targets.ts';
import { CancelledError } from '../diffusion/errors.ts';

export interface LoraImportOptions {
  /** The library name; default: the file's name without its extension. */
  name?: string;
  lcm: boolean;
  source: string;
  signal?: AbortSignal;
}

const CHUNK = 16 * 1024 * 1024;
export const loraNameOf = (file: string) => file.replace(/\.(safetensors|pt|bin|ckpt)$/i, '').replace(/[^\w.-]+/g, '_') || 'lora';

async function copyHashed(src: ByteSource, store: FileStore, path: string, signal?: AbortSignal): Promise<string> {
  const hash = sha256.create();
  const out = await store.append(path, true);
  try {
    for (let at = 0; at < src.size; at += CHUNK) {
      if (signal?.aborted) throw new CancelledError('Import cancelled.');
      const chunk = await src.read(at, Math.min(CHUNK, src.size - at));
      hash.update(chunk);
      await out.write(chunk);
    }
  } finally {
    await out.close();
  }
  return bytesToHex(hash.digest());
}

/** Checks `src` is an SD 1.5-style LoRA, then stores it in `store` under its name. */
export async function importLora(src: ByteSource, store: FileStore, opts: LoraImportOptions): Promise<StoredLoraInfo> {
  const lora = await readLora(src);
  const name = loraNameOf(opts.name?.trim() || src.name);
  if ((await store.size(`${name}/${STORED_LORA_INFO}`)) !== null) throw new CheckpointError(`A LoRA named "${name}" is already in the library; delete it first or give this one another name.`);
  try {
    const sha = await copyHashed(src, store, `${name}/${src.name}`, opts.signal);
    const count = (part: 'unet' | 'text') => lora.layers.filter((l) => l.module.part === part).length;
    const info: StoredLoraInfo = { name, file: src.name, bytes: src.size, sha256: sha, lcm: opts.lcm, format: lora.format, layers: { unet: count('unet'), text: count('text') }, source: opts.source };
    // Written last: a LoRA counts as stored once its info is there.
    await writeStoreText(store, `${name}/${STORED_LORA_INFO}`, JSON.stringify(info, null, 2) + '\n');
    return info;
  } catch (err) {
    await store.remove(name).catch(() => undefined);
    throw err;
  }
}

/** The library's LoRAs (those with their info written). */
export async function listLoras(store: FileStore): Promise<StoredLoraInfo[]> {
  const out: StoredLoraInfo[] = [];
  for (const name of await store.list('')) {
    const text = await readStoreText(store, `${name}/${STORED_LORA_INFO}`);
    if (text) out.push(JSON.parse(text) as StoredLoraInfo);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A LoRA as a generation names it: a library name and its two multipliers. */
export interface LoraByName {
  name: string;
  unet: number;
  text: number;
}

/** The library as generations use it: names resolved to read, checked files (each read once while its hash is the same). */
export class LoraLibrary {
  private readonly files = new Map<string, { sha256: string; lora: Promise<LoraFile> }>();

  constructor(
    /** The library's store (borrowed). */
    private readonly store: FileStore,
  ) {}

  list(): Promise<StoredLoraInfo[]> {
    return listLoras(this.store);
  }

  async delete(name: string): Promise<void> {
    this.files.delete(name);
    await this.store.remove(name);
  }

  async applied(requests: LoraByName[]): Promise<AppliedLora[]> {
    if (!requests.length) return [];
    const library = await this.list();
    return Promise.all(requests.map(async (r) => ({ lora: await this.read(r.name, library), unet: r.unet, text: r.text })));
  }

  private async read(name: string, library: StoredLoraInfo[]): Promise<LoraFile> {
    const info = library.find((l) => l.name === name);
    if (!info)
      throw new CheckpointError(
        `There is no LoRA named "${name}" in the library${library.length ? ` (it has ${library.map((l) => l.name).join(', ')})` : ' (it is empty)'}. Import it in the model manager, or fix the name in the prompt.`,
      );
    let cached = this.files.get(name);
    if (cached?.sha256 !== info.sha256) {
      const blob = await this.store.blob(`${info.name}/${info.file}`);
      if (!blob) throw new CheckpointError(`LoRA "${name}" lost its file ${info.file} from storage; import it again.`);
      cached = { sha256: info.sha256, lora: readLora(blobBytes(blob, info.file)) };
      this.files.set(name, cached);
    }
    return cached.lora;
  }
}
