// Turns a unit into the control map its ControlNet gets, at the generation size: the source
// is rasterised on the main thread, preprocessed in the worker (on the GPU where a WGSL path
// exists), and fitted with the unit's resize mode. Pose maps come from the (edited) keypoints.
import type { Engine } from '../engine/engine.ts';
import type { PreprocessRequest } from '../preprocess/run.ts';
import { fitToSize, hwc3, type Rgba } from '../preprocess/image-ops.ts';
import { mapToDepth } from '../preprocess/depth.ts';
import { toNormalControlOrder } from '../preprocess/normal.ts';
import { drawSkeletons, type Skeleton } from '../preprocess/pose.ts';
import { PREPROCESSOR_MODELS } from '../models/preprocessor-models.ts';
import { rasterizeSource } from '../canvas/rasterize.ts';
import { DEFAULT_PARAMS, hasSource, PREPROCESSOR_LABELS, type Unit } from './units.ts';
import type { ControlPreview } from './run-slice.ts';

export interface MapTarget {
  width: number;
  height: number;
  /** Run preprocessors on the GPU (when the engine has one). */
  gpu: boolean;
}

/** A standing figure in OpenPose's 18-point order, as fractions of the canvas. */
const DEFAULT_FIGURE: [number, number][] = [
  [0.5, 0.18],
  [0.5, 0.28],
  [0.4, 0.28],
  [0.36, 0.42],
  [0.34, 0.55],
  [0.6, 0.28],
  [0.64, 0.42],
  [0.66, 0.55],
  [0.44, 0.55],
  [0.43, 0.72],
  [0.42, 0.9],
  [0.56, 0.55],
  [0.57, 0.72],
  [0.58, 0.9],
  [0.48, 0.16],
  [0.52, 0.16],
  [0.46, 0.17],
  [0.54, 0.17],
];

export function defaultSkeleton(width: number, height: number): Skeleton[] {
  return [DEFAULT_FIGURE.map(([x, y]) => [x * width, y * height] as [number, number])];
}

/** Identifies the inputs a preview was made from (source edits produce new source objects). */
const sourceIds = new WeakMap<object, number>();
let nextSourceId = 1;
export function previewKey(unit: Unit, target: MapTarget): string {
  const src = unit.source.present;
  if (!sourceIds.has(src)) sourceIds.set(src, nextSourceId++);
  const { id: _id, enabled: _e, model: _m, weight: _w, start: _s, end: _end, controlMode: _c, source: _src, ...inputs } = unit;
  return JSON.stringify([inputs, sourceIds.get(src), target.width, target.height]);
}

function modelUrl(id: string): string {
  const model = PREPROCESSOR_MODELS.find((m) => m.id === id);
  if (!model) throw new Error(`Unknown preprocessor model "${id}".`);
  return new URL(model.url, document.baseURI).href;
}

function requestFor(unit: Unit, image: Rgba, target: MapTarget): PreprocessRequest {
  const fit = { width: target.width, height: target.height, resizeMode: unit.resizeMode, pixelPerfect: unit.pixelPerfect };
  const backend = target.gpu ? 'gpu' : 'cpu';
  const p = unit.params;
  switch (unit.preprocessor) {
    case 'canny':
      return { kind: 'canny', low: p.cannyLow, high: p.cannyHigh, image, backend, fit };
    case 'mlsd':
      return { kind: 'hough', low: p.cannyLow, high: p.cannyHigh, hough: { threshold: p.houghThreshold, minLineLength: p.houghMinLength, maxLineGap: p.houghMaxGap }, image, backend, fit };
    case 'scribble':
      return { kind: 'scribble', image, backend, fit };
    case 'scribble_xdog':
      return { kind: 'fake-scribble', threshold: p.xdogThreshold, image, backend, fit };
    case 'depth':
    case 'normal':
      return { kind: 'depth', modelUrl: modelUrl(p.depthModel), resolution: 518, image, backend, fit };
    case 'openpose':
      return { kind: 'pose', modelUrl: modelUrl(p.poseModel ?? DEFAULT_PARAMS.poseModel), image, backend, fit };
    case 'seg':
      return { kind: 'seg', modelUrl: modelUrl(p.segModel ?? DEFAULT_PARAMS.segModel), image, backend, fit };
    case 'none':
    case 'inpaint_only':
      throw new Error(`"${unit.preprocessor}" has no preprocessor request.`);
  }
}

/** Runs the unit's preprocessor (or takes its map as is for "none") at the generation size. */
export async function controlMap(engine: Engine, unit: Unit, target: MapTarget, signal?: AbortSignal): Promise<ControlPreview> {
  const key = previewKey(unit, target);
  const { width, height } = target;
  if (unit.preprocessor === 'openpose' && unit.pose) return { map: { data: drawSkeletons(unit.pose, width, height), width, height }, key, notice: null, keypoints: unit.pose };
  if (!hasSource(unit)) {
    if (unit.preprocessor === 'openpose') {
      const pose = defaultSkeleton(width, height);
      return { map: { data: drawSkeletons(pose, width, height), width, height }, key, notice: 'No image: started from a default figure. Drag its joints.', keypoints: pose };
    }
    throw new Error('This unit has nothing to work from: draw on the canvas or upload an image (or disable the unit).');
  }
  const image = await rasterizeSource(unit.source.present);
  // inpaint_only shows its canvas; a run gives it the input with the mask (generateFromInput).
  if (unit.preprocessor === 'none' || unit.preprocessor === 'inpaint_only') return { map: fitToSize(hwc3(image), width, height, unit.resizeMode), key, notice: null };
  const result = await engine.preprocess(requestFor(unit, image, target), { signal });
  let map = result.map;
  if (unit.preprocessor === 'normal') {
    const normal = await engine.preprocess(
      { kind: 'normal', depth: { data: mapToDepth(map), width: map.width, height: map.height }, a: Math.PI * 2, bgThreshold: unit.params.normalBgThreshold, backend: target.gpu ? 'gpu' : 'cpu' },
      { signal },
    );
    map = { ...normal.map, data: toNormalControlOrder(normal.map.data) };
  }
  return { map, key, notice: result.notice, keypoints: result.keypoints };
}

/** The A1111 module name written into `parameters`. */
export const moduleName = (unit: Unit) => PREPROCESSOR_LABELS[unit.preprocessor].split(' ')[0]!;
