// The generation settings on the left panel, and what a finished image keeps of a run.
import type { SchedulerName } from '../diffusion/schedulers/index.ts';
import type { Unit } from './units.ts';
import { DEFAULT_LIVE, type LiveSettings } from './live-recipe.ts';
import type { ResizeMode } from '../preprocess/image-ops.ts';
import type { EngineChoice } from './engine-choice.ts';
import { DEFAULT_INPAINT, type InpaintOptions } from '../preprocess/inpaint-image.ts';

/** img2img and inpainting: the canvas a generation starts from, and A1111's options for it. */
export interface InputSettings {
  /** The unit whose canvas (picture and mask) the generation starts from; null: from noise (txt2img). */
  unitId: string | null;
  /** Denoising strength, (0, 1]. */
  strength: number;
  resizeMode: ResizeMode;
  inpaint: InpaintOptions;
}

export const DEFAULT_INPUT: InputSettings = { unitId: null, strength: 0.75, resizeMode: 'just-resize', inpaint: DEFAULT_INPAINT };

/** A library LoRA as the person set it: applied to every generation (besides <lora:…> tags) at its weight. */
export interface LoraChoice {
  enabled: boolean;
  weight: number;
}

export interface Settings {
  prompt: string;
  negativePrompt: string;
  sampler: SchedulerName;
  steps: number;
  cfgScale: number;
  seed: number;
  width: number;
  height: number;
  batchCount: number;
  liveMode: boolean;
  /** Show the latents while denoising (read back every few steps; off, the loop reads nothing back). */
  latentPreview: boolean;
  /** Live mode's recipe, its LCM-LoRA and its decoder. */
  live: LiveSettings;
  /** The LoRA library's choices, by LoRA name. */
  loras: Record<string, LoraChoice>;
  /** img2img / inpainting from a canvas. */
  input: InputSettings;
  /** Which engine runs the models: Auto (WASM on a software GPU, else WebGPU), or the person's pick. */
  engine: EngineChoice;
}

export const DEFAULT_SETTINGS: Settings = {
  prompt: '',
  negativePrompt: '',
  sampler: 'euler-a',
  steps: 20,
  cfgScale: 7,
  seed: 1,
  width: 512,
  height: 512,
  batchCount: 1,
  liveMode: false,
  latentPreview: true,
  live: DEFAULT_LIVE,
  loras: {},
  input: DEFAULT_INPUT,
  engine: 'auto',
};

export const SIZE_STEP = 64;
export const MAX_SIZE = 2048;
export const MAX_STEPS = 150;

/** Sizes snap to multiples of 64 (the VAE and UNet downsample by 8, then by 2 three times). */
export const snapSize = (v: number) => Math.min(MAX_SIZE, Math.max(SIZE_STEP, Math.round((Number.isFinite(v) ? v : 512) / SIZE_STEP) * SIZE_STEP));
export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : lo));

/** A seed as A1111 draws one: a random 32-bit unsigned integer. */
export const randomSeed = () => crypto.getRandomValues(new Uint32Array(1))[0]!;

export interface GalleryItem {
  id: string;
  createdAt: number;
  /** The image as a PNG with A1111's `parameters` text chunk. */
  png: Blob;
  width: number;
  height: number;
  /** The settings that made it (the seed is this image's own). */
  settings: Settings;
  /** The units as they were, sources included, for "Use these settings". */
  units: Unit[];
  /** The control map each enabled unit fed its ControlNet, as PNGs. */
  controlMaps: { unitIndex: number; png: Blob }[];
  parameters: string;
  model: string;
}
