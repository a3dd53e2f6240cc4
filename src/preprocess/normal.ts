// Normal map from depth, ControlNet's own formula (annotator/midas): 3×3 Sobel of the raw
// depth in float32 with OpenCV's default reflect-101 border, z = a, x and y zeroed where
// the min–max normalised depth is below the background threshold, L2-normalised, then
// ×127.5 + 127.5 truncated to bytes. The map stores R = x, G = y, B = z.

export interface DepthMap {
  data: Float32Array;
  width: number;
  height: number;
}

export interface NormalOptions {
  /** z component before normalising (ControlNet: 2π). */
  a: number;
  /** Background threshold on normalised depth (ControlNet's UI default: 0.4). */
  bgThreshold: number;
}

export const NORMAL_DEFAULTS: NormalOptions = { a: Math.PI * 2, bgThreshold: 0.4 };

/** OpenCV's BORDER_REFLECT_101: …c b | a b c … d | c b… */
const reflect101 = (i: number, n: number) => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

export function normalFromDepth(depth: DepthMap, opts: NormalOptions = NORMAL_DEFAULTS): Uint8ClampedArray {
  const { data, width: w, height: h } = depth;
  if (w <= 0 || h <= 0) throw new Error(`Normal map needs a non-empty depth map (got ${w}×${h}).`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (!Number.isFinite(v)) throw new Error('The depth map contains NaN or infinite values; the depth model failed. Try again or use another depth model.');
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const range = max - min;
  const f = Math.fround;
  const at = (x: number, y: number) => data[reflect101(y, h) * w + reflect101(x, w)]!;
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let gx = f(at(x + 1, y - 1) - at(x - 1, y - 1) + 2 * (at(x + 1, y) - at(x - 1, y)) + at(x + 1, y + 1) - at(x - 1, y + 1));
      let gy = f(at(x - 1, y + 1) - at(x - 1, y - 1) + 2 * (at(x, y + 1) - at(x, y - 1)) + at(x + 1, y + 1) - at(x + 1, y - 1));
      const normalised = range > 0 ? (data[y * w + x]! - min) / range : 0;
      if (normalised < opts.bgThreshold) gx = gy = 0;
      const len = Math.sqrt(gx * gx + gy * gy + opts.a * opts.a);
      const p = (y * w + x) * 4;
      // astype(uint8) truncates; the clip keeps it in range first.
      out[p] = Math.trunc(Math.min(Math.max((gx / len) * 127.5 + 127.5, 0), 255));
      out[p + 1] = Math.trunc(Math.min(Math.max((gy / len) * 127.5 + 127.5, 0), 255));
      out[p + 2] = Math.trunc(Math.min(Math.max((opts.a / len) * 127.5 + 127.5, 0), 255));
      out[p + 3] = 255;
    }
  }
  return out;
}

/**
 * ControlNet's normal app feeds the model `detected_map[:, :, ::-1]`: the map's channels
 * reversed, so the ControlNet sees (z, y, x) as RGB. Control maps for the normal model go through this.
 */
export function toNormalControlOrder(map: Uint8ClampedArray): Uint8ClampedArray {
  const out = new Uint8ClampedArray(map.length);
  for (let p = 0; p < map.length; p += 4) {
    out[p] = map[p + 2]!;
    out[p + 1] = map[p + 1]!;
    out[p + 2] = map[p]!;
    out[p + 3] = map[p + 3]!;
  }
  return out;
}
