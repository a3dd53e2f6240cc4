// A set's graph as LoRA application at load sees it: each weight initializer by its diffusers
// name, how it is stored (a MatMul's weight transposed to [in, out]; a Conv's or Gemm's as
// [out, in, …]) and where its bytes are (inside the graph, or a range of an external data file).
// A patched copy of the graph points the merged weights at one new external file beside the
// old ones, so the base weight files are used as they are and only the changed tensors are new.
import onnxProto from 'onnx-proto';
import { ONNX_TYPE_CODE, type FloatType } from '../../models/onnx-graph.ts';
import { CheckpointError } from '../errors.ts';
import type { WeightTarget } from './lora-targets.ts';
import type { WeightLayout } from './lora-merge.ts';

const { onnx } = onnxProto;

export type WeightBytes = { kind: 'inline'; bytes: Uint8Array } | { kind: 'external'; file: string; offset: number; length: number };

export interface GraphWeight {
  name: string;
  type: FloatType;
  /** As stored in the graph. */
  dims: number[];
  layout: WeightLayout;
  where: WeightBytes;
}

export interface GraphWeights {
  model: onnxProto.onnx.ModelProto;
  weights: Map<string, GraphWeight>;
}

const FLOAT_TYPES = new Map<number, FloatType>([
  [ONNX_TYPE_CODE.float32, 'float32'],
  [ONNX_TYPE_CODE.float16, 'float16'],
]);

/** How each initializer is used: a MatMul's right-hand side is stored transposed; Conv and Gemm (transB) keep [out, in, …]. */
function layouts(graph: onnxProto.onnx.IGraphProto): Map<string, WeightLayout> {
  const out = new Map<string, WeightLayout>();
  for (const node of graph.node ?? []) {
    const weight = node.input?.[1];
    if (!weight) continue;
    if (node.opType === 'MatMul') out.set(weight, 'in-first');
    else if (node.opType === 'Conv') out.set(weight, 'out-first');
    else if (node.opType === 'Gemm' && node.attribute?.some((a) => a.name === 'transB' && Number(a.i) === 1)) out.set(weight, 'out-first');
  }
  return out;
}

function whereOf(t: onnxProto.onnx.ITensorProto, label: string): WeightBytes {
  if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return { kind: 'inline', bytes: t.rawData ?? new Uint8Array(0) };
  const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
  const file = entry('location');
  const offset = Number(entry('offset') ?? 0);
  const length = Number(entry('length'));
  if (!file || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) throw new CheckpointError(`${label}: weight ${t.name} names its external data incompletely.`);
  return { kind: 'external', file, offset, length };
}

/** The graph's Linear and Conv weights, read from its protobuf (weights themselves stay where they are). */
export function readGraphWeights(bytes: Uint8Array, label: string): GraphWeights {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new CheckpointError(`${label} holds no graph.`);
  const used = layouts(graph);
  const weights = new Map<string, GraphWeight>();
  for (const t of graph.initializer ?? []) {
    const type = FLOAT_TYPES.get(t.dataType ?? 0);
    const layout = used.get(t.name ?? '');
    if (!type || !layout || !t.name) continue;
    weights.set(t.name, { name: t.name, type, dims: (t.dims ?? []).map(Number), layout, where: whereOf(t, label) });
  }
  return { model, weights };
}

/** The weights as LoRA targets: names with their diffusers shapes ([out, in] for a transposed MatMul weight). */
export function weightTargets(graph: GraphWeights): WeightTarget[] {
  return [...graph.weights.values()].map((w) => ({ name: w.name, shape: w.layout === 'in-first' ? [...w.dims].reverse() : w.dims }));
}

/** Offsets in the overlay file are kept 64-byte aligned, as onnxruntime's own external-data writer does. */
const ALIGN = 64;

/**
 * A copy of the graph whose `merged` weights live in `overlayName` (returned as bytes), and every
 * other weight where it was. The graph's own protobuf is small once weights are external.
 */
export function patchGraph(graph: GraphWeights, merged: Map<string, Uint8Array>, overlayName: string): { bytes: Uint8Array; overlay: Uint8Array } {
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(graph.model).finish());
  let size = 0;
  const offsets = new Map<string, number>();
  for (const [name, data] of merged) {
    offsets.set(name, size);
    size += Math.ceil(data.length / ALIGN) * ALIGN;
  }
  const overlay = new Uint8Array(size);
  for (const t of model.graph?.initializer ?? []) {
    const data = merged.get(t.name ?? '');
    if (!data) continue;
    const offset = offsets.get(t.name!)!;
    overlay.set(data, offset);
    t.rawData = new Uint8Array(0);
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: 'location', value: overlayName },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(data.length) },
    ];
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), overlay };
}
