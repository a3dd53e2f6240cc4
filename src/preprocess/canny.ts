// Canny edge detection, identical to OpenCV 4.x cv2.Canny(img, low, high) with aperture 3:
// 3×3 Sobel in int16 with replicated borders; on colour input, per pixel the channel with
// the largest gradient magnitude (its dx, dy too); non-maximum suppression with OpenCV's
// fixed-point tan(22.5°) test and its asymmetric (> / ≥) comparisons; then hysteresis.
// The loops run as WebAssembly compiled from wasm/canny.as.ts (several times faster than the
// same loops in JS); this module turns options into its integer thresholds and moves the bytes.
import { CANNY_WASM_BASE64 } from './wasm/canny-module.ts';

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

type CannyKernel = { prepare(w: number, h: number, ch: number): number; run(low: number, high: number, l2: number): number; memory: WebAssembly.Memory };

let kernelModule: WebAssembly.Module | null = null;
/** The kernel kept between calls: growing and zeroing a fresh instance's memory cost 2/3 of a 512² call (23 → 8 ms). */
let keptKernel: CannyKernel | null = null;
/** Images up to this many pixels reuse the kept kernel (about 17 bytes a pixel stay allocated: 36 MB at this bound). */
const KEEP_KERNEL_PIXELS = 2 * 1024 * 1024;

/** The compiled kernel (wasm/canny.as.ts). WebAssembly memory never shrinks, so a larger image gets an instance of its own that goes when the call ends. */
function kernel(pixels: number): CannyKernel {
  kernelModule ??= new WebAssembly.Module(Uint8Array.from(atob(CANNY_WASM_BASE64), (c) => c.charCodeAt(0)));
  const instantiate = () =>
    new WebAssembly.Instance(kernelModule!, {
      env: {
        abort: () => {
          throw new Error('Canny kernel aborted');
        },
      },
    }).exports as unknown as CannyKernel;
  if (pixels > KEEP_KERNEL_PIXELS) return instantiate();
  return (keptKernel ??= instantiate());
}

export function canny(image: CannyImage, opts: CannyOptions = CANNY_DEFAULTS): Uint8Array {
  const { width, height } = image;
  if (width <= 0 || height <= 0) throw new Error(`Canny needs a non-empty image (got ${width}×${height}).`);
  const channels = image.channels ?? 4;
  const { low, high } = cannyThresholds(opts);
  const k = kernel(width * height);
  const input = k.prepare(width, height, channels);
  new Uint8Array(k.memory.buffer, input, width * height * channels).set(image.data.subarray(0, width * height * channels));
  const out = k.run(low, high, opts.l2 ? 1 : 0);
  return new Uint8Array(k.memory.buffer, out, width * height).slice();
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
