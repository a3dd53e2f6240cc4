// The scheduler's steps as op graphs on a runtime (onnxruntime-node here, the same graphs run
// on WebGPU in the studio), against diffusers 0.27.2's own trajectories: every sampler's
// final sample within 1e-4, with the ε history and previous x0 kept on the device.
import { describe, expect, it } from 'vitest';
import { nodeOps } from '../cli/node-runtime.ts';
import { DeviceStepper } from './device-stepper.ts';
import { createScheduler, type SchedulerName } from './schedulers/index.ts';
import { sharedJson } from '../test/shared-data.ts';

interface Case {
  name: string;
  config: Record<string, unknown>;
  num_inference_steps: number;
  initial_sample: number[];
  step_noise: number[][];
  final_sample: number[];
}
const { cases } = sharedJson<{ cases: Case[] }>('reference', 'schedulers.json');

describe('scheduler steps on the device', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s matches diffusers', async (_, c) => {
    const ops = nodeOps();
    const s = createScheduler(c.name.replace(/-\d+$/, '') as SchedulerName, c.config);
    s.setTimesteps(c.num_inference_steps);
    const dims = [1, 4, 1, c.initial_sample.length / 4];
    const stepper = new DeviceStepper(ops);
    let x = await ops.upload({ type: 'float32', dims, data: Float32Array.from(c.initial_sample) });
    let noiseIndex = 0;
    for (const t of s.timesteps) {
      // The reference's model: eps = 0.5·x_in·cos(t/1000) + 0.1·sin(i/7), x_in scaled on the device.
      const xIn = (await (await ops.modelInput(x, s.inputScale(t), 1, 'float32')).download()).data as Float32Array;
      const eps = await ops.upload({ type: 'float32', dims, data: Float32Array.from(xIn, (v, i) => 0.5 * v * Math.cos(t / 1000) + 0.1 * Math.sin(i / 7)) });
      x = await stepper.step(s.plan(t), x, eps, () => ops.upload({ type: 'float32', dims, data: Float32Array.from(c.step_noise[noiseIndex++]!) }));
    }
    const final = (await x.download()).data as Float32Array;
    stepper.dispose();
    expect(noiseIndex).toBe(c.step_noise.length);
    const maxRef = Math.max(...c.final_sample.map(Math.abs));
    const maxDiff = Math.max(...c.final_sample.map((v, i) => Math.abs(v - final[i]!)));
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
  });
});
