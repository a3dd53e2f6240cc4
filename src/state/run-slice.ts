// What is happening now, never persisted: the running job's progress and latent preview,
// the last live-mode image, control-map previews, errors and the save state.
import type { StateCreator } from 'zustand';
import type { RgbaImage } from '../diffusion/control-units.ts';
import type { Skeleton } from '../preprocess/pose.ts';
import type { StudioState } from './studio-store.ts';

export interface RunProgress {
  /**
   * What the run is doing: loading the set's graphs (step/steps count graphs), compiling GPU
   * shaders before the first step, or denoising (step/steps count steps).
   */
  phase: 'loading' | 'compiling' | 'denoising';
  /** The graph being loaded, or the stage in words. */
  detail: string;
  /** Which image of the batch, 1-based, and how many. */
  image: number;
  images: number;
  step: number;
  steps: number;
  stepMs: number | null;
  etaMs: number | null;
}

/** Measured speed, for the estimate shown before a long run: ms per step per latent-sized pixel. */
export interface StepSpeed {
  msPerPixelStep: number;
  /** Where it was measured, to say so. */
  stepMs: number;
  width: number;
  height: number;
  /** Measured by a short probe before the first run, not by a run of the person's. */
  probe?: boolean;
}

export interface ControlPreview {
  map: RgbaImage;
  /** The inputs it was made from; a preview is current while this matches. */
  key: string;
  notice: string | null;
  keypoints?: Skeleton[];
}

export interface LiveStats {
  finished: number;
  cancelled: number;
  /** The input revision the shown live image was made from. */
  shownRevision: number | null;
  /** What decoded the shown live image. */
  decoder: 'TAESD' | 'VAE' | null;
}

export interface RunSlice {
  running: 'generate' | 'live' | null;
  progress: RunProgress | null;
  latentPreview: RgbaImage | null;
  /** The last finished live-mode image: stays until the next one arrives. */
  liveImage: RgbaImage | null;
  live: LiveStats;
  /** Bumped by every change a live run depends on. */
  inputRevision: number;
  /** `offer`: a one-click fix shown with the message (live mode's "Use LCM-LoRA"). */
  runMessage: { kind: 'error' | 'info'; text: string; offer?: 'lcm-lora' } | null;
  /** A refused upload or paste, in words; cleared by the next good one. */
  inputError: string | null;
  previews: Record<string, ControlPreview>;
  unitErrors: Record<string, string>;
  /** The last measured step time, for estimates; null until a run finished a step. */
  speed: StepSpeed | null;
  /** Why the studio picked a default for this device (a smaller size on a software GPU), in words. */
  deviceNote: string | null;
  setRun(patch: Partial<Pick<RunSlice, 'running' | 'progress' | 'latentPreview' | 'liveImage' | 'live' | 'runMessage' | 'inputError' | 'speed' | 'deviceNote'>>): void;
  setPreview(unitId: string, preview: ControlPreview | null): void;
  setUnitError(unitId: string, message: string | null): void;
}

export const createRunSlice: StateCreator<StudioState, [], [], RunSlice> = (set) => ({
  running: null,
  progress: null,
  latentPreview: null,
  liveImage: null,
  live: { finished: 0, cancelled: 0, shownRevision: null, decoder: null },
  inputRevision: 0,
  runMessage: null,
  inputError: null,
  previews: {},
  unitErrors: {},
  speed: null,
  deviceNote: null,
  setRun: (patch) => set(patch),
  setPreview: (unitId, preview) => set((s) => ({ previews: withEntry(s.previews, unitId, preview) })),
  setUnitError: (unitId, message) => set((s) => ({ unitErrors: withEntry(s.unitErrors, unitId, message) })),
});

/** A copy of a per-unit record with one entry set, or removed when the value is null. */
function withEntry<V>(record: Record<string, V>, key: string, value: V | null): Record<string, V> {
  const next = { ...record };
  if (value === null) delete next[key];
  else next[key] = value;
  return next;
}
