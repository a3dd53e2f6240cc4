// A small ONNX graph builder on top of onnx-proto's generated schema classes, used by the
// graph builder in src/convert (every model set's graphs) and, at run time, for the engine's
// small tensor-op graphs. It names nodes uniquely, holds weights or placeholders for weights
// that stream in later, and serialises the model.
import onnxProto from 'onnx-proto';
import { float32ToFloat16 } from '../diffusion/float16.ts';

const { onnx } = onnxProto;
type Dim = number | string;
export type FloatType = 'float32' | 'float16';
export type ElemType = FloatType | 'int32' | 'int64';

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

// Opset 17 is what current diffusers/optimum exports target, and the newest that
// Debian's onnx checker (1.12) knows, so LayerNormalization exists but GroupNormalization
// and Gelu do not: those are decomposed the way torch.onnx exports them.
export const OPSET = 17;
export const IR_VERSION = 8;
/** onnxruntime's contrib ops (MultiHeadAttention, SkipLayerNormalization): kernels on its CPU and WebGPU EPs. */
export const MICROSOFT_DOMAIN = 'com.microsoft';

type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private scopes: string[] = [];
  private constCache = new Map<string, string>();
  /** Whether a node uses onnxruntime's com.microsoft domain (the model then imports it). */
  private usesMicrosoftDomain = false;

  constructor(
    readonly name: string,
    readonly dtype: FloatType,
  ) {}

  /** Runs `body` with names prefixed by `scope`, like a torch module path. */
  scope<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  uniqueName(base: string): string {
    return `${this.scopedName(base)}_${this.counter++}`;
  }

  /** `base` under the current scopes, e.g. "down_blocks.0.resnets.1.conv1.weight". */
  scopedName(base: string): string {
    return this.scopes.length ? `${this.scopes.join('.')}.${base}` : base;
  }

  /** A graph input; a null shape accepts any rank. */
  input(name: string, type: ElemType, shape: Dim[] | null): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Marks `tensor` as a graph output under `name` (through an Identity when renamed). */
  output(tensor: string, name: string, type: ElemType, shape: Dim[] | null): string {
    if (tensor !== name) this.nodes.push({ opType: 'Identity', input: [tensor], output: [name], name: `${name}_identity` });
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputCount = 1, domain = ''): string[] {
    const name = this.uniqueName(opType);
    const output = Array.from({ length: outputCount }, (_, i) => `${name}_out${i}`);
    this.nodes.push({ opType, name, input: inputs, output, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)), ...(domain ? { domain } : {}) });
    if (domain === MICROSOFT_DOMAIN) this.usesMicrosoftDomain = true;
    return output;
  }

  /** An onnxruntime contrib op (com.microsoft domain); '' skips an optional input. */
  msOp(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputCount = 1): string[] {
    return this.op(opType, inputs, attrs, outputCount, MICROSOFT_DOMAIN);
  }

  op1(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attrs)[0]!;
  }

  /** A weight in the graph's float type. */
  weight(base: string, dims: number[], values: Float32Array | number[]): string {
    const name = this.uniqueName(base);
    this.initializers.push(floatTensor(name, dims, values, this.dtype));
    return name;
  }

  filledWeight(base: string, dims: number[], value: number): string {
    return this.weight(base, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  }

  /**
   * A weight whose bytes are not known yet (they stream in later, from a checkpoint or a seeded
   * generator): the initializer is declared now, and `fill` or `externalize` sets its data.
   */
  placeholder(name: string, dims: number[]): onnxProto.onnx.ITensorProto {
    const tensor: onnxProto.onnx.ITensorProto = { name, dims, dataType: DATA_TYPE[this.dtype] };
    this.initializers.push(tensor);
    return tensor;
  }

  /** A float constant (in the graph's float type unless given), shared across uses. */
  floatConst(values: number[], dims: number[] = values.length === 1 ? [] : [values.length], dtype: FloatType = this.dtype): string {
    const key = `${dtype}:${dims.join('x')}:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_${this.constCache.size}`;
      this.initializers.push(floatTensor(name, dims, values, dtype));
      this.constCache.set(key, name);
    }
    return name;
  }

  int64Const(values: number[], dims: number[] = [values.length]): string {
    const key = `int64:${dims.join('x')}:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_${this.constCache.size}`;
      const raw = new BigInt64Array(values.map((v) => BigInt(v)));
      this.initializers.push({ name, dims, dataType: DATA_TYPE.int64, rawData: new Uint8Array(raw.buffer) });
      this.constCache.set(key, name);
    }
    return name;
  }

  toBytes(docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }, ...(this.usesMicrosoftDomain ? [{ domain: MICROSOFT_DOMAIN, version: 1 }] : [])],
      producerName: 'controlnet-studio graph builder',
      producerVersion: '1',
      docString,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Number of weight bytes, for the size report. */
  weightBytes(): number {
    return this.initializers.reduce((sum, t) => sum + (t.rawData?.length ?? 0), 0);
  }
}

function valueInfo(name: string, type: ElemType, shape: Dim[] | null): onnxProto.onnx.IValueInfoProto {
  const dims = shape ? { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {};
  return { name, type: { tensorType: { elemType: DATA_TYPE[type], ...dims } } };
}

export const ONNX_TYPE_CODE = DATA_TYPE;

function floatTensor(name: string, dims: number[], values: ArrayLike<number>, dtype: FloatType): onnxProto.onnx.ITensorProto {
  const raw = dtype === 'float16' ? float32ToFloat16(values) : Float32Array.from(values);
  return { name, dims, dataType: DATA_TYPE[dtype], rawData: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}
