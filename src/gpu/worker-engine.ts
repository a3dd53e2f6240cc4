// The real Engine, living in the inference worker: the one GPUDevice (acquired here, handed to
// onnxruntime-web), plus three jobs it delegates — inference (sets, generation), preprocessor
// models, and storage (downloads, conversions, OPFS). Device loss and stray GPU errors are events.
import { acquireGpu, type GpuContext } from './device.ts';
import { configureRuntime, ModelSession, ReadbackCounter, wasmThreadCount, type ExecutionProvider } from './backend.ts';
import { LoraMerger } from '../convert/lora/lora-merge.ts';
import type {
  DeviceInfo,
  DownloadSetRequest,
  DownloadSetResult,
  Engine,
  EngineGenerateParams,
  GenerateResponse,
  ImportRequest,
  ImportResult,
  JobControl,
  LoadedSetInfo,
  LoadSetOptions,
  LoraImportRequest,
  SelfTestOptions,
  SelfTestReport,
  SetStatus,
  StoredLoraInfo,
  StoredModels,
  VerifyResult,
} from '../engine/engine.ts';
import { ModelRunner } from './model-runner.ts';
import { PreprocessorModelCache } from './preprocessor-cache.ts';
import { OrtQueue } from './ort-queue.ts';
import { runSelfTest } from './self-test.ts';
import { ModelStorage } from '../engine/storage.ts';
import { sourceKey } from '../models/set-source.ts';
import { runPreprocess, type PreprocessRequest, type PreprocessResult } from '../preprocess/run.ts';

export type EngineEventSink = (event: { type: 'device-lost' | 'gpu-error'; message: string }) => void;

export class WorkerEngine implements Engine {
  private gpu: Promise<GpuContext | null> | null = null;
  private readonly readbacks = new ReadbackCounter();
  /** Merges for "Bake LoRA" run on WASM, each call in the session job queue (imports run beside generations). */
  private readonly bakeMerger = new LoraMerger(async (bytes, label) => {
    const session = await this.ort.run(() => ModelSession.create(bytes, 'wasm', label, this.readbacks));
    return { label, inputs: session.inputs, outputs: session.outputs, run: (feeds) => this.ort.run(() => session.run(feeds)) };
  });
  private readonly storage = new ModelStorage(() => this.bakeMerger);
  private readonly preprocessorModels = new PreprocessorModelCache(this.readbacks);
  private readonly inference = new ModelRunner(() => this.ensureGpu(), this.readbacks, this.storage);
  /** Session work, one job at a time (see ort-queue.ts). */
  private readonly ort = new OrtQueue();

  constructor(private readonly emit: EngineEventSink) {}

  private ensureGpu(): Promise<GpuContext | null> {
    this.gpu ??= acquireGpu({
      onLost: (message) => this.emit({ type: 'device-lost', message }),
      onUncapturedError: (message) => this.emit({ type: 'gpu-error', message }),
    })
      .catch(() => null)
      .then((ctx) => {
        configureRuntime(ctx?.device ?? null);
        return ctx;
      });
    return this.gpu;
  }

  async deviceInfo(): Promise<DeviceInfo> {
    const ctx = await this.ensureGpu();
    return { gpu: ctx?.info ?? null, crossOriginIsolated: globalThis.crossOriginIsolated === true, wasmThreads: wasmThreadCount() };
  }

  async selfTest(options: SelfTestOptions, control: JobControl = {}): Promise<SelfTestReport> {
    const ctx = await this.ensureGpu();
    return this.ort.run(() => runSelfTest(ctx?.info ?? null, this.storage.source(options.source, control.signal), options.latentSize, control, this.readbacks));
  }

  loadModelSet(options: LoadSetOptions, control?: JobControl): Promise<LoadedSetInfo> {
    return this.ort.run(() => this.inference.loadModelSet(options, control));
  }

  generate(params: EngineGenerateParams, control?: JobControl): Promise<GenerateResponse> {
    return this.ort.run(() => this.inference.generate(params, control));
  }

  async preprocess(request: PreprocessRequest): Promise<PreprocessResult> {
    const gpu = await this.inference.gpuPreprocessor();
    const provider: ExecutionProvider = gpu && request.backend === 'gpu' ? 'webgpu' : 'wasm';
    return runPreprocess(request, { gpu, runModel: (url, feeds) => this.ort.run(() => this.preprocessorModels.run(url, provider, feeds)) });
  }

  downloadModelSet(request: DownloadSetRequest, control?: JobControl): Promise<DownloadSetResult> {
    return this.storage.download(request, control);
  }

  modelSetStatus(request: DownloadSetRequest): Promise<SetStatus> {
    return this.storage.status(request);
  }

  verifyModelSet(request: DownloadSetRequest, control?: JobControl): Promise<VerifyResult> {
    return this.storage.verify(request, control);
  }

  async deleteModelSet(id: string): Promise<void> {
    await this.ort.run(() => this.inference.unload(sourceKey({ kind: 'stored', id })));
    await this.storage.deleteSet(id);
  }

  importCheckpoint(request: ImportRequest, control?: JobControl): Promise<ImportResult> {
    return this.storage.importCheckpoint(request, control);
  }

  storedModels(): Promise<StoredModels> {
    return this.storage.storedModels();
  }

  deleteStoredControlNet(name: string): Promise<void> {
    return this.storage.deleteStoredControlNet(name);
  }

  importLora(request: LoraImportRequest, control?: JobControl): Promise<StoredLoraInfo> {
    return this.storage.importLora(request, control);
  }

  deleteLora(name: string): Promise<void> {
    return this.storage.deleteLora(name);
  }

  deleteStoredTaesd(name: string): Promise<void> {
    return this.storage.deleteStoredTaesd(name);
  }

  dispose(): void {
    void this.inference.unload();
    void this.preprocessorModels.dispose();
    void this.gpu?.then((ctx) => ctx?.destroy());
  }
}
