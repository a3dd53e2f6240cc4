// The Engine on onnxruntime-node (CPU): the same loader, pipeline and preprocessors the worker
// runs, in process, so the studio's state (generation, run control, control maps) is tested
// against real generations. Sets are folders on disk (a 'url' source names the folder).
import { readFile } from 'node:fs/promises';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession, NodeSession } from '../cli/node-runtime.ts';
import { stepPreview } from '../diffusion/latent-preview.ts';
import { generate, type PipelineModels } from '../diffusion/pipeline.ts';
import type { TensorData } from '../diffusion/tensor.ts';
import type { DeviceInfo, Engine, EngineGenerateParams, GenerateResponse, JobControl, LoadedSetInfo, LoadSetOptions } from '../gpu/engine.ts';
import { EngineError } from '../gpu/errors.ts';
import { loadModelSet } from '../models/load-set.ts';
import { readModelIndex, sourceKey } from '../models/set-source.ts';
import { runPreprocess, type PreprocessRequest, type PreprocessResult } from '../preprocess/run.ts';

const notInNode = (what: string) => () => Promise.reject(new EngineError(`${what} is not available in the Node engine.`));

export class NodeEngine implements Engine {
  private models: PipelineModels | null = null;
  /** Calls to generate, for tests that count runs. */
  generations = 0;

  async deviceInfo(): Promise<DeviceInfo> {
    return { gpu: null, crossOriginIsolated: false, wasmThreads: 1 };
  }

  async loadModelSet(options: LoadSetOptions, control: JobControl = {}): Promise<LoadedSetInfo> {
    if (options.source.kind !== 'url') throw new EngineError('The Node engine loads sets from folders (a url source naming the folder).');
    const source = folderSource(options.source.url);
    const index = await readModelIndex(source);
    const { models, capabilities } = await loadModelSet(source, {
      createSession: nodeSession(),
      ops: nodeOps(),
      controlnets: options.controlnets,
      onProgress: (done, total, file) => control.onProgress?.({ stage: 'loading', file, done, total }),
    });
    this.models = models;
    const unet = { file: 'unet/model.onnx', provider: 'wasm' as const, precision: capabilities.unetPrecision, notice: null };
    return { key: sourceKey(options.source), unetShape: index.controlnet_studio?.unet_shape ?? null, capabilities, unet, notices: [] };
  }

  async generate(params: EngineGenerateParams, control: JobControl = {}): Promise<GenerateResponse> {
    if (!this.models) throw new EngineError('No model set is loaded. Load one first.');
    this.generations++;
    control.onProgress?.({ stage: 'starting', done: 0, total: params.steps });
    const result = await generate(this.models, params, {
      signal: control.signal,
      onStep: (s) => control.onProgress?.({ stage: 'denoising', done: s.step, total: s.total, stepMs: s.ms, timestep: s.timestep, preview: stepPreview(s, params) }),
    });
    return { ...result, gpuReadbacks: { count: 0, bytes: 0 }, pipelinesCompiled: 0, captured: [], notCaptured: [] };
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
  storedModels = notInNode('Browser storage');
  deleteStoredControlNet = notInNode('Browser storage');
  dispose(): void {}
}
