// The Engine on onnxruntime-node (CPU): the same loader, pipeline and preprocessors the worker
// runs, in process, so the studio's state (generation, run control, control maps) is tested
// against real generations. Sets are folders on disk (a 'url' source names the folder).
import { readFile } from 'node:fs/promises';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession, NodeSession } from '../cli/node-runtime.ts';
import { stepPreview } from '../diffusion/latent-preview.ts';
import type { TensorData } from '../diffusion/tensor.ts';
import type { DeviceInfo, Engine, EngineGenerateParams, GenerateResponse, JobControl, LoadedSetInfo, LoadSetOptions, LoraImportRequest, StoredLoraInfo, StoredModels } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { loadModelSet, openGraphSession, type GraphPatch, type LoadedModelSet } from '../models/load-set.ts';
import type { LoraPart } from '../convert/lora/lora-file.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderStore } from '../cli/fs-store.ts';
import { nodeLoraMerger } from '../cli/loras.ts';
import { blobBytes } from '../convert/byte-source.ts';
import { importLoraInput } from '../convert/import-checkpoint.ts';
import { LoraLibrary } from '../convert/import-lora.ts';
import { LoadedLoras, swapPart } from '../convert/lora/lora-at-load.ts';
import { readModelIndex, sourceKey } from '../models/set-source.ts';
import { runPreprocess, type PreprocessRequest, type PreprocessResult } from '../preprocess/run.ts';
import { generateFromInput } from '../preprocess/img2img.ts';

/** LoadedLoras.apply's reopen on onnxruntime-node: the part's graph opened with the patch, swapped in, the old session released. */
export const nodeReopen =
  (loaded: Pick<LoadedModelSet, 'models' | 'graphs'>) =>
  async (part: LoraPart, patch: GraphPatch | null): Promise<void> => {
    const old = swapPart(loaded.models, part, await openGraphSession(loaded.graphs[part], { createSession: nodeSession() }, patch)) as NodeSession;
    await old.dispose();
  };

const notInNode = (what: string) => () => Promise.reject(new EngineError(`${what} is not available in the Node engine.`));

export class NodeEngine implements Engine {
  private loaded: (LoadedModelSet & { loras: LoadedLoras }) | null = null;
  /** Calls to generate, for tests that count runs. */
  generations = 0;
  /** The LoRA library and its downloads, in a folder of their own. */
  private readonly stores = (() => {
    const root = mkdtempSync(join(tmpdir(), 'node-engine-'));
    const store = (name: string) => folderStore(join(root, name));
    return { sets: store('models'), controlnets: store('controlnets'), downloads: store('downloads'), loras: store('loras'), taesd: store('taesd') };
  })();
  private readonly library = new LoraLibrary(this.stores.loras);
  private readonly merger = nodeLoraMerger();

  async deviceInfo(): Promise<DeviceInfo> {
    return { gpu: null, crossOriginIsolated: false, wasmThreads: 1 };
  }

  async loadModelSet(options: LoadSetOptions, control: JobControl = {}): Promise<LoadedSetInfo> {
    if (options.source.kind !== 'url') throw new EngineError('The Node engine loads sets from folders (a url source naming the folder).');
    const source = folderSource(options.source.url);
    const index = await readModelIndex(source);
    const loaded = await loadModelSet(source, {
      createSession: nodeSession(),
      ops: nodeOps(),
      controlnets: options.controlnets,
      onProgress: (done, total, file) => control.onProgress?.({ stage: 'loading', file, done, total }),
    });
    this.loaded = { ...loaded, loras: new LoadedLoras(this.merger) };
    const unet = { file: 'unet/model.onnx', provider: 'wasm' as const, precision: loaded.capabilities.unetPrecision, notice: null };
    return { key: sourceKey(options.source), unetShape: index.controlnet_studio?.unet_shape ?? null, capabilities: loaded.capabilities, unet, notices: [] };
  }

  async generate(params: EngineGenerateParams, control: JobControl = {}): Promise<GenerateResponse> {
    const loaded = this.loaded;
    if (!loaded) throw new EngineError('No model set is loaded. Load one first.');
    this.generations++;
    const applied = await this.library.applied(params.loras ?? []);
    const lora = loaded.loras.changes(applied).length ? await loaded.loras.apply(loaded.graphs, applied, nodeReopen(loaded)) : null;
    control.onProgress?.({ stage: 'starting', done: 0, total: params.steps });
    const result = await generateFromInput(loaded.models, params, {
      signal: control.signal,
      onStep: (s) => control.onProgress?.({ stage: 'denoising', done: s.step, total: s.total, stepMs: s.ms, timestep: s.timestep, preview: stepPreview(s, params) }),
    });
    return { ...result, gpuReadbacks: { count: 0, bytes: 0 }, pipelinesCompiled: 0, captured: [], notCaptured: [], lora };
  }

  preprocess(request: PreprocessRequest): Promise<PreprocessResult> {
    const runModel = async (path: string, feeds: Record<string, TensorData>) => {
      const session = await NodeSession.create(new Uint8Array(await readFile(path)), path);
      const out = await session.run(feeds);
      return Object.fromEntries(await Promise.all(Object.entries(out).map(async ([k, t]) => [k, await t.download()] as const)));
    };
    return runPreprocess(request, { gpu: null, runModel });
  }

  selfTest = notInNode('The GPU self-test');
  downloadModelSet = notInNode('Downloading into browser storage');
  modelSetStatus = notInNode('Browser storage');
  verifyModelSet = notInNode('Browser storage');
  deleteModelSet = notInNode('Browser storage');
  importCheckpoint = notInNode('Importing into browser storage');
  deleteStoredControlNet = notInNode('Browser storage');
  deleteStoredTaesd = notInNode('Browser storage');

  async storedModels(): Promise<StoredModels> {
    return { sets: [], controlnets: [], loras: await this.library.list(), taesd: [] };
  }

  importLora(request: LoraImportRequest): Promise<StoredLoraInfo> {
    const files = request.input.kind === 'files' ? new Map(request.input.files.map((f) => [f.path, blobBytes(f.file, f.path.split('/').pop()!)])) : null;
    return importLoraInput(files ? { kind: 'files', files } : { kind: 'hub', repo: (request.input as { repo: string }).repo }, this.stores, { name: request.name, lcm: request.lcm });
  }

  deleteLora(name: string): Promise<void> {
    return this.library.delete(name);
  }
  dispose(): void {}
}
