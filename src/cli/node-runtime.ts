// The pipeline's Session interface on onnxruntime-node (CPU), for the CLI and Node tests.
// Outputs live in CPU memory, so download() is a plain copy.
import ort from 'onnxruntime-node';
import type { DeviceTensor, Feed, Session } from '../diffusion/session.ts';
import type { TensorData, TensorType, ValueMeta } from '../diffusion/tensor.ts';
import { ModelLoadError } from '../diffusion/errors.ts';
import { GraphTensorOps } from '../models/op-graphs.ts';
import type { SessionSpec } from '../models/load-set.ts';

class NodeTensor implements DeviceTensor {
  constructor(readonly tensor: ort.Tensor) {}
  get dims() {
    return [...this.tensor.dims];
  }
  get type() {
    return this.tensor.type as TensorType;
  }
  async download(): Promise<TensorData> {
    return { type: this.type, dims: this.dims, data: this.tensor.data as TensorData['data'] };
  }
  dispose() {}
}

const toMeta = (m: ort.InferenceSession.ValueMetadata): ValueMeta => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'unknown', shape: [] });

export class NodeSession implements Session {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly label: string,
  ) {}

  /** From bytes, or from a path (where onnxruntime finds the graph's external weight files beside it). */
  static async create(model: Uint8Array | string, label: string): Promise<NodeSession> {
    try {
      return new NodeSession(typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model), label);
    } catch (err) {
      throw new ModelLoadError(`Could not load ${label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  get inputs() {
    return this.session.inputMetadata.map(toMeta);
  }
  get outputs() {
    return this.session.outputMetadata.map(toMeta);
  }

  async run(feeds: Record<string, Feed>): Promise<Record<string, DeviceTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      ortFeeds[name] = feed instanceof NodeTensor ? feed.tensor : new ort.Tensor((feed as TensorData).type, (feed as TensorData).data, (feed as TensorData).dims);
    }
    const out = await this.session.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, new NodeTensor(v)]));
  }
}

/** The loader's session factory on onnxruntime-node (CPU). */
export const nodeSession = (spec: SessionSpec) => NodeSession.create(spec.localPath ?? spec.bytes!, spec.label);

export const nodeOps = () => new GraphTensorOps((bytes, label) => NodeSession.create(bytes, label));
