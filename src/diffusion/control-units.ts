// ControlNet units as the pipeline sees them: resolved control maps and numbers.
// Which units run at a step, and with what per-residual scales (A1111's control modes).
import { RESIDUALS } from './residuals.ts';

export type ControlMode = 'balanced' | 'prompt' | 'controlnet';

export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** A mask: one byte per pixel, 0 keep … 255 repaint (blurred edges between). */
export interface PixelMask {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export interface ControlUnit {
  /** A ControlNet of the loaded set (controlnet/<model>/). */
  model: string;
  /** The control map, already at the generation size. */
  image: RgbaImage;
  /** Conditioning scale, 0–2. */
  weight: number;
  /** Guidance start/end as fractions of the steps. */
  start: number;
  end: number;
  mode: ControlMode;
  /** `inpaint_only`: the hint is the run's input image, its masked pixels marked (set by generateFromInput). */
  fromInput?: boolean;
  /** ControlNet inpaint's hint: pixels where this mask is ≥ ½ are −1, as the ControlNet extension feeds them. */
  inpaintMask?: PixelMask;
}

/** As diffusers: a unit runs at step i of n unless i/n < start or (i+1)/n > end; weight 0 never runs. */
export function unitActiveAt(unit: ControlUnit, step: number, totalSteps: number): boolean {
  if (unit.weight === 0) return false;
  return !(step / totalSteps < unit.start || (step + 1) / totalSteps > unit.end);
}

/**
 * Per-residual multipliers (12 down, then mid). "My prompt is more important" fades the
 * control toward the shallow blocks as A1111 does: residual i × 0.825^(12−i).
 * "ControlNet is more important" keeps full strength but feeds only the conditional half.
 */
export function residualScales(unit: ControlUnit): number[] {
  return Array.from({ length: RESIDUALS }, (_, i) => (unit.mode === 'prompt' ? unit.weight * 0.825 ** (RESIDUALS - 1 - i) : unit.weight));
}

export function validateUnit(unit: ControlUnit, available: readonly string[], width: number, height: number): string | null {
  if (!available.includes(unit.model)) return `ControlNet model "${unit.model}" is not in the loaded set (it has: ${available.join(', ') || 'none'}).`;
  if (!(unit.start >= 0 && unit.end <= 1 && unit.start <= unit.end)) return `Guidance start (${unit.start}) must not be after end (${unit.end}), both within 0–1.`;
  if (!(unit.weight >= 0 && unit.weight <= 2)) return `Weight ${unit.weight} is outside 0–2.`;
  if (unit.image.width !== width || unit.image.height !== height) return `The control map is ${unit.image.width}×${unit.image.height}, not the generation size ${width}×${height}.`;
  return null;
}
