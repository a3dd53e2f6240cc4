// The OpenPose renderer against ControlNet's own drawings (../shared/data/reference/pose).
// OpenCV rasterises without anti-aliasing; we compare per colour: for every colour the
// reference uses on at least 30 pixels, IoU of that colour's pixels ≥ 0.9.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cocoToOpenPose, drawSkeletons, fillCircle, type Skeleton } from './pose.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedJson, sharedPath } from '../test/shared-data.ts';

interface PoseCase {
  name: string;
  width: number;
  height: number;
  people: Skeleton[];
  expected: string;
}
const { cases } = sharedJson<{ cases: PoseCase[] }>('reference', 'pose', 'cases.json');

function colourIoUs(ours: Uint8ClampedArray, theirs: Uint8ClampedArray) {
  const key = (d: Uint8ClampedArray, p: number) => (d[p]! << 16) | (d[p + 1]! << 8) | d[p + 2]!;
  const count = new Map<number, { theirs: number; ours: number; both: number }>();
  const get = (k: number) => count.get(k) ?? (count.set(k, { theirs: 0, ours: 0, both: 0 }), count.get(k)!);
  for (let p = 0; p < ours.length; p += 4) {
    const [a, b] = [key(ours, p), key(theirs, p)];
    if (b) get(b).theirs++;
    if (a) get(a).ours++;
    if (a && a === b) get(a).both++;
  }
  return [...count.entries()].filter(([, c]) => c.theirs >= 30).map(([k, c]) => ({ colour: k.toString(16).padStart(6, '0'), iou: c.both / (c.theirs + c.ours - c.both), pixels: c.theirs }));
}

describe('OpenPose skeleton drawing matches ControlNet', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const ours = drawSkeletons(c.people, c.width, c.height);
    const expected = decodePngImage(new Uint8Array(readFileSync(sharedPath('reference', 'pose', c.expected))));
    const ious = colourIoUs(ours, expected.data);
    expect(ious.length).toBeGreaterThanOrEqual(17);
    const worst = Math.min(...ious.map((e) => e.iou));
    let differing = 0;
    for (let p = 0; p < ours.length; p++) if (ours[p] !== expected.data[p]) differing++;
    // In practice the drawing is pixel-exact; pin that so a rasteriser change shows up.
    expect(differing).toBe(0);
    expect(worst).toBeGreaterThanOrEqual(0.9);
  });

  it("draws OpenCV's radius-4 filled circle (49 pixels)", () => {
    const pts = new Set<string>();
    fillCircle(10, 10, 4, (x, y) => pts.add(`${x},${y}`));
    expect(pts.size).toBe(9 + 7 * 2 + 7 * 2 + 5 * 2 + 1 * 2); // rows 0, ±1, ±2, ±3, ±4
  });

  it('converts COCO-17 keypoints to OpenPose-18, with the neck between the shoulders', () => {
    const coco = Array.from({ length: 17 }, (_, i) => ({ x: i * 10, y: i, score: i === 16 ? 0.1 : 0.9 }));
    const s = cocoToOpenPose(coco);
    expect(s[0]).toEqual([0, 0]);
    expect(s[1]).toEqual([55, 5.5]);
    expect(s[2]).toEqual([60, 6]); // right shoulder is COCO 6
    expect(s[10]).toBeNull(); // right ankle below the score threshold
  });
});
