// Monocular depth as ControlNet uses it: the model's relative inverse depth, min–max
// normalised to 0–255 grey, near = bright. Model I/O: Depth Anything V2's
// pixel_values [1, 3, H, W] (ImageNet-normalised, sides multiple of 14) → predicted_depth [1, H, W].
import type { TensorData } from '../diffusion/tensor.ts';
import { resize, type Rgba } from './image-ops.ts';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
export const DEPTH_PATCH = 14;

/** The model input for `image` at about `resolution` px on the short side. */
export function depthInput(image: Rgba, resolution: number): TensorData {
  const k = resolution / Math.min(image.width, image.height);
  const snap = (v: number) => Math.max(DEPTH_PATCH, Math.round((v * k) / DEPTH_PATCH) * DEPTH_PATCH);
  const [w, h] = [snap(image.width), snap(image.height)];
  const small = resize(image, w, h);
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = (small.data[p * 4 + c]! / 255 - MEAN[c]!) / STD[c]!;
  return { type: 'float32', dims: [1, 3, h, w], data };
}

/** predicted_depth → grey map at the image's size: min–max to 0–255 (truncated), near = bright. */
export function depthToMap(depth: Float32Array, width: number, height: number, outWidth: number, outHeight: number): Rgba {
  let min = Infinity;
  let max = -Infinity;
  for (const v of depth) {
    if (!Number.isFinite(v)) throw new Error('The depth model returned NaN or infinite values (fp16 overflow?). Try the fp32 model or another depth model.');
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min || 1;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.fill(Math.trunc(((depth[p]! - min) / range) * 255), p * 4, p * 4 + 3);
    data[p * 4 + 3] = 255;
  }
  return resize({ data, width, height }, outWidth, outHeight);
}

/** Depth values at the map's size (for normal-from-depth), from the grey map's red channel. */
export function mapToDepth(map: Rgba): Float32Array {
  return Float32Array.from({ length: map.width * map.height }, (_, p) => map.data[p * 4]!);
}
