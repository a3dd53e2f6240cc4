// Small ONNX graphs for the tensor arithmetic the denoising loop does between sessions
// (summing ControlNet residuals, classifier-free guidance, uploads). Running them as
// sessions on the same execution provider keeps every tensor on the GPU.
import { GraphBuilder, ONNX_TYPE_CODE, type FloatType } from './onnx-graph.ts';
import type { DeviceTensor, ResidualSource, Session, TensorOps } from '../diffusion/session.ts';
import type { TensorData, TensorType } from '../diffusion/tensor.ts';
import { RESIDUALS } from '../diffusion/residuals.ts';

function builder(name: string): GraphBuilder {
  return new GraphBuilder(name, 'float32');
}

function castTo(g: GraphBuilder, x: string, from: TensorType, to: TensorType): string {
  return from === to ? x : g.op1('Cast', [x], { to: ONNX_TYPE_CODE[to] });
}

export function identityGraph(type: TensorType): Uint8Array {
  const g = builder('upload');
  g.output(g.op1('Identity', [g.input('x', type, null)]), 'y', type, null);
  return g.toBytes('copy to device');
}

/**
 * out_i = Σ_k scales[k·13 + i] · u{k}_{i}, in float32, cast to `outType`. A cond-only
 * source has batch 1; with batch 2 its term gets a zero uncond half in front.
 */
export function residualSumGraph(inTypes: TensorType[], condOnly: boolean[], outType: FloatType, batch: number): Uint8Array {
  const g = builder('residual_sum');
  const scales = g.input('scales', 'float32', [inTypes.length * RESIDUALS]);
  const zero = g.floatConst([0]);
  for (let i = 0; i < RESIDUALS; i++) {
    let sum: string | null = null;
    inTypes.forEach((type, k) => {
      const x = castTo(g, g.input(`u${k}_${i}`, type, null), type, 'float32');
      let term = g.op1('Mul', [x, g.op1('Gather', [scales, g.int64Const([k * RESIDUALS + i], [])], { axis: 0 })]);
      if (condOnly[k] && batch === 2) term = g.op1('Concat', [g.op1('Mul', [term, zero]), term], { axis: 0 });
      sum = sum === null ? term : g.op1('Add', [sum, term]);
    });
    g.output(castTo(g, sum!, 'float32', outType), `r${i}`, outType, null);
  }
  return g.toBytes('sum of ControlNet residuals');
}

export function castGraph(from: TensorType, to: TensorType): Uint8Array {
  const g = builder('cast');
  g.output(castTo(g, g.input('x', from, null), from, to), 'y', to, null);
  return g.toBytes(`cast ${from} to ${to}`);
}

/** eps = uncond + g·(cond − uncond) over a batch-2 prediction, as float32. */
export function guidanceGraph(inType: TensorType): Uint8Array {
  const g = builder('guidance');
  const pred = castTo(g, g.input('prediction', inType, ['batch', 4, 'height', 'width']), inType, 'float32');
  const scale = g.input('scale', 'float32', []);
  const half = (start: number) => g.op1('Slice', [pred, g.int64Const([start]), g.int64Const([start + 1]), g.int64Const([0])]);
  const [uncond, cond] = [half(0), half(1)];
  const out = g.op1('Add', [uncond, g.op1('Mul', [g.op1('Sub', [cond, uncond]), scale])]);
  g.output(out, 'eps', 'float32', [1, 4, 'height', 'width']);
  return g.toBytes('classifier-free guidance');
}

/**
 * Prompt embeddings as A1111 weights them: each chunk's hidden states [N, 77, D] scaled token by
 * token, then by (mean before ÷ mean after) so the chunk keeps its mean; then the chunks each
 * batch row needs (`index`, k per row) laid end to end as [rows, 77·k, D], in float32.
 */
export function promptContextGraph(inType: TensorType): Uint8Array {
  const g = builder('prompt_context');
  const hidden = castTo(g, g.input('hidden', inType, ['chunks', 77, 'width']), inType, 'float32');
  const weights = g.input('weights', 'float32', ['chunks', 77, 1]);
  const index = g.input('index', 'int64', ['slots']);
  const rows = g.input('rows', 'int64', [1]);
  const weighted = g.op1('Mul', [hidden, weights]);
  const mean = (t: string) => g.op1('ReduceMean', [t], { axes: [1, 2], keepdims: 1 });
  const restored = g.op1('Mul', [weighted, g.op1('Div', [mean(hidden), mean(weighted)])]);
  const width = g.op1('Slice', [g.op1('Shape', [hidden]), g.int64Const([2]), g.int64Const([3])]);
  const shape = g.op1('Concat', [rows, g.int64Const([-1]), width], { axis: 0 });
  g.output(g.op1('Reshape', [g.op1('Gather', [restored, index], { axis: 0 }), shape]), 'context', 'float32', ['rows', 'sequence', 'width']);
  return g.toBytes('A1111 prompt weighting');
}

/** Σ_k c[k]·x{k} in float32: a scheduler step's weighted sum (coefficients are fed per step). */
export function weightedSumGraph(count: number): Uint8Array {
  const g = builder('weighted_sum');
  const c = g.input('c', 'float32', [count]);
  let sum: string | null = null;
  for (let k = 0; k < count; k++) {
    const term = g.op1('Mul', [g.input(`x${k}`, 'float32', null), g.op1('Gather', [c, g.int64Const([k], [])], { axis: 0 })]);
    sum = sum === null ? term : g.op1('Add', [sum, term]);
  }
  g.output(sum!, 'y', 'float32', null);
  return g.toBytes('weighted sum of scheduler tensors');
}

/**
 * The model's input from the float32 latents: scaled, followed by `extra` channels when there
 * are any (an inpainting UNet's mask and masked-image latents), repeated `batch` times (CFG), as `outType`.
 */
export function modelInputGraph(batch: number, outType: FloatType, extraChannels = 0): Uint8Array {
  const g = builder('model_input');
  let scaled = g.op1('Mul', [g.input('latents', 'float32', [1, 4, 'height', 'width']), g.input('scale', 'float32', [])]);
  if (extraChannels) scaled = g.op1('Concat', [scaled, g.input('extra', 'float32', [1, extraChannels, 'height', 'width'])], { axis: 1 });
  const repeated =
    batch === 1
      ? scaled
      : g.op1(
          'Concat',
          Array.from({ length: batch }, () => scaled),
          { axis: 0 },
        );
  g.output(castTo(g, repeated, 'float32', outType), 'sample', outType, [batch, 4 + extraChannels, 'height', 'width']);
  return g.toBytes('model input');
}

/** mask·latents + (1 − mask)·keep, written as keep + mask·(latents − keep). */
export function maskBlendGraph(): Uint8Array {
  const g = builder('mask_blend');
  const [latents, keep] = [g.input('latents', 'float32', [1, 4, 'height', 'width']), g.input('keep', 'float32', [1, 4, 'height', 'width'])];
  const mask = g.input('mask', 'float32', [1, 1, 'height', 'width']);
  g.output(g.op1('Add', [keep, g.op1('Mul', [mask, g.op1('Sub', [latents, keep])])]), 'y', 'float32', [1, 4, 'height', 'width']);
  return g.toBytes('inpainting latent blend');
}

export type SessionFactory = (bytes: Uint8Array, label: string) => Promise<Session>;

/** TensorOps on op-graph sessions, made once per shape of the problem and reused. */
export class GraphTensorOps implements TensorOps {
  private sessions = new Map<string, Promise<Session>>();

  /** `sync`: the runtime's wait for submitted work (a WebGPU queue's onSubmittedWorkDone); none off the GPU. */
  constructor(
    private readonly createSession: SessionFactory,
    private readonly waitForDevice: () => Promise<void> = () => Promise.resolve(),
  ) {}

  sync(): Promise<void> {
    return this.waitForDevice();
  }

  private session(key: string, bytes: () => Uint8Array): Promise<Session> {
    let s = this.sessions.get(key);
    if (!s) {
      s = this.createSession(bytes(), `op:${key}`);
      this.sessions.set(key, s);
    }
    return s;
  }

  async upload(data: TensorData): Promise<DeviceTensor> {
    const s = await this.session(`upload-${data.type}`, () => identityGraph(data.type));
    return (await s.run({ x: data })).y!;
  }

  async sumResiduals(sources: ResidualSource[], type: TensorType, batch: number): Promise<DeviceTensor[]> {
    const inTypes = sources.map((s) => s.residuals[0]!.type);
    const flags = sources.map((s) => s.condOnly);
    const key = `residuals-${inTypes.join(',')}-${flags.join(',')}-${type}-${batch}`;
    const s = await this.session(key, () => residualSumGraph(inTypes, flags, type as FloatType, batch));
    const feeds: Record<string, DeviceTensor | TensorData> = {
      scales: { type: 'float32', dims: [sources.length * RESIDUALS], data: Float32Array.from(sources.flatMap((src) => src.scales)) },
    };
    sources.forEach((src, k) => src.residuals.forEach((r, i) => (feeds[`u${k}_${i}`] = r)));
    const out = await s.run(feeds);
    return Array.from({ length: RESIDUALS }, (_, i) => out[`r${i}`]!);
  }

  async cast(tensor: DeviceTensor, type: TensorType): Promise<DeviceTensor> {
    const s = await this.session(`cast-${tensor.type}-${type}`, () => castGraph(tensor.type, type));
    return (await s.run({ x: tensor })).y!;
  }

  async promptContext(hidden: DeviceTensor, weights: Float32Array, rows: number[][]): Promise<DeviceTensor> {
    const s = await this.session(`prompt-${hidden.type}`, () => promptContextGraph(hidden.type));
    const chunks = hidden.dims[0]!;
    const index = BigInt64Array.from(rows.flat(), BigInt);
    const out = await s.run({
      hidden,
      weights: { type: 'float32', dims: [chunks, 77, 1], data: weights },
      index: { type: 'int64', dims: [index.length], data: index },
      rows: { type: 'int64', dims: [1], data: BigInt64Array.of(BigInt(rows.length)) },
    });
    return out.context!;
  }

  async weightedSum(tensors: DeviceTensor[], coefficients: number[]): Promise<DeviceTensor> {
    const s = await this.session(`weighted-sum-${tensors.length}`, () => weightedSumGraph(tensors.length));
    const feeds: Record<string, DeviceTensor | TensorData> = { c: { type: 'float32', dims: [coefficients.length], data: Float32Array.from(coefficients) } };
    tensors.forEach((t, k) => (feeds[`x${k}`] = t));
    return (await s.run(feeds)).y!;
  }

  async modelInput(latents: DeviceTensor, scale: number, batch: number, type: TensorType, extra?: DeviceTensor): Promise<DeviceTensor> {
    const channels = extra?.dims[1] ?? 0;
    const s = await this.session(`model-input-${batch}-${type}-${channels}`, () => modelInputGraph(batch, type as FloatType, channels));
    return (await s.run({ latents, scale: { type: 'float32', dims: [], data: Float32Array.of(scale) }, ...(extra ? { extra } : {}) })).sample!;
  }

  async maskBlend(latents: DeviceTensor, keep: DeviceTensor, mask: DeviceTensor): Promise<DeviceTensor> {
    const s = await this.session('mask-blend', maskBlendGraph);
    return (await s.run({ latents, keep, mask })).y!;
  }

  async guidance(prediction: DeviceTensor, scale: number): Promise<DeviceTensor> {
    const s = await this.session(`guidance-${prediction.type}`, () => guidanceGraph(prediction.type));
    return (await s.run({ prediction, scale: { type: 'float32', dims: [], data: Float32Array.of(scale) } })).eps!;
  }
}
