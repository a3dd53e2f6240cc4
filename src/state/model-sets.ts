// The model manager's actions and what they report, outside React: sets added by address
// (status, download with progress and cancel, verify, delete, load, forget), sets and
// ControlNets converted from checkpoints (list, load, delete), and importing a checkpoint
// (files or a Hugging Face repo) with progress per graph and cancel. The panel only renders this.
import { create } from 'zustand';
import type { ImportFile, ImportResult, LoraRequest, Progress, SetStatus, StoredModels } from '../engine/engine.ts';
import { CancelledError } from '../engine/errors.ts';
import type { ArchOverrides } from '../convert/infer-arch.ts';
import { resolveRemoteSet, type RemoteSet } from '../models/manifest.ts';
import { useEngineStore } from './engine-store.ts';
import { useStudio } from './studio-store.ts';

export interface Message {
  kind: 'error' | 'info';
  text: string;
}

/** A transfer or conversion in progress: bytes, speed, time left, and the file it is on. */
export interface Transfer {
  done: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  file: string;
  stage: string;
}

export interface JobState {
  busy: string | null;
  transfer: Transfer | null;
  message: Message | null;
}

const idle: JobState = { busy: null, transfer: null, message: null };
const text = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const mb = (n: number | null) => (n === null ? '?' : `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 0)} MB`);

export interface ImportForm {
  name: string;
  precision: 'fp16' | 'fp32';
  overrides: ArchOverrides;
  /** Library LoRAs baked into a base model as it converts ("Bake LoRA"). */
  bakeLoras?: LoraRequest[];
}

/** A ControlNet imported now is for the loaded set: its UNet layout (heads included) tells what the ControlNet's weights do not. */
const withPairedSet = (form: ImportForm): ImportForm => ({ ...form, overrides: { ...form.overrides, paired: useEngineStore.getState().unetShape } });

interface ModelSetsState {
  /** Per added set (by id): its files' status and the job running on it. */
  entries: Record<string, JobState & { status: SetStatus | null }>;
  stored: StoredModels;
  importJob: JobState & { notices: string[] };
  addSet(address: string): Promise<void>;
  /** "Add model set" by address: whether it is being added, and why it could not be. */
  adding: { busy: boolean; error: string | null };
  /** Adds the set at `address` for the model manager's form; resolves whether it was added. */
  addSetByAddress(address: string): Promise<boolean>;
  /** The browser storage used and its quota (navigator.storage.estimate), once measured. */
  storage: { usage: number | null; quota: number | null } | null;
  refreshStorage(): Promise<void>;
  refresh(set: RemoteSet): Promise<void>;
  download(set: RemoteSet): Promise<void>;
  verify(set: RemoteSet): Promise<void>;
  remove(set: RemoteSet): Promise<void>;
  load(set: RemoteSet): Promise<void>;
  forget(set: RemoteSet): Promise<void>;
  cancel(id: string): void;
  refreshStored(): Promise<void>;
  importFiles(files: ImportFile[], form: ImportForm): Promise<ImportResult | null>;
  /** `files`: exactly which repo files to fetch (a manifest entry's list); otherwise the repo is probed. */
  importRepo(repo: string, form: ImportForm, files?: string[]): Promise<ImportResult | null>;
  cancelImport(): void;
  loadConverted(id: string, label: string): Promise<void>;
  deleteConverted(id: string): Promise<void>;
  deleteStoredControlNet(name: string): Promise<void>;
  deleteStoredTaesd(name: string): Promise<void>;
}

const aborts = new Map<string, AbortController>();
const IMPORT = '\u0000import';

const transferOf = (p: Progress): Transfer => ({ done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond ?? 0, etaSeconds: p.etaSeconds ?? null, file: p.file ?? '', stage: p.stage });

export const useModelSets = create<ModelSetsState>()((set, get) => {
  const engine = () => useEngineStore.getState().engine;
  const patch = (id: string, p: Partial<ModelSetsState['entries'][string]>) => set((s) => ({ entries: { ...s.entries, [id]: { ...idle, status: null, ...s.entries[id], ...p } } }));

  /** Runs one job on a set: busy while it runs; its outcome shows once the set's status is read again, so the two agree. */
  const run = async (remote: RemoteSet, label: string, job: (signal: AbortSignal) => Promise<string>) => {
    const abort = new AbortController();
    aborts.set(remote.id, abort);
    patch(remote.id, { busy: label, message: null, transfer: null });
    let message: Message;
    try {
      message = { kind: 'info', text: await job(abort.signal) };
    } catch (err) {
      message = { kind: 'error', text: text(err) };
    }
    aborts.delete(remote.id);
    await get().refresh(remote);
    patch(remote.id, { busy: null, transfer: null, message });
  };

  const importJob = async (label: string, work: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<ImportResult>): Promise<ImportResult | null> => {
    if (get().importJob.busy) return null;
    const abort = new AbortController();
    aborts.set(IMPORT, abort);
    set({ importJob: { busy: label, transfer: null, message: null, notices: [] } });
    try {
      const result = await work(abort.signal, (p) => set((s) => ({ importJob: { ...s.importJob, transfer: transferOf(p) } })));
      const what =
        result.kind === 'set'
          ? `model set "${result.label}"`
          : result.kind === 'taesd'
            ? `TAESD "${result.id}" (previews and fast decoding for any SD 1.5 set)`
            : `ControlNet "${result.id}" (usable with any SD 1.5 set)`;
      set({ importJob: { ...idle, message: { kind: 'info', text: `Imported ${what}: ${mb(result.bytes)} in ${result.seconds.toFixed(1)} s.` }, notices: result.notices } });
      await get().refreshStored();
      return result;
    } catch (err) {
      const cancelled = err instanceof CancelledError;
      set({ importJob: { ...idle, message: { kind: cancelled ? 'info' : 'error', text: cancelled ? 'Import cancelled; nothing was kept.' : `Import failed: ${text(err)}` }, notices: [] } });
      return null;
    } finally {
      aborts.delete(IMPORT);
    }
  };

  return {
    entries: {},
    stored: { sets: [], controlnets: [], loras: [], taesd: [] },
    importJob: { ...idle, notices: [] },
    async addSet(address) {
      useStudio.getState().addCustomSet(await resolveRemoteSet(address));
    },
    adding: { busy: false, error: null },
    async addSetByAddress(address) {
      set({ adding: { busy: true, error: null } });
      try {
        await get().addSet(address);
        set({ adding: { busy: false, error: null } });
        return true;
      } catch (err) {
        set({ adding: { busy: false, error: text(err) } });
        return false;
      }
    },
    storage: null,
    async refreshStorage() {
      const estimate = await navigator.storage?.estimate?.().catch(() => null);
      if (estimate) set({ storage: { usage: estimate.usage ?? null, quota: estimate.quota ?? null } });
    },
    async refresh(remote) {
      const status = await engine()
        .modelSetStatus({ id: remote.id, files: remote.files })
        .catch(() => null);
      patch(remote.id, { status });
    },
    download: (remote) =>
      run(remote, 'Downloading', async (signal) => {
        // Persistence can only be asked from a page, not from the worker.
        await globalThis.navigator?.storage?.persist?.().catch(() => false);
        const r = await engine().downloadModelSet({ id: remote.id, files: remote.files }, { signal, onProgress: (p) => patch(remote.id, { transfer: transferOf(p) }) });
        return `Downloaded: ${r.files - r.alreadyCached} file(s), ${mb(r.fetchedBytes)} fetched${r.resumedBytes ? `, ${mb(r.resumedBytes)} resumed from before` : ''}; ${r.alreadyCached} already cached.`;
      }),
    verify: (remote) =>
      run(remote, 'Verifying', async (signal) => {
        const r = await engine().verifyModelSet({ id: remote.id, files: remote.files }, { signal });
        if (r.corrupt.length) throw new Error(`Corrupt and deleted: ${r.corrupt.join(', ')}. Download the set again to replace them.`);
        return `Verified ${r.checked} file(s)${r.unverifiable.length ? `; ${r.unverifiable.length} have no hash to check (size only)` : ''}.`;
      }),
    remove: (remote) =>
      run(remote, 'Deleting', async () => {
        await engine().deleteModelSet(remote.id);
        return 'Deleted from the browser storage.';
      }),
    load: (remote) =>
      run(remote, 'Loading', async () => {
        const info = await useEngineStore.getState().loadSet({ name: remote.label, options: { source: { kind: 'stored', id: remote.id } } });
        return `Loaded: ControlNets ${info.capabilities.controlnets.join(', ') || 'none'}.`;
      }),
    async forget(remote) {
      await engine().deleteModelSet(remote.id);
      useStudio.getState().removeCustomSet(remote.id);
    },
    cancel: (id) => aborts.get(id)?.abort(),

    async refreshStored() {
      const stored = await engine()
        .storedModels()
        .catch(() => null);
      if (stored) {
        set({ stored });
        useEngineStore.getState().setStoredControlNets(stored.controlnets);
      }
    },
    importFiles: (files, form) => importJob('Converting', (signal, onProgress) => engine().importCheckpoint({ input: { kind: 'files', files }, ...withPairedSet(form) }, { signal, onProgress })),
    importRepo: (repo, form, files) =>
      importJob('Downloading and converting', (signal, onProgress) => engine().importCheckpoint({ input: { kind: 'hub', repo: repo.trim(), files }, ...withPairedSet(form) }, { signal, onProgress })),
    cancelImport: () => aborts.get(IMPORT)?.abort(),
    async loadConverted(id, label) {
      set({ importJob: { ...idle, busy: 'Loading', notices: [] } });
      try {
        await useEngineStore.getState().loadSet({ name: label, options: { source: { kind: 'stored', id } } });
        set({ importJob: { ...idle, message: { kind: 'info', text: `Loaded ${label}.` }, notices: [] } });
      } catch (err) {
        set({ importJob: { ...idle, message: { kind: 'error', text: text(err) }, notices: [] } });
      }
    },
    async deleteConverted(id) {
      await engine().deleteModelSet(id);
      await get().refreshStored();
    },
    async deleteStoredControlNet(name) {
      await engine().deleteStoredControlNet(name);
      await get().refreshStored();
    },
    async deleteStoredTaesd(name) {
      await engine().deleteStoredTaesd(name);
      await get().refreshStored();
    },
  };
});
