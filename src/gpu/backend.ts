// The only module that imports onnxruntime-web. It configures the runtime, creates
// sessions for an execution provider, runs each session through its own queue, keeps
// outputs on the GPU, and counts every GPU→CPU readback.
import * as ort from 'onnxruntime-web/webgpu';
import { ModelLoadError } from '../engine/errors.ts';
import { identityGraph } from '../models/op-graphs.ts';
import { CapturedIo } from './captured-io.ts';
import type { TensorData, TensorType, ValueMeta } from '../diffusion/tensor.ts';
import { ReadbackCounter, type DeviceTensor, type Feed, type Session } from '../diffusion/session.ts';
import type { ExecutionProvider } from '../models/unet-variant.ts';

export type { ExecutionProvider };
export { ReadbackCounter };

/** One row per provider: what onnxruntime-web is told, and where outputs live. */
const PROVIDERS: Record<ExecutionProvider, { ep: string; outputLocation: 'gpu-buffer' | 'cpu' }> = {
  webgpu: { ep: 'webgpu', outputLocation: 'gpu-buffer' },
  wasm: { ep: 'wasm', outputLocation: 'cpu' },
};

let configured = false;
/** The worker's one GPUDevice, handed to every WebGPU session (not owned here). */
let sharedDevice: GPUDevice | null = null;

/** WASM threads need cross-origin isolation (SharedArrayBuffer); 4 is where returns flatten. */
export function wasmThreadCount(): number {
  return globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}

/** Points onnxruntime-web at our GPUDevice (the worker's only one). Call before creating sessions. */
export function configureRuntime(device: GPUDevice | null): void {
  if (configured) return;
  configured = true;
  sharedDevice = device;
  // Threads need cross-origin isolation; without it onnxruntime-web would fail to start them.
  ort.env.wasm.numThreads = wasmThreadCount();
  // Served by vite.config.ts's onnxruntime-web-files plugin; see there for why it is not bundled.
  ort.env.wasm.wasmPaths = new URL(`${import.meta.env.BASE_URL}ort/`, globalThis.location.origin).href;
  ort.env.logLevel = 'error';
}

/** Resolves once the shared GPU device has finished what was submitted so far (no data moves). */
export function deviceWorkDone(): Promise<void> {
  return sharedDevice ? sharedDevice.queue.onSubmittedWorkDone() : Promise.resolve();
}

let shaderCacheHold: Promise<unknown> | null = null;

/**
 * onnxruntime's WebGPU EP keeps its compiled pipelines in a context that lives only while some
 * session on the device does. Loading a set releases the old set's sessions first, which threw
 * every compiled shader away, and the same graphs then compiled again (on SwiftShader, the tiny
 * set's first 2-step run after reloading it took 46 s, against 8 s with the context kept; every
 * SD 1.5 checkpoint has the same graphs, so switching sets reuses them too). A one-node session
 * held for the worker's life keeps the context. It also keeps the EP's buffer cache, which holds
 * the activation buffers a run frees for the next run: at most what a generation needs anyway.
 */
function holdShaderCache(ep: ort.InferenceSession.ExecutionProviderConfig): Promise<unknown> {
  shaderCacheHold ??= ort.InferenceSession.create(identityGraph('float32'), { executionProviders: [ep] }).catch((err: unknown) => {
    shaderCacheHold = null;
    throw err;
  });
  return shaderCacheHold;
}

/** A session output that may live on the GPU. Owned by whoever holds it: call dispose(). */
export class OutputTensor implements DeviceTensor {
  constructor(
    private readonly tensor: ort.Tensor,
    private readonly readbacks: ReadbackCounter,
  ) {}
  get dims(): number[] {
    return [...this.tensor.dims];
  }
  get type(): TensorType {
    return this.tensor.type as TensorType;
  }
  get onGpu(): boolean {
    return this.tensor.location === 'gpu-buffer';
  }
  /** Copies the data to the CPU; a GPU readback is counted. */
  async download(): Promise<TensorData> {
    // getData() moves the tensor to the CPU, so where it was must be read first.
    const wasOnGpu = this.onGpu;
    let data = (await this.tensor.getData()) as TensorData['data'];
    if (wasOnGpu) this.readbacks.record(data.byteLength);
    // Where the browser has Float16Array, onnxruntime-web returns one; we keep fp16 as raw bits.
    if (this.type === 'float16' && !(data instanceof Uint16Array)) data = new Uint16Array(data.buffer, data.byteOffset, data.length);
    return { type: this.type, dims: this.dims, data };
  }
  /** The underlying runtime tensor, for feeding another session without a copy. */
  get runtimeTensor(): ort.Tensor {
    return this.tensor;
  }
  dispose(): void {
    this.tensor.dispose();
  }
}

/**
 * Told before any session is released. onnxruntime-web may free or reuse GPU buffers when a session
 * goes, including outputs of other sessions still held: a prompt output kept across runs
 * (PromptCache) and read after a UNet was released left the worker waiting for ever. Holders of
 * such outputs drop them here.
 */
const releaseListeners = new Set<() => void>();
export function onSessionRelease(listener: () => void): () => void {
  releaseListeners.add(listener);
  return () => releaseListeners.delete(listener);
}
const beforeRelease = () => releaseListeners.forEach((listener) => listener());

export class ModelSession implements Session {
  private queue: Promise<unknown> = Promise.resolve();

  readonly inputs: ValueMeta[];
  readonly outputs: ValueMeta[];
  /** Null while suspended: its weights are freed, and `resume` makes it again on the next run. */
  private session: ort.InferenceSession | null;
  private resume: (() => Promise<ort.InferenceSession>) | null = null;

  private constructor(
    session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
    readonly label: string,
    private readonly readbacks: ReadbackCounter,
    private readonly io: CapturedIo | null,
  ) {
    this.session = session;
    this.inputs = session.inputMetadata.map(toMeta);
    this.outputs = session.outputMetadata.map(toMeta);
  }

  /**
   * `externalData`: weight files the graph refers to by name (model.onnx_data), as exports over 2 GB have.
   * `capture`: values for the graph's symbolic dims: the session runs at those static shapes with
   * onnxruntime-web's graph capture (recorded on the first run, replayed after), on fixed buffers.
   */
  static async create(
    bytes: Uint8Array,
    provider: ExecutionProvider,
    label: string,
    readbacks = new ReadbackCounter(),
    externalData: { path: string; data: Uint8Array }[] = [],
    capture: Record<string, number> | null = null,
  ): Promise<ModelSession> {
    if (capture && (provider !== 'webgpu' || !sharedDevice)) throw new ModelLoadError(`${label}: graph capture needs the WebGPU device`);
    try {
      const session = await ModelSession.open(bytes, provider, externalData, capture);
      const io = capture ? CapturedIo.create(sharedDevice!, session.inputMetadata.map(toMeta), session.outputMetadata.map(toMeta), capture) : null;
      return new ModelSession(session, provider, label, readbacks, io);
    } catch (err) {
      throw new ModelLoadError(`Could not load ${label} on ${provider}${capture ? ' with graph capture' : ''}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private static async open(bytes: Uint8Array, provider: ExecutionProvider, externalData: { path: string; data: Uint8Array }[], capture: Record<string, number> | null): Promise<ort.InferenceSession> {
    const row = PROVIDERS[provider];
    // onnxruntime-web 1.30 makes its own device unless the EP options name one: we pass ours,
    // so sessions, preprocessors and captured input buffers share one device (and buffers can pass between them).
    const ep = provider === 'webgpu' && sharedDevice ? ({ name: 'webgpu', device: sharedDevice } as ort.InferenceSession.ExecutionProviderConfig) : row.ep;
    if (provider === 'webgpu' && sharedDevice) await holdShaderCache(ep);
    return ort.InferenceSession.create(bytes, {
      executionProviders: [ep],
      preferredOutputLocation: row.outputLocation,
      graphOptimizationLevel: 'all',
      ...(externalData.length ? { externalData } : {}),
      ...(capture ? { enableGraphCapture: true, freeDimensionOverrides: capture } : {}),
    });
  }

  get captured(): boolean {
    return this.io !== null;
  }

  /**
   * Frees the session's weights (a captured copy runs in its place) until a run needs it again,
   * when `reread` gives the graph back. Without this the GPU would hold two copies of the UNet.
   */
  async suspend(reread: () => Promise<{ bytes: Uint8Array; externalData: { path: string; data: Uint8Array }[] }>): Promise<void> {
    await this.queue;
    if (!this.session) return;
    const session = this.session;
    this.session = null;
    this.resume = async () => {
      const { bytes, externalData } = await reread();
      return ModelSession.open(bytes, this.provider, externalData, null);
    };
    beforeRelease();
    await session.release();
  }

  /** Runs after any earlier run on this session has finished: one session can't run twice at once. */
  run(feeds: Record<string, Feed>): Promise<Record<string, OutputTensor>> {
    const next = this.queue.then(() => this.runNow(feeds));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(feeds: Record<string, Feed>): Promise<Record<string, OutputTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      if (feed instanceof OutputTensor && feed.onGpu && this.provider === 'wasm') {
        // A WASM session can't read a GPU buffer: copy it down (a counted readback). This happens
        // when an fp16 UNet runs on WASM beside fp32 graphs on a GPU without shader-f16.
        const data = await feed.download();
        ortFeeds[name] = new ort.Tensor(data.type, data.data, data.dims);
      } else if (feed instanceof OutputTensor) {
        ortFeeds[name] = feed.runtimeTensor;
      } else if ('data' in feed) {
        ortFeeds[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
      } else {
        throw new Error(`${this.label}: input "${name}" is a tensor from another runtime`);
      }
    }
    this.session ??= await this.resume!();
    let results: Record<string, ort.Tensor>;
    if (this.io) {
      const bound = this.io.bind(ortFeeds);
      results = this.io.takeOutputs(await this.session.run(bound.feeds, bound.fetches));
    } else {
      results = await this.session.run(ortFeeds);
    }
    const out: Record<string, OutputTensor> = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = new OutputTensor(tensor, this.readbacks);
    return out;
  }

  async dispose(): Promise<void> {
    await this.queue;
    if (this.session) beforeRelease();
    await this.session?.release();
    this.session = null;
    this.io?.destroy();
  }
}

function toMeta(m: ort.InferenceSession.ValueMetadata): ValueMeta {
  if (!m.isTensor) return { name: m.name, type: 'unknown', shape: [] };
  return { name: m.name, type: m.type, shape: [...m.shape] };
}
