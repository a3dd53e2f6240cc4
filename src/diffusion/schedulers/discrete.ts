// Shared pieces of the ᾱ-space schedulers (DDIM, PNDM, LCM): "leading" timestep spacing
// and forward noising.
import type { SchedulerConfig } from './config.ts';

/** diffusers' "leading" spacing: multiples of ⌊T/n⌋, descending, plus steps_offset. */
export function leadingTimesteps(config: SchedulerConfig, n: number): number[] {
  const ratio = Math.floor(config.num_train_timesteps / n);
  return Array.from({ length: n }, (_, i) => Math.round((n - 1 - i) * ratio) + config.steps_offset);
}

/** q(x_t | x_0): √ᾱ_t·x_0 + √(1−ᾱ_t)·ε */
export function addNoiseAt(cumprod: Float32Array, clean: Float32Array, noise: Float32Array, t: number): Float32Array {
  const a = cumprod[t]!;
  const [sa, sb] = [Math.sqrt(a), Math.sqrt(1 - a)];
  return Float32Array.from(clean, (x, i) => sa * x + sb * noise[i]!);
}

/** x_0 and ε from the model output, for epsilon or v-prediction models. */
export function predictX0AndEps(config: SchedulerConfig, out: Float32Array, x: Float32Array, alphaProd: number): { x0: Float32Array; eps: Float32Array } {
  const [sa, sb] = [Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd)];
  if (config.prediction_type === 'v_prediction') {
    return { x0: Float32Array.from(x, (v, i) => sa * v - sb * out[i]!), eps: Float32Array.from(x, (v, i) => sa * out[i]! + sb * v) };
  }
  return { x0: Float32Array.from(x, (v, i) => (v - sb * out[i]!) / sa), eps: out };
}
