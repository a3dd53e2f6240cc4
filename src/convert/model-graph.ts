// A graph under construction whose weights are named, not yet filled: each layer asks for its
// parameters by their diffusers name and shape ("down_blocks.0.resnets.1.conv1.weight",
// [320, 320, 3, 3]). The bytes stream in afterwards from a weight source — a checkpoint, or a
// seeded generator that uses the `init` hint — one tensor at a time (write-graph.ts).
import { GraphBuilder, type ElemType, type FloatType } from '../models/onnx-graph.ts';

/** How a seeded generator fills a parameter (a checkpoint ignores it). */
export type Init =
  /** N(0, (gain/√fanIn)²): torch's default scale for conv and linear weights. */
  | { kind: 'fan-in'; fanIn: number; gain?: number }
  | { kind: 'normal'; std: number }
  | { kind: 'constant'; value: number }
  /** 1 + N(0, 0.1²): a trained normalisation scale. */
  | { kind: 'gamma' };

export interface ParamRequest {
  /** The diffusers-structure name, e.g. "mid_block.attentions.0.proj_in.weight". */
  name: string;
  /** The shape diffusers stores it in ([out, in] for a Linear weight). */
  shape: number[];
  init: Init;
  /**
   * How the graph holds it: as stored, or transposed (a [out, in] Linear weight becomes the
   * [in, out] right-hand side of a MatMul). `graphDims` may add unit axes (a GroupNorm scale as [C, 1, 1]).
   */
  transpose: boolean;
  graphDims: number[];
}

/**
 * How a graph is written. `fused` (the default) uses onnxruntime's fused kernels, which both
 * its WebGPU and CPU EPs register (com.microsoft MultiHeadAttention and SkipLayerNormalization):
 * the UNet then needs about a third fewer kernels per run. Unfused is torch.onnx's op-by-op
 * pattern, kept for the benchmark's side-by-side measurement.
 */
export interface GraphOptions {
  fused?: boolean;
  /**
   * Values for symbolic input/output dims ("batch", "height", …; "height/8" follows "height"),
   * for runtimes that can't override free dimensions (onnxruntime-node): static shapes let
   * onnxruntime fold every Shape op and plan memory once.
   */
  fixedDims?: Record<string, number>;
}

export class ModelGraph extends GraphBuilder {
  readonly params: ParamRequest[] = [];
  readonly fused: boolean;
  private readonly fixedDims: Record<string, number>;

  constructor(name: string, dtype: FloatType, options: GraphOptions = {}) {
    super(name, dtype);
    this.fused = options.fused ?? true;
    this.fixedDims = options.fixedDims ?? {};
  }

  override input(name: string, type: ElemType, shape: (number | string)[] | null): string {
    return super.input(name, type, shape && shape.map((d) => this.fixDim(d)));
  }

  override output(tensor: string, name: string, type: ElemType, shape: (number | string)[] | null): string {
    return super.output(tensor, name, type, shape && shape.map((d) => this.fixDim(d)));
  }

  private fixDim(d: number | string): number | string {
    if (typeof d === 'number') return d;
    const [base, divisor] = d.split('/');
    const value = this.fixedDims[base!];
    return value === undefined ? d : value / Number(divisor ?? 1);
  }

  /** Declares the parameter `base` under the current scope; returns the initializer's name. */
  param(base: string, shape: number[], init: Init, opts: { transpose?: boolean; graphDims?: number[] } = {}): string {
    const name = this.scopedName(base);
    if (this.params.some((p) => p.name === name)) throw new Error(`${this.name}: parameter ${name} declared twice`);
    const transpose = opts.transpose ?? false;
    const graphDims = opts.graphDims ?? (transpose ? [shape[1]!, shape[0]!] : shape);
    this.placeholder(name, graphDims);
    this.params.push({ name, shape, init, transpose, graphDims });
    return name;
  }
}
