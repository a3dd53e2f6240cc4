// A graph under construction whose weights are named, not yet filled: each layer asks for its
// parameters by their diffusers name and shape ("down_blocks.0.resnets.1.conv1.weight",
// [320, 320, 3, 3]). The bytes stream in afterwards from a weight source — a checkpoint, or a
// seeded generator that uses the `init` hint — one tensor at a time (write-graph.ts).
import { GraphBuilder, type FloatType } from '../models/onnx-graph.ts';

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

export class ModelGraph extends GraphBuilder {
  readonly params: ParamRequest[] = [];

  constructor(name: string, dtype: FloatType) {
    super(name, dtype);
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
