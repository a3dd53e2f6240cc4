// The engine's storage job: model files in the browser's Origin Private File System. Sets
// (downloaded, or converted from checkpoints) live in "models/<id>/", ControlNets stored on
// their own in "controlnets/<name>/", and repo files fetched for a conversion in
// "downloads/". Downloads resume and verify; conversions stream into storage and leave
// nothing behind when they fail. Also resolves a ModelSource to the files the loader reads.
import { blobBytes } from '../convert/byte-source.ts';
import { importCheckpoint, importLoraInput, listStored, type ImportSource, type ImportStores } from '../convert/import-checkpoint.ts';
import { LoraLibrary } from '../convert/import-lora.ts';
import type { LoraMerger } from '../convert/lora/lora-merge.ts';
import type { AppliedLora } from '../convert/lora/lora-targets.ts';
import { readStoreText } from '../models/download/file-store.ts';
import { STORED_TAESD_INFO, type StoredLoraInfo, type TaesdInfo } from '../models/set-layout.ts';
import { checkStorage, DownloadQueue, fileStatuses, isCached, verifyFiles } from '../models/download/downloader.ts';
import { opfsStore } from '../models/download/opfs-store.ts';
import { urlSource } from '../models/fetch-file.ts';
import type { StoredControlNet } from '../models/load-set.ts';
import { blobSource, storeSource } from '../models/set-files.ts';
import type { ModelSource, SetSource } from '../models/set-source.ts';
import type {
  DownloadSetRequest,
  DownloadSetResult,
  ImportInput,
  ImportRequest,
  ImportResult,
  JobControl,
  LoraImportRequest,
  LoraRequest,
  SetStatus,
  StoredModels,
  StoredTaesdInfo,
  VerifyResult,
} from './engine.ts';

/** CLIP's BPE merge list, served with the studio (public/clip/, MIT). */
const CLIP_VOCAB_URL = () => new URL(`${import.meta.env.BASE_URL}clip/bpe_simple_vocab_16e6.txt.gz`, globalThis.location.origin).href;

export class ModelStorage {
  private stores: ImportStores | null = null;
  private queue: DownloadQueue | null = null;

  /** `merger`: runs LoRA merges (on the engine's runtime, in its job queue) for "Bake LoRA". */
  constructor(private readonly merger: () => LoraMerger) {}

  /** Opened on first use: OPFS exists only in the browser. */
  private get library(): LoraLibrary {
    this.loraLibrary ??= new LoraLibrary(this.store.loras);
    return this.loraLibrary;
  }
  private loraLibrary: LoraLibrary | null = null;

  private get store(): ImportStores {
    this.stores ??= { sets: opfsStore('models'), controlnets: opfsStore('controlnets'), downloads: opfsStore('downloads'), loras: opfsStore('loras'), taesd: opfsStore('taesd') };
    return this.stores;
  }

  /** Where a set's files are read from. */
  source(source: ModelSource, signal?: AbortSignal): SetSource {
    switch (source.kind) {
      case 'url':
        return urlSource(source.url, signal);
      case 'stored':
        return storeSource(this.store.sets, source.id);
      case 'folder':
        return blobSource(source.files);
    }
  }

  /** Stored ControlNets, as sources the loader can open beside any set. */
  async storedControlNets(): Promise<StoredControlNet[]> {
    const { controlnets } = await listStored(this.store);
    return controlnets.map((info) => ({ name: info.name, source: storeSource(this.store.controlnets, info.name) }));
  }

  async download(request: DownloadSetRequest, control: JobControl = {}): Promise<DownloadSetResult> {
    const store = this.store.sets;
    this.queue ??= new DownloadQueue(store, 3);
    const result: DownloadSetResult = { files: request.files.length, alreadyCached: 0, fetchedBytes: 0, resumedBytes: 0 };
    const received = new Map<string, number>();
    const total = request.files.reduce((sum, f) => sum + (f.size ?? 0), 0) || null;
    const missing = [];
    for (const file of request.files) {
      if (await isCached(store, file)) result.alreadyCached++;
      else missing.push(file);
    }
    // Refuse to start when the rest of the set won't fit (the message says how much is missing).
    await checkStorage(missing.reduce((sum, f) => sum + (f.size ?? 0), 0));
    // Every file is tried; the first error is reported after the others finish, so one bad file costs no progress elsewhere.
    const outcomes = await Promise.allSettled(
      missing.map(async (file) => {
        const r = await this.queue!.download(file, {
          signal: control.signal,
          onProgress: (p) => {
            received.set(p.path, p.received);
            const done = [...received.values()].reduce((a, b) => a + b, 0);
            control.onProgress?.({ stage: 'downloading', file: p.path.slice(request.id.length + 1), done, total: total ?? done, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds });
          },
        });
        result.fetchedBytes += r.fetchedBytes;
        result.resumedBytes += r.resumedFrom;
      }),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    return result;
  }

  async status(request: DownloadSetRequest): Promise<SetStatus> {
    const files = await fileStatuses(this.store.sets, request.files);
    const estimate = await navigator.storage?.estimate?.().catch(() => null);
    return { files, storedBytes: files.reduce((sum, f) => sum + f.stored, 0), usage: estimate?.usage ?? null, quota: estimate?.quota ?? null };
  }

  verify(request: DownloadSetRequest, control: JobControl = {}): Promise<VerifyResult> {
    let done = 0;
    return verifyFiles(this.store.sets, request.files, (path) => control.onProgress?.({ stage: 'verifying', file: path, done: done++, total: request.files.length }));
  }

  deleteSet(id: string): Promise<void> {
    return this.store.sets.remove(id);
  }

  deleteStoredControlNet(name: string): Promise<void> {
    return this.store.controlnets.remove(name);
  }

  async importCheckpoint(request: ImportRequest, control: JobControl = {}): Promise<ImportResult> {
    const bake = request.bakeLoras ?? [];
    const applied = await this.appliedLoras(bake);
    const library = bake.length ? await this.library.list() : [];
    const lcm = new Set(applied.filter((_, i) => library.find((l) => l.name === bake[i]!.name)?.lcm).map((a) => a.lora));
    const imported = await importCheckpoint(importSource(request.input), this.store, {
      loras: applied.length ? { applied, merger: this.merger(), lcm } : undefined,
      name: request.name,
      precision: request.precision,
      overrides: request.overrides,
      clipVocab: async () => new Uint8Array(await (await fetch(CLIP_VOCAB_URL())).arrayBuffer()),
      signal: control.signal,
      onDownload: (p) => control.onProgress?.({ stage: 'downloading', file: p.file, done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds }),
      onConvert: (p) =>
        control.onProgress?.({ stage: `converting ${p.index + 1} of ${p.count}`, file: p.graph, done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds }),
    });
    return { kind: imported.kind, id: imported.id, label: imported.label, notices: imported.notices, bytes: imported.bytes, seconds: imported.seconds };
  }

  importLora(request: LoraImportRequest, control: JobControl = {}): Promise<StoredLoraInfo> {
    return importLoraInput(importSource(request.input), this.store, {
      name: request.name,
      lcm: request.lcm,
      signal: control.signal,
      onDownload: (p) => control.onProgress?.({ stage: 'downloading', file: p.file, done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds }),
    });
  }

  deleteLora(name: string): Promise<void> {
    return this.library.delete(name);
  }

  deleteStoredTaesd(name: string): Promise<void> {
    return this.store.taesd.remove(name);
  }

  /** The library's LoRAs a generation names, read (once per file) and checked. */
  appliedLoras(requests: LoraRequest[]): Promise<AppliedLora[]> {
    return this.library.applied(requests);
  }

  /** A TAESD stored on its own, for sets without one: the one named "taesd" (the manifest's), else the first. */
  async storedTaesd(): Promise<SetSource | null> {
    const names = (await this.store.taesd.list('')).sort();
    const name = names.includes('taesd') ? 'taesd' : names[0];
    return name && (await this.store.taesd.size(`${name}/${STORED_TAESD_INFO}`)) !== null ? storeSource(this.store.taesd, name) : null;
  }

  async storedModels(): Promise<StoredModels> {
    const { sets, controlnets } = await listStored(this.store);
    const taesd: StoredTaesdInfo[] = [];
    for (const name of await this.store.taesd.list('')) {
      const text = await readStoreText(this.store.taesd, `${name}/${STORED_TAESD_INFO}`);
      if (text) taesd.push({ name, ...(JSON.parse(text) as TaesdInfo) });
    }
    return {
      loras: await this.library.list(),
      taesd,
      sets: sets.map(({ id, index }) => ({
        id,
        label: index.controlnet_studio?.label ?? id,
        convertedFrom: index.controlnet_studio?.converted_from ?? '',
        controlnets: index.controlnet_studio?.controlnets ?? [],
        notices: index.controlnet_studio?.notices ?? [],
      })),
      controlnets,
    };
  }
}

const importSource = (input: ImportInput): ImportSource =>
  input.kind === 'files' ? { kind: 'files', files: new Map(input.files.map((f) => [f.path, blobBytes(f.file, f.path.split('/').pop()!)])) } : { kind: 'hub', repo: input.repo, files: input.files };
