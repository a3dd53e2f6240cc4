// DPM-Solver++(2M) (Lu et al. 2022), multistep second order in x0 space, as diffusers'
// DPMSolverMultistepScheduler with algorithm_type "dpmsolver++", solver_order 2,
// lower_order_final and final_sigmas_type "zero"; optionally on Karras σs.
import { alphasCumprod, interpAtTimesteps, resolveConfig, trainingSigmas, type SchedulerConfig } from './config.ts';
import { addNoiseAt } from './discrete.ts';
import { karrasSigmas, sigmaToT, spacedTimesteps, stepIndexOf } from './sigma-schedule.ts';
import { combine, only } from './terms.ts';
import { PlannedScheduler, type StepPlan, type Term } from './types.ts';

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

export class DpmppTwoMScheduler extends PlannedScheduler {
  readonly config: SchedulerConfig;
  private readonly cumprod: Float32Array;
  timesteps: number[] = [];
  sigmas: number[] = [];
  readonly initNoiseSigma = 1;
  private stepIndex = 0;
  /** Steps taken since setTimesteps: the first is first order (there is no previous x0 yet). */
  private taken = 0;

  constructor(
    raw: Record<string, unknown>,
    private readonly karras: boolean,
  ) {
    super();
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
    this.taken = 0;
    this.resetKept();
  }

  protected get label() {
    return this.karras ? 'DPM++ 2M Karras' : 'DPM++ 2M';
  }

  plan(t: number): StepPlan {
    const i = stepIndexOf(this.timesteps, t, this.stepIndex);
    const [sigmaS, sigmaT] = [this.sigmas[i]!, this.sigmas[i + 1]!];
    const [alphaS, sS] = alphaSigma(sigmaS);
    const x0: Term[] =
      this.config.prediction_type === 'v_prediction'
        ? [
            [alphaS, 'x'],
            [-sS, 'out'],
          ]
        : [
            [1 / alphaS, 'x'],
            [-sS / alphaS, 'out'],
          ];
    const [alphaT, sT] = alphaSigma(sigmaT);
    const h = lambda(sigmaT) - lambda(sigmaS);
    const expm = alphaT * (Math.exp(-h) - 1);
    const ratio = sT / sS;
    const isLast = i === this.timesteps.length - 1;
    let next: Term[];
    if (this.taken === 0 || isLast) {
      // First order (DPM-Solver++ 1): the first step, and the final step to σ = 0.
      next = combine([ratio, only('x')], [-expm, only('x0')]);
    } else {
      // − expm·x0 − ½·expm·(x0 − x0_prev)/r0
      const r0 = (lambda(sigmaS) - lambda(this.sigmas[i - 1]!)) / h;
      next = combine([ratio, only('x')], [-expm - (0.5 * expm) / r0, only('x0')], [(0.5 * expm) / r0, only('previousX0')]);
    }
    this.stepIndex = i + 1;
    this.taken++;
    return {
      compute: [
        { name: 'x0', terms: x0 },
        { name: 'next', terms: next },
      ],
      next: 'next',
      keep: { previousX0: 'x0' },
      noise: false,
    };
  }

  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAt(this.cumprod, clean, noise, Math.round(t));
  }
}
