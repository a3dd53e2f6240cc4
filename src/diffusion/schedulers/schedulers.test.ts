// Every sampler against diffusers 0.27.2's own trajectories (../shared/data/reference/schedulers.json):
// timesteps, σs, init noise σ, the per-step sums, and the final sample within 1e-4 relative.
import { describe, expect, it } from 'vitest';
import { createScheduler, SCHEDULER_NAMES, type SchedulerName } from './index.ts';
import { sharedJson } from '../../test/shared-data.ts';

interface Case {
  name: string;
  config: Record<string, unknown>;
  num_inference_steps: number;
  timesteps: number[];
  init_noise_sigma: number;
  sigmas: number[] | null;
  initial_sample: number[];
  step_noise: number[][];
  final_sample: number[];
  steps: { t: number; scaled_input_sum: number; sample_sum: number }[];
}
const { cases } = sharedJson<{ cases: Case[] }>('reference', 'schedulers.json');

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
const relErr = (a: ArrayLike<number>, b: number[]) => {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  return maxDiff / maxRef;
};

describe('schedulers reproduce diffusers', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const name = c.name.replace(/-\d+$/, '') as SchedulerName;
    const s = createScheduler(name, c.config);
    s.setTimesteps(c.num_inference_steps);
    expect(relErr(s.timesteps, c.timesteps)).toBeLessThan(1e-6);
    if (c.sigmas) expect(relErr(s.sigmas!, c.sigmas)).toBeLessThan(1e-5);
    expect(s.initNoiseSigma).toBeCloseTo(c.init_noise_sigma, 4);

    // The model function the reference used: eps = 0.5·x_in·cos(t/1000) + 0.1·sin(i/7).
    // initial_sample is already randn · init_noise_sigma.
    let x: Float32Array = Float32Array.from(c.initial_sample);
    let noiseIndex = 0;
    s.timesteps.forEach((t, step) => {
      const xIn = s.scaleModelInput(x, t);
      const eps = Float32Array.from(xIn, (v, i) => 0.5 * v * Math.cos(t / 1000) + 0.1 * Math.sin(i / 7));
      x = s.step(eps, t, x, () => Float32Array.from(c.step_noise[noiseIndex++]!));
      expect(sum(xIn)).toBeCloseTo(c.steps[step]!.scaled_input_sum, 2);
      expect(Math.abs(sum(x) - c.steps[step]!.sample_sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(c.steps[step]!.sample_sum)) * 10);
    });
    expect(noiseIndex).toBe(c.step_noise.length);
    expect(relErr(x, c.final_sample)).toBeLessThan(1e-4);
  });

  it('covers every sampler the studio offers', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, cases[0]!.config);
      s.setTimesteps(10);
      expect(s.timesteps.length).toBeGreaterThanOrEqual(10);
      let x: Float32Array = new Float32Array(16).fill(s.initNoiseSigma);
      for (const t of s.timesteps) x = s.step(s.scaleModelInput(x, t).map((v) => v * 0.1), t, x, () => new Float32Array(16));
      expect(x.every(Number.isFinite)).toBe(true);
    }
  });

  it('handles a single step like diffusers (Euler: t = 0 from np.linspace(0, 999, 1))', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, cases[0]!.config);
      s.setTimesteps(1);
      expect(s.timesteps.every(Number.isFinite), name).toBe(true);
    }
  });

  it('rejects an unknown sampler with the list of known ones', () => {
    expect(() => createScheduler('heun' as SchedulerName, {})).toThrow(/ddim, euler/);
  });
});
