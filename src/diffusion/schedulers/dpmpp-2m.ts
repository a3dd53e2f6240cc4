// DPM-Solver++(2M) (Lu et al. 2022), multistep second order in x0 space, as diffusers'
// DPMSolverMultistepScheduler with algorithm_type "dpmsolver++", solver_order 2,
// lower_order_final and final_sigmas_type "zero"; optionally on Karras σs.
import { alphasCumprod, interpAtTimesteps, resolveConfig, trainingSigmas, type SchedulerConfig } from './config.ts';
import { addNoiseAt } from './discrete.ts';
import { karrasSigmas, sigmaToT, spacedTimesteps, stepIndexOf } from './sigma-schedule.ts';
import type { Scheduler } from './types.ts';

const f = Math.fround;

/** σ → (α_t, σ_t) of the variance-preserving process. */
function alphaSigma(sigma: number): [number, number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}
const lambda = (sigma: number) => {
  const [a, s] = alphaSigma(sigma);
  return Math.log(a) - Math.log(s);
};

export class DpmppTwoMScheduler implements Scheduler {
  readonly config: SchedulerConfig;
  private readonly cumprod: Float32Array;
  timesteps: number[] = [];
  sigmas: number[] = [];
  readonly initNoiseSigma = 1;
  private stepIndex = 0;
  private previousX0: Float32Array | null = null;

  constructor(
    raw: Record<string, unknown>,
    private readonly karras: boolean,
  ) {
    this.config = resolveConfig(raw);
    this.cumprod = alphasCumprod(this.config);
  }

  setTimesteps(n: number): void {
    const T = this.config.num_train_timesteps;
    // linspace over n + 1 points, rounded, dropping the last (t = 0).
    const linspace = Array.from({ length: n + 1 }, (_, i) => Math.round(((T - 1) * (n - i)) / n)).slice(0, n);
    const timesteps = (this.config.timestep_spacing ?? 'linspace') === 'linspace' ? linspace : spacedTimesteps(this.config, n, 'linspace');
    const train = trainingSigmas(this.cumprod);
    let sigmas: number[];
    if (this.karras) {
      const logSigmas = Float64Array.from(train, Math.log);
      sigmas = karrasSigmas(train[0]!, train[train.length - 1]!, n);
      this.timesteps = sigmas.map((s) => Math.round(sigmaToT(s, logSigmas)));
    } else {
      sigmas = interpAtTimesteps(timesteps, train);
      this.timesteps = timesteps;
    }
    this.sigmas = [...sigmas.map(f), 0];
    this.stepIndex = 0;
    this.previousX0 = null;
  }

  scaleModelInput(x: Float32Array): Float32Array {
    return x;
  }

  step(out: Float32Array, t: number, x: Float32Array): Float32Array {
    const i = stepIndexOf(this.timesteps, t, this.stepIndex);
    const [sigmaS, sigmaT] = [this.sigmas[i]!, this.sigmas[i + 1]!];
    const [alphaS, sS] = alphaSigma(sigmaS);
    const x0 =
      this.config.prediction_type === 'v_prediction'
        ? Float32Array.from(x, (v, k) => alphaS * v - sS * out[k]!)
        : Float32Array.from(x, (v, k) => (v - sS * out[k]!) / alphaS);

    const [alphaT, sT] = alphaSigma(sigmaT);
    const h = lambda(sigmaT) - lambda(sigmaS);
    const expm = alphaT * (Math.exp(-h) - 1);
    const ratio = sT / sS;
    const isLast = i === this.timesteps.length - 1;
    let next: Float32Array;
    if (this.previousX0 === null || isLast) {
      // First order (DPM-Solver++ 1): the first step, and the final step to σ = 0.
      next = Float32Array.from(x, (v, k) => ratio * v - expm * x0[k]!);
    } else {
      const h0 = lambda(sigmaS) - lambda(this.sigmas[i - 1]!);
      const r0 = h0 / h;
      const prev = this.previousX0;
      next = Float32Array.from(x, (v, k) => {
        const d1 = (x0[k]! - prev[k]!) / r0;
        return ratio * v - expm * x0[k]! - 0.5 * expm * d1;
      });
    }
    this.previousX0 = x0;
    this.stepIndex = i + 1;
    return next;
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAt(this.cumprod, clean, noise, Math.round(t));
  }
}
