// Canny edge detection, identical to OpenCV 4.x cv2.Canny(img, low, high) with aperture 3:
// 3×3 Sobel in int16 with replicated borders; on colour input, per pixel the channel with
// the largest gradient magnitude (its dx, dy too); non-maximum suppression with OpenCV's
// fixed-point tan(22.5°) test and its asymmetric (> / ≥) comparisons; then hysteresis.

export interface CannyImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
  /** Interleaved channels per pixel: 1 (grey), 3 (RGB) or 4 (RGBA; alpha is ignored). Default 4. */
  channels?: 1 | 3 | 4;
}

export interface CannyOptions {
  low: number;
  high: number;
  /** √(dx² + dy²) instead of |dx| + |dy|. */
  l2?: boolean;
}

export const CANNY_DEFAULTS: CannyOptions = { low: 100, high: 200, l2: false };

const SHIFT = 15;
/** tan(22.5°) in Q15, as OpenCV's TG22. The WGSL kernel gets it as an override constant. */
export const TG22 = Math.round(0.4142135623730950488016887242097 * (1 << SHIFT));

/** Per-pixel gradient of the strongest channel: dx, dy and the magnitude OpenCV compares. */
export interface Gradient {
  dx: Int16Array;
  dy: Int16Array;
  mag: Int32Array;
}

export function sobelGradient(image: CannyImage, l2: boolean): Gradient {
  const { width: w, height: h, data } = image;
  const ch = image.channels ?? 4;
  const colours = ch === 1 ? 1 : 3;
  const n = w * h;
  const dx = new Int16Array(n);
  const dy = new Int16Array(n);
  const mag = new Int32Array(n);
  for (let y = 0; y < h; y++) {
    // Replicated border: rows/columns outside the image repeat the edge.
    const up = Math.max(y - 1, 0) * w;
    const row = y * w;
    const down = Math.min(y + 1, h - 1) * w;
    for (let x = 0; x < w; x++) {
      const l = Math.max(x - 1, 0);
      const r = Math.min(x + 1, w - 1);
      let best = -1;
      for (let c = 0; c < colours; c++) {
        const at = (i: number) => data[i * ch + c]!;
        const gx = at(up + r) - at(up + l) + 2 * (at(row + r) - at(row + l)) + at(down + r) - at(down + l);
        const gy = at(down + l) - at(up + l) + 2 * (at(down + x) - at(up + x)) + at(down + r) - at(up + r);
        const m = l2 ? gx * gx + gy * gy : Math.abs(gx) + Math.abs(gy);
        // Strictly greater: on ties the earlier channel wins, as in OpenCV.
        if (m > best) {
          best = m;
          dx[row + x] = gx;
          dy[row + x] = gy;
        }
      }
      mag[row + x] = best;
    }
  }
  return { dx, dy, mag };
}

/** Thresholds as OpenCV turns them into integers (squared first for L2). */
export function cannyThresholds(opts: CannyOptions): { low: number; high: number } {
  let low = opts.low;
  let high = opts.high;
  if (low > high) [low, high] = [high, low];
  if (opts.l2) {
    low = Math.min(32767, low);
    high = Math.min(32767, high);
    if (low > 0) low *= low;
    if (high > 0) high *= high;
  }
  return { low: Math.floor(low), high: Math.floor(high) };
}

/**
 * Non-maximum suppression into a state map: 0 = candidate (weak), 1 = not an edge,
 * 2 = strong edge. Pixels outside the image count as magnitude 0.
 */
export function suppressNonMaxima(g: Gradient, width: number, height: number, low: number, high: number): Uint8Array {
  const { dx, dy, mag } = g;
  const map = new Uint8Array(width * height).fill(1);
  const magAt = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : mag[y * width + x]!);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = mag[i]!;
      if (m <= low) continue;
      const xs = dx[i]!;
      const ys = dy[i]!;
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * (1 << SHIFT);
      const tg22x = ax * TG22;
      let isMax: boolean;
      if (ay < tg22x) {
        isMax = m > magAt(x - 1, y) && m >= magAt(x + 1, y);
      } else if (ay > tg22x + ax * (1 << (SHIFT + 1))) {
        isMax = m > magAt(x, y - 1) && m >= magAt(x, y + 1);
      } else {
        const s = (xs ^ ys) < 0 ? -1 : 1;
        isMax = m > magAt(x - s, y - 1) && m > magAt(x + s, y + 1);
      }
      if (isMax) map[i] = m > high ? 2 : 0;
    }
  }
  return map;
}

/** Grows strong edges through 8-connected weak candidates; returns 0/255 per pixel. */
export function hysteresis(map: Uint8Array, width: number, height: number): Uint8Array {
  const stack: number[] = [];
  for (let i = 0; i < map.length; i++) if (map[i] === 2) stack.push(i);
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % width;
    const y = (i - x) / width;
    for (let oy = -1; oy <= 1; oy++) {
      const ny = y + oy;
      if (ny < 0 || ny >= height) continue;
      for (let ox = -1; ox <= 1; ox++) {
        const nx = x + ox;
        if (nx < 0 || nx >= width) continue;
        const j = ny * width + nx;
        if (map[j] === 0) {
          map[j] = 2;
          stack.push(j);
        }
      }
    }
  }
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = map[i] === 2 ? 255 : 0;
  return out;
}

export function canny(image: CannyImage, opts: CannyOptions = CANNY_DEFAULTS): Uint8Array {
  const { width, height } = image;
  if (width <= 0 || height <= 0) throw new Error(`Canny needs a non-empty image (got ${width}×${height}).`);
  const { low, high } = cannyThresholds(opts);
  const gradient = sobelGradient(image, opts.l2 ?? false);
  return hysteresis(suppressNonMaxima(gradient, width, height, low, high), width, height);
}

/** OpenCV 4.x's 8-bit RGB→grey in Q15 fixed point: (R·9798 + G·19235 + B·3735 + 2^14) >> 15. */
export function rgbToGray(image: CannyImage): Uint8Array {
  const ch = image.channels ?? 4;
  const out = new Uint8Array(image.width * image.height);
  for (let p = 0; p < out.length; p++) {
    const [r, g, b] = [image.data[p * ch]!, image.data[p * ch + 1]!, image.data[p * ch + 2]!];
    out[p] = (r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15;
  }
  return out;
}
