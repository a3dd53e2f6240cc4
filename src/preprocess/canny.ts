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
  const mag = new Int32Array(n).fill(-1);
  // Separable Sobel, one channel at a time: per row, the horizontal difference and the
  // [1 2 1] smoothing (with replicated borders), kept for three rows; then the vertical step.
  const diff = [new Int32Array(w), new Int32Array(w), new Int32Array(w)];
  const smooth = [new Int32Array(w), new Int32Array(w), new Int32Array(w)];
  const rowFilters = (y: number, c: number, d: Int32Array, s: Int32Array) => {
    const base = (y < 0 ? 0 : y >= h ? h - 1 : y) * w * ch + c;
    for (let x = 0; x < w; x++) {
      const l = data[base + (x > 0 ? x - 1 : 0) * ch]!;
      const m = data[base + x * ch]!;
      const r = data[base + (x < w - 1 ? x + 1 : x) * ch]!;
      d[x] = r - l;
      s[x] = l + 2 * m + r;
    }
  };
  for (let c = 0; c < colours; c++) {
    rowFilters(-1, c, diff[0]!, smooth[0]!);
    rowFilters(0, c, diff[1]!, smooth[1]!);
    for (let y = 0; y < h; y++) {
      const [dUp, dMid, dDown] = [diff[y % 3]!, diff[(y + 1) % 3]!, diff[(y + 2) % 3]!];
      const [sUp, , sDown] = [smooth[y % 3]!, smooth[(y + 1) % 3]!, smooth[(y + 2) % 3]!];
      rowFilters(y + 1, c, dDown, sDown);
      let o = y * w;
      for (let x = 0; x < w; x++, o++) {
        const gx = dUp[x]! + 2 * dMid[x]! + dDown[x]!;
        const gy = sDown[x]! - sUp[x]!;
        const m = l2 ? gx * gx + gy * gy : (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
        // Strictly greater: on ties the earlier channel wins, as in OpenCV.
        if (m > mag[o]!) {
          mag[o] = m;
          dx[o] = gx;
          dy[o] = gy;
        }
      }
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
  // Magnitudes with a zero border, so neighbours outside the image read 0 without checks.
  const pw = width + 2;
  const padded = new Int32Array(pw * (height + 2));
  for (let y = 0; y < height; y++) padded.set(mag.subarray(y * width, (y + 1) * width), (y + 1) * pw + 1);
  for (let y = 0; y < height; y++) {
    let i = y * width;
    let q = (y + 1) * pw + 1;
    for (let x = 0; x < width; x++, i++, q++) {
      const m = mag[i]!;
      if (m <= low) continue;
      const xs = dx[i]!;
      const ys = dy[i]!;
      const ax = xs < 0 ? -xs : xs;
      const ay = (ys < 0 ? -ys : ys) * (1 << SHIFT);
      const tg22x = ax * TG22;
      let isMax: boolean;
      if (ay < tg22x) {
        isMax = m > padded[q - 1]! && m >= padded[q + 1]!;
      } else if (ay > tg22x + ax * (1 << (SHIFT + 1))) {
        isMax = m > padded[q - pw]! && m >= padded[q + pw]!;
      } else {
        const s = (xs ^ ys) < 0 ? -1 : 1;
        isMax = m > padded[q - pw - s]! && m > padded[q + pw + s]!;
      }
      if (isMax) map[i] = m > high ? 2 : 0;
    }
  }
  return map;
}

/** Grows strong edges through 8-connected weak candidates; returns 0/255 per pixel. */
export function hysteresis(map: Uint8Array, width: number, height: number): Uint8Array {
  const stack = new Int32Array(map.length);
  let top = 0;
  for (let i = 0; i < map.length; i++) if (map[i] === 2) stack[top++] = i;
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % width;
    const y = (i - x) / width;
    const [x0, x1, y0, y1] = [x > 0 ? -1 : 0, x < width - 1 ? 1 : 0, y > 0 ? -1 : 0, y < height - 1 ? 1 : 0];
    for (let oy = y0; oy <= y1; oy++) {
      for (let ox = x0; ox <= x1; ox++) {
        const j = i + oy * width + ox;
        if (map[j] === 0) {
          map[j] = 2;
          stack[top++] = j;
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
