// The pipeline's Session interface on onnxruntime-node: the CPU (the CLI and Node tests), or
// onnxruntime's native WebGPU EP (the GPU benchmark), whose outputs stay on the GPU.
import ort from 'onnxruntime-node';
import { ReadbackCounter, type DeviceTensor, type Feed, type Session } from '../diffusion/session.ts';
import type { TensorData, TensorType, ValueMeta } from '../diffusion/tensor.ts';
import { ModelLoadError } from '../diffusion/errors.ts';
import { GraphTensorOps, identityGraph } from '../models/op-graphs.ts';
import type { SessionSpec } from '../models/load-set.ts';

export type NodeProvider = 'cpu' | 'webgpu';

/** What onnxruntime-node is told per provider; WebGPU outputs stay on the GPU for the next session. */
const SESSION_OPTIONS: Record<NodeProvider, ort.InferenceSession.SessionOptions> = {
  cpu: { executionProviders: ['cpu'] },
  webgpu: { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' },
};

/**
 * onnxruntime-node 1.30 can't download a GPU tensor itself (getData() aborts the process), so a
 * GPU tensor comes down through an Identity session on the same EP with its output on the CPU.
 */
class GpuDownloader {
  private readonly sessions = new Map<TensorType, Promise<ort.InferenceSession>>();
  constructor(readonly readbacks: ReadbackCounter) {}

  async download(tensor: ort.Tensor): Promise<ort.Tensor> {
    const type = tensor.type as TensorType;
    if (!this.sessions.has(type)) this.sessions.set(type, ort.InferenceSession.create(identityGraph(type), { executionProviders: ['webgpu'] }));
    const out = await (await this.sessions.get(type)!).run({ x: tensor });
    this.readbacks.record((out.y!.data as ArrayBufferView).byteLength);
    return out.y!;
  }
}

class NodeTensor implements DeviceTensor {
  constructor(
    readonly tensor: ort.Tensor,
    private readonly downloader: GpuDownloader | null,
  ) {}
  get dims() {
    return [...this.tensor.dims];
  }
  get type() {
    return this.tensor.type as TensorType;
  }
  async download(): Promise<TensorData> {
    const cpu = this.tensor.location === 'gpu-buffer' ? await this.downloader!.download(this.tensor) : this.tensor;
    return { type: this.type, dims: this.dims, data: cpu.data as TensorData['data'] };
  }
  dispose() {
    if (this.tensor.location === 'gpu-buffer') this.tensor.dispose();
  }
}

const toMeta = (m: ort.InferenceSession.ValueMetadata): ValueMeta => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'unknown', shape: [] });

export class NodeSession implements Session {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly label: string,
    private readonly downloader: GpuDownloader | null,
  ) {}

  /**
   * From bytes, or from a path (where onnxruntime finds the graph's external weight files beside it).
   * `options` adds session options (profiling, free-dimension overrides) for the benchmark.
   */
  static async create(model: Uint8Array | string, label: string, runtime: NodeRuntime = CPU_RUNTIME, options: ort.InferenceSession.SessionOptions = {}): Promise<NodeSession> {
    const sessionOptions = { ...SESSION_OPTIONS[runtime.provider], ...options };
    try {
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
      return new NodeSession(session, label, runtime.downloader);
    } catch (err) {
      throw new ModelLoadError(`Could not load ${label} on ${runtime.provider}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  get inputs() {
    return this.session.inputMetadata.map(toMeta);
  }
  get outputs() {
    return this.session.outputMetadata.map(toMeta);
  }

  /** Frees the session's weights (a UNet replaced by one with other LoRAs is 1.7 GB). */
  dispose(): Promise<void> {
    return this.session.release();
  }

  async run(feeds: Record<string, Feed>): Promise<Record<string, NodeTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      ortFeeds[name] = feed instanceof NodeTensor ? feed.tensor : new ort.Tensor((feed as TensorData).type, (feed as TensorData).data, (feed as TensorData).dims);
    }
    const out = await this.session.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, new NodeTensor(v, this.downloader)]));
  }
}

/** One provider's sessions and the readbacks they make (WebGPU sessions share onnxruntime's one device). */
export interface NodeRuntime {
  provider: NodeProvider;
  downloader: GpuDownloader | null;
  readbacks: ReadbackCounter;
}

export function nodeRuntime(provider: NodeProvider): NodeRuntime {
  const readbacks = new ReadbackCounter();
  return { provider, readbacks, downloader: provider === 'webgpu' ? new GpuDownloader(readbacks) : null };
}

const CPU_RUNTIME = nodeRuntime('cpu');

/** The loader's session factory on onnxruntime-node (CPU unless a runtime is given). */
export const nodeSession =
  (runtime: NodeRuntime = CPU_RUNTIME) =>
  (spec: SessionSpec) =>
    // A graph given as bytes (patched with LoRAs) names its weight files, which come along as buffers.
    NodeSession.create(spec.localPath ?? spec.bytes!, spec.label, runtime, spec.localPath || !spec.externalData.length ? {} : { externalData: spec.externalData });

export const nodeOps = (runtime: NodeRuntime = CPU_RUNTIME) => new GraphTensorOps((bytes, label) => NodeSession.create(bytes, label, runtime));
