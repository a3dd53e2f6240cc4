// DDIM (Song et al.) with η = 0, as diffusers' DDIMScheduler.
import { alphasCumprod, resolveConfig, type SchedulerConfig } from './config.ts';
import { addNoiseAt, leadingTimesteps, predictX0AndEps } from './discrete.ts';
import { axpby, type Scheduler } from './types.ts';

export class DdimScheduler implements Scheduler {
  readonly config: SchedulerConfig;
  private readonly cumprod: Float32Array;
  private readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  readonly sigmas = null;
  readonly initNoiseSigma = 1;
  private stepsCount = 0;

  constructor(raw: Record<string, unknown>) {
    this.config = resolveConfig(raw);
    this.cumprod = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.cumprod[0]!;
  }

  setTimesteps(n: number): void {
    this.stepsCount = n;
    this.timesteps = leadingTimesteps(this.config, n);
  }

  scaleModelInput(x: Float32Array): Float32Array {
    return x;
  }

  step(out: Float32Array, t: number, x: Float32Array): Float32Array {
    const prevT = t - Math.floor(this.config.num_train_timesteps / this.stepsCount);
    const alphaProd = this.cumprod[t]!;
    const alphaPrev = prevT >= 0 ? this.cumprod[prevT]! : this.finalAlphaCumprod;
    const { x0, eps } = predictX0AndEps(this.config, out, x, alphaProd);
    return axpby(Math.sqrt(alphaPrev), x0, Math.sqrt(1 - alphaPrev), eps);
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAt(this.cumprod, clean, noise, t);
  }
}
