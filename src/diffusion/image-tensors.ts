// Conversions between RGBA pixels and the NCHW float tensors the graphs take.
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import type { RgbaImage } from './control-units.ts';
import type { TensorData } from './tensor.ts';

/** Pixels → [batch, 3, H, W] with `map` applied to each 0–255 value (and its pixel's index), repeated over the batch. */
export function imageToTensor(image: RgbaImage, batch: number, type: 'float32' | 'float16', map: (v: number, pixel: number) => number): TensorData {
  const { width, height, data } = image;
  const plane = width * height;
  const one = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) one[c * plane + p] = map(data[p * 4 + c]!, p);
  const all = new Float32Array(batch * one.length);
  for (let b = 0; b < batch; b++) all.set(one, b * one.length);
  const dims = [batch, 3, height, width];
  return type === 'float16' ? { type, dims, data: float32ToFloat16(all) } : { type, dims, data: all };
}

/** A mask's pixels at ½ or more (repaint). */
const masked = (mask: { data: ArrayLike<number> }, pixel: number) => mask.data[pixel]! >= 128;

/**
 * ControlNet hints are 0–1 RGB (diffusers' control image processor, no normalisation); ControlNet
 * inpaint's masked pixels are −1.
 */
export const controlImageTensor = (image: RgbaImage, batch: number, type: 'float32' | 'float16', inpaintMask?: { data: ArrayLike<number> }) =>
  imageToTensor(image, batch, type, (v, p) => (inpaintMask && masked(inpaintMask, p) ? -1 : v / 255));

/** VAE input is −1…1 RGB. */
export const vaeImageTensor = (image: RgbaImage, type: 'float32' | 'float16') => imageToTensor(image, 1, type, (v) => (v / 255) * 2 - 1);

/** The VAE input with masked pixels at 0, as diffusers' `init_image * (mask < 0.5)`; no mask: all 0. */
export const maskedVaeImageTensor = (image: RgbaImage, mask: { data: ArrayLike<number> } | null, type: 'float32' | 'float16') =>
  imageToTensor(image, 1, type, (v, p) => (!mask || masked(mask, p) ? 0 : (v / 255) * 2 - 1));

/** VAE output [1, 3, H, W] in −1…1 → RGBA bytes, as diffusers' postprocess: (x/2 + 0.5) clamped, ×255, rounded. */
export function tensorToImage(values: Float32Array, width: number, height: number): RgbaImage {
  const plane = width * height;
  const data = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = Math.round(Math.min(Math.max(values[c * plane + p]! / 2 + 0.5, 0), 1) * 255);
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

export function asFloat32(t: TensorData): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return float16ToFloat32(t.data as Uint16Array);
  throw new Error(`expected a float tensor, got ${t.type}`);
}

export function latentFeed(values: Float32Array, dims: number[], type: 'float32' | 'float16'): TensorData {
  return type === 'float16' ? { type, dims, data: float32ToFloat16(values) } : { type, dims, data: values };
}
