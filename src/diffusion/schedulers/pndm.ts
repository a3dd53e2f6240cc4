// PNDM in its PLMS form (skip_prk_steps, SD 1.5's default): a 4th-order linear multistep
// method over ε, as diffusers' PNDMScheduler.step_plms.
import { AlphaScheduler, leadingTimesteps } from './discrete.ts';
import type { Scheduler } from './types.ts';

export class PndmScheduler extends AlphaScheduler implements Scheduler {
  private stepsCount = 0;
  private ets: Float32Array[] = [];
  private counter = 0;
  private curSample: Float32Array | null = null;

  constructor(raw: Record<string, unknown>) {
    super(raw);
    if (raw.skip_prk_steps === false) throw new Error('PNDM with Runge–Kutta warm-up steps (skip_prk_steps: false) is not supported.');
  }

  setTimesteps(n: number): void {
    this.stepsCount = n;
    const ascending = leadingTimesteps(this.config, n).reverse();
    // PLMS repeats the second-to-last training timestep: its first step is a 2-stage warm-up.
    this.timesteps = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)].reverse();
    this.ets = [];
    this.counter = 0;
    this.curSample = null;
  }

  step(eps: Float32Array, t: number, x: Float32Array): Float32Array {
    const ratio = Math.floor(this.config.num_train_timesteps / this.stepsCount);
    let prevT = t - ratio;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(eps);
    } else {
      prevT = t;
      t = t + ratio;
    }
    let e: Float32Array;
    let sample = x;
    const n = this.ets.length;
    const et = (k: number) => this.ets[n - k]!;
    if (n === 1 && this.counter === 0) {
      e = eps;
      this.curSample = x;
    } else if (n === 1 && this.counter === 1) {
      e = Float32Array.from(eps, (v, i) => (v + et(1)[i]!) / 2);
      sample = this.curSample!;
      this.curSample = null;
    } else if (n === 2) {
      e = Float32Array.from(eps, (_, i) => (3 * et(1)[i]! - et(2)[i]!) / 2);
    } else if (n === 3) {
      e = Float32Array.from(eps, (_, i) => (23 * et(1)[i]! - 16 * et(2)[i]! + 5 * et(3)[i]!) / 12);
    } else {
      e = Float32Array.from(eps, (_, i) => (55 * et(1)[i]! - 59 * et(2)[i]! + 37 * et(3)[i]! - 9 * et(4)[i]!) / 24);
    }
    this.counter++;
    return this.prevSample(sample, t, prevT, e);
  }

  /** Formula (9) of the PNDM paper. */
  private prevSample(x: Float32Array, t: number, prevT: number, eps: Float32Array): Float32Array {
    const a = this.cumprod[t]!;
    const aPrev = this.alphaAt(prevT);
    const [b, bPrev] = [1 - a, 1 - aPrev];
    let e = eps;
    if (this.config.prediction_type === 'v_prediction') e = Float32Array.from(eps, (v, i) => Math.sqrt(a) * v + Math.sqrt(b) * x[i]!);
    const sampleCoeff = Math.sqrt(aPrev / a);
    const denom = a * Math.sqrt(bPrev) + Math.sqrt(a * b * aPrev);
    return Float32Array.from(x, (v, i) => sampleCoeff * v - ((aPrev - a) * e[i]!) / denom);
  }
}
