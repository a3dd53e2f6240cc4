// The pixel side of inpainting, with A1111's options and meanings: the mask blurred (mask blur),
// the masked area filled from its surroundings ("fill"), the padded box around the mask cropped
// for "only masked", and the result pasted back and composited with the blurred mask, so every
// pixel outside it is the input's, exactly.
import type { PixelMask } from '../diffusion/control-units.ts';
import { gaussianBlur, resize, type Rgba } from './image-ops.ts';

export type { PixelMask };

/** A1111's "Masked content": fill, original, latent noise, latent nothing. */
export type MaskedContent = 'original' | 'fill' | 'noise' | 'nothing';
/** A1111's "Inpaint area": whole picture, or only masked (the padded box around the mask). */
export type InpaintArea = 'whole' | 'masked';

export interface InpaintOptions {
  /** Mask blur in px (A1111's default 4). */
  maskBlur: number;
  content: MaskedContent;
  area: InpaintArea;
  /** "Only masked padding, pixels" (A1111's default 32). */
  padding: number;
}

export const DEFAULT_INPAINT: InpaintOptions = { maskBlur: 4, content: 'original', area: 'whole', padding: 32 };

export const MASKED_CONTENT_LABELS: Record<MaskedContent, string> = { fill: 'fill', original: 'original', noise: 'latent noise', nothing: 'latent nothing' };
export const INPAINT_AREA_LABELS: Record<InpaintArea, string> = { whole: 'Whole picture', masked: 'Only masked' };

/** A mask image as PIL's convert('L'): white repaints, black keeps. */
export function maskFromRgba(image: Rgba): PixelMask {
  const data = new Uint8Array(image.width * image.height);
  for (let p = 0; p < data.length; p++) data[p] = Math.round((image.data[p * 4]! * 299 + image.data[p * 4 + 1]! * 587 + image.data[p * 4 + 2]! * 114) / 1000);
  return { data, width: image.width, height: image.height };
}

export const maskToRgba = (mask: PixelMask): Rgba => {
  const data = new Uint8ClampedArray(mask.data.length * 4);
  mask.data.forEach((v, p) => data.set([v, v, v, 255], p * 4));
  return { data, width: mask.width, height: mask.height };
};

export const hasMaskedPixels = (mask: PixelMask) => mask.data.some((v) => v > 0);

/** A1111's mask blur: cv2.GaussianBlur with σ = blur and a kernel of 2·⌊2.5·blur + ½⌋ + 1 taps, along x then y. */
export function blurMask(mask: PixelMask, blur: number): PixelMask {
  if (blur <= 0) return mask;
  const plane = Float32Array.from(mask.data);
  const blurred = gaussianBlur(plane, mask.width, mask.height, blur, false, 2 * Math.floor(2.5 * blur + 0.5) + 1);
  return { data: Uint8Array.from(blurred, (v) => Math.round(Math.min(Math.max(v, 0), 255))), width: mask.width, height: mask.height };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A1111's crop region for "only masked": the mask's box grown by `padding`, then to the generation's aspect ratio, inside the image. */
export function cropRegion(mask: PixelMask, padding: number, target: { width: number; height: number }): Box {
  let [x1, y1, x2, y2] = [mask.width, mask.height, 0, 0];
  for (let y = 0; y < mask.height; y++)
    for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x]) [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x + 1), Math.max(y2, y + 1)];
  if (x2 <= x1) return { x: 0, y: 0, width: mask.width, height: mask.height };
  [x1, y1] = [Math.max(x1 - padding, 0), Math.max(y1 - padding, 0)];
  [x2, y2] = [Math.min(x2 + padding, mask.width), Math.min(y2 + padding, mask.height)];
  const wide = (x2 - x1) / (y2 - y1) > target.width / target.height;
  const [a, b] = wide ? grow(y1, y2, (x2 - x1) / (target.width / target.height), mask.height) : grow(x1, x2, (y2 - y1) * (target.width / target.height), mask.width);
  return wide ? { x: x1, y: a, width: x2 - x1, height: b - a } : { x: a, y: y1, width: b - a, height: y2 - y1 };
}

/** One side of A1111's expand_crop_region: [lo, hi) grown to `desired`, centred, shifted back inside [0, limit). */
function grow(lo: number, hi: number, desired: number, limit: number): [number, number] {
  const diff = Math.trunc(desired - (hi - lo));
  lo -= Math.floor(diff / 2);
  hi += diff - Math.floor(diff / 2);
  if (hi >= limit) [lo, hi] = [lo - (hi - limit), limit];
  if (lo < 0) [lo, hi] = [0, hi - lo];
  return [lo, Math.min(hi, limit)];
}

export function cropImage(image: Rgba, box: Box): Rgba {
  const data = new Uint8ClampedArray(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) data.set(image.data.subarray(((box.y + y) * image.width + box.x) * 4, ((box.y + y) * image.width + box.x + box.width) * 4), y * box.width * 4);
  return { data, width: box.width, height: box.height };
}

export const cropMask = (mask: PixelMask, box: Box): PixelMask => maskFromRgba(cropImage(maskToRgba(mask), box));

/** A Gaussian blur of one plane; a wide one runs on a box-averaged smaller copy (A1111's fill blurs up to σ 256). */
function wideBlur(plane: Float32Array, width: number, height: number, sigma: number): Float32Array {
  if (sigma <= 0) return plane;
  const factor = Math.max(1, Math.floor(sigma / 4));
  if (factor === 1) return gaussianBlur(plane, width, height, sigma);
  const [w, h] = [Math.ceil(width / factor), Math.ceil(height / factor)];
  return upsample(gaussianBlur(boxDown(plane, width, height, factor), w, h, sigma / factor), w, h, width, height, factor);
}

function boxDown(plane: Float32Array, width: number, height: number, factor: number): Float32Array {
  const [w, h] = [Math.ceil(width / factor), Math.ceil(height / factor)];
  const sum = new Float32Array(w * h);
  const count = new Float32Array(w * h);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = Math.floor(y / factor) * w + Math.floor(x / factor);
      sum[i] = sum[i]! + plane[y * width + x]!;
      count[i] = count[i]! + 1;
    }
  return sum.map((v, i) => v / count[i]!);
}

/** Bilinear, each small pixel standing at the centre of its `factor`² block. */
function upsample(small: Float32Array, w: number, h: number, width: number, height: number, factor: number): Float32Array {
  const out = new Float32Array(width * height);
  const at = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  for (let y = 0; y < height; y++) {
    const fy = at((y + 0.5) / factor - 0.5, h);
    const [y0, ty] = [Math.floor(fy), fy - Math.floor(fy)];
    const y1 = Math.min(y0 + 1, h - 1);
    for (let x = 0; x < width; x++) {
      const fx = at((x + 0.5) / factor - 0.5, w);
      const [x0, tx] = [Math.floor(fx), fx - Math.floor(fx)];
      const x1 = Math.min(x0 + 1, w - 1);
      const top = small[y0 * w + x0]! * (1 - tx) + small[y0 * w + x1]! * tx;
      const bottom = small[y1 * w + x0]! * (1 - tx) + small[y1 * w + x1]! * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/**
 * A1111's "fill": the masked area takes the colours around it, blurred ever less, layer over
 * layer (σ 256, 64, 16×2, 4×4, 2×2, 0), each layer's colour the masked-out average of the kept pixels.
 */
export function fillMasked(image: Rgba, mask: PixelMask): Rgba {
  const { width, height } = image;
  const plane = width * height;
  const keep = Float32Array.from(mask.data, (v) => 1 - v / 255);
  const out = new Float32Array(plane * 3);
  const outAlpha = new Float32Array(plane);
  for (const [sigma, repeats] of [
    [256, 1],
    [64, 1],
    [16, 2],
    [4, 4],
    [2, 2],
    [0, 1],
  ] as const) {
    const alpha = wideBlur(keep, width, height, sigma);
    const colours = [0, 1, 2].map((c) =>
      wideBlur(
        Float32Array.from({ length: plane }, (_, p) => image.data[p * 4 + c]! * keep[p]!),
        width,
        height,
        sigma,
      ),
    );
    for (let r = 0; r < repeats; r++)
      for (let p = 0; p < plane; p++) {
        const a = Math.min(1, alpha[p]!);
        if (a <= 0) continue;
        // "Over", premultiplied: each layer's colour is its blurred colour ÷ its blurred coverage.
        for (let c = 0; c < 3; c++) out[p * 3 + c] = (colours[c]![p]! / Math.max(alpha[p]!, 1e-6)) * a + out[p * 3 + c]! * (1 - a);
        outAlpha[p] = a + outAlpha[p]! * (1 - a);
      }
  }
  const data = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) data.set([0, 1, 2].map((c) => out[p * 3 + c]! / Math.max(outAlpha[p]!, 1e-6)).concat(255), p * 4);
  return { data, width, height };
}

/** The result over the input through the blurred mask: where the mask is 0 the input's bytes, exactly. */
export function compositeMasked(input: Rgba, generated: Rgba, mask: PixelMask): Rgba {
  const data = new Uint8ClampedArray(input.data.length);
  for (let p = 0; p < mask.data.length; p++) {
    const m = mask.data[p]!;
    for (let c = 0; c < 3; c++) data[p * 4 + c] = m === 0 ? input.data[p * 4 + c]! : Math.round((input.data[p * 4 + c]! * (255 - m) + generated.data[p * 4 + c]! * m) / 255);
    data[p * 4 + 3] = 255;
  }
  return { data, width: input.width, height: input.height };
}

/** The generated crop scaled back to its box and put into (a copy of) the whole input. */
export function pasteInto(base: Rgba, generated: Rgba, box: Box): Rgba {
  const scaled = generated.width === box.width && generated.height === box.height ? generated : resize(generated, box.width, box.height);
  const data = new Uint8ClampedArray(base.data);
  for (let y = 0; y < box.height; y++) data.set(scaled.data.subarray(y * box.width * 4, (y + 1) * box.width * 4), ((box.y + y) * base.width + box.x) * 4);
  return { data, width: base.width, height: base.height };
}
