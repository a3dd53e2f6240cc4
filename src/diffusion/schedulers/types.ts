// The scheduler interface: math only. The random source for ancestral steps is passed
// in, either as the noise itself or as a thunk that draws it only when a step needs it
// (so the generator stream stays aligned with diffusers').

export type StepNoise = Float32Array | (() => Float32Array);

export interface Scheduler {
  /** Set the schedule for n inference steps (resets any multistep state). */
  setTimesteps(n: number): void;
  readonly timesteps: number[];
  /** σ per step plus the final one, for sigma-space schedulers; null otherwise. */
  readonly sigmas: number[] | null;
  /** Multiply the initial N(0, I) latents by this. */
  readonly initNoiseSigma: number;
  scaleModelInput(x: Float32Array, t: number): Float32Array;
  /** One denoising step: the sample at the next (lower-noise) timestep. */
  step(eps: Float32Array, t: number, x: Float32Array, noise?: StepNoise): Float32Array;
  /** Noise the clean latents to timestep t (img2img start). */
  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array;
}

export function drawNoise(noise: StepNoise | undefined, scheduler: string): Float32Array {
  if (!noise) throw new Error(`${scheduler} is an ancestral sampler: step() needs noise.`);
  return typeof noise === 'function' ? noise() : noise;
}

/** out[i] = a·x[i] + b·y[i] */
export function axpby(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i]! + b * y[i]!;
  return out;
}

export function scale(x: Float32Array, s: number): Float32Array {
  return Float32Array.from(x, (v) => v * s);
}
