// Importing a checkpoint into storage, as the studio does it: the files a person dropped (or a
// Hugging Face repo, fetched first with the resumable downloader) are opened, recognised and
// converted — a base model into a stored set, a ControlNet into a stored ControlNet that any
// fitting set can use. The stores are passed in: OPFS in the browser, folders in Node tests.
import { DownloadQueue, type RemoteFile } from '../models/download/downloader.ts';
import { readStoreText, type FileStore } from '../models/download/file-store.ts';
import { STORED_CONTROLNET_INFO, STORED_TAESD_INFO, TAESD_DECODER, TAESD_ENCODER, type ModelIndex, type StoredControlNetInfo, type StoredLoraInfo } from '../models/set-layout.ts';
import { blobBytes, type ByteSource } from './byte-source.ts';
import { convertPipeline, convertStoredControlNet, type ConvertResult } from './convert-set.ts';
import { CheckpointError } from './errors.ts';
import { CancelledError } from '../diffusion/errors.ts';
import { hubFiles, knownRepoFiles, repoSlug } from './hub.ts';
import type { ArchOverrides } from './infer-arch.ts';
import { openCheckpoint } from './open-checkpoint.ts';
import { isTaesdInput, openTaesd } from './open-taesd.ts';
import { storeTaesd } from './convert-taesd.ts';
import { importLora, type LoraImportOptions } from './import-lora.ts';
import type { BakeLoras } from './lora/bake.ts';
import type { GraphProgress } from './write-set.ts';

export interface ImportStores {
  /** Sets (downloaded and converted), one folder each. */
  sets: FileStore;
  /** ControlNets stored on their own, one folder each. */
  controlnets: FileStore;
  /** Repo files fetched for a conversion; removed once it succeeds. */
  downloads: FileStore;
  /** The LoRA library, one folder per LoRA. */
  loras: FileStore;
  /** TAESDs stored on their own, one folder each. */
  taesd: FileStore;
}

export type ImportSource = { kind: 'files'; files: Map<string, ByteSource> } | { kind: 'hub'; repo: string; files?: string[] };

export interface ImportOptions {
  name: string;
  precision: 'fp16' | 'fp32';
  overrides?: ArchOverrides;
  /** CLIP's bpe_simple_vocab_16e6.txt.gz, for checkpoints without a tokenizer. */
  clipVocab: () => Promise<Uint8Array>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onDownload?: (p: { file: string; done: number; total: number; bytesPerSecond: number; etaSeconds: number | null }) => void;
  onConvert?: (p: GraphProgress) => void;
  /** LoRAs baked into a base model as it converts. */
  loras?: BakeLoras;
}

export interface Imported extends ConvertResult {
  kind: 'set' | 'controlnet' | 'taesd';
  id: string;
  label: string;
  bytes: number;
  seconds: number;
}

const slug = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/\.(safetensors|ckpt|pth|pt|bin)$/, '')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'model';

/** A folder name not taken yet in `store` ("name", "name-2", …). */
async function freeFolder(store: FileStore, base: string): Promise<string> {
  const taken = new Set(await store.list(''));
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Fetches a repo's needed files into the download store (resuming what is there) and opens them as byte sources. */
async function fetchRepo(repo: string, known: string[] | undefined, stores: ImportStores, opts: Pick<ImportOptions, 'fetch' | 'signal' | 'onDownload'>): Promise<Map<string, ByteSource>> {
  const fetchImpl = opts.fetch ?? fetch;
  const files: RemoteFile[] = known ? knownRepoFiles(repo, known) : await hubFiles(repo, fetchImpl, opts.signal);
  const queue = new DownloadQueue(stores.downloads, 3);
  const received = new Map<string, number>();
  const total = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const started = performance.now();
  await Promise.all(
    files.map((file) =>
      queue.download(file, {
        signal: opts.signal,
        fetch: fetchImpl,
        onProgress: (p) => {
          received.set(p.path, p.received);
          const done = [...received.values()].reduce((a, b) => a + b, 0);
          const speed = done / Math.max(0.001, (performance.now() - started) / 1000);
          opts.onDownload?.({ file: p.path, done, total, bytesPerSecond: speed, etaSeconds: speed > 0 && total > done ? (total - done) / speed : null });
        },
      }),
    ),
  );
  const out = new Map<string, ByteSource>();
  for (const file of files) {
    const blob = await stores.downloads.blob(file.path);
    if (!blob) throw new CheckpointError(`${file.path} was downloaded but is not in storage; try again.`);
    out.set(file.path, blobBytes(blob, file.path.split('/').pop()!));
  }
  return out;
}

export async function importCheckpoint(source: ImportSource, stores: ImportStores, opts: ImportOptions): Promise<Imported> {
  try {
    return await importNow(source, stores, opts);
  } catch (err) {
    if (!opts.signal?.aborted) throw err;
    // Cancelled: nothing stays, not even fetched repo files (a broken connection keeps them, to resume).
    if (source.kind === 'hub') await stores.downloads.remove(repoSlug(source.repo));
    throw err instanceof CancelledError ? err : new CancelledError('Import cancelled.');
  }
}

async function importNow(source: ImportSource, stores: ImportStores, opts: ImportOptions): Promise<Imported> {
  const started = performance.now();
  const files = source.kind === 'files' ? source.files : await fetchRepo(source.repo, source.files, stores, opts);
  if (await isTaesdInput(files)) return importTaesd(files, source, stores, opts, started);
  const opened = await openCheckpoint({ files, overrides: opts.overrides, precision: opts.precision });
  const convert = { precision: opts.precision, signal: opts.signal, onProgress: opts.onConvert };
  let result: ConvertResult;
  let id: string;
  let store: FileStore;
  if (opened.kind === 'pipeline') {
    store = stores.sets;
    id = await freeFolder(store, `converted-${slug(opts.name)}`);
    result = await convertPipeline(opened, [], opts.clipVocab, { ...convert, store, root: id, label: opts.name, loras: opts.loras });
  } else {
    if (opts.loras?.applied.length) throw new CheckpointError(`${opened.label} is a ControlNet; LoRAs are baked into base models (a LoRA changes the UNet and text encoder).`);
    store = stores.controlnets;
    id = slug(opts.name);
    if ((await store.size(`${id}/${STORED_CONTROLNET_INFO}`)) !== null) throw new CheckpointError(`A ControlNet named "${id}" is already stored; delete it first or give this one another name.`);
    result = await convertStoredControlNet({ name: id, opened }, { ...convert, store, root: id });
  }
  if (source.kind === 'hub') await stores.downloads.remove(repoSlug(source.repo));
  let bytes = 0;
  for (const [graph, data] of Object.entries(result.files)) for (const f of [graph, ...data]) bytes += (await store.size(`${id}/${f}`)) ?? 0;
  return { ...result, kind: opened.kind === 'pipeline' ? 'set' : 'controlnet', id, label: opened.kind === 'pipeline' ? opts.name : id, bytes, seconds: (performance.now() - started) / 1000 };
}

/** TAESD's halves stored on their own under the import's name, usable with any SD 1.x set. */
async function importTaesd(files: Map<string, ByteSource>, source: ImportSource, stores: ImportStores, opts: ImportOptions, started: number): Promise<Imported> {
  const id = slug(opts.name);
  if ((await stores.taesd.size(`${id}/${STORED_TAESD_INFO}`)) !== null) throw new CheckpointError(`A TAESD named "${id}" is already stored; delete it first or give this one another name.`);
  const opened = await openTaesd(files);
  await storeTaesd(opened, { store: stores.taesd, root: id, signal: opts.signal, onProgress: opts.onConvert });
  if (source.kind === 'hub') await stores.downloads.remove(repoSlug(source.repo));
  let bytes = 0;
  for (const f of [TAESD_DECODER, TAESD_ENCODER]) bytes += (await stores.taesd.size(`${id}/${f}`)) ?? 0;
  return { kind: 'taesd', id, label: id, files: {}, notices: [`TAESD from ${opened.label}: previews and fast decoding for any SD 1.5 set.`], bytes, seconds: (performance.now() - started) / 1000 };
}

/** A LoRA into the library: picked files (one LoRA file) or a Hugging Face repo (its listed files, or diffusers' pytorch_lora_weights.safetensors). */
export async function importLoraInput(source: ImportSource, stores: ImportStores, opts: Omit<LoraImportOptions, 'source'> & Pick<ImportOptions, 'fetch' | 'onDownload'>): Promise<StoredLoraInfo> {
  const files = source.kind === 'files' ? source.files : await fetchRepo(source.repo, source.files ?? ['pytorch_lora_weights.safetensors'], stores, opts);
  const candidates = [...files.entries()].filter(([p]) => /\.(safetensors|pt|bin|ckpt)$/i.test(p));
  if (candidates.length !== 1)
    throw new CheckpointError(
      candidates.length ? `Pick one LoRA file at a time (got ${candidates.map(([p]) => p).join(', ')}).` : 'No LoRA file among the picked files: pick a .safetensors (or .pt / .bin) LoRA.',
    );
  try {
    return await importLora(candidates[0]![1], stores.loras, { ...opts, source: source.kind === 'hub' ? source.repo : candidates[0]![0] });
  } finally {
    if (source.kind === 'hub') await stores.downloads.remove(repoSlug(source.repo));
  }
}

/** Converted sets and stored ControlNets, read from the stores (what is there is what counts). */
export async function listStored(stores: Pick<ImportStores, 'sets' | 'controlnets'>): Promise<{ sets: { id: string; index: ModelIndex }[]; controlnets: StoredControlNetInfo[] }> {
  const sets = [];
  for (const id of await stores.sets.list('')) {
    if (!id.startsWith('converted-')) continue;
    const text = await readStoreText(stores.sets, `${id}/model_index.json`);
    if (text) sets.push({ id, index: JSON.parse(text) as ModelIndex });
  }
  const controlnets = [];
  for (const name of await stores.controlnets.list('')) {
    const text = await readStoreText(stores.controlnets, `${name}/${STORED_CONTROLNET_INFO}`);
    if (text) controlnets.push(JSON.parse(text) as StoredControlNetInfo);
  }
  return { sets, controlnets };
}
