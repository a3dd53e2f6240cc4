// Normal-from-depth against ControlNet's own outputs (../shared/data/reference/normal), ±1 per channel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalFromDepth, toNormalControlOrder } from './normal.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedJson, sharedPath } from '../test/shared-data.ts';

interface NormalCase {
  depth: string;
  width: number;
  height: number;
  a: number;
  bg_threshold: number;
  expected_png_rgb_is_xyz: string;
}
const { cases } = sharedJson<{ cases: NormalCase[] }>('reference', 'normal', 'cases.json');

export function loadDepth(c: NormalCase) {
  const bytes = readFileSync(sharedPath('reference', 'normal', c.depth));
  return { data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), width: c.width, height: c.height };
}

describe('normal from depth matches ControlNet', () => {
  it.each(cases.map((c) => [`${c.depth} a=${c.a.toFixed(4)} bg=${c.bg_threshold}`, c] as const))('%s', (_, c) => {
    const ours = normalFromDepth(loadDepth(c), { a: c.a, bgThreshold: c.bg_threshold });
    const expected = decodePngImage(new Uint8Array(readFileSync(sharedPath('reference', 'normal', c.expected_png_rgb_is_xyz))));
    let worst = 0;
    let off = 0;
    for (let i = 0; i < ours.length; i++) {
      if (i % 4 === 3) continue;
      const d = Math.abs(ours[i]! - expected.data[i]!);
      worst = Math.max(worst, d);
      if (d) off++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(off / (ours.length * 0.75)).toBeLessThan(0.01);
  });

  it("feeds the ControlNet the normal app's reversed channel order (z, y, x)", () => {
    const map = Uint8ClampedArray.of(10, 20, 30, 255);
    expect([...toNormalControlOrder(map)]).toEqual([30, 20, 10, 255]);
  });

  it('refuses NaN depth', () => {
    expect(() => normalFromDepth({ data: Float32Array.of(0, NaN, 1, 2), width: 2, height: 2 })).toThrow(/NaN/);
  });
});
