// Where a graph's weights come from: a seeded generator (the tiny and full-size sets) or a
// checkpoint. A checkpoint source maps each diffusers name to its key in the file, checks
// every shape before anything is written, reads one tensor at a time, and counts what it
// gave out, so each stored tensor is used exactly once and the rest can be named.
import { CheckpointError } from './errors.ts';
import type { Init, ParamRequest } from './model-graph.ts';
import { numel, toFloat32, type StoredTensor, type TensorMap } from './stored-tensor.ts';

export type ParamValues = { dtype: 'float32'; data: Float32Array } | { dtype: 'float16'; data: Uint16Array };

export interface WeightSource {
  /** What this source cannot give for these parameters (missing, or a shape that does not fit); empty when all is well. */
  problems(params: readonly ParamRequest[]): string[];
  /** The parameter's values in its diffusers shape (fp16 stays fp16 bits; other types become fp32). */
  read(param: ParamRequest): Promise<ParamValues>;
}

/** Deterministic weights: mulberry32 + Box–Muller, so every run writes identical bytes. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

/** Seeded weights drawn in the order the graph asks for them. */
export class RandomWeights implements WeightSource {
  private readonly rng: SeededRandom;
  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
  }
  problems(): string[] {
    return [];
  }
  async read(param: ParamRequest): Promise<ParamValues> {
    const data = new Float32Array(numel(param.shape));
    const init: Init = param.init;
    for (let i = 0; i < data.length; i++) {
      switch (init.kind) {
        case 'fan-in':
          data[i] = (this.rng.normal() * (init.gain ?? 1)) / Math.sqrt(init.fanIn);
          break;
        case 'normal':
          data[i] = this.rng.normal() * init.std;
          break;
        case 'gamma':
          data[i] = 1 + 0.1 * this.rng.normal();
          break;
        case 'constant':
          data[i] = init.value;
          break;
      }
    }
    return { dtype: 'float32', data };
  }
}

/** A checkpoint's tensors and which of them have been used (shared by the graphs built from one file). */
export class Checkpoint {
  private readonly used = new Map<string, number>();
  constructor(
    /** For messages: "model.safetensors", or a folder name. */
    readonly label: string,
    readonly tensors: TensorMap,
  ) {}

  take(key: string): StoredTensor {
    const t = this.tensors.get(key);
    if (!t) throw new CheckpointError(`${this.label} has no tensor ${key}.`);
    const count = (this.used.get(key) ?? 0) + 1;
    // A tensor read twice means two graph weights map to one key: a mapping bug, never a file problem.
    if (count > 1) throw new Error(`${key} of ${this.label} was used twice`);
    this.used.set(key, count);
    return t;
  }

  /** Marks a tensor as accounted for without building a weight from it (checked buffers such as position_ids). */
  accountFor(key: string): void {
    if (this.tensors.has(key)) this.used.set(key, (this.used.get(key) ?? 0) + 1);
  }

  unused(): string[] {
    return [...this.tensors.keys()].filter((k) => !this.used.has(k)).sort();
  }
}

/** Shapes fit when equal, or equal apart from trailing unit axes (a 1×1 conv stored where a Linear is read, or back). */
export function shapesFit(stored: readonly number[], wanted: readonly number[]): boolean {
  const trim = (s: readonly number[]) => {
    const out = [...s];
    while (out.length > 2 && out[out.length - 1] === 1) out.pop();
    return out.join('x');
  };
  return trim(stored) === trim(wanted);
}

/** A graph's weights from a checkpoint: `keyFor` maps a diffusers name to the file's key(s), first match wins. */
export class CheckpointWeights implements WeightSource {
  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly keyFor: (name: string) => string[],
  ) {}

  private find(name: string): string | null {
    return this.keyFor(name).find((k) => this.checkpoint.tensors.has(k)) ?? null;
  }

  problems(params: readonly ParamRequest[]): string[] {
    const out: string[] = [];
    for (const p of params) {
      const key = this.find(p.name);
      if (!key) {
        out.push(`missing ${this.keyFor(p.name)[0]} (${p.name})`);
        continue;
      }
      const t = this.checkpoint.tensors.get(key)!;
      if (!shapesFit(t.shape, p.shape)) out.push(`${key} is [${t.shape.join(', ')}], the graph needs [${p.shape.join(', ')}]`);
      else if (!['float16', 'bfloat16', 'float32', 'float64'].includes(t.dtype)) out.push(`${key} is ${t.dtype}, not a float tensor`);
    }
    return out;
  }

  async read(param: ParamRequest): Promise<ParamValues> {
    const key = this.find(param.name);
    if (!key) throw new CheckpointError(`${this.checkpoint.label} has no tensor for ${param.name}.`);
    const t = this.checkpoint.take(key);
    const bytes = await t.bytes();
    if (t.dtype === 'float16') {
      const copy = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
      return { dtype: 'float16', data: new Uint16Array(copy.buffer, copy.byteOffset, copy.byteLength / 2) };
    }
    return { dtype: 'float32', data: toFloat32(t.dtype, bytes) };
  }
}
