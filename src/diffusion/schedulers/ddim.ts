// DDIM (Song et al.) with η = 0, as diffusers' DDIMScheduler.
import { AlphaScheduler, leadingTimesteps, predictX0AndEps } from './discrete.ts';
import { axpby, type Scheduler } from './types.ts';

export class DdimScheduler extends AlphaScheduler implements Scheduler {
  private stepsCount = 0;

  setTimesteps(n: number): void {
    this.stepsCount = n;
    this.timesteps = leadingTimesteps(this.config, n);
  }

  step(out: Float32Array, t: number, x: Float32Array): Float32Array {
    const alphaPrev = this.alphaAt(t - Math.floor(this.config.num_train_timesteps / this.stepsCount));
    const { x0, eps } = predictX0AndEps(this.config, out, x, this.cumprod[t]!);
    return axpby(Math.sqrt(alphaPrev), x0, Math.sqrt(1 - alphaPrev), eps);
  }
}
