// Euler's method in σ space (Karras et al. Algorithm 2 without churn), as diffusers'
// EulerDiscreteScheduler; `ancestral` turns it into Euler a (EulerAncestralDiscreteScheduler),
// which adds fresh noise σ_up at every step.
import { resolveConfig, type SchedulerConfig } from './config.ts';
import { interpolatedSchedule, scaleBySigma, stepIndexOf } from './sigma-schedule.ts';
import { drawNoise, type Scheduler, type StepNoise } from './types.ts';

export class EulerScheduler implements Scheduler {
  readonly config: SchedulerConfig;
  timesteps: number[] = [];
  sigmas: number[] = [];
  private stepIndex = 0;

  constructor(
    raw: Record<string, unknown>,
    private readonly ancestral = false,
  ) {
    this.config = resolveConfig(raw);
  }

  setTimesteps(n: number): void {
    ({ timesteps: this.timesteps, sigmas: this.sigmas } = interpolatedSchedule(this.config, n));
    this.stepIndex = 0;
  }

  /** diffusers 0.27: σ_max for linspace/trailing spacing, √(σ_max²+1) for leading. */
  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    return (this.config.timestep_spacing ?? 'linspace') === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  scaleModelInput(x: Float32Array, t: number): Float32Array {
    return scaleBySigma(x, this.sigmas[this.indexOf(t)]!);
  }

  step(out: Float32Array, t: number, x: Float32Array, noise?: StepNoise): Float32Array {
    const i = this.indexOf(t);
    this.stepIndex = i + 1;
    const [sigma, sigmaNext] = [this.sigmas[i]!, this.sigmas[i + 1]!];
    // ε-prediction: x0 = x − σ·ε, so the ODE derivative (x − x0)/σ is ε itself.
    const derivative = this.config.prediction_type === 'v_prediction' ? this.vDerivative(out, x, sigma) : out;
    if (!this.ancestral) return Float32Array.from(x, (v, k) => v + derivative[k]! * (sigmaNext - sigma));
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaNext ** 2 - sigmaUp ** 2);
    const z = drawNoise(noise, 'Euler a');
    return Float32Array.from(x, (v, k) => v + derivative[k]! * (sigmaDown - sigma) + z[k]! * sigmaUp);
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    const sigma = this.sigmas[this.indexOf(t)]!;
    return Float32Array.from(clean, (v, k) => v + noise[k]! * sigma);
  }

  private vDerivative(v: Float32Array, x: Float32Array, sigma: number): Float32Array {
    const c = 1 / (sigma * sigma + 1);
    return Float32Array.from(x, (s, k) => (s - (v[k]! * (-sigma / Math.sqrt(sigma * sigma + 1)) + s * c)) / sigma);
  }

  private indexOf(t: number): number {
    return stepIndexOf(this.timesteps, t, this.stepIndex);
  }
}
