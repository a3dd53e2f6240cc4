// Image preparation shared by the preprocessors, as ControlNet/A1111 do it: HWC3 (alpha
// composited onto white), resampling, the three resize modes, pixel-perfect resolution,
// Gaussian blur with OpenCV's kernel sizes, and the 8192-px guard.

export interface Rgba {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

export type ResizeMode = 'just-resize' | 'crop-and-resize' | 'resize-and-fill';
export const RESIZE_MODE_LABELS: Record<ResizeMode, string> = {
  'just-resize': 'Just Resize',
  'crop-and-resize': 'Crop and Resize',
  'resize-and-fill': 'Resize and Fill',
};
export const MAX_SIDE = 8192;

export function assertImage(image: Rgba): void {
  if (!(image.width > 0 && image.height > 0)) throw new Error(`The image is empty (${image.width}×${image.height}); pick another image.`);
  if (image.data.length !== image.width * image.height * 4) throw new Error('The image data does not match its size.');
}

/** ControlNet's HWC3 for RGBA: colour·α + 255·(1 − α), truncated, opaque. */
export function hwc3(image: Rgba): Rgba {
  let opaque = true;
  for (let p = 3; p < image.data.length && opaque; p += 4) opaque = image.data[p] === 255;
  if (opaque) return image; // nothing to composite
  const out = new Uint8ClampedArray(image.data.length);
  for (let p = 0; p < image.data.length; p += 4) {
    const a = image.data[p + 3]! / 255;
    for (let c = 0; c < 3; c++) out[p + c] = Math.trunc(image.data[p + c]! * a + 255 * (1 - a));
    out[p + 3] = 255;
  }
  return { data: out, width: image.width, height: image.height };
}

/** Resamples to w×h: area averaging when shrinking (cv2.INTER_AREA), bilinear when enlarging, nearest for binary maps. */
export function resize(image: Rgba, w: number, h: number, nearest = false): Rgba {
  const { width: sw, height: sh, data } = image;
  const out = new Uint8ClampedArray(w * h * 4);
  const sx = sw / w;
  const sy = sh / h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      if (nearest) {
        const i = (Math.min(Math.floor((y + 0.5) * sy), sh - 1) * sw + Math.min(Math.floor((x + 0.5) * sx), sw - 1)) * 4;
        out.set(data.subarray(i, i + 4), o);
      } else if (sx >= 1 && sy >= 1) {
        const [x0, x1, y0, y1] = [x * sx, (x + 1) * sx, y * sy, (y + 1) * sy];
        const acc = [0, 0, 0, 0];
        let total = 0;
        for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++) {
          const wy = Math.min(yy + 1, y1) - Math.max(yy, y0);
          for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
            const wgt = wy * (Math.min(xx + 1, x1) - Math.max(xx, x0));
            const i = (Math.min(yy, sh - 1) * sw + Math.min(xx, sw - 1)) * 4;
            for (let c = 0; c < 4; c++) acc[c]! += data[i + c]! * wgt;
            total += wgt;
          }
        }
        for (let c = 0; c < 4; c++) out[o + c] = Math.round(acc[c]! / total);
      } else {
        const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
        const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
        const [x0, y0] = [Math.floor(fx), Math.floor(fy)];
        const [x1, y1] = [Math.min(x0 + 1, sw - 1), Math.min(y0 + 1, sh - 1)];
        const [ax, ay] = [fx - x0, fy - y0];
        for (let c = 0; c < 4; c++) {
          const top = data[(y0 * sw + x0) * 4 + c]! * (1 - ax) + data[(y0 * sw + x1) * 4 + c]! * ax;
          const bottom = data[(y1 * sw + x0) * 4 + c]! * (1 - ax) + data[(y1 * sw + x1) * 4 + c]! * ax;
          out[o + c] = Math.round(top * (1 - ay) + bottom * ay);
        }
      }
    }
  }
  return { data: out, width: w, height: h };
}

/** Downscales so neither side exceeds 8192 px; says so when it did. */
export function limitSize(image: Rgba): { image: Rgba; notice: string | null } {
  const longest = Math.max(image.width, image.height);
  if (longest <= MAX_SIDE) return { image, notice: null };
  const k = MAX_SIDE / longest;
  const [w, h] = [Math.max(1, Math.round(image.width * k)), Math.max(1, Math.round(image.height * k))];
  return { image: resize(image, w, h), notice: `The image was ${image.width}×${image.height}; it was scaled down to ${w}×${h} (the limit is ${MAX_SIDE} px a side).` };
}

/** How a resize mode maps a w×h source onto the target: the scaled size and the crop offset. */
export function fitGeometry(src: { width: number; height: number }, width: number, height: number, mode: ResizeMode) {
  if (mode === 'just-resize') return { w: width, h: height, ox: 0, oy: 0 };
  const k = mode === 'crop-and-resize' ? Math.max(width / src.width, height / src.height) : Math.min(width / src.width, height / src.height);
  const [w, h] = [Math.max(1, Math.round(src.width * k)), Math.max(1, Math.round(src.height * k))];
  // Crop: centred window of the covering image. Fill: the contained image centred on black.
  return { w, h, ox: Math.floor((w - width) / 2), oy: Math.floor((h - height) / 2) };
}

/** A point of the source in the fitted map's coordinates (for pose keypoints). */
export function fitPoint(src: { width: number; height: number }, width: number, height: number, mode: ResizeMode, x: number, y: number): [number, number] {
  const g = fitGeometry(src, width, height, mode);
  return [(x * g.w) / src.width - g.ox, (y * g.h) / src.height - g.oy];
}

/** Fits a control map to the generation size with one of A1111's resize modes. */
export function fitToSize(image: Rgba, width: number, height: number, mode: ResizeMode, binary = false): Rgba {
  if (mode === 'just-resize') return resize(image, width, height, binary);
  const { w, h, ox, oy } = fitGeometry(image, width, height, mode);
  const scaled = resize(image, w, h, binary);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = [x + ox, y + oy];
      const o = (y * width + x) * 4;
      if (sx >= 0 && sy >= 0 && sx < w && sy < h) out.set(scaled.data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), o);
      else out[o + 3] = 255;
    }
  }
  return { data: out, width, height };
}

/** A1111's pixel-perfect preprocessor resolution: max (min for Resize and Fill) of the target/raw ratios × the raw short side. */
export function pixelPerfectResolution(raw: { width: number; height: number }, target: { width: number; height: number }, mode: ResizeMode): number {
  const k0 = target.height / raw.height;
  const k1 = target.width / raw.width;
  const k = mode === 'resize-and-fill' ? Math.min(k0, k1) : Math.max(k0, k1);
  return Math.round(k * Math.min(raw.height, raw.width));
}

/** ControlNet's resize_image: short side to `resolution`, both sides rounded to multiples of 64. */
export function resizeToResolution(image: Rgba, resolution: number): Rgba {
  const k = resolution / Math.min(image.width, image.height);
  const w = Math.max(64, Math.round((image.width * k) / 64) * 64);
  const h = Math.max(64, Math.round((image.height * k) / 64) * 64);
  return resize(image, w, h);
}

/** cv2.GaussianBlur(…, (0, 0), σ) on one float plane, reflect-101 border; kernel size as OpenCV picks it, or `kernelSize`. */
export function gaussianBlur(plane: Float32Array, width: number, height: number, sigma: number, eightBit = false, kernelSize?: number): Float32Array {
  const size = kernelSize ?? Math.round(sigma * (eightBit ? 3 : 4) * 2 + 1) | 1;
  const half = (size - 1) / 2;
  const kernel = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / sum);
  const reflect = (i: number, n: number) => {
    if (n === 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
  };
  const tmp = new Float32Array(plane.length);
  const out = new Float32Array(plane.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < size; i++) acc += k[i]! * plane[y * width + reflect(x + i - half, width)]!;
      tmp[y * width + x] = acc;
    }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < size; i++) acc += k[i]! * tmp[reflect(y + i - half, height) * width + x]!;
      out[y * width + x] = acc;
    }
  return out;
}
