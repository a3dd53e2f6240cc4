// The op graphs the pipeline runs between sessions, against the same arithmetic written out by hand.
import { describe, expect, it } from 'vitest';
import { nodeOps } from '../cli/node-runtime.ts';

describe('prompt weighting graph', () => {
  it('scales each token by its weight, restores each chunk’s mean, and lays the chunks each row names end to end', async () => {
    const [N, T, D] = [3, 77, 4];
    const hidden = Float32Array.from({ length: N * T * D }, (_, i) => Math.sin(i * 0.37) + 0.3);
    const weights = Float32Array.from({ length: N * T }, (_, i) => (i % 5 === 0 ? 1.5 : i % 7 === 0 ? 0.8 : 1));
    const ops = nodeOps();
    const device = await ops.upload({ type: 'float32', dims: [N, T, D], data: hidden });
    const rows = [
      [2, 0],
      [1, 2],
    ];
    const out = await (await ops.promptContext(device, weights, rows)).download();
    expect(out.dims).toEqual([2, 2 * T, D]);
    // By hand: z = h·w, then z · (mean h / mean z), per chunk.
    const chunk = (n: number) => {
      const h = hidden.subarray(n * T * D, (n + 1) * T * D);
      const z = h.map((v, i) => v * weights[n * T + Math.floor(i / D)]!);
      const ratio = h.reduce((a, b) => a + b, 0) / z.reduce((a, b) => a + b, 0);
      return z.map((v) => v * ratio);
    };
    const expected = rows.flatMap((r) => r.flatMap((n) => [...chunk(n)]));
    const got = out.data as Float32Array;
    expect(Math.max(...expected.map((v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-5);
  });
});
