// OpenPose body skeletons as data (18 keypoints per person) and ControlNet's drawing of
// them (annotator/openpose/util.py draw_bodypose with OpenCV's rasterisers): joints as
// filled radius-4 circles, then 17 limbs as ellipses of half-width 4, each blended
// 0.4 old / 0.6 new over the canvas, on black. Colours are RGB as the ControlNet sees them.

/** [x, y] in image pixels, or null where the joint is missing. */
export type Keypoint = [number, number] | null;
/** 18 points in OpenPose order: nose, neck, r-shoulder, r-elbow, r-wrist, l-shoulder, l-elbow, l-wrist, r-hip, r-knee, r-ankle, l-hip, l-knee, l-ankle, r-eye, l-eye, r-ear, l-ear. */
export type Skeleton = Keypoint[];

export const LIMBS: [number, number][] = [
  [1, 2],
  [1, 5],
  [2, 3],
  [3, 4],
  [5, 6],
  [6, 7],
  [1, 8],
  [8, 9],
  [9, 10],
  [1, 11],
  [11, 12],
  [12, 13],
  [1, 0],
  [0, 14],
  [14, 16],
  [0, 15],
  [15, 17],
];
export const COLOURS: [number, number, number][] = [
  [255, 0, 0],
  [255, 85, 0],
  [255, 170, 0],
  [255, 255, 0],
  [170, 255, 0],
  [85, 255, 0],
  [0, 255, 0],
  [0, 255, 85],
  [0, 255, 170],
  [0, 255, 255],
  [0, 170, 255],
  [0, 85, 255],
  [0, 0, 255],
  [85, 0, 255],
  [170, 0, 255],
  [255, 0, 255],
  [255, 0, 170],
  [255, 0, 85],
];
const STICK_WIDTH = 4;
const f = Math.fround;

/** OpenCV's SinTable entries: sin of whole degrees, as float. */
const sinDeg = (deg: number) => f(Math.sin((deg * Math.PI) / 180));

/** cvRound: round half to even. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** cv::ellipse2Poly(center, axes, angle, 0, 360, delta = 1) with integer points, duplicates dropped. */
export function ellipsePolygon(cx: number, cy: number, a: number, b: number, angleDeg: number): [number, number][] {
  let angle = angleDeg;
  while (angle < 0) angle += 360;
  while (angle > 360) angle -= 360;
  const alpha = sinDeg(450 - angle);
  const beta = sinDeg(angle);
  const pts: [number, number][] = [];
  for (let i = 0; i <= 360; i++) {
    const x = a * sinDeg(450 - i);
    const y = b * sinDeg(i);
    const p: [number, number] = [roundEven(cx + x * alpha - y * beta), roundEven(cy + x * beta + y * alpha)];
    const last = pts[pts.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
  }
  return pts.length === 1 ? [pts[0]!, pts[0]!] : pts;
}

type Plot = (x: number, y: number) => void;

/** Fills a convex polygon scanline by scanline, endpoints rounded, edges included. */
export function fillConvexPolygon(pts: [number, number][], plot: Plot): void {
  const ys = pts.map((p) => p[1]);
  for (let y = Math.min(...ys); y <= Math.max(...ys); y++) {
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0; i < pts.length; i++) {
      const [x0, y0] = pts[i]!;
      const [x1, y1] = pts[(i + 1) % pts.length]!;
      if (y < Math.min(y0, y1) || y > Math.max(y0, y1)) continue;
      const xs = y0 === y1 ? [x0, x1] : [x0 + ((y - y0) * (x1 - x0)) / (y1 - y0)];
      for (const x of xs) {
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    for (let x = roundEven(left); x <= roundEven(right); x++) plot(x, y);
  }
}

/** OpenCV's filled Circle (integer midpoint spans), as cv2.circle(…, thickness=-1) draws it. */
export function fillCircle(cx: number, cy: number, radius: number, plot: Plot): void {
  let err = 0;
  let dx = radius;
  let dy = 0;
  let plus = 1;
  let minus = (radius << 1) - 1;
  const span = (y: number, x0: number, x1: number) => {
    for (let x = x0; x <= x1; x++) plot(x, y);
  };
  while (dx >= dy) {
    span(cy - dy, cx - dx, cx + dx);
    span(cy + dy, cx - dx, cx + dx);
    span(cy - dx, cx - dy, cx + dy);
    span(cy + dx, cx - dy, cx + dy);
    dy++;
    err += plus;
    plus += 2;
    const mask = err <= 0 ? 0 : -1;
    err -= minus & mask;
    dx += mask;
    minus -= mask & 2;
  }
}

/** Renders people's skeletons as ControlNet's OpenPose map: RGBA, black background. */
export function drawSkeletons(people: Skeleton[], width: number, height: number): Uint8ClampedArray {
  const rgb = new Uint8ClampedArray(width * height * 3);
  const set = (colour: [number, number, number], target: Uint8ClampedArray) => (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    target.set(colour, (y * width + x) * 3);
  };
  for (let j = 0; j < 18; j++) {
    for (const person of people) {
      const p = person[j];
      if (p) fillCircle(Math.trunc(p[0]), Math.trunc(p[1]), 4, set(COLOURS[j]!, rgb));
    }
  }
  const [wOld, wNew] = [f(0.4), f(0.6)];
  LIMBS.forEach(([a, b], i) => {
    for (const person of people) {
      const [pa, pb] = [person[a], person[b]];
      if (!pa || !pb) continue;
      const length = Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
      const angle = (Math.atan2(pa[1] - pb[1], pa[0] - pb[0]) * 180) / Math.PI;
      const polygon = ellipsePolygon(Math.trunc((pa[0] + pb[0]) / 2), Math.trunc((pa[1] + pb[1]) / 2), Math.trunc(length / 2), STICK_WIDTH, Math.trunc(angle));
      // cv2.addWeighted(canvas, 0.4, canvas-with-limb, 0.6): only the limb's pixels change.
      const colour = COLOURS[i]!;
      const seen = new Set<number>();
      fillConvexPolygon(polygon, (x, y) => {
        if (x < 0 || y < 0 || x >= width || y >= height) return;
        const at = (y * width + x) * 3;
        if (seen.has(at)) return;
        seen.add(at);
        for (let c = 0; c < 3; c++) rgb[at + c] = roundEven(f(f(rgb[at + c]! * wOld) + f(colour[c]! * wNew)));
      });
    }
  });
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    out.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** COCO-17 keypoints (MoveNet, RTMPose body) → OpenPose-18: the neck is the shoulders' midpoint. */
export function cocoToOpenPose(coco: { x: number; y: number; score: number }[], minScore = 0.3): Skeleton {
  const pick = (i: number): Keypoint => (coco[i] && coco[i]!.score >= minScore ? [coco[i]!.x, coco[i]!.y] : null);
  const [ls, rs] = [pick(5), pick(6)];
  const neck: Keypoint = ls && rs ? [(ls[0] + rs[0]) / 2, (ls[1] + rs[1]) / 2] : null;
  return [pick(0), neck, rs, pick(8), pick(10), ls, pick(7), pick(9), pick(12), pick(14), pick(16), pick(11), pick(13), pick(15), pick(2), pick(1), pick(4), pick(3)];
}
