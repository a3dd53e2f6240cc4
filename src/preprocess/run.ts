// Runs one preprocessor request off the main thread: checks the input (empty, too big),
// composites alpha (HWC3), then dispatches to the CPU core or its WGSL path.
import { canny } from './canny.ts';
import { drawSegments, houghLinesP, HOUGH_DEFAULTS, type HoughOptions } from './hough.ts';
import { assertImage, fitPoint, fitToSize, hwc3, limitSize, pixelPerfectResolution, resizeToResolution, type ResizeMode, type Rgba } from './image-ops.ts';
import { normalFromDepth, type DepthMap } from './normal.ts';
import { fakeScribble, scribbleFromDrawing } from './scribble.ts';
import type { GpuPreprocessor } from './gpu/gpu-preprocessor.ts';
import { depthInput, depthToMap } from './depth.ts';
import { drawSkeletons, type Skeleton } from './pose.ts';
import { poseInput, skeletonFromSimcc } from './pose-model.ts';
import { classesFromLogits, paintSegmentation, segInput, SEG_CLASSES } from './seg.ts';
import type { TensorData } from '../diffusion/tensor.ts';

export type PreprocessBackend = 'cpu' | 'gpu';

/**
 * Fitting the map to the generation size, as A1111 does: the source is first resized to the
 * preprocessor resolution (pixel perfect computes it), then the map is fitted with the resize mode.
 */
export interface FitOptions {
  width: number;
  height: number;
  resizeMode: ResizeMode;
  pixelPerfect: boolean;
  /** Preprocessor resolution when not pixel perfect (A1111's default 512). */
  resolution?: number;
}

type ImageRequest = { image: Rgba; backend: PreprocessBackend; fit?: FitOptions };
export type PreprocessRequest =
  | ({ kind: 'canny'; low: number; high: number; l2?: boolean } & ImageRequest)
  | ({ kind: 'hough'; low: number; high: number; hough?: Partial<HoughOptions> } & ImageRequest)
  | { kind: 'normal'; depth: DepthMap; a: number; bgThreshold: number; backend: PreprocessBackend }
  | ({ kind: 'scribble' } & ImageRequest)
  | ({ kind: 'fake-scribble'; threshold: number } & ImageRequest)
  | ({ kind: 'depth'; modelUrl: string; resolution: number } & ImageRequest)
  | ({ kind: 'pose'; modelUrl: string; minScore?: number } & ImageRequest)
  | ({ kind: 'seg'; modelUrl: string } & ImageRequest);

/** Line and class maps stay crisp (nearest) when fitted; greyscale maps are resampled. */
const BINARY_MAPS = new Set(['canny', 'hough', 'scribble', 'fake-scribble', 'seg']);

/** Runs a model file once (sessions are cached by the caller) and returns its outputs on the CPU. */
export type ModelRunner = (url: string, feeds: Record<string, TensorData>) => Promise<Record<string, TensorData>>;

export interface PreprocessEnv {
  gpu: GpuPreprocessor | null;
  runModel: ModelRunner | null;
}

export interface PreprocessResult {
  map: Rgba;
  /** Where it actually ran (a GPU request without a GPU runs on the CPU). */
  backend: PreprocessBackend;
  ms: number;
  notice: string | null;
  /** The detected skeletons, for the pose editor. */
  keypoints?: Skeleton[];
  /** Already at the fit size (pose draws its skeletons there directly). */
  fitted?: boolean;
}

/** A 0/255 mask as an opaque grey RGBA map. */
export function maskToRgba(mask: Uint8Array, width: number, height: number): Rgba {
  const data = new Uint8ClampedArray(width * height * 4);
  // One 32-bit write per pixel; byte order doesn't matter, as R = G = B and alpha is 255 either way.
  const words = new Uint32Array(data.buffer);
  for (let p = 0; p < mask.length; p++) words[p] = mask[p] ? 0xffffffff : 0xff000000;
  return { data, width, height };
}

function prepare(image: Rgba): { image: Rgba; notice: string | null } {
  assertImage(image);
  const limited = limitSize(image);
  return { image: hwc3(limited.image), notice: limited.notice };
}

export async function runPreprocess(req: PreprocessRequest, env: PreprocessEnv): Promise<PreprocessResult> {
  const t0 = performance.now();
  const gpu = env.gpu;
  const modelBased = req.kind === 'depth' || req.kind === 'pose' || req.kind === 'seg';
  // Model-based preprocessors run on whatever the engine runs models on.
  const useGpu = req.backend === 'gpu' && gpu !== null && (req.kind === 'canny' || req.kind === 'normal' || modelBased);
  const fallback = req.backend === 'gpu' && !useGpu ? (gpu ? `${req.kind} has no GPU path; it ran on the CPU.` : 'No WebGPU: the preprocessor ran on the CPU.') : null;
  const done = (map: Rgba, notice: string | null): PreprocessResult => ({
    map,
    backend: useGpu ? 'gpu' : 'cpu',
    ms: performance.now() - t0,
    notice: [notice, fallback].filter(Boolean).join(' ') || null,
  });

  if (req.kind === 'normal') {
    const { width, height } = req.depth;
    if (!(width > 0 && height > 0)) throw new Error(`The depth map is empty (${width}×${height}).`);
    const opts = { a: req.a, bgThreshold: req.bgThreshold };
    const data = useGpu ? await gpu!.normal(req.depth, opts) : normalFromDepth(req.depth, opts);
    return done({ data, width, height }, null);
  }
  const prepared = prepare(req.image);
  const notice = prepared.notice;
  const fit = req.fit;
  const source = prepared.image;
  const image = fit ? resizeToResolution(source, fit.pixelPerfect ? pixelPerfectResolution(source, fit, fit.resizeMode) : (fit.resolution ?? 512)) : source;
  const fitted = (r: PreprocessResult): PreprocessResult => (fit && !r.fitted ? { ...r, map: fitToSize(r.map, fit.width, fit.height, fit.resizeMode, BINARY_MAPS.has(req.kind)) } : r);
  return fitted(await runOnImage(req, image, env, useGpu, done, notice));
}

async function runOnImage(
  req: Exclude<PreprocessRequest, { kind: 'normal' }>,
  image: Rgba,
  env: PreprocessEnv,
  useGpu: boolean,
  done: (map: Rgba, notice: string | null) => PreprocessResult,
  notice: string | null,
): Promise<PreprocessResult> {
  const gpu = env.gpu;
  const { width, height } = image;
  switch (req.kind) {
    case 'canny': {
      const opts = { low: req.low, high: req.high, l2: req.l2 };
      return done(maskToRgba(useGpu ? await gpu!.canny(image, opts) : canny(image, opts), width, height), notice);
    }
    case 'hough': {
      const lines = houghLinesP(canny(image, { low: req.low, high: req.high }), width, height, { ...HOUGH_DEFAULTS, ...req.hough });
      return done({ data: drawSegments(lines, width, height), width, height }, notice);
    }
    case 'scribble':
      return done(scribbleFromDrawing(image), notice);
    case 'fake-scribble':
      return done(fakeScribble(image, req.threshold), notice);
    case 'depth': {
      if (!env.runModel) throw new Error('No depth model runtime is available.');
      const input = depthInput(image, req.resolution);
      const out = await env.runModel(req.modelUrl, { pixel_values: input });
      const depth = out.predicted_depth ?? Object.values(out)[0];
      if (!depth || depth.dims.length !== 3) throw new Error(`${req.modelUrl} did not return a [1, H, W] depth map; is it a depth model?`);
      return done(depthToMap(depth.data as Float32Array, depth.dims[2]!, depth.dims[1]!, width, height), notice);
    }
    case 'seg': {
      if (!env.runModel) throw new Error('No segmentation model runtime is available.');
      const out = await env.runModel(req.modelUrl, { pixel_values: segInput(image) });
      const logits = out.logits ?? Object.values(out)[0];
      if (!logits || logits.dims.length !== 4 || logits.dims[1] !== SEG_CLASSES) {
        throw new Error(`${req.modelUrl} did not return [1, ${SEG_CLASSES}, h, w] logits; the seg preprocessor needs a model trained on ADE20K's ${SEG_CLASSES} classes (such as SegFormer ADE).`);
      }
      const classes = classesFromLogits(logits.data as Float32Array, SEG_CLASSES, logits.dims[2]!, logits.dims[3]!, width, height);
      return done(paintSegmentation(classes, width, height), notice);
    }
    case 'pose': {
      if (!env.runModel) throw new Error('No pose model runtime is available.');
      const out = await env.runModel(req.modelUrl, { input: poseInput(image) });
      const [x, y] = [out.simcc_x, out.simcc_y];
      if (!x || !y || x.dims[1] !== y.dims[1] || x.dims[1]! < 17) throw new Error(`${req.modelUrl} did not return SimCC keypoints (simcc_x, simcc_y); is it a DWPose/RTMPose model?`);
      let people = [skeletonFromSimcc(x.data as Float32Array, y.data as Float32Array, x.dims[1]!, width, height, req.minScore ?? 0.3)];
      // Skeletons are drawn at the final size (crisp lines), with keypoints moved by the resize mode.
      const fit = req.fit;
      if (fit) people = people.map((s) => s.map((p) => (p ? fitPoint(image, fit.width, fit.height, fit.resizeMode, p[0], p[1]) : null)));
      const [w, h] = fit ? [fit.width, fit.height] : [width, height];
      return { ...done({ data: drawSkeletons(people, w, h), width: w, height: h }, notice), keypoints: people, fitted: true };
    }
  }
}
