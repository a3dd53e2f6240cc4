// Shared pieces of the σ-space (k-diffusion style) schedulers: timestep spacing,
// σ(t) interpolation, Karras σ spacing, σ → t, and the input scaling 1/√(σ²+1).
import { alphasCumprod, interpAtTimesteps, trainingSigmas, type SchedulerConfig } from './config.ts';

const f = Math.fround;

export function spacedTimesteps(config: SchedulerConfig, n: number, defaultSpacing: 'linspace' | 'leading'): number[] {
  const T = config.num_train_timesteps;
  const spacing = config.timestep_spacing ?? defaultSpacing;
  // np.linspace(0, T − 1, n)[::-1]; a single step is np.linspace's [0].
  if (spacing === 'linspace') return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : f(((T - 1) * (n - 1 - i)) / (n - 1))));
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    return Array.from({ length: n }, (_, i) => Math.round((n - 1 - i) * ratio) + config.steps_offset);
  }
  const ratio = T / n;
  return Array.from({ length: n }, (_, i) => Math.round(T - i * ratio) - 1);
}

export interface SigmaSchedule {
  timesteps: number[];
  /** n + 1 values, the last one 0. */
  sigmas: number[];
}

/** σ at each timestep by linear interpolation of the training σs (Euler, Euler a). */
export function interpolatedSchedule(config: SchedulerConfig, n: number): SigmaSchedule {
  const timesteps = spacedTimesteps(config, n, 'linspace');
  const train = trainingSigmas(alphasCumprod(config));
  return { timesteps, sigmas: [...interpAtTimesteps(timesteps, train).map(f), 0] };
}

/** Karras et al. (2022) ρ = 7 spacing between the training σ range's ends. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const [minInv, maxInv] = [sigmaMin ** (1 / rho), sigmaMax ** (1 / rho)];
  return Array.from({ length: n }, (_, i) => (maxInv + (n === 1 ? 0 : i / (n - 1)) * (minInv - maxInv)) ** rho);
}

/** The (fractional) training timestep whose log σ matches, by piecewise-linear interpolation. */
export function sigmaToT(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const [lo, hi] = [logSigmas[low]!, logSigmas[low + 1]!];
  const w = Math.min(Math.max((lo - logSigma) / (lo - hi), 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/**
 * Which step a timestep is, for schedulers that are called with t: the current step when it is
 * that timestep (a schedule may repeat one, as diffusers' _init_step_index allows for), else its first match.
 */
export function stepIndexOf(timesteps: readonly number[], t: number, current: number): number {
  if (timesteps[current] === t) return current;
  const i = timesteps.indexOf(t);
  if (i < 0) throw new Error(`timestep ${t} is not in this schedule`);
  return i;
}
