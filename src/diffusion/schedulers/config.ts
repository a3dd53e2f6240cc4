// Scheduler configuration as diffusers reads scheduler_config.json, with diffusers'
// defaults for missing keys, and the noise schedule (betas → alphas_cumprod) computed in
// float32 as torch does, so timesteps and sigmas match diffusers' to the last digits.

export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trained_betas: number[] | null;
  set_alpha_to_one: boolean;
  steps_offset: number;
  prediction_type: 'epsilon' | 'v_prediction' | 'sample';
  timestep_spacing?: 'leading' | 'linspace' | 'trailing';
}

export const DEFAULT_CONFIG: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  set_alpha_to_one: true,
  steps_offset: 0,
  prediction_type: 'epsilon',
};

/** Keys from a scheduler_config.json (which may name another scheduler class) over defaults. */
export function resolveConfig(raw: Partial<SchedulerConfig> & Record<string, unknown>, overrides: Partial<SchedulerConfig> = {}): SchedulerConfig {
  const config = { ...DEFAULT_CONFIG, ...overrides };
  for (const key of Object.keys(DEFAULT_CONFIG).concat('timestep_spacing') as (keyof SchedulerConfig)[]) {
    if (raw[key] !== undefined && raw[key] !== null) (config as Record<string, unknown>)[key] = raw[key];
    else if (key === 'trained_betas') config.trained_betas = null;
  }
  if (config.prediction_type !== 'epsilon' && config.prediction_type !== 'v_prediction') {
    throw new Error(`prediction_type "${config.prediction_type}" is not supported; SD 1.5 models predict epsilon.`);
  }
  return config;
}

const f = Math.fround;

/** torch.linspace(start, end, n, dtype=float32): the halves are computed from each end. */
function linspaceF32(start: number, end: number, n: number): number[] {
  const [s, e] = [f(start), f(end)];
  const step = f(f(e - s) / (n - 1));
  const half = Math.floor(n / 2);
  return Array.from({ length: n }, (_, i) => (i < half ? f(s + f(step * i)) : f(e - f(step * (n - i - 1)))));
}

export function betas(config: SchedulerConfig): Float32Array {
  const n = config.num_train_timesteps;
  if (config.trained_betas) return Float32Array.from(config.trained_betas);
  switch (config.beta_schedule) {
    case 'linear':
      return Float32Array.from(linspaceF32(config.beta_start, config.beta_end, n));
    case 'scaled_linear':
      return Float32Array.from(linspaceF32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => f(b * b)));
    case 'squaredcos_cap_v2': {
      const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI * 0.5) ** 2;
      return Float32Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
    }
  }
}

/** ∏(1 − β): torch's CPU cumprod accumulates in double and stores float32. */
export function alphasCumprod(config: SchedulerConfig): Float32Array {
  const b = betas(config);
  const out = new Float32Array(b.length);
  let acc = 1;
  for (let i = 0; i < b.length; i++) {
    acc *= f(1 - b[i]!);
    out[i] = acc;
  }
  return out;
}

/** Karras et al. sigmas from σ_k = ((1 − ᾱ)/ᾱ)^½ at each training step. */
export function trainingSigmas(cumprod: Float32Array): Float64Array {
  return Float64Array.from(cumprod, (a) => f(Math.sqrt(f(f(1 - a) / a))));
}

/** np.interp over the integer grid 0…n−1. */
export function interpAtTimesteps(timesteps: number[], values: Float64Array): number[] {
  return timesteps.map((t) => {
    const lo = Math.min(Math.floor(t), values.length - 2);
    const w = t - lo;
    return values[lo]! * (1 - w) + values[lo + 1]! * w;
  });
}
