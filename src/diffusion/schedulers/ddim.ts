// DDIM (Song et al.) with η = 0, as diffusers' DDIMScheduler.
import { AlphaScheduler, leadingTimesteps, x0AndEpsTerms } from './discrete.ts';
import { combine } from './terms.ts';
import type { StepPlan } from './types.ts';

export class DdimScheduler extends AlphaScheduler {
  protected readonly label = 'DDIM';
  private stepsCount = 0;

  setTimesteps(n: number): void {
    this.stepsCount = n;
    this.timesteps = leadingTimesteps(this.config, n);
    this.resetKept();
  }

  plan(t: number): StepPlan {
    const alphaPrev = this.alphaAt(t - Math.floor(this.config.num_train_timesteps / this.stepsCount));
    const { x0, eps } = x0AndEpsTerms(this.config, this.cumprod[t]!);
    return { compute: [{ name: 'next', terms: combine([Math.sqrt(alphaPrev), x0], [Math.sqrt(1 - alphaPrev), eps]) }], next: 'next', keep: {}, noise: false };
  }
}
