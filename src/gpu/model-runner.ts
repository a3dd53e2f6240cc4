// The engine's inference job: load a set into sessions (each on the provider that can run it),
// generate with it, and load ControlNets stored on their own the first time a generation uses
// them. The device and storage are borrowed, not owned.
import { checkControlNet } from '../diffusion/contract.ts';
import { stepPreview } from '../diffusion/latent-preview.ts';
import type { PipelineModels } from '../diffusion/pipeline.ts';
import { generateFromInput } from '../preprocess/img2img.ts';
import type { Session } from '../diffusion/session.ts';
import { loadModelSet, openControlNet, openGraphSession, type LoadedModelSet, type SessionSpec } from '../models/load-set.ts';
import { LoadedLoras, swapPart, type LoraChangeStats } from '../convert/lora/lora-at-load.ts';
import { LoraMerger } from '../convert/lora/lora-merge.ts';
import { GraphTensorOps } from '../models/op-graphs.ts';
import { unetFp16File, unetFp32File, type ModelIndex } from '../models/set-layout.ts';
import { readModelIndex, sourceKey } from '../models/set-source.ts';
import { chooseUnetVariant } from '../models/unet-variant.ts';
import { GpuPreprocessor } from '../preprocess/gpu/gpu-preprocessor.ts';
import { CaptureCache, type Recreatable } from './capture-cache.ts';
import { deviceWorkDone, ModelSession, onSessionRelease, type ExecutionProvider, type ReadbackCounter } from './backend.ts';
import type { GpuContext } from './device.ts';
import type { EngineGenerateParams, GenerateResponse, JobControl, LoadedSetInfo, LoadSetOptions, LoraRequest } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import type { ModelStorage } from '../engine/storage.ts';

interface LoadedSet {
  provider: ExecutionProvider;
  /** The text encoder's and UNet's graphs, and the LoRAs they run with (applied at load). */
  graphs: LoadedModelSet['graphs'];
  loras: LoadedLoras;
  /** Captured UNet/ControlNet sessions at the current request's shapes (WebGPU); null when off. */
  capture: CaptureCache | null;
  /** Sizes generated at since loading: WebGPU compiles its shaders on the first run at a size. */
  warmSizes: Set<string>;
  info: LoadedSetInfo;
  index: ModelIndex;
  models: PipelineModels;
  sessions: ModelSession[];
  createSession: (spec: SessionSpec) => Promise<Session>;
}

export class ModelRunner {
  private loaded: LoadedSet | null = null;
  private preprocessor: GpuPreprocessor | null = null;
  /** LoRA merges on WASM's CPU kernels (called inside a generation's job, so not queued again). */
  private readonly merger = new LoraMerger((bytes, label) => ModelSession.create(bytes, 'wasm', label, this.readbacks));

  constructor(
    /** The worker's one device (not owned here). */
    private readonly gpu: () => Promise<GpuContext | null>,
    private readonly readbacks: ReadbackCounter,
    private readonly storage: ModelStorage,
  ) {
    // A kept prompt output does not outlive a released session (see onSessionRelease); the encoder runs again.
    onSessionRelease(() => this.loaded?.models.promptCache?.dispose());
  }

  /** The GPU preprocessor on the shared device (made on first use). */
  async gpuPreprocessor(): Promise<GpuPreprocessor | null> {
    const ctx = await this.gpu();
    if (ctx) this.preprocessor ??= new GpuPreprocessor(ctx.device);
    return this.preprocessor;
  }

  get loadedKey(): string | null {
    return this.loaded?.info.key ?? null;
  }

  async loadModelSet(options: LoadSetOptions, control: JobControl = {}): Promise<LoadedSetInfo> {
    const gpu = (await this.gpu())?.info ?? null;
    await this.unload();
    const source = this.storage.source(options.source, control.signal);
    const index = await readModelIndex(source);
    const webgpu = gpu !== null && options.provider !== 'wasm';
    const shaderF16 = gpu?.shaderF16 ?? false;
    const unet = chooseUnetVariant({ webgpu, shaderF16, fp32File: unetFp32File(index), fp16File: unetFp16File(index), prefer: options.unetPrecision });
    const provider: ExecutionProvider = webgpu ? 'webgpu' : 'wasm';
    const sessions: ModelSession[] = [];
    const cpuFp16: string[] = [];
    const create = async (spec: SessionSpec): Promise<Session> => {
      // The UNet and the small op graphs around it (which cast to its precision) share its provider:
      // an fp16 UNet on WASM needs its inputs made where f16 works. Other fp16 graphs need shader-f16 on WebGPU.
      let where = spec.role === 'unet' ? unet.provider : provider;
      if (spec.role !== 'unet' && spec.fp16 && where === 'webgpu' && !shaderF16) {
        where = 'wasm';
        cpuFp16.push(spec.label);
      }
      const s = await ModelSession.create(spec.bytes!, where, spec.label, this.readbacks, spec.externalData);
      sessions.push(s);
      // The loop's big graphs can be made again at fixed shapes, captured (read again then: the bytes are not kept).
      if (where === 'webgpu' && (spec.role === 'unet' || spec.role === 'controlnet') && spec.reread) recreatable.set(spec.label, { spec: { ...spec, bytes: null, externalData: [] }, session: s });
      return s;
    };
    const recreatable = new Map<string, Recreatable>();
    const ops = new GraphTensorOps(
      (bytes, label) => ModelSession.create(bytes, unet.provider, label, this.readbacks).then((s) => (sessions.push(s), s)),
      // On WASM a step's work is done when its runs return: waiting on the GPU queue (kept for the
      // preprocessors) would only resolve after the next step's work and misreport step times.
      unet.provider === 'webgpu' ? deviceWorkDone : () => Promise.resolve(),
    );
    const warnings: string[] = [];
    try {
      const { models, capabilities, graphs } = await loadModelSet(source, {
        createSession: create,
        storedTaesd: await this.storage.storedTaesd(),
        maxBufferSize: webgpu ? (gpu?.maxBufferSize ?? null) : null,
        onWarning: (w) => warnings.push(w),
        ops,
        unetFile: unet.file,
        controlnets: options.controlnets,
        onProgress: (done, total, file) => {
          if (control.signal?.aborted) throw new EngineError('Loading cancelled.');
          control.onProgress?.({ stage: 'loading', file, done, total });
        },
      });
      const notices = [
        unet.notice,
        capabilities.controlnet ? null : 'This set’s UNet has no ControlNet inputs: ControlNet is unavailable; txt2img and img2img still work.',
        cpuFp16.length ? `${cpuFp16.join(', ')} ${cpuFp16.length > 1 ? 'are' : 'is'} fp16 and run${cpuFp16.length > 1 ? '' : 's'} on the CPU (WASM): this GPU has no shader-f16.` : null,
        ...warnings,
      ].filter((n): n is string => n !== null);
      // On a software GPU, preparing a new shape recompiles its shaders (the tiny UNet + ControlNet at
      // 64×64 on SwiftShader: 48 s for the first 2-step run, 7.6 s after) and saves under 0.1 s a
      // step, so capture stays off there.
      const wantCapture = options.graphCapture ?? !(gpu?.software ?? false);
      const capture = provider === 'webgpu' && wantCapture ? new CaptureCache(recreatable, this.readbacks) : null;
      this.loaded = {
        provider,
        graphs,
        loras: new LoadedLoras(this.merger),
        capture,
        warmSizes: new Set(),
        index,
        models,
        sessions,
        createSession: create,
        info: { key: sourceKey(options.source), unetShape: index.controlnet_studio?.unet_shape ?? null, capabilities, unet, notices },
      };
      return this.loaded.info;
    } catch (err) {
      await Promise.all(sessions.map((s) => s.dispose()));
      throw err;
    }
  }

  /** ControlNets stored on their own that the units name and the set has not loaded yet. */
  private async loadStoredControlNets(loaded: LoadedSet, names: string[], control: JobControl): Promise<void> {
    const missing = [...new Set(names)].filter((n) => !loaded.models.controlnets.has(n));
    if (!missing.length || !loaded.models.unet.contract.residuals) return;
    const stored = await this.storage.storedControlNets();
    for (const [i, name] of missing.entries()) {
      const found = stored.find((s) => s.name === name);
      if (!found) continue; // the pipeline names the unit and what the set has
      control.onProgress?.({ stage: 'loading', file: `controlnet ${name}`, done: i, total: missing.length });
      const cn = await openControlNet(found, loaded.index, loaded.createSession);
      loaded.models.controlnets.set(name, { session: cn.session, contract: checkControlNet(cn.label, cn.session.inputs, cn.session.outputs) });
      loaded.info.capabilities.controlnets.push(name);
    }
  }

  async generate(params: EngineGenerateParams, control: JobControl = {}): Promise<GenerateResponse> {
    const loaded = this.loaded;
    if (!loaded) throw new EngineError('No model set is loaded. Load one first.');
    await this.loadStoredControlNets(
      loaded,
      params.units.map((u) => u.model),
      control,
    );
    const lora = await this.applyLoras(loaded, params.loras ?? [], control);
    const gpu = await this.gpu();
    const [count0, bytes0, pipelines0] = [this.readbacks.count, this.readbacks.bytes, gpu?.pipelinesCompiled() ?? 0];
    const size = `${params.width}x${params.height}`;
    const models = loaded.capture
      ? await loaded.capture.modelsFor(loaded.models, params, (what) => control.onProgress?.({ stage: 'preparing', file: what, done: 0, total: params.steps }))
      : loaded.models;
    control.onProgress?.({ stage: loaded.provider === 'webgpu' && !loaded.warmSizes.has(size) ? 'compiling' : 'starting', done: 0, total: params.steps });
    const result = await generateFromInput(models, params, {
      signal: control.signal,
      onStep: (s) => control.onProgress?.({ stage: 'denoising', done: s.step, total: s.total, stepMs: s.ms, timestep: s.timestep, preview: stepPreview(s, params) }),
    });
    loaded.warmSizes.add(size);
    const captured = loaded.capture?.lastCaptured ?? [];
    const notCaptured = [...(loaded.capture?.failures ?? [])].map(([graph, reason]) => ({ graph, reason }));
    return {
      ...result,
      gpuReadbacks: { count: this.readbacks.count - count0, bytes: this.readbacks.bytes - bytes0 },
      pipelinesCompiled: (gpu?.pipelinesCompiled() ?? 0) - pipelines0,
      captured,
      notCaptured,
      lora,
    };
  }

  /** Applies the LoRAs a generation names: the parts whose LoRAs changed are merged and opened again; null when nothing changed. */
  private async applyLoras(loaded: LoadedSet, requests: LoraRequest[], control: JobControl): Promise<LoraChangeStats | null> {
    const applied = await this.storage.appliedLoras(requests);
    if (!loaded.loras.changes(applied).length) return null;
    control.onProgress?.({ stage: 'applying LoRAs', file: requests.map((r) => r.name).join(', ') || 'none', done: 0, total: 1 });
    return loaded.loras.apply(loaded.graphs, applied, async (part, patch) => {
      const session = await openGraphSession(loaded.graphs[part], { createSession: loaded.createSession }, patch);
      const old = swapPart(loaded.models, part, session) as ModelSession;
      loaded.sessions.splice(loaded.sessions.indexOf(old), 1);
      // A captured copy holds the old weights too.
      await loaded.capture?.forget(old.label);
      await old.dispose();
    });
  }

  /** Unloads the set (all of it, or only if it is the one with `key`). */
  async unload(key?: string): Promise<void> {
    const old = this.loaded;
    if (!old || (key !== undefined && old.info.key !== key)) return;
    this.loaded = null;
    old.models.promptCache?.dispose();
    await old.capture?.dispose();
    await Promise.all(old.sessions.map((s) => s.dispose()));
  }
}
