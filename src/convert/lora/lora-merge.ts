// The merge itself, W' = W + Σ scale · up @ down (kohya's merge_lora.py and A1111's formula),
// run as a small ONNX graph on the runtime at hand (onnxruntime's CPU / WASM matrix kernels):
// a rank-64 LoRA over SD 1.5's attention is tens of GFLOP, which plain JS loops take tens of
// seconds for. Several LoRAs on one weight are one product: their ups (each times its scale)
// and downs laid side by side along the rank. 1×1 convs use their squeezed matrices, and a
// LoCon's k×k down is a [rank, in·k·k] matrix, so the product reshapes to the conv's weight.
import { GraphBuilder, ONNX_TYPE_CODE, type FloatType } from '../../models/onnx-graph.ts';
import type { SessionFactory } from '../../models/op-graphs.ts';
import type { Session } from '../../diffusion/session.ts';
import type { TensorData } from '../../diffusion/tensor.ts';
import { numel, toFloat32 } from '../stored-tensor.ts';
import type { ParamRequest } from '../model-graph.ts';
import type { ParamValues, WeightSource } from '../weights.ts';
import type { MergePlan, MergeTerm } from './lora-targets.ts';

/** How a weight is stored: [out, in, …] (convs, Gemm), or a MatMul's transposed [in, out]. */
export type WeightLayout = 'out-first' | 'in-first';

export interface WeightValues {
  type: FloatType;
  data: Float32Array | Uint16Array;
  /** As stored. */
  dims: number[];
}

/** merged = cast(w) + up @ down (reshaped to w's shape, or transposed for an in-first weight), as `outType`. */
export function mergeGraph(inType: FloatType, outType: FloatType, layout: WeightLayout): Uint8Array {
  const g = new GraphBuilder('lora_merge', 'float32');
  const w = g.input('w', inType, null);
  const up = g.input('up', 'float32', ['out', 'rank']);
  const down = g.input('down', 'float32', ['rank', 'in']);
  const base = inType === 'float32' ? w : g.op1('Cast', [w], { to: ONNX_TYPE_CODE.float32 });
  const delta =
    layout === 'out-first' ? g.op1('Reshape', [g.op1('MatMul', [up, down]), g.op1('Shape', [w])]) : g.op1('Gemm', [down, up], { transA: 1, transB: 1, alpha: { float: 1 }, beta: { float: 1 } });
  const sum = g.op1('Add', [base, delta]);
  g.output(outType === 'float32' ? sum : g.op1('Cast', [sum], { to: ONNX_TYPE_CODE.float16 }), 'merged', outType, null);
  return g.toBytes(`LoRA merge, ${layout}`);
}

/** The terms' ups (times their scales) and downs, side by side along the rank: [out, R] and [R, in·k·k]. */
export async function stackedFactors(terms: MergeTerm[]): Promise<{ up: TensorData; down: TensorData }> {
  const out = terms[0]!.layer.up.shape[0]!;
  const inner = numel(terms[0]!.layer.down.shape.slice(1));
  const rank = terms.reduce((sum, t) => sum + t.layer.rank, 0);
  const up = new Float32Array(out * rank);
  const down = new Float32Array(rank * inner);
  let at = 0;
  for (const { layer, scale } of terms) {
    const u = toFloat32(layer.up.dtype, await layer.up.bytes());
    const d = toFloat32(layer.down.dtype, await layer.down.bytes());
    for (let o = 0; o < out; o++) for (let r = 0; r < layer.rank; r++) up[o * rank + at + r] = u[o * layer.rank + r]! * scale;
    down.set(d, at * inner);
    at += layer.rank;
  }
  return { up: { type: 'float32', dims: [out, rank], data: up }, down: { type: 'float32', dims: [rank, inner], data: down } };
}

/** Runs merges on one runtime; a graph per (in type, out type, layout), made once. */
export class LoraMerger {
  private readonly sessions = new Map<string, Promise<Session>>();
  constructor(private readonly createSession: SessionFactory) {}

  async merge(base: WeightValues, layout: WeightLayout, terms: MergeTerm[], outType: FloatType = base.type): Promise<WeightValues> {
    const key = `${base.type}-${outType}-${layout}`;
    let session = this.sessions.get(key);
    if (!session) this.sessions.set(key, (session = this.createSession(mergeGraph(base.type, outType, layout), `op:lora-merge-${key}`)));
    const { up, down } = await stackedFactors(terms);
    const result = await (await session).run({ w: { type: base.type, dims: base.dims, data: base.data }, up, down });
    const merged = await result.merged!.download();
    for (const t of Object.values(result)) t.dispose();
    return { type: outType, data: merged.data as Float32Array | Uint16Array, dims: base.dims };
  }
}

/**
 * A weight source with LoRAs baked in (as kohya's merge_lora.py and A1111's checkpoint merger
 * do): the weights the plan names are merged in float32 as they stream, the rest pass through.
 */
export class LoraMergedWeights implements WeightSource {
  constructor(
    private readonly base: WeightSource,
    private readonly plan: MergePlan,
    private readonly merger: LoraMerger,
  ) {}

  problems(params: readonly ParamRequest[]): string[] {
    return this.base.problems(params);
  }

  async read(param: ParamRequest): Promise<ParamValues> {
    const values = await this.base.read(param);
    const terms = this.plan.get(param.name);
    if (!terms) return values;
    const merged = await this.merger.merge({ type: values.dtype, data: values.data, dims: param.shape }, 'out-first', terms, 'float32');
    return { dtype: 'float32', data: merged.data as Float32Array };
  }
}
