// Turns a model set in the diffusers ONNX layout into checked sessions for the pipeline.
// Where files come from (URL, OPFS, folder, disk) and which runtime makes sessions are
// passed in, so the worker and the Node CLI share this code.
import { ClipTokenizer } from '../diffusion/tokenizer.ts';
import { checkControlNet, checkTextEncoder, checkUnet, checkVaeDecoder, checkVaeEncoder } from '../diffusion/contract.ts';
import type { PipelineModels } from '../diffusion/pipeline.ts';
import type { Session, TensorOps } from '../diffusion/session.ts';
import type { ValueMeta } from '../diffusion/tensor.ts';
import { ModelLoadError } from '../diffusion/errors.ts';
import { planMemory } from './memory-plan.ts';
import { externalDataReferences } from './external-data.ts';
import { externalDataNames, readModelIndex, type ExternalData, type SetSource } from './set-source.ts';

export interface LoadOptions {
  createSession(bytes: Uint8Array, label: string, role: string, externalData: ExternalData[]): Promise<Session>;
  ops: TensorOps;
  /** Which UNet file to use (the fp16 variant, or the default). */
  unetFile?: string;
  /** ControlNets to load; default: all the set lists. */
  controlnets?: string[];
  onProgress?: (done: number, total: number, file: string) => void;
  onWarning?: (message: string) => void;
  /** The GPU's largest buffer, when the set loads on WebGPU. */
  maxBufferSize?: number | null;
}

export interface SetCapabilities {
  controlnet: boolean;
  img2img: boolean;
  controlnets: string[];
  unetPrecision: 'fp16' | 'fp32';
}

const decodeText = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export async function loadModelSet(source: SetSource, opts: LoadOptions): Promise<{ models: PipelineModels; capabilities: SetCapabilities }> {
  const index = await readModelIndex(source);
  const controlnetNames = opts.controlnets ?? index.controlnet_studio?.controlnets ?? [];
  const hasEncoder = await source.has('vae_encoder/model.onnx');
  const unetFile = opts.unetFile ?? 'unet/model.onnx';
  const files = ['text_encoder/model.onnx', unetFile, 'vae_decoder/model.onnx', ...(hasEncoder ? ['vae_encoder/model.onnx'] : []), ...controlnetNames.map((n) => `controlnet/${n}/model.onnx`)];
  let done = 0;
  const open = async <C>(file: string, role: string, check: (f: string, i: ValueMeta[], o: ValueMeta[]) => C) => {
    opts.onProgress?.(done, files.length, file);
    const folder = file.slice(0, file.lastIndexOf('/') + 1);
    const externalData: ExternalData[] = [];
    for (const name of externalDataNames(file)) if (await source.has(folder + name)) externalData.push({ path: name, data: await source.read(folder + name) });
    const graph = await source.read(file);
    const session = await opts.createSession(graph, file, role, externalData).catch((err: unknown) => {
      // A graph whose weights live in a file that isn't there fails deep in the runtime; say which file.
      const missing = externalDataReferences(graph).filter((name) => !externalData.some((e) => e.path === name));
      if (missing.length) throw new ModelLoadError(`${file} keeps its weights in ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} missing beside it. Download the set again, or put the file in the same folder as ${file}.`);
      throw err;
    });
    const contract = check(file, session.inputs, session.outputs);
    opts.onProgress?.(++done, files.length, file);
    return { session, contract };
  };

  // Before any weights load: will they fit? (wasm32's 4 GB heap, protobuf's 2 GB per file.)
  const plan = await planMemory(source, files, opts.maxBufferSize ?? null);
  if (plan.errors.length) throw new ModelLoadError(plan.errors.join(' '));
  for (const w of plan.warnings) opts.onWarning?.(w);

  const tokenizer = ClipTokenizer.fromFiles(decodeText(await source.read('tokenizer/vocab.json')), decodeText(await source.read('tokenizer/merges.txt')));
  const schedulerConfig = JSON.parse(decodeText(await source.read('scheduler/scheduler_config.json'))) as Record<string, unknown>;
  const textEncoder = await open('text_encoder/model.onnx', 'text_encoder', checkTextEncoder);
  const unet = await open(unetFile, 'unet', checkUnet);
  const vaeDecoder = await open('vae_decoder/model.onnx', 'vae_decoder', checkVaeDecoder);
  const vaeEncoder = hasEncoder ? await open('vae_encoder/model.onnx', 'vae_encoder', checkVaeEncoder) : null;
  const controlnets = new Map<string, Awaited<ReturnType<typeof open<ReturnType<typeof checkControlNet>>>>>();
  if (unet.contract.residuals) {
    for (const name of controlnetNames) controlnets.set(name, await open(`controlnet/${name}/model.onnx`, 'controlnet', checkControlNet));
  }
  return {
    models: { tokenizer, schedulerConfig, textEncoder, unet, vaeDecoder, vaeEncoder, controlnets, ops: opts.ops },
    capabilities: {
      controlnet: unet.contract.residuals !== null,
      img2img: vaeEncoder !== null,
      controlnets: [...controlnets.keys()],
      unetPrecision: unet.contract.dtype === 'float16' ? 'fp16' : 'fp32',
    },
  };
}
