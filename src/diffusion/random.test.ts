import { describe, expect, it } from 'vitest';
import { TorchGenerator, torchRandn } from './random.ts';
import { sharedJson } from '../test/shared-data.ts';

interface RandnCase {
  seed: number;
  shape: number[];
  first16: number[];
  last4: number[];
  sum: number;
  abs_sum: number;
}
const cases = sharedJson<RandnCase[]>('reference', 'torch_randn.json');

describe('torchRandn matches torch.randn on a CPU generator', () => {
  it.each(cases.map((c) => [`seed ${c.seed}, shape [${c.shape}]`, c] as const))('%s', (_, c) => {
    const out = torchRandn(c.seed, c.shape);
    expect(out.length).toBe(c.shape.reduce((a, b) => a * b, 1));
    // Bit-identical: the reference values are float32 printed as doubles.
    expect([...out.slice(0, 16)]).toEqual(c.first16);
    expect([...out.slice(-4)]).toEqual(c.last4);
    let sum = 0;
    let absSum = 0;
    for (const v of out) {
      sum += v;
      absSum += Math.abs(v);
    }
    expect(sum).toBeCloseTo(c.sum, 4);
    expect(absSum).toBeCloseTo(c.abs_sum, 2);
  });

  it('uses only the low 32 bits of 64-bit seeds, as torch does', () => {
    expect(torchRandn(2n ** 64n - 1n, [4])).toEqual(torchRandn(0xffffffff, [4]));
    expect(torchRandn(2n ** 32n + 42n, [1, 4, 8, 8])).toEqual(torchRandn(42, [1, 4, 8, 8]));
  });

  it('continues one stream across calls, like a diffusers generator', () => {
    const g = new TorchGenerator(42);
    const latents = g.randn([1, 4, 8, 8]);
    const stepNoise = g.randn([1, 4, 8, 8]);
    expect(latents).toEqual(torchRandn(42, [1, 4, 8, 8]));
    expect(stepNoise).not.toEqual(latents);
    // 256 floats consume 256 words; the second draw is the stream's next 256.
    const both = new TorchGenerator(42).randn([2, 4, 8, 8]);
    expect(both.slice(0, 256)).toEqual(latents);
  });
});
