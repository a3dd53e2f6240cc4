// The engine as the UI sees it: the Engine it was given (the worker's client in the studio, an
// in-process engine in tests), what device it found, which model set is loaded, and any
// message the user should see about it. A dead worker or a lost device restarts the engine and
// reloads the set; the studio's own state (canvas, units, gallery) is not touched.
import { create } from 'zustand';
import type { DeviceInfo, Engine, LoadedSetInfo, LoadSetOptions, SelfTestReport, StoredControlNetInfo } from '../engine/engine.ts';
import { sameUnetShape, type UnetShape } from '../models/set-layout.ts';
import { EngineError } from '../engine/errors.ts';
import { adaptToDevice } from './device-defaults.ts';
import { chooseEngine, type ChosenEngine, type EngineChoice } from './engine-choice.ts';
import { useStudio } from './studio-store.ts';
import { fetchJson } from '../models/fetch-file.ts';
import type { ModelIndex } from '../models/set-source.ts';

/** The bundled tiny set: loaded when Generate is pressed with no set chosen. */
export const TINY_SET_URL = `${import.meta.env.BASE_URL}models/tiny-sd15`;
export const DEFAULT_SET: SetLoad = { name: 'tiny-sd15', options: { source: { kind: 'url', url: TINY_SET_URL } } };

export type EngineStatus = 'starting' | 'ready' | 'crashed';

/** Which graph of the set is loading, and how many are done. */
export interface LoadProgress {
  file: string;
  done: number;
  total: number;
}

export interface SetLoad {
  name: string;
  options: LoadSetOptions;
}

interface EngineState {
  engine: Engine;
  /** Gives the studio its engine; `restartEngine` replaces a crashed one (the worker client's restart). */
  connect(engine: Engine, restartEngine?: () => void): void;
  status: EngineStatus;
  device: DeviceInfo | null;
  message: string | null;
  /** The set being loaded or loaded, with its result. */
  set: { request: SetLoad; state: 'loading' | 'loaded' | 'failed'; info: LoadedSetInfo | null; progress: LoadProgress | null; error: string | null } | null;
  /** The ControlNets units can pick: the loaded set's (or the default set's before a load), then stored ones that fit its UNet. */
  controlnets: string[] | null;
  /** The set's own ControlNets and UNet shape, and the ControlNets stored on their own. */
  setControlnets: string[] | null;
  unetShape: UnetShape | null;
  storedControlnets: StoredControlNetInfo[];
  setStoredControlNets(stored: StoredControlNetInfo[]): void;
  refreshDevice(): Promise<void>;
  /** Reads the default set's index (no sessions) so units can offer its ControlNets. */
  peekDefaultSet(): Promise<void>;
  restart(reason: string): void;
  /** Loads a set (on the engine the person's choice and the device give); concurrent callers share the load. */
  loadSet(request: SetLoad): Promise<LoadedSetInfo>;
  /** Which engine runs the models now, and why. */
  engineInUse(): ChosenEngine;
  /** The person picks the engine: kept in the settings, and a loaded set is loaded again on it. */
  pickEngine(choice: EngineChoice): Promise<void>;
  /** The GPU self-test (the tiny set's UNet on WebGPU and WASM, compared): running, its report or its error. */
  selfTest: { running: boolean; report: SelfTestReport | null; error: string | null };
  runSelfTest(): Promise<void>;
  closeSelfTest(): void;
  /** The loaded set (loading the default one if none was chosen); throws with the load's error. */
  ensureSet(): Promise<LoadedSetInfo>;
}

let loading: Promise<LoadedSetInfo> | null = null;
let restartEngine: () => void = () => {};

/** Until connect(): every call says the engine has not started. */
const notStarted = new Proxy({} as Engine, {
  get: (_, name) => (name === 'dispose' ? () => {} : () => Promise.reject(new EngineError(`The engine has not started yet (${String(name)}).`))),
});

/** A set's own ControlNets, then every stored one whose UNet shape matches (or all, when the set does not say its shape). */
function pickable(own: string[] | null, shape: UnetShape | null, stored: StoredControlNetInfo[]): string[] | null {
  if (own === null) return null;
  const fits = stored.filter((c) => !shape || sameUnetShape(c.unet_shape, shape)).map((c) => c.name);
  return [...own, ...fits.filter((n) => !own.includes(n))];
}

export const useEngineStore = create<EngineState>()((set, get) => {
  const adoptSet = (own: string[], shape: UnetShape | null) => set({ setControlnets: own, unetShape: shape, controlnets: pickable(own, shape, get().storedControlnets) });
  return {
    engine: notStarted,
    connect(engine, restart) {
      restartEngine = restart ?? (() => {});
      set({ engine, status: 'starting', set: null });
    },
    status: 'starting',
    device: null,
    message: null,
    set: null,
    controlnets: null,
    setControlnets: null,
    unetShape: null,
    storedControlnets: [],
    setStoredControlNets(stored) {
      set({ storedControlnets: stored, controlnets: pickable(get().setControlnets, get().unetShape, stored) });
    },
    async peekDefaultSet() {
      try {
        const index = await fetchJson<ModelIndex>(`${TINY_SET_URL}/model_index.json`);
        if (!get().set) adoptSet(index.controlnet_studio?.controlnets ?? [], index.controlnet_studio?.unet_shape ?? null);
      } catch {
        // Only a hint for the units panel; a real load reports its own errors.
      }
    },
    async refreshDevice() {
      try {
        const device = await get().engine.deviceInfo();
        set({ device, status: 'ready' });
        adaptToDevice(device);
      } catch (err) {
        set({ status: 'crashed', message: err instanceof Error ? err.message : String(err) });
      }
    },
    restart(reason) {
      restartEngine();
      set({ status: 'starting', message: `${reason} The engine was restarted; your canvas, units and gallery are kept.` });
      void get().refreshDevice();
      const request = get().set?.request;
      if (request)
        void get()
          .loadSet(request)
          .catch(() => {});
    },
    selfTest: { running: false, report: null, error: null },
    async runSelfTest() {
      set({ selfTest: { running: true, report: null, error: null } });
      try {
        const report = await get().engine.selfTest({ source: { kind: 'url', url: TINY_SET_URL }, latentSize: 8 });
        set({ selfTest: { running: false, report, error: null } });
      } catch (err) {
        set({ selfTest: { running: false, report: null, error: err instanceof Error ? err.message : String(err) } });
      }
    },
    closeSelfTest: () => set({ selfTest: { running: false, report: null, error: null } }),
    engineInUse: () => chooseEngine(get().device, useStudio.getState().settings.engine),
    async pickEngine(choice) {
      useStudio.getState().setSettings({ engine: choice });
      const request = get().set?.request;
      if (request)
        await get()
          .loadSet(request)
          .catch(() => {});
    },
    loadSet(request) {
      set({ set: { request, state: 'loading', info: null, progress: null, error: null } });
      const onProgress = (p: { file?: string; stage: string; done: number; total: number }) => {
        const current = get().set;
        if (current?.request === request) set({ set: { ...current, progress: { file: p.file ?? p.stage, done: p.done, total: p.total } } });
      };
      const job = (async () => {
        // The engine is chosen from the device, so the device is asked first.
        if (!get().device) await get().refreshDevice();
        // A request that names its provider keeps it; otherwise the person's choice and the device decide.
        const options = { ...request.options, provider: request.options.provider ?? get().engineInUse().provider };
        return get().engine.loadModelSet(options, { onProgress });
      })().then(
        (info) => {
          if (get().set?.request === request) {
            set({ set: { request, state: 'loaded', info, progress: null, error: null } });
            adoptSet(info.capabilities.controlnets, info.unetShape);
            // The one place a loaded set's ControlNets reach the units (whoever asked for the load).
            useStudio.getState().adoptModels(info.capabilities.controlnets);
          }
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
