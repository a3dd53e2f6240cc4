// The real Engine, living in the inference worker. It owns the one GPUDevice and hands
// it to onnxruntime-web; device loss and stray GPU errors are reported as events.
import { acquireGpu, type GpuContext } from './device.ts';
import { configureRuntime, gpuBufferTensor, ModelSession, ReadbackCounter, wasmThreadCount, type ExecutionProvider } from './backend.ts';
import type { DeviceInfo, DownloadSetRequest, DownloadSetResult, Engine, EngineGenerateParams, GenerateResponse, JobControl, LoadedSetInfo, LoadSetOptions, SelfTestOptions, SelfTestReport, SetStatus, VerifyResult } from './engine.ts';
import { EngineError } from './errors.ts';
import { runSelfTest } from './self-test.ts';
import { latentPreview } from '../diffusion/latent-preview.ts';
import { generate, hintBatch, type PipelineModels } from '../diffusion/pipeline.ts';
import type { DeviceTensor } from '../diffusion/session.ts';
import type { Session } from '../diffusion/session.ts';
import { fetchBytes, urlSource } from '../models/fetch-file.ts';
import type { TensorData } from '../diffusion/tensor.ts';
import { loadModelSet } from '../models/load-set.ts';
import { readModelIndex } from '../models/set-source.ts';
import { GraphTensorOps } from '../models/op-graphs.ts';
import { checkStorage, DownloadQueue, fileStatuses, isCached, verifyFiles } from '../models/download/downloader.ts';
import type { FileStore } from '../models/download/file-store.ts';
import { opfsStore } from '../models/download/opfs-store.ts';
import { blobSource, storeSource } from '../models/set-files.ts';
import { chooseUnetVariant } from '../models/unet-variant.ts';
import { GpuPreprocessor } from '../preprocess/gpu/gpu-preprocessor.ts';
import { runPreprocess, type PreprocessRequest, type PreprocessResult } from '../preprocess/run.ts';

export type EngineEventSink = (event: { type: 'device-lost' | 'gpu-error'; message: string }) => void;

interface LoadedSet {
  provider: ExecutionProvider;
  info: LoadedSetInfo;
  models: PipelineModels;
  sessions: ModelSession[];
}

export class WorkerEngine implements Engine {
  private gpu: Promise<GpuContext | null> | null = null;
  private readonly readbacks = new ReadbackCounter();
  private loaded: LoadedSet | null = null;
  private preprocessor: GpuPreprocessor | null = null;
  private preprocessorModels = new Map<string, Promise<ModelSession>>();
  private store: FileStore | null = null;
  private downloads: DownloadQueue | null = null;

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
    return runSelfTest(ctx?.info ?? null, options, control, this.readbacks);
  }

  async loadModelSet(options: LoadSetOptions, control: JobControl = {}): Promise<LoadedSetInfo> {
    const gpu = (await this.ensureGpu())?.info ?? null;
    await this.unload();
    const cached = /^opfs:(.+)$/.exec(options.url);
    const source = options.folder ? blobSource(options.folder) : cached ? storeSource(this.modelStore(), cached[1]!) : urlSource(options.url, control.signal);
    const index = await readModelIndex(source);
    const webgpu = gpu !== null && options.provider !== 'wasm';
    const unet = chooseUnetVariant({ webgpu, shaderF16: gpu?.shaderF16 ?? false, fp32File: 'unet/model.onnx', fp16File: index.controlnet_studio?.unet_fp16 ?? null, prefer: options.unetPrecision });
    const provider: ExecutionProvider = webgpu ? 'webgpu' : 'wasm';
    const sessions: ModelSession[] = [];
    const create = async (bytes: Uint8Array, label: string, role = 'op', externalData: { path: string; data: Uint8Array }[] = []): Promise<Session> => {
      // The UNet and the small op graphs around it (which cast to its precision) share its provider:
      // an fp16 UNet on WASM needs its inputs made where f16 works.
      const s = await ModelSession.create(bytes, role === 'unet' || role === 'op' ? unet.provider : provider, label, this.readbacks, externalData);
      sessions.push(s);
      return s;
    };
    const warnings: string[] = [];
    try {
      const { models, capabilities } = await loadModelSet(source, {
        createSession: create,
        maxBufferSize: webgpu ? (gpu?.maxBufferSize ?? null) : null,
        onWarning: (w) => warnings.push(w),
        ops: new GraphTensorOps((bytes, label) => create(bytes, label)),
        unetFile: unet.file,
        controlnets: options.controlnets,
        onProgress: (done, total, file) => {
          if (control.signal?.aborted) throw new EngineError('Loading cancelled.');
          control.onProgress?.({ stage: `loading ${file}`, done, total });
        },
      });
      const notices = [unet.notice, capabilities.controlnet ? null : 'This set’s UNet has no ControlNet inputs: ControlNet is unavailable; txt2img and img2img still work.', ...warnings].filter(
        (n): n is string => n !== null,
      );
      this.loaded = { provider, info: { url: options.url, capabilities, unet, notices }, models, sessions };
      return this.loaded.info;
    } catch (err) {
      await Promise.all(sessions.map((s) => s.dispose()));
      throw err;
    }
  }

  async generate(params: EngineGenerateParams, control: JobControl = {}): Promise<GenerateResponse> {
    const loaded = this.loaded;
    if (!loaded) throw new EngineError('No model set is loaded. Load one first.');
    const ctx = await this.ensureGpu();
    // Preprocess units that ask for it: on the GPU straight into the ControlNet's input
    // when everything is on WebGPU in fp32, otherwise on the CPU into the unit's image.
    const controlTensors: (DeviceTensor | null)[] = [];
    let gpuHints = 0;
    const units = [];
    for (const unit of params.units) {
      const { preprocess, ...plain } = unit;
      const cn = loaded.models.controlnets.get(unit.model);
      if (preprocess && ctx && loaded.provider === 'webgpu' && cn?.contract.dtype === 'float32') {
        this.preprocessor ??= new GpuPreprocessor(ctx.device);
        const batch = hintBatch(params, unit);
        const buffer = await this.preprocessor.cannyControl({ ...unit.image, channels: 4 }, preprocess, batch);
        controlTensors.push(gpuBufferTensor(buffer, [batch, 3, unit.image.height, unit.image.width], this.readbacks));
        gpuHints++;
      } else {
        if (preprocess) plain.image = (await runPreprocess({ ...preprocess, image: unit.image, backend: 'cpu' }, { gpu: null, runModel: null })).map;
        controlTensors.push(null);
      }
      units.push(plain);
    }
    const [count0, bytes0] = [this.readbacks.count, this.readbacks.bytes];
    try {
      const result = await generate(loaded.models, { ...params, units }, {
        signal: control.signal,
        controlTensors,
        onStep: (s) => control.onProgress?.({ stage: 'denoising', done: s.step, total: s.total, stepMs: s.ms, timestep: s.timestep, preview: latentPreview(s.latents, params.width / 8, params.height / 8) }),
      });
      return { ...result, gpuHints, gpuReadbacks: { count: this.readbacks.count - count0, bytes: this.readbacks.bytes - bytes0 } };
    } catch (err) {
      for (const t of controlTensors) t?.dispose();
      throw err;
    }
  }

  async preprocess(request: PreprocessRequest): Promise<PreprocessResult> {
    const ctx = await this.ensureGpu();
    if (ctx) this.preprocessor ??= new GpuPreprocessor(ctx.device);
    const provider: ExecutionProvider = ctx && request.backend === 'gpu' ? 'webgpu' : 'wasm';
    return runPreprocess(request, {
      gpu: this.preprocessor,
      runModel: async (url, feeds) => {
        const key = `${provider} ${url}`;
        let session = this.preprocessorModels.get(key);
        if (!session) {
          session = fetchBytes(url).then((bytes) => ModelSession.create(bytes, provider, url, this.readbacks));
          this.preprocessorModels.set(key, session);
          session.catch(() => this.preprocessorModels.delete(key));
        }
        const ready = await session;
        const expected = ready.inputs.map((i) => i.name);
        if (expected.length !== Object.keys(feeds).length || !expected.every((name) => name in feeds)) {
          throw new Error(`${url} is not the model this preprocessor needs: it takes (${expected.join(', ')}), the preprocessor feeds (${Object.keys(feeds).join(', ')}). Pick the matching model.`);
        }
        const outputs = await ready.run(feeds);
        const result: Record<string, TensorData> = {};
        for (const [name, t] of Object.entries(outputs)) {
          result[name] = await t.download();
          t.dispose();
        }
        return result;
      },
    });
  }

  private modelStore(): FileStore {
    this.store ??= opfsStore();
    return this.store;
  }

  async downloadModelSet(request: DownloadSetRequest, control: JobControl = {}): Promise<DownloadSetResult> {
    const store = this.modelStore();
    this.downloads ??= new DownloadQueue(store, 3);
    const result: DownloadSetResult = { files: request.files.length, alreadyCached: 0, fetchedBytes: 0, resumedBytes: 0 };
    const received = new Map<string, number>();
    const total = request.files.reduce((sum, f) => sum + (f.size ?? 0), 0) || null;
    const missing = [];
    for (const file of request.files) {
      if (await isCached(store, file)) result.alreadyCached++;
      else missing.push(file);
    }
    // Refuse to start when the rest of the set won't fit (the message says how much is missing).
    await checkStorage(missing.reduce((sum, f) => sum + (f.size ?? 0), 0));
    // Every file is tried; the first error is reported after the others finish, so one bad file costs no progress elsewhere.
    const outcomes = await Promise.allSettled(
      missing.map((file) =>
        this.downloads!.download(file, {
          signal: control.signal,
          onProgress: (p) => {
            received.set(p.path, p.received);
            const done = [...received.values()].reduce((a, b) => a + b, 0);
            control.onProgress?.({ stage: `downloading ${p.path}`, done, total: total ?? done });
          },
        }).then((r) => {
          const { fetchedBytes, resumedFrom } = r as { fetchedBytes: number; resumedFrom: number };
          result.fetchedBytes += fetchedBytes;
          result.resumedBytes += resumedFrom;
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    return result;
  }

  async modelSetStatus(request: DownloadSetRequest): Promise<SetStatus> {
    const files = await fileStatuses(this.modelStore(), request.files);
    const estimate = await navigator.storage?.estimate?.().catch(() => null);
    return { files, storedBytes: files.reduce((sum, f) => sum + f.stored, 0), usage: estimate?.usage ?? null, quota: estimate?.quota ?? null };
  }

  async verifyModelSet(request: DownloadSetRequest, control: JobControl = {}): Promise<VerifyResult> {
    let done = 0;
    return verifyFiles(this.modelStore(), request.files, (path) => control.onProgress?.({ stage: `verifying ${path}`, done: done++, total: request.files.length }));
  }

  async deleteModelSet(id: string): Promise<void> {
    if (this.loaded?.info.url === `opfs:${id}`) await this.unload();
    await this.modelStore().remove(id);
  }

  private async unload() {
    const old = this.loaded;
    this.loaded = null;
    if (old) await Promise.all(old.sessions.map((s) => s.dispose()));
  }

  dispose(): void {
    void this.unload();
    void this.gpu?.then((ctx) => ctx?.destroy());
  }
}
