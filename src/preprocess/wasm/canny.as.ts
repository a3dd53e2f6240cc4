// AssemblyScript source of the CPU Canny kernel (compiled to canny.wasm by
// scripts/build-wasm.ts). The same algorithm as ../canny.ts, which is its reference and the
// spec (OpenCV 4.x cv2.Canny, aperture 3): per-pixel strongest-channel Sobel in integers with
// replicated borders, non-maximum suppression with OpenCV's Q15 tan(22.5°) test, hysteresis.
// JS is the slow part of Canny in a browser; this runs the same loops as WebAssembly.
//
// Memory: the caller calls prepare(w, h, channels), writes the image at the returned offset,
// calls run(low, high, l2) and reads w·h bytes (0 or 255) at the offset run returns.

const SHIFT: i32 = 15;
const TG22: i32 = 13573; // round(tan(22.5°)·2^15), as OpenCV's TG22

let W: i32 = 0;
let H: i32 = 0;
let CH: i32 = 4;
let inputAt: usize = 0;
let dxAt: usize = 0;
let dyAt: usize = 0;
/** Magnitudes with a one-pixel zero border: (W + 2)·(H + 2) i32. */
let magAt: usize = 0;
let mapAt: usize = 0;
let stackAt: usize = 0;

const align = (v: usize): usize => (v + 15) & ~(<usize>15);

export function prepare(width: i32, height: i32, channels: i32): usize {
  W = width;
  H = height;
  CH = channels;
  const n = <usize>(width * height);
  inputAt = align(__heap_base);
  dxAt = align(inputAt + n * <usize>channels);
  dyAt = align(dxAt + n * 2);
  magAt = align(dyAt + n * 2);
  mapAt = align(magAt + <usize>((width + 2) * (height + 2)) * 4);
  stackAt = align(mapAt + n);
  const end = stackAt + n * 4;
  const pages = <i32>((end + 0xffff) >> 16);
  if (pages > memory.size()) memory.grow(pages - memory.size());
  return inputAt;
}

/** Sobel of the strongest channel: dx, dy, and the magnitude into the padded map. */
function sobel(l2: bool): void {
  const colours = CH == 1 ? 1 : 3;
  const pw = W + 2;
  memory.fill(magAt, 0, <usize>(pw * (H + 2)) * 4);
  for (let y = 0; y < H; y++) {
    const up = inputAt + <usize>((y > 0 ? y - 1 : 0) * W * CH);
    const mid = inputAt + <usize>(y * W * CH);
    const down = inputAt + <usize>((y < H - 1 ? y + 1 : y) * W * CH);
    for (let x = 0; x < W; x++) {
      const l = <usize>((x > 0 ? x - 1 : 0) * CH);
      const c = <usize>(x * CH);
      const r = <usize>((x < W - 1 ? x + 1 : x) * CH);
      let best: i32 = -1;
      let bx: i32 = 0;
      let by: i32 = 0;
      for (let k = 0; k < colours; k++) {
        const kk = <usize>k;
        const tl = <i32>load<u8>(up + l + kk);
        const tc = <i32>load<u8>(up + c + kk);
        const tr = <i32>load<u8>(up + r + kk);
        const ml = <i32>load<u8>(mid + l + kk);
        const mr = <i32>load<u8>(mid + r + kk);
        const bl = <i32>load<u8>(down + l + kk);
        const bc = <i32>load<u8>(down + c + kk);
        const br = <i32>load<u8>(down + r + kk);
        const gx = tr - tl + 2 * (mr - ml) + br - bl;
        const gy = bl + 2 * bc + br - (tl + 2 * tc + tr);
        const m = l2 ? gx * gx + gy * gy : abs<i32>(gx) + abs<i32>(gy);
        // Strictly greater: on ties the earlier channel wins, as in OpenCV.
        if (m > best) {
          best = m;
          bx = gx;
          by = gy;
        }
      }
      const i = <usize>(y * W + x);
      store<i16>(dxAt + i * 2, <i16>bx);
      store<i16>(dyAt + i * 2, <i16>by);
      store<i32>(magAt + <usize>((y + 1) * pw + x + 1) * 4, best);
    }
  }
}

/** Non-maximum suppression into the state map: 0 candidate, 1 not an edge, 2 strong edge. */
function suppress(low: i32, high: i32): void {
  const pw = W + 2;
  memory.fill(mapAt, 1, <usize>(W * H));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = <usize>(y * W + x);
      const q = magAt + <usize>((y + 1) * pw + x + 1) * 4;
      const m = load<i32>(q);
      if (m <= low) continue;
      const xs = <i32>load<i16>(dxAt + i * 2);
      const ys = <i32>load<i16>(dyAt + i * 2);
      const ax = abs<i32>(xs);
      const ay = abs<i32>(ys) << SHIFT;
      const tg22x = ax * TG22;
      let isMax: bool;
      if (ay < tg22x) {
        isMax = m > load<i32>(q - 4) && m >= load<i32>(q + 4);
      } else if (ay > tg22x + (ax << (SHIFT + 1))) {
        isMax = m > load<i32>(q - <usize>pw * 4) && m >= load<i32>(q + <usize>pw * 4);
      } else {
        const s: i32 = (xs ^ ys) < 0 ? -1 : 1;
        isMax = m > load<i32>(q - <usize>(pw + s) * 4) && m > load<i32>(q + <usize>(pw + s) * 4);
      }
      if (isMax) store<u8>(mapAt + i, m > high ? 2 : 0);
    }
  }
}

/** Grows strong edges through 8-connected candidates; leaves 255/0 in the map. */
function hysteresis(): void {
  const n = W * H;
  let top: i32 = 0;
  for (let i = 0; i < n; i++) if (load<u8>(mapAt + <usize>i) == 2) store<i32>(stackAt + <usize>(top++) * 4, i);
  while (top > 0) {
    const i = load<i32>(stackAt + <usize>(--top) * 4);
    const x = i % W;
    const y = i / W;
    const x0 = x > 0 ? -1 : 0;
    const x1 = x < W - 1 ? 1 : 0;
    const y0 = y > 0 ? -1 : 0;
    const y1 = y < H - 1 ? 1 : 0;
    for (let oy = y0; oy <= y1; oy++) {
      for (let ox = x0; ox <= x1; ox++) {
        const j = i + oy * W + ox;
        if (load<u8>(mapAt + <usize>j) == 0) {
          store<u8>(mapAt + <usize>j, 2);
          store<i32>(stackAt + <usize>(top++) * 4, j);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) store<u8>(mapAt + <usize>i, load<u8>(mapAt + <usize>i) == 2 ? 255 : 0);
}

export function run(low: i32, high: i32, l2: bool): usize {
  sobel(l2);
  suppress(low, high);
  hysteresis();
  return mapAt;
}
