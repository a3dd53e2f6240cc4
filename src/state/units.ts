// A ControlNet unit as the person sees it (DESIGN.md §5): its source (a drawing or an
// image), its preprocessor and parameters, its model and numbers. Pure data and helpers;
// the store holds these, the generation turns them into control maps.
import type { ControlMode } from '../diffusion/control-units.ts';
import type { ResizeMode } from '../preprocess/image-ops.ts';
import type { Skeleton } from '../preprocess/pose.ts';
import { initHistory, type History } from '../canvas/history.ts';
import type { UnitSource } from '../canvas/source.ts';

export type { PlacedImage, UnitSource } from '../canvas/source.ts';

export type PreprocessorId = 'none' | 'canny' | 'mlsd' | 'scribble' | 'scribble_xdog' | 'depth' | 'normal' | 'openpose' | 'seg' | 'inpaint_only';

/** Names as A1111's ControlNet extension shows (and writes into `parameters`). */
export const PREPROCESSOR_LABELS: Record<PreprocessorId, string> = {
  none: 'none',
  canny: 'canny',
  mlsd: 'mlsd (Hough lines)',
  scribble: 'scribble (drawn)',
  scribble_xdog: 'scribble_xdog',
  depth: 'depth_anything_v2',
  normal: 'normal (from depth)',
  openpose: 'openpose',
  seg: 'seg (SegFormer ADE20K)',
  inpaint_only: 'inpaint_only (the input and its mask)',
};

/** The ControlNet each preprocessor's maps were trained for (picked when the set has it). */
export const PREFERRED_MODEL: Record<PreprocessorId, string | null> = {
  none: null,
  canny: 'canny',
  mlsd: 'mlsd',
  scribble: 'scribble',
  scribble_xdog: 'scribble',
  depth: 'depth',
  normal: 'normal',
  openpose: 'openpose',
  seg: 'seg',
  inpaint_only: 'inpaint',
};

export const CONTROL_MODE_LABELS: Record<ControlMode, string> = {
  balanced: 'Balanced',
  prompt: 'My prompt is more important',
  controlnet: 'ControlNet is more important',
};

export interface PreprocessorParams {
  cannyLow: number;
  cannyHigh: number;
  houghThreshold: number;
  houghMinLength: number;
  houghMaxGap: number;
  xdogThreshold: number;
  normalBgThreshold: number;
  /** Preprocessor model ids from PREPROCESSOR_MODELS. */
  depthModel: string;
  poseModel: string;
  segModel: string;
}

export const DEFAULT_PARAMS: PreprocessorParams = {
  cannyLow: 100,
  cannyHigh: 200,
  houghThreshold: 50,
  houghMinLength: 30,
  houghMaxGap: 8,
  xdogThreshold: 32,
  normalBgThreshold: 0.4,
  depthModel: 'tiny-depth',
  poseModel: 'tiny-pose',
  segModel: 'tiny-seg',
};

export interface Unit {
  id: string;
  enabled: boolean;
  preprocessor: PreprocessorId;
  params: PreprocessorParams;
  model: string;
  weight: number;
  start: number;
  end: number;
  controlMode: ControlMode;
  resizeMode: ResizeMode;
  pixelPerfect: boolean;
  source: History<UnitSource>;
  /** Pose keypoints in generation pixels: detected, or the default figure, then edited. */
  pose: Skeleton[] | null;
}

let counter = 0;
export const newUnitId = () => `unit-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function newUnit(width: number, height: number, models: readonly string[]): Unit {
  return {
    id: newUnitId(),
    enabled: true,
    preprocessor: 'scribble',
    params: { ...DEFAULT_PARAMS },
    model: pickModel('scribble', models, ''),
    weight: 1,
    start: 0,
    end: 1,
    controlMode: 'balanced',
    resizeMode: 'crop-and-resize',
    pixelPerfect: false,
    source: initHistory({ width, height, image: null, strokes: [] }),
    pose: null,
  };
}

/** The model that suits the preprocessor when the set has it; otherwise keep the current one. */
export function pickModel(pre: PreprocessorId, models: readonly string[], current: string): string {
  const preferred = PREFERRED_MODEL[pre];
  if (preferred && models.includes(preferred)) return preferred;
  if (models.includes(current)) return current;
  return current || models[0] || '';
}

/** What is wrong with a unit, in words, or null. Shown inline and checked before Generate. */
export function unitProblem(unit: Unit, models: readonly string[] | null): string | null {
  if (!unit.enabled) return null;
  if (unit.start > unit.end) return `Start (${unit.start}) is after End (${unit.end}): this unit would never run. Move Start below End.`;
  if (models === null) return null;
  if (!unit.model || !models.includes(unit.model)) {
    return `Model "${unit.model || '(none)'}" is not in the loaded set. Pick one of: ${models.join(', ') || 'none (this set has no ControlNets)'}.`;
  }
  return null;
}

/** Whether the unit has anything to preprocess. */
export function hasSource(unit: Unit): boolean {
  const s = unit.source.present;
  return s.image !== null || s.strokes.length > 0 || (unit.preprocessor === 'openpose' && unit.pose !== null);
}

/** Something the person must fix before generating; the message says what and where. */
export class InputProblem extends Error {
  override name = 'InputProblem';
}

/** Checks every enabled unit against the loaded set; the message names each unit's problem. */
export function checkUnits(units: Unit[], models: readonly string[]): void {
  const problems = units.flatMap((u, i) => {
    const p = unitProblem(u, models);
    return p ? [`ControlNet unit ${i + 1}: ${p}`] : [];
  });
  if (problems.length) throw new InputProblem(`Not generating. ${problems.join(' ')}`);
}
