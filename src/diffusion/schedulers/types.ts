// The scheduler interface: math only. Every sampler's step is elementwise and linear in the
// tensors it reads (the sample, the model output, fresh noise, what earlier steps kept), with
// per-step scalars, so a scheduler describes each step as a StepPlan: weighted sums over
// named tensors. The same plan runs here on Float32Arrays (checked against diffusers) and on
// the device as small op graphs (pipeline), so the denoising loop needs no readback.

export type StepNoise = Float32Array | (() => Float32Array);

/** coefficient · tensor */
export type Term = readonly [coefficient: number, tensor: string];

/**
 * One step as weighted sums. Tensors a plan can read: "x" (the sample), "out" (the model's
 * output), "noise" (fresh N(0, I), when `noise` is set) and what earlier plans kept.
 */
export interface StepPlan {
  /** New tensors, in order; an entry may read the ones before it. */
  compute: { name: string; terms: Term[] }[];
  /** The tensor that is the next sample. */
  next: string;
  /** What later steps read: kept name → a tensor of this step. Everything else is dropped. */
  keep: Record<string, string>;
  noise: boolean;
}

export interface Scheduler {
  /** Set the schedule for n inference steps (resets any multistep state). */
  setTimesteps(n: number): void;
  readonly timesteps: number[];
  /** σ per step plus the final one, for sigma-space schedulers; null otherwise. */
  readonly sigmas: number[] | null;
  /** Multiply the initial N(0, I) latents by this. */
  readonly initNoiseSigma: number;
  /** The factor the sample is multiplied by before the model sees it. */
  inputScale(t: number): number;
  scaleModelInput(x: Float32Array, t: number): Float32Array;
  /** The step at t as weighted sums; advances the scheduler (call once per step). */
  plan(t: number): StepPlan;
  /** One denoising step on the CPU: the sample at the next (lower-noise) timestep. */
  step(out: Float32Array, t: number, x: Float32Array, noise?: StepNoise): Float32Array;
  /** Noise the clean latents to timestep t (img2img start). */
  addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** Σ coefficient·tensor, elementwise. */
export function weightedSum(terms: readonly Term[], tensors: ReadonlyMap<string, Float32Array>): Float32Array {
  const first = tensors.get(terms[0]![1])!;
  const out = new Float32Array(first.length);
  for (const [c, name] of terms) {
    const t = tensors.get(name);
    if (!t) throw new Error(`step plan reads "${name}", which this step does not have`);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + c * t[i]!;
  }
  return out;
}

/** The schedulers' shared half: plan() per sampler; step() runs the plan on the CPU, keeping what it keeps. */
export abstract class PlannedScheduler implements Scheduler {
  abstract readonly timesteps: number[];
  abstract readonly sigmas: number[] | null;
  abstract readonly initNoiseSigma: number;
  abstract setTimesteps(n: number): void;
  abstract plan(t: number): StepPlan;
  abstract addNoise(clean: Float32Array, noise: Float32Array, t: number): Float32Array;
  /** A sampler's name, for errors. */
  protected abstract readonly label: string;
  private kept = new Map<string, Float32Array>();

  inputScale(_t: number): number {
    return 1;
  }

  scaleModelInput(x: Float32Array, t: number): Float32Array {
    const s = this.inputScale(t);
    return s === 1 ? x : Float32Array.from(x, (v) => v * s);
  }

  /** Call from setTimesteps: a new schedule starts with nothing kept. */
  protected resetKept(): void {
    this.kept = new Map();
  }

  step(out: Float32Array, t: number, x: Float32Array, noise?: StepNoise): Float32Array {
    const plan = this.plan(t);
    const tensors = new Map([...this.kept, ['x', x], ['out', out]]);
    if (plan.noise) tensors.set('noise', drawNoise(noise, this.label));
    for (const { name, terms } of plan.compute) tensors.set(name, weightedSum(terms, tensors));
    this.kept = new Map(Object.entries(plan.keep).map(([keptName, name]) => [keptName, tensors.get(name)!]));
    return tensors.get(plan.next)!;
  }
}

export function drawNoise(noise: StepNoise | undefined, scheduler: string): Float32Array {
  if (!noise) throw new Error(`${scheduler} is an ancestral sampler: step() needs noise.`);
  return typeof noise === 'function' ? noise() : noise;
}
