// Streams a graph's weights from a source into the store, one tensor at a time: each is
// read, transposed where the graph wants it so, cast to the graph's precision, and appended
// to the graph's external data file ("model.onnx_data"; "model.onnx_data_1"… once a file
// would pass 1.9 GB, the largest ArrayBuffer Chrome allocates). The graph itself is written
// last, so a graph file is only ever complete.
import onnxProto from 'onnx-proto';
import { float16ToFloat32, float32ToFloat16 } from '../diffusion/float16.ts';
import type { Appender, FileStore } from '../models/download/file-store.ts';
import { CancelledError } from '../diffusion/errors.ts';
import type { ModelGraph, ParamRequest } from './model-graph.ts';
import type { ParamValues, WeightSource } from './weights.ts';

/** Chrome cannot allocate an ArrayBuffer past 2 GiB; each data file (and the buffer it loads into) stays under this. */
export const MAX_DATA_FILE_BYTES = 1.9e9;
/** Tensors smaller than this stay inside the graph (as onnx's size_threshold does), so shape inference can read them. */
const INLINE_BELOW = 1024;
/** Appends are batched: OPFS writes have a cost per call. */
const WRITE_BATCH = 16 * 1024 * 1024;

export interface WriteGraphOptions {
  /** Put the weights in external data files beside the graph (any real set), or inline (tiny graphs). */
  external: boolean;
  maxDataFileBytes?: number;
  signal?: AbortSignal;
  /** Bytes of weights written so far for this graph. */
  onBytes?: (written: number) => void;
}

export interface WrittenGraph {
  /** Files written, relative to the store: the graph, then its data files. */
  files: string[];
  bytes: number;
}

/** Weight bytes the graph will hold, for progress totals. */
export function graphWeightBytes(g: ModelGraph): number {
  const item = g.dtype === 'float16' ? 2 : 4;
  return g.params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1) * item, 0);
}

function transpose2d<T extends Float32Array | Uint16Array>(data: T, rows: number, cols: number): T {
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** The parameter's bytes as the graph stores them: its precision, its layout. */
export function graphBytes(values: ParamValues, param: ParamRequest, dtype: 'float32' | 'float16'): Uint8Array {
  let data: Float32Array | Uint16Array;
  if (dtype === 'float16') data = values.dtype === 'float16' ? values.data : float32ToFloat16(values.data);
  else data = values.dtype === 'float32' ? values.data : float16ToFloat32(values.data);
  if (param.transpose) data = transpose2d(data, param.shape[0]!, param.shape[1]!);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class BatchedAppender {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  constructor(private readonly inner: Appender) {}
  async write(chunk: Uint8Array) {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }
  async flush() {
    if (!this.pendingBytes) return;
    const joined = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const c of this.pending) (joined.set(c, at), (at += c.length));
    this.pending = [];
    this.pendingBytes = 0;
    await this.inner.write(joined);
  }
  async close() {
    await this.flush();
    await this.inner.close();
  }
}

interface DataFile {
  name: string;
  out: BatchedAppender;
  size: number;
}

/** Writes `g` to `path` in `store` with its weights from `source`. */
export async function writeGraph(g: ModelGraph, source: WeightSource, store: FileStore, path: string, opts: WriteGraphOptions): Promise<WrittenGraph> {
  const limit = opts.maxDataFileBytes ?? MAX_DATA_FILE_BYTES;
  const folder = path.slice(0, path.lastIndexOf('/') + 1);
  const base = path.slice(folder.length);
  const tensors = new Map(g.initializers.map((t) => [t.name!, t]));
  const dataFiles: string[] = [];
  /** The data file being appended to. */
  const current: { file: DataFile | null } = { file: null };
  let written = 0;
  const openData = async (): Promise<DataFile> => {
    await current.file?.out.close();
    const name = dataFiles.length === 0 ? `${base}_data` : `${base}_data_${dataFiles.length}`;
    dataFiles.push(folder + name);
    current.file = { name, out: new BatchedAppender(await store.append(folder + name, true)), size: 0 };
    return current.file;
  };
  try {
    for (const param of g.params) {
      if (opts.signal?.aborted) throw new CancelledError('Conversion cancelled.');
      const bytes = graphBytes(await source.read(param), param, g.dtype);
      const tensor = tensors.get(param.name)!;
      if (!opts.external || bytes.length < INLINE_BELOW) {
        tensor.rawData = bytes;
      } else {
        let file = current.file ?? (await openData());
        if (file.size > 0 && file.size + bytes.length > limit) file = await openData();
        await file.out.write(bytes);
        tensor.externalData = [
          { key: 'location', value: file.name },
          { key: 'offset', value: String(file.size) },
          { key: 'length', value: String(bytes.length) },
        ];
        tensor.dataLocation = onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;
        file.size += bytes.length;
      }
      written += bytes.length;
      opts.onBytes?.(written);
    }
    await current.file?.out.close();
    current.file = null;
    const graph = g.toBytes(`${g.name}, built by ControlNet Studio's converter`);
    const out = await store.append(path, true);
    await out.write(graph);
    await out.close();
    return { files: [path, ...dataFiles], bytes: written + graph.length };
  } catch (err) {
    await current.file?.out.close().catch(() => undefined);
    throw err;
  }
}
