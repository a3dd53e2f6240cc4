// Canny against OpenCV 4.6's cv2.Canny on ControlNet's inputs (../shared/data/reference/canny).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canny, rgbToGray } from './canny.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedJson, sharedPath } from '../test/shared-data.ts';

interface CannyCase {
  input: string;
  expected: string;
  low: number;
  high: number;
  grayscale_first?: boolean;
  edge_pixels: number;
}
const { cases } = sharedJson<{ cases: CannyCase[] }>('reference', 'canny', 'cases.json');
const load = (name: string) => decodePngImage(new Uint8Array(readFileSync(sharedPath('reference', 'canny', name))));

export function cannyCaseInput(c: CannyCase) {
  const rgba = load(c.input);
  return c.grayscale_first ? { data: rgbToGray(rgba), width: rgba.width, height: rgba.height, channels: 1 as const } : { ...rgba, channels: 4 as const };
}

describe('canny matches cv2.Canny pixel for pixel', () => {
  it.each(cases.map((c) => [`${c.input} ${c.grayscale_first ? 'grey ' : ''}${c.low}/${c.high}`, c] as const))('%s', (_, c) => {
    const expected = load(c.expected);
    const ours = canny(cannyCaseInput(c), { low: c.low, high: c.high });
    let mismatches = 0;
    let ourEdges = 0;
    let both = 0;
    let theirEdges = 0;
    for (let p = 0; p < ours.length; p++) {
      const theirs = expected.data[p * 4]!;
      if (ours[p] !== theirs) mismatches++;
      if (ours[p]) ourEdges++;
      if (theirs) theirEdges++;
      if (ours[p] && theirs) both++;
    }
    const f1 = (2 * both) / (ourEdges + theirEdges || 1);
    expect({ mismatches, f1 }).toEqual({ mismatches: 0, f1: theirEdges ? 1 : 0 });
  });

  it('swaps low and high like OpenCV', () => {
    const img = load(cases[3]!.input);
    expect(canny(img, { low: 200, high: 100 })).toEqual(canny(img, { low: 100, high: 200 }));
  });

  it('measures the gradient as |gx| + |gy| by default and as its length with L2, worked by hand on a diagonal step', () => {
    // 0 above the diagonal x + y = 31, 40 below it. On the two pixels either side of the step
    // Sobel gives gx = gy = 3·40 = 120: L1 = 240 (≥ high 200, an edge), L2 = 120·√2 ≈ 170 (weak, and
    // with no strong edge to join, dropped).
    const size = 32;
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(x + y > 31 ? [40, 40, 40, 255] : [0, 0, 0, 255], (y * size + x) * 4);
    const step = { data, width: size, height: size };
    const l1 = canny(step, { low: 100, high: 200 });
    const edges: [number, number][] = [];
    l1.forEach((v, p) => v && edges.push([p % size, Math.floor(p / size)]));
    // One line along the step, away from the border (where the reflected image has no step).
    expect(edges.length).toBeGreaterThan(20);
    expect(edges.every(([x, y]) => x + y === 31 || x + y === 32)).toBe(true);
    expect(canny(step, { low: 100, high: 200, l2: true }).every((v) => v === 0)).toBe(true);
    // With high 160 (< 170) the L2 gradient finds the same step.
    expect(canny(step, { low: 100, high: 160, l2: true }).some((v) => v === 255)).toBe(true);
  });

  it('refuses an empty image', () => {
    expect(() => canny({ data: new Uint8ClampedArray(0), width: 0, height: 0 }, { low: 100, high: 200 })).toThrow(/non-empty/);
  });
});
