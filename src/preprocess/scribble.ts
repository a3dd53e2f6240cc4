// Scribble control maps, three ways, all white lines on black:
// - canvas strokes, as ControlNet's interactive scribble app draws them;
// - an uploaded drawing: pixels darker than 127 (in their darkest channel) become lines;
// - "fake scribble" from a photo: A1111's scribble_xdog (difference of Gaussians σ 0.5
//   and 5.0, threshold 32), thickened like ControlNet's fake-scribble app (blur σ 3, > 4).
import { gaussianBlur, type Rgba } from './image-ops.ts';

export interface Stroke {
  points: { x: number; y: number }[];
  /** Brush diameter in image pixels. */
  size: number;
  /** 255 draws a line; 0 erases one. */
  value: 0 | 255;
}

function grey(width: number, height: number, lit: (p: number) => boolean): Rgba {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const v = lit(p) ? 255 : 0;
    data[p * 4] = data[p * 4 + 1] = data[p * 4 + 2] = v;
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** Rasterises round-brush strokes in order (so the eraser works) onto black. */
export function scribbleFromStrokes(strokes: Stroke[], width: number, height: number): Rgba {
  const mask = new Uint8Array(width * height);
  for (const stroke of strokes) {
    const r = stroke.size / 2;
    const dab = (cx: number, cy: number) => {
      for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++)
        for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++)
          if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) mask[y * width + x] = stroke.value;
    };
    const pts = stroke.points;
    if (pts.length === 1) dab(pts[0]!.x, pts[0]!.y);
    for (let i = 1; i < pts.length; i++) {
      const [a, b] = [pts[i - 1]!, pts[i]!];
      const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(r / 2, 0.5)));
      for (let s = 0; s <= steps; s++) dab(a.x + ((b.x - a.x) * s) / steps, a.y + ((b.y - a.y) * s) / steps);
    }
  }
  return grey(width, height, (p) => mask[p] === 255);
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
