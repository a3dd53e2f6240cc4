// PNDM in its PLMS form (skip_prk_steps, SD 1.5's default): a 4th-order linear multistep
// method over ε, as diffusers' PNDMScheduler.step_plms. The ε history is kept as "et1"
// (newest) … "et4"; the first step's sample as "firstSample" for the repeated second step.
import { AlphaScheduler, leadingTimesteps } from './discrete.ts';
import { combine, only } from './terms.ts';
import type { StepPlan, Term } from './types.ts';

/** Adams–Bashforth weights over ε history of length n (newest first), as step_plms has them. */
const MULTISTEP: Record<number, number[]> = { 1: [1], 2: [3 / 2, -1 / 2], 3: [23 / 12, -16 / 12, 5 / 12], 4: [55 / 24, -59 / 24, 37 / 24, -9 / 24] };

export class PndmScheduler extends AlphaScheduler {
  protected readonly label = 'PLMS';
  private stepsCount = 0;
  /** How many ε the history holds (at most 4). */
  private history = 0;
  private counter = 0;

  constructor(raw: Record<string, unknown>) {
    super(raw);
    if (raw.skip_prk_steps === false) throw new Error('PNDM with Runge–Kutta warm-up steps (skip_prk_steps: false) is not supported.');
  }

  setTimesteps(n: number): void {
    this.stepsCount = n;
    const ascending = leadingTimesteps(this.config, n).reverse();
    // PLMS repeats the second-to-last training timestep: its first step is a 2-stage warm-up.
    this.timesteps = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)].reverse();
    this.history = 0;
    this.counter = 0;
    this.resetKept();
  }

  plan(t: number): StepPlan {
    const ratio = Math.floor(this.config.num_train_timesteps / this.stepsCount);
    let prevT = t - ratio;
    const keep: Record<string, string> = {};
    let e: Term[];
    let sample = 'x';
    if (this.counter === 1) {
      // The warm-up's second stage: the same step again, from the first sample, with ε averaged.
      prevT = t;
      t = t + ratio;
      e = combine([0.5, only('out')], [0.5, only('et1')]);
      sample = 'firstSample';
      keep.et1 = 'et1';
    } else {
      // The newest ε joins the history: et1 ← out, et2 ← et1, …
      this.history = Math.min(this.history + 1, 4);
      const newestFirst = ['out', 'et1', 'et2', 'et3'].slice(0, this.history);
      newestFirst.forEach((name, k) => (keep[`et${k + 1}`] = name));
      e = MULTISTEP[this.history]!.map((w, k) => [w, newestFirst[k]!] as const);
      if (this.counter === 0) keep.firstSample = 'x';
    }
    this.counter++;
    return { compute: [{ name: 'next', terms: this.prevSample(sample, t, prevT, e) }], next: 'next', keep, noise: false };
  }

  /** Formula (9) of the PNDM paper, as a weighted sum of `sample` and the ε terms. */
  private prevSample(sample: string, t: number, prevT: number, eps: Term[]): Term[] {
    const a = this.cumprod[t]!;
    const aPrev = this.alphaAt(prevT);
    const [b, bPrev] = [1 - a, 1 - aPrev];
    // v-prediction: the model output is v; ε = √ᾱ·v + √(1−ᾱ)·sample.
    const e = this.config.prediction_type === 'v_prediction' ? combine([Math.sqrt(a), eps], [Math.sqrt(b), only(sample)]) : eps;
    const denom = a * Math.sqrt(bPrev) + Math.sqrt(a * b * aPrev);
    return combine([Math.sqrt(aPrev / a), only(sample)], [-(aPrev - a) / denom, e]);
  }
}
