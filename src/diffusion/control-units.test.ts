import { describe, expect, it } from 'vitest';
import { residualScales, unitActiveAt, type ControlUnit } from './control-units.ts';

const unit = (extra: Partial<ControlUnit>): ControlUnit => ({
  model: 'canny',
  image: { data: new Uint8ClampedArray(4), width: 1, height: 1 },
  weight: 1,
  start: 0,
  end: 1,
  mode: 'balanced',
  ...extra,
});

describe('control units', () => {
  it('scales every residual by the weight in balanced and ControlNet-first modes', () => {
    expect(residualScales(unit({ weight: 0.7 }))).toEqual(Array(13).fill(0.7));
    expect(residualScales(unit({ weight: 1.5, mode: 'controlnet' }))).toEqual(Array(13).fill(1.5));
  });

  it("fades residual i by 0.825^(12−i) when the prompt is more important (A1111's soft injection)", () => {
    const s = residualScales(unit({ weight: 2, mode: 'prompt' }));
    expect(s[12]).toBe(2);
    expect(s[0]).toBeCloseTo(2 * 0.825 ** 12, 12);
    expect(s[6]).toBeCloseTo(2 * 0.825 ** 6, 12);
  });

  it("follows diffusers' start/end rule: active unless i/n < start or (i+1)/n > end", () => {
    const active = (u: Partial<ControlUnit>, n = 10) => Array.from({ length: n }, (_, i) => unitActiveAt(unit(u), i, n));
    expect(active({})).toEqual(Array(10).fill(true));
    expect(active({ start: 0.2, end: 0.5 })).toEqual([false, false, true, true, true, false, false, false, false, false]);
    expect(active({ weight: 0 })).toEqual(Array(10).fill(false));
    expect(active({ start: 0.95, end: 1 })).toEqual(Array(10).fill(false));
  });
});
