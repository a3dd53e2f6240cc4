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

  it('swaps low and high like OpenCV, and supports the L2 gradient', () => {
    const img = load(cases[3]!.input);
    expect(canny(img, { low: 200, high: 100 })).toEqual(canny(img, { low: 100, high: 200 }));
    const l1 = canny(img, { low: 100, high: 200 });
    const l2 = canny(img, { low: 100, high: 200, l2: true });
    expect(l2).not.toEqual(l1);
    expect(l2.every((v) => v === 0 || v === 255)).toBe(true);
  });

  it('refuses an empty image', () => {
    expect(() => canny({ data: new Uint8ClampedArray(0), width: 0, height: 0 }, { low: 100, high: 200 })).toThrow(/non-empty/);
  });
});
