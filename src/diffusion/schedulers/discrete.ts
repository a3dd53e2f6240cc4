// Shared pieces of the ᾱ-space schedulers (DDIM, PNDM, LCM): "leading" timestep spacing
// and forward noising.
import { alphasCumprod, resolveConfig, type SchedulerConfig } from './config.ts';
import { PlannedScheduler, type Term } from './types.ts';

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

/** x_0 and ε as weighted sums of the sample and the model output, for ε- or v-prediction models. */
export function x0AndEpsTerms(config: SchedulerConfig, alphaProd: number): { x0: Term[]; eps: Term[] } {
  const [sa, sb] = [Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd)];
  if (config.prediction_type === 'v_prediction') {
    return {
      x0: [
        [sa, 'x'],
        [-sb, 'out'],
      ],
      eps: [
        [sb, 'x'],
        [sa, 'out'],
      ],
    };
  }
  return {
    x0: [
      [1 / sa, 'x'],
      [-sb / sa, 'out'],
    ],
    eps: [[1, 'out']],
  };
}

/** What DDIM, PNDM and LCM share: the config, ᾱ by training step, ᾱ before step 0, no input scaling. */
export abstract class AlphaScheduler extends PlannedScheduler {
  readonly config: SchedulerConfig;
  protected readonly cumprod: Float32Array;
  /** ᾱ "before" t = 0: 1 with set_alpha_to_one, else ᾱ_0. */
  protected readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  readonly sigmas = null;
  readonly initNoiseSigma = 1;

  constructor(raw: Record<string, unknown>) {
    super();
    this.config = resolveConfig(raw);
    this.cumprod = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.cumprod[0]!;
  }

  protected alphaAt(t: number): number {
    return t >= 0 ? this.cumprod[t]! : this.finalAlphaCumprod;
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAt(this.cumprod, clean, noise, t);
  }
}
