// Straight-line maps for the M-LSD ControlNet: the progressive probabilistic Hough
// transform over a Canny edge map, following cv2.HoughLinesP step by step (including
// OpenCV's RNG, so the same edges give the same segments), drawn as white 1-px lines.

export interface HoughOptions {
  rho: number;
  /** Angle resolution in radians. */
  theta: number;
  /** Accumulator votes a line needs. */
  threshold: number;
  minLineLength: number;
  maxLineGap: number;
}

export const HOUGH_DEFAULTS: HoughOptions = { rho: 1, theta: Math.PI / 180, threshold: 50, minLineLength: 30, maxLineGap: 8 };

export type Segment = [x1: number, y1: number, x2: number, y2: number];

/** cv::RNG: multiply-with-carry on 64 bits, seeded with (uint64)-1 as HoughLinesP does. */
class OpenCvRng {
  private state = 0xffffffffffffffffn;
  next(): number {
    this.state = BigInt.asUintN(64, (this.state & 0xffffffffn) * 4164903690n + (this.state >> 32n));
    return Number(this.state & 0xffffffffn);
  }
  uniform(below: number): number {
    return this.next() % below;
  }
}

const cvRound = (v: number) => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

export function houghLinesP(edges: Uint8Array, width: number, height: number, opts: HoughOptions = HOUGH_DEFAULTS): Segment[] {
  const SHIFT = 16;
  const numAngle = Math.round(Math.PI / opts.theta);
  const numRho = Math.round(((width + height) * 2 + 1) / opts.rho);
  const accum = new Int32Array(numAngle * numRho);
  const mask = new Uint8Array(width * height);
  const trig = new Float32Array(numAngle * 2);
  for (let n = 0; n < numAngle; n++) {
    trig[n * 2] = Math.cos(n * opts.theta) / opts.rho;
    trig[n * 2 + 1] = Math.sin(n * opts.theta) / opts.rho;
  }
  const points: number[] = [];
  for (let i = 0; i < width * height; i++) if (edges[i]) ((mask[i] = 1), points.push(i));
  const rhoAt = (x: number, y: number, n: number) => cvRound(x * trig[n * 2]! + y * trig[n * 2 + 1]!) + ((numRho - 1) >> 1);
  const rng = new OpenCvRng();
  const lines: Segment[] = [];

  for (let count = points.length; count > 0; count--) {
    // Take a random remaining point.
    const idx = rng.uniform(count);
    const p = points[idx]!;
    points[idx] = points[count - 1]!;
    if (!mask[p]) continue;
    const [j, i] = [p % width, Math.floor(p / width)];

    // Vote, and find the strongest line through it.
    let maxVal = opts.threshold - 1;
    let maxN = 0;
    for (let n = 0; n < numAngle; n++) {
      const v = ++accum[n * numRho + rhoAt(j, i, n)]!;
      if (maxVal < v) [maxVal, maxN] = [v, n];
    }
    if (maxVal < opts.threshold) continue;

    // Walk from the point both ways along the line (fixed point), up to too big a gap.
    const a = -trig[maxN * 2 + 1]!;
    const b = trig[maxN * 2]!;
    let [x0, y0] = [j, i];
    let dx0: number;
    let dy0: number;
    const xflag = Math.abs(a) > Math.abs(b);
    if (xflag) {
      dx0 = a > 0 ? 1 : -1;
      dy0 = cvRound((b * (1 << SHIFT)) / Math.abs(a));
      y0 = (y0 << SHIFT) + (1 << (SHIFT - 1));
    } else {
      dy0 = b > 0 ? 1 : -1;
      dx0 = cvRound((a * (1 << SHIFT)) / Math.abs(b));
      x0 = (x0 << SHIFT) + (1 << (SHIFT - 1));
    }
    const pos = (x: number, y: number): [number, number] => (xflag ? [x, y >> SHIFT] : [x >> SHIFT, y]);
    const ends: [number, number][] = [
      [j, i],
      [j, i],
    ];
    for (let k = 0; k < 2; k++) {
      let gap = 0;
      const [dx, dy] = k ? [-dx0, -dy0] : [dx0, dy0];
      for (let x = x0, y = y0; ; x += dx, y += dy) {
        const [j1, i1] = pos(x, y);
        if (j1 < 0 || j1 >= width || i1 < 0 || i1 >= height) break;
        if (mask[i1 * width + j1]) {
          gap = 0;
          ends[k] = [j1, i1];
        } else if (++gap > opts.maxLineGap) break;
      }
    }
    const good = Math.abs(ends[1]![0] - ends[0]![0]) >= opts.minLineLength || Math.abs(ends[1]![1] - ends[0]![1]) >= opts.minLineLength;

    // Remove the segment's points (and, for a kept line, their votes).
    for (let k = 0; k < 2; k++) {
      const [dx, dy] = k ? [-dx0, -dy0] : [dx0, dy0];
      for (let x = x0, y = y0; ; x += dx, y += dy) {
        const [j1, i1] = pos(x, y);
        if (j1 < 0 || j1 >= width || i1 < 0 || i1 >= height) break;
        const m = i1 * width + j1;
        if (mask[m]) {
          if (good) for (let n = 0; n < numAngle; n++) accum[n * numRho + rhoAt(j1, i1, n)]!--;
          mask[m] = 0;
        }
        if (i1 === ends[k]![1] && j1 === ends[k]![0]) break;
      }
    }
    if (good) lines.push([ends[0]![0], ends[0]![1], ends[1]![0], ends[1]![1]]);
  }
  return lines;
}

/** White 1-px segments on black (Bresenham, like cv2.line with thickness 1), RGBA. */
export function drawSegments(lines: Segment[], width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 3; p < out.length; p += 4) out[p] = 255;
  for (const [x1, y1, x2, y2] of lines) {
    const [dx, dy] = [Math.abs(x2 - x1), -Math.abs(y2 - y1)];
    const [sx, sy] = [x1 < x2 ? 1 : -1, y1 < y2 ? 1 : -1];
    let [x, y, err] = [x1, y1, dx + dy];
    for (;;) {
      if (x >= 0 && y >= 0 && x < width && y < height) out.fill(255, (y * width + x) * 4, (y * width + x) * 4 + 3);
      if (x === x2 && y === y2) break;
      const e2 = 2 * err;
      if (e2 >= dy) ((err += dy), (x += sx));
      if (e2 <= dx) ((err += dx), (y += sy));
    }
  }
  return out;
}
