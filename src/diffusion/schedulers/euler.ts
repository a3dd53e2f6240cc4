// Euler's method in σ space (Karras et al. Algorithm 2 without churn), as diffusers'
// EulerDiscreteScheduler; `ancestral` turns it into Euler a (EulerAncestralDiscreteScheduler),
// which adds fresh noise σ_up at every step.
import { resolveConfig, type SchedulerConfig } from './config.ts';
import { interpolatedSchedule, stepIndexOf } from './sigma-schedule.ts';
import { combine, only } from './terms.ts';
import { PlannedScheduler, type StepPlan, type Term } from './types.ts';

export class EulerScheduler extends PlannedScheduler {
  readonly config: SchedulerConfig;
  timesteps: number[] = [];
  sigmas: number[] = [];
  private stepIndex = 0;

  constructor(
    raw: Record<string, unknown>,
    private readonly ancestral = false,
  ) {
    super();
    this.config = resolveConfig(raw);
  }

  protected get label() {
    return this.ancestral ? 'Euler a' : 'Euler';
  }

  setTimesteps(n: number): void {
    ({ timesteps: this.timesteps, sigmas: this.sigmas } = interpolatedSchedule(this.config, n));
    this.stepIndex = 0;
    this.resetKept();
  }

  /** diffusers 0.27: σ_max for linspace/trailing spacing, √(σ_max²+1) for leading. */
  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    return (this.config.timestep_spacing ?? 'linspace') === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  /** x / √(σ² + 1): the k-diffusion input scaling. */
  override inputScale(t: number): number {
    const sigma = this.sigmas[this.indexOf(t)]!;
    return 1 / Math.sqrt(sigma * sigma + 1);
  }

  plan(t: number): StepPlan {
    const i = this.indexOf(t);
    this.stepIndex = i + 1;
    const [sigma, sigmaNext] = [this.sigmas[i]!, this.sigmas[i + 1]!];
    const derivative = this.derivative(sigma);
    if (!this.ancestral) return { compute: [{ name: 'next', terms: combine([1, only('x')], [sigmaNext - sigma, derivative]) }], next: 'next', keep: {}, noise: false };
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaNext ** 2 - sigmaUp ** 2);
    return { compute: [{ name: 'next', terms: combine([1, only('x')], [sigmaDown - sigma, derivative], [sigmaUp, only('noise')]) }], next: 'next', keep: {}, noise: true };
  }

  /** The ODE derivative (x − x0)/σ: ε itself for ε-prediction; from x0 = c_out·v + c_skip·x for v-prediction. */
  private derivative(sigma: number): Term[] {
    if (this.config.prediction_type !== 'v_prediction') return only('out');
    const c = 1 / (sigma * sigma + 1);
    return [
      [(1 - c) / sigma, 'x'],
      [1 / Math.sqrt(sigma * sigma + 1), 'out'],
    ];
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    const sigma = this.sigmas[this.indexOf(t)]!;
    return Float32Array.from(clean, (v, k) => v + noise[k]! * sigma);
  }

  private indexOf(t: number): number {
    return stepIndexOf(this.timesteps, t, this.stepIndex);
  }
}
