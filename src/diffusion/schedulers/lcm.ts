// Latent Consistency Model multistep sampling (diffusers' LCMScheduler): each step
// predicts the denoised sample through the consistency boundary condition, then
// re-noises it to the next timestep (with fresh noise, except after the last step).
import { AlphaScheduler, x0AndEpsTerms } from './discrete.ts';
import { stepIndexOf } from './sigma-schedule.ts';
import { combine, only } from './terms.ts';
import type { StepPlan } from './types.ts';

const SIGMA_DATA = 0.5;

export class LcmScheduler extends AlphaScheduler {
  protected readonly label = 'LCM';
  private readonly originalSteps: number;
  private readonly timestepScaling: number;
  private stepIndex = 0;

  constructor(raw: Record<string, unknown>) {
    super(raw);
    this.originalSteps = typeof raw.original_inference_steps === 'number' ? raw.original_inference_steps : 50;
    this.timestepScaling = typeof raw.timestep_scaling === 'number' ? raw.timestep_scaling : 10;
  }

  setTimesteps(n: number): void {
    const k = Math.floor(this.config.num_train_timesteps / this.originalSteps);
    // The LCM training schedule, k·i − 1, descending; n of its entries, evenly spaced.
    const origin = Array.from({ length: this.originalSteps }, (_, i) => (this.originalSteps - i) * k - 1);
    if (n > origin.length) throw new Error(`LCM can take at most ${origin.length} steps.`);
    this.timesteps = Array.from({ length: n }, (_, i) => origin[Math.floor((i * origin.length) / n)]!);
    this.stepIndex = 0;
    this.resetKept();
  }

  plan(t: number): StepPlan {
    const i = stepIndexOf(this.timesteps, t, this.stepIndex);
    const isLast = i === this.timesteps.length - 1;
    const prevT = isLast ? t : this.timesteps[i + 1]!;
    this.stepIndex = i + 1;
    const alphaPrev = this.alphaAt(prevT);
    const scaled = t * this.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + SIGMA_DATA ** 2);
    const denoised = combine([cOut, x0AndEpsTerms(this.config, this.cumprod[t]!).x0], [cSkip, only('x')]);
    // Re-noised to the next timestep, except after the last step.
    if (isLast) return { compute: [{ name: 'next', terms: denoised }], next: 'next', keep: {}, noise: false };
    return { compute: [{ name: 'next', terms: combine([Math.sqrt(alphaPrev), denoised], [Math.sqrt(1 - alphaPrev), only('noise')]) }], next: 'next', keep: {}, noise: true };
  }
}
