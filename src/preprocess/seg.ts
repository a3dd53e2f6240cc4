// Semantic segmentation as ControlNet's seg condition: each pixel's ADE20K class (150 of them)
// painted in the ADE20K palette. The model is a SegFormer ONNX export (I/O: pixel_values
// float32 [1, 3, 512, 512], ImageNet-normalised → logits [1, 150, 128, 128]); its logits are
// upsampled bilinearly to the image (align_corners false) and the largest class taken, as
// transformers' post_process_semantic_segmentation does.
import type { TensorData } from '../diffusion/tensor.ts';
import { resize, type Rgba } from './image-ops.ts';
import { ADE20K_PALETTE } from './seg-palette.ts';

export const SEG_INPUT = 512;
export const SEG_CLASSES = ADE20K_PALETTE.length;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** The model input: the image resized to 512×512, scaled to 0–1 and ImageNet-normalised, NCHW. */
export function segInput(image: Rgba): TensorData {
  const small = resize(image, SEG_INPUT, SEG_INPUT);
  const plane = SEG_INPUT * SEG_INPUT;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = (small.data[p * 4 + c]! / 255 - MEAN[c]!) / STD[c]!;
  return { type: 'float32', dims: [1, 3, SEG_INPUT, SEG_INPUT], data };
}

/** The class at each pixel of a width×height image from [classes, lh, lw] logits (bilinear, half-pixel centres). */
export function classesFromLogits(logits: Float32Array, classes: number, lh: number, lw: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const plane = lh * lw;
  const source = (o: number, size: number, outSize: number) => Math.min(Math.max(((o + 0.5) * size) / outSize - 0.5, 0), size - 1);
  for (let y = 0; y < height; y++) {
    const sy = source(y, lh, height);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, lh - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = source(x, lw, width);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, lw - 1);
      const fx = sx - x0;
      const [a, b, c, d] = [y0 * lw + x0, y0 * lw + x1, y1 * lw + x0, y1 * lw + x1];
      const [wa, wb, wc, wd] = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx];
      let best = 0;
      let bestValue = -Infinity;
      for (let k = 0; k < classes; k++) {
        const base = k * plane;
        const v = logits[base + a]! * wa + logits[base + b]! * wb + logits[base + c]! * wc + logits[base + d]! * wd;
        if (v > bestValue) {
          bestValue = v;
          best = k;
        }
      }
      out[y * width + x] = best;
    }
  }
  return out;
}

/** Class indices as ControlNet's seg map: each class in its ADE20K colour. */
export function paintSegmentation(classes: Uint8Array, width: number, height: number): Rgba {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const colour = ADE20K_PALETTE[classes[p]!];
    if (!colour) throw new Error(`Class ${classes[p]} is outside ADE20K's ${SEG_CLASSES} classes: the model is not an ADE20K segmenter.`);
    data[p * 4] = colour[0];
    data[p * 4 + 1] = colour[1];
    data[p * 4 + 2] = colour[2];
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}
