// Scribble control maps, all white lines on black (canvas strokes are drawn by the canvas,
// src/canvas/rasterize.ts, and then read as a drawing):
// - an uploaded or drawn picture: pixels darker than 127 (in their darkest channel) become lines;
// - "fake scribble" from a photo: A1111's scribble_xdog (difference of Gaussians σ 0.5
//   and 5.0, threshold 32), thickened like ControlNet's fake-scribble app (blur σ 3, > 4).
import { gaussianBlur, type Rgba } from './image-ops.ts';

function grey(width: number, height: number, lit: (p: number) => boolean): Rgba {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const v = lit(p) ? 255 : 0;
    data[p * 4] = data[p * 4 + 1] = data[p * 4 + 2] = v;
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** ControlNet's rule for uploaded scribbles: min over RGB < 127 → white line. */
export function scribbleFromDrawing(image: Rgba): Rgba {
  const d = image.data;
  return grey(image.width, image.height, (p) => Math.min(d[p * 4]!, d[p * 4 + 1]!, d[p * 4 + 2]!) < 127);
}

export const XDOG_DEFAULT_THRESHOLD = 32;

/** A1111's scribble_xdog: 255 where 2·(255 − clip(255 − min_c(G5 − G0.5))) > threshold. */
export function xdog(image: Rgba, threshold = XDOG_DEFAULT_THRESHOLD): Uint8Array {
  const { width: w, height: h, data } = image;
  const n = w * h;
  const minDiff = new Float32Array(n).fill(Infinity);
  for (let c = 0; c < 3; c++) {
    const plane = Float32Array.from({ length: n }, (_, p) => data[p * 4 + c]!);
    const g1 = gaussianBlur(plane, w, h, 0.5);
    const g2 = gaussianBlur(plane, w, h, 5.0);
    for (let p = 0; p < n; p++) minDiff[p] = Math.min(minDiff[p]!, g2[p]! - g1[p]!);
  }
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const dog = Math.trunc(Math.min(Math.max(255 - minDiff[p]!, 0), 255));
    out[p] = 2 * (255 - dog) > threshold ? 255 : 0;
  }
  return out;
}

/** Fake scribble: XDoG lines thickened as ControlNet's fake-scribble app does (blur σ 3, then > 4 → 255). */
export function fakeScribble(image: Rgba, threshold = XDOG_DEFAULT_THRESHOLD): Rgba {
  const lines = xdog(image, threshold);
  const blurred = gaussianBlur(Float32Array.from(lines), image.width, image.height, 3.0, true);
  return grey(image.width, image.height, (p) => Math.round(blurred[p]!) > 4);
}
