// The engine as the UI sees it: one EngineClient (behind the Engine interface), what device
// it found, which model set is loaded, and any message the user should see about it. A dead
// worker or a lost device restarts the engine and reloads the set; the studio's own state
// (canvas, units, gallery) lives in the studio store and is not touched.
import { create } from 'zustand';
import { EngineClient } from '../gpu/client.ts';
import type { DeviceInfo, Engine, LoadedSetInfo, LoadSetOptions } from '../gpu/engine.ts';
import { fetchJson } from '../models/fetch-file.ts';
import type { ModelIndex } from '../models/set-source.ts';

/** The bundled tiny set: loaded when Generate is pressed with no set chosen. */
export const TINY_SET_URL = `${import.meta.env.BASE_URL}models/tiny-sd15`;
export const DEFAULT_SET: SetLoad = { name: 'tiny-sd15', options: { source: { kind: 'url', url: TINY_SET_URL } } };

export type EngineStatus = 'starting' | 'ready' | 'crashed';

export interface SetLoad {
  name: string;
  options: LoadSetOptions;
}

interface EngineState {
  engine: Engine;
  status: EngineStatus;
  device: DeviceInfo | null;
  message: string | null;
  /** The set being loaded or loaded, with its result. */
  set: { request: SetLoad; state: 'loading' | 'loaded' | 'failed'; info: LoadedSetInfo | null; progress: string | null; error: string | null } | null;
  /** The ControlNets units can pick: the loaded set's, or the default set's before a load. */
  controlnets: string[] | null;
  refreshDevice(): Promise<void>;
  /** Reads the default set's index (no sessions) so units can offer its ControlNets. */
  peekDefaultSet(): Promise<void>;
  restart(reason: string): void;
  /** Loads a set; concurrent callers share the load. */
  loadSet(request: SetLoad): Promise<LoadedSetInfo>;
  /** The loaded set (loading the default one if none was chosen); throws with the load's error. */
  ensureSet(): Promise<LoadedSetInfo>;
}

function createWorker(): Worker {
  return new Worker(new URL('../gpu/engine.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
}

let loading: Promise<LoadedSetInfo> | null = null;

export const useEngineStore = create<EngineState>()((set, get) => {
  const client = new EngineClient(createWorker, {
    onCrash: (err) => get().restart(err.message),
    onDeviceLost: (msg) => get().restart(`The GPU device was lost (${msg}).`),
  });
  return {
    engine: client,
    status: 'starting',
    device: null,
    message: null,
    set: null,
    controlnets: null,
    async peekDefaultSet() {
      try {
        const index = await fetchJson<ModelIndex>(`${TINY_SET_URL}/model_index.json`);
        if (!get().set) set({ controlnets: index.controlnet_studio?.controlnets ?? [] });
      } catch {
        // Only a hint for the units panel; a real load reports its own errors.
      }
    },
    async refreshDevice() {
      try {
        const device = await get().engine.deviceInfo();
        set({ device, status: 'ready' });
      } catch (err) {
        set({ status: 'crashed', message: err instanceof Error ? err.message : String(err) });
      }
    },
    restart(reason) {
      client.restart();
      set({ status: 'starting', message: `${reason} The engine was restarted; your canvas, units and gallery are kept.` });
      void get().refreshDevice();
      const request = get().set?.request;
      if (request) void get().loadSet(request).catch(() => {});
    },
    loadSet(request) {
      set({ set: { request, state: 'loading', info: null, progress: null, error: null } });
      const job = get()
        .engine.loadModelSet(request.options, {
          onProgress: (p) => {
            const current = get().set;
            if (current?.request === request) set({ set: { ...current, progress: `${p.stage}${p.file ? ` ${p.file}` : ''} (${p.done}/${p.total})` } });
          },
        })
        .then(
          (info) => {
            if (get().set?.request === request) set({ set: { request, state: 'loaded', info, progress: null, error: null }, controlnets: info.capabilities.controlnets });
            return info;
          },
          (err: unknown) => {
            const error = err instanceof Error ? err.message : String(err);
            if (get().set?.request === request) set({ set: { request, state: 'failed', info: null, progress: null, error } });
            throw err;
          },
        );
      loading = job;
      return job;
    },
    async ensureSet() {
      const current = get().set;
      if (current?.state === 'loaded' && current.info) return current.info;
      if (current?.state === 'loading' && loading) return loading;
      if (current?.state === 'failed') throw new Error(`The model set "${current.request.name}" did not load: ${current.error} Load it again or pick another set.`);
      return get().loadSet(DEFAULT_SET);
    },
  };
});
