// Turns a model set in our diffusers ONNX layout into checked sessions for the pipeline — the
// one loader for every set: served over HTTP, stored in OPFS, a local folder, or a folder on
// disk (Node). Where files come from and which runtime makes sessions are passed in, so the
// worker and the Node CLI share this code. ControlNets stored on their own load beside any set
// whose UNet they fit.
import { findControlNets } from './set-controlnets.ts';
import { ClipTokenizer } from '../diffusion/tokenizer.ts';
import { checkControlNet, checkTextEncoder, checkUnet, checkVaeDecoder, checkVaeEncoder, type Role } from '../diffusion/contract.ts';
import { ModelLoadError } from '../diffusion/errors.ts';
import type { PipelineModels } from '../diffusion/pipeline.ts';
import type { Session, TensorOps } from '../diffusion/session.ts';
import type { ValueMeta } from '../diffusion/tensor.ts';
import { externalDataReferences } from './external-data.ts';
import { planMemory } from './memory-plan.ts';
import {
  controlnetGraph,
  describeUnetShape,
  externalDataNames,
  sameUnetShape,
  STORED_CONTROLNET_INFO,
  STORED_TAESD_INFO,
  TEXT_ENCODER,
  UNET,
  VAE_DECODER,
  VAE_ENCODER,
  type ModelIndex,
  type StoredControlNetInfo,
  type TaesdInfo,
} from './set-layout.ts';
import { readModelIndex, type ExternalData, type SetSource } from './set-source.ts';
import { PromptCache } from '../diffusion/pipeline-prompt.ts';

/** What a runtime needs to make one session. */
export interface SessionSpec {
  /** The graph as the set names it, for errors and stats ("unet/model.onnx"). */
  label: string;
  role: Role;
  /** The index says this graph is fp16 (it needs shader-f16 to run on WebGPU). */
  fp16: boolean;
  /** The graph file's bytes, or null when the runtime reads it from `localPath` itself. */
  bytes: Uint8Array | null;
  /** Weight files the graph names beside it. Empty when read from `localPath`. */
  externalData: ExternalData[];
  localPath: string | null;
  /** Reads the graph again (a runtime that makes a second session from it, e.g. at fixed shapes). */
  reread?: () => Promise<{ bytes: Uint8Array; externalData: ExternalData[] }>;
}

/** A ControlNet stored on its own (controlnets/<name>/ in the browser's storage): its folder as a source. */
export interface StoredControlNet {
  name: string;
  source: SetSource;
}

export interface LoadOptions {
  createSession(spec: SessionSpec): Promise<Session>;
  ops: TensorOps;
  /** Which UNet file to use (the fp16 variant, or the default). */
  unetFile?: string;
  /** ControlNets of the set to load; default: all the set lists. */
  controlnets?: string[];
  /** ControlNets stored on their own, loaded beside the set's. */
  storedControlnets?: StoredControlNet[];
  onProgress?: (done: number, total: number, file: string) => void;
  onWarning?: (message: string) => void;
  /** The GPU's largest buffer, when the set loads on WebGPU. */
  maxBufferSize?: number | null;
  /** A TAESD stored on its own (its folder), loaded when the set has none of its own. */
  storedTaesd?: SetSource | null;
  /** Replaces some of a graph's weights as it loads (LoRAs applied at load); null leaves it as it is. */
  patchGraph?: (g: GraphToLoad) => Promise<GraphPatch | null>;
}

export interface SetCapabilities {
  controlnet: boolean;
  img2img: boolean;
  /** The UNet is an inpainting one (9 input channels: latents, mask, masked-image latents). */
  inpainting: boolean;
  /** TAESD's decoder (previews, fast decoding) and encoder (fast img2img encoding) are loaded. */
  taesd: { decoder: boolean; encoder: boolean };
  /**
   * Why the set runs the LCM recipe on its own: its scheduler config names LCMScheduler (an
   * LCM-distilled checkpoint, as SimianLuo/LCM_Dreamshaper_v7), or an LCM-LoRA was baked in.
   * null: it cannot (an LCM-LoRA applied at load can make it).
   */
  lcm: 'scheduler' | 'baked-lora' | null;
  controlnets: string[];
  unetPrecision: 'fp16' | 'fp32';
}

const decodeText = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export interface GraphToLoad {
  source: SetSource;
  file: string;
  label: string;
  role: Role;
  fp16: boolean;
  dataNames: string[];
}

/** A graph file's bytes and the weight files beside it that exist. */
export async function readGraph(source: SetSource, file: string, dataNames: string[], dataOnly = false): Promise<{ bytes: Uint8Array; externalData: ExternalData[] }> {
  const folder = file.slice(0, file.lastIndexOf('/') + 1);
  const externalData: ExternalData[] = [];
  for (const name of dataNames) if (await source.has(folder + name)) externalData.push({ path: name, data: await source.read(folder + name) });
  return { bytes: dataOnly ? new Uint8Array(0) : await source.read(file), externalData };
}

/** A graph with some of its weights replaced (LoRAs merged in): its bytes, and the one new weight file they name. */
export interface GraphPatch {
  bytes: Uint8Array;
  overlay: ExternalData;
}

/** Makes a session of one of the set's graphs, as it is or with a patch over it. */
export async function openGraphSession(g: GraphToLoad, opts: Pick<LoadOptions, 'createSession'>, patch: GraphPatch | null = null): Promise<Session> {
  const localPath = patch ? null : (g.source.localPath?.(g.file) ?? null);
  if (localPath) return opts.createSession({ label: g.label, role: g.role, fp16: g.fp16, bytes: null, externalData: [], localPath });
  const readPatched = async () => {
    const base = await readGraph(g.source, g.file, g.dataNames, patch !== null);
    return patch ? { bytes: patch.bytes, externalData: [...base.externalData, patch.overlay] } : base;
  };
  const { bytes, externalData } = await readPatched();
  const reread = readPatched;
  return opts.createSession({ label: g.label, role: g.role, fp16: g.fp16, bytes, externalData, localPath: null, reread }).catch((err: unknown) => {
    // A graph whose weights live in a file that isn't there fails deep in the runtime; say which file.
    const missing = externalDataReferences(bytes).filter((name) => !externalData.some((e) => e.path === name));
    if (missing.length)
      throw new ModelLoadError(
        `${g.label} keeps its weights in ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} missing beside it. Download the set again, or put the file in the same folder as ${g.label}.`,
      );
    throw err;
  });
}

async function storedControlNetGraph(stored: StoredControlNet, index: ModelIndex): Promise<GraphToLoad> {
  const info = JSON.parse(decodeText(await stored.source.read(STORED_CONTROLNET_INFO))) as StoredControlNetInfo;
  const shape = index.controlnet_studio?.unet_shape;
  if (shape && !sameUnetShape(info.unet_shape, shape)) {
    throw new ModelLoadError(
      `ControlNet "${stored.name}" was converted for a UNet with ${describeUnetShape(info.unet_shape)}; this set's UNet has ${describeUnetShape(shape)}. Use it with a set of the same base model family.`,
    );
  }
  return {
    source: stored.source,
    file: 'model.onnx',
    label: `controlnet ${stored.name} (stored)`,
    role: 'controlnet',
    fp16: info.precision === 'fp16',
    dataNames: info.data_files.map((p) => p.slice(p.lastIndexOf('/') + 1)),
  };
}

/** A loaded set: its sessions for the pipeline, what it can do, and the graphs LoRAs change (to open again with them). */
export interface LoadedModelSet {
  models: PipelineModels;
  capabilities: SetCapabilities;
  graphs: { text: GraphToLoad; unet: GraphToLoad };
}

export async function loadModelSet(source: SetSource, opts: LoadOptions): Promise<LoadedModelSet> {
  const index = await readModelIndex(source);
  const studio = index.controlnet_studio ?? {};
  const available = await findControlNets(index, source);
  const controlnetNames = opts.controlnets ?? available;
  const unknown = controlnetNames.filter((n) => !available.includes(n) && !opts.storedControlnets?.some((s) => s.name === n));
  if (unknown.length) throw new ModelLoadError(`There is no ControlNet named ${unknown.join(', ')}; this set has ${available.join(', ') || 'none'}.`);
  for (const required of [TEXT_ENCODER, VAE_DECODER, opts.unetFile ?? UNET]) {
    if (!(await source.has(required))) throw new ModelLoadError(`The set has no ${required}, which every set needs. ${await describeSet(source, index)}`);
  }
  const hasEncoder = await source.has(VAE_ENCODER);
  const unetFile = opts.unetFile ?? UNET;
  const fp16Graphs = new Set([...(studio.fp16_graphs ?? []), ...(studio.unet_fp16 ? [studio.unet_fp16] : [])]);
  const inSet = (file: string, role: Role): GraphToLoad => ({ source, file, label: file, role, fp16: fp16Graphs.has(file), dataNames: externalDataNames(file, index) });
  const setControlnets = controlnetNames.filter((n) => available.includes(n));
  const graphs = {
    text: inSet(TEXT_ENCODER, 'text_encoder'),
    unet: inSet(unetFile, 'unet'),
    decoder: inSet(VAE_DECODER, 'vae_decoder'),
    encoder: hasEncoder ? inSet(VAE_ENCODER, 'vae_encoder') : null,
    taesd: await taesdGraphs(studio.taesd ?? null, source, opts.storedTaesd ?? null),
    controlnets: [
      ...setControlnets.map((n) => [n, inSet(controlnetGraph(n), 'controlnet')] as const),
      ...(await Promise.all(
        (opts.storedControlnets ?? []).filter((s) => controlnetNames.includes(s.name) && !available.includes(s.name)).map(async (s) => [s.name, await storedControlNetGraph(s, index)] as const),
      )),
    ],
  };
  const taesdAll = [graphs.taesd.decoder, graphs.taesd.encoder].filter((g): g is GraphToLoad => g !== null);
  const all = [graphs.text, graphs.unet, graphs.decoder, ...(graphs.encoder ? [graphs.encoder] : []), ...taesdAll, ...graphs.controlnets.map(([, g]) => g)];

  // Before any weights load: will they fit? (wasm32's 4 GB heap, protobuf's 2 GB per file.)
  const plan = await planMemory(all, opts.maxBufferSize ?? null);
  if (plan.errors.length) throw new ModelLoadError(plan.errors.join(' '));
  for (const w of plan.warnings) opts.onWarning?.(w);

  let done = 0;
  const open = async <C>(g: GraphToLoad, check: (f: string, i: ValueMeta[], o: ValueMeta[]) => C) => {
    opts.onProgress?.(done, all.length, g.label);
    const session = await openGraphSession(g, opts, (await opts.patchGraph?.(g)) ?? null);
    const contract = check(g.label, session.inputs, session.outputs);
    opts.onProgress?.(++done, all.length, g.label);
    return { session, contract };
  };

  const tokenizer = ClipTokenizer.fromFiles(decodeText(await source.read('tokenizer/vocab.json')), decodeText(await source.read('tokenizer/merges.txt')));
  const schedulerConfig = JSON.parse(decodeText(await source.read('scheduler/scheduler_config.json'))) as Record<string, unknown>;
  const textEncoder = await open(graphs.text, checkTextEncoder);
  const unet = await open(graphs.unet, checkUnet);
  const vaeDecoder = await open(graphs.decoder, checkVaeDecoder);
  const vaeEncoder = graphs.encoder ? await open(graphs.encoder, checkVaeEncoder) : null;
  // An encoder that gives its distribution's mean only cannot sample as diffusers does: img2img would differ, so say so.
  if (vaeEncoder && vaeEncoder.session.outputs.find((o) => o.name === vaeEncoder.contract.output)?.shape[1] === 4) {
    opts.onWarning?.(
      `${graphs.encoder!.label} gives only the mean of its latent distribution (a set converted before img2img sampled it, or an export that kept the mean): img2img starts from that mean instead of diffusers' latent_dist.sample(generator), so its images differ from diffusers' for the same seed. Converting the set again fixes this.`,
    );
  }
  const taesd = {
    decoder: graphs.taesd.decoder ? await open(graphs.taesd.decoder, checkVaeDecoder) : null,
    encoder: graphs.taesd.encoder ? await open(graphs.taesd.encoder, checkVaeEncoder) : null,
  };
  const controlnets = new Map<string, Awaited<ReturnType<typeof open<ReturnType<typeof checkControlNet>>>>>();
  if (unet.contract.residuals) for (const [name, g] of graphs.controlnets) controlnets.set(name, await open(g, checkControlNet));
  return {
    models: { tokenizer, schedulerConfig, textEncoder, unet, vaeDecoder, vaeEncoder, taesd, controlnets, ops: opts.ops, promptCache: new PromptCache() },
    capabilities: {
      controlnet: unet.contract.residuals !== null,
      img2img: vaeEncoder !== null,
      inpainting: unet.contract.inpainting,
      taesd: { decoder: taesd.decoder !== null, encoder: taesd.encoder !== null },
      lcm: schedulerConfig._class_name === 'LCMScheduler' ? 'scheduler' : studio.baked_loras?.some((l) => l.lcm) ? 'baked-lora' : null,
      controlnets: [...controlnets.keys()],
      unetPrecision: unet.contract.dtype === 'float16' ? 'fp16' : 'fp32',
    },
    graphs: { text: graphs.text, unet: graphs.unet },
  };
}

/** TAESD's graphs: the set's own (named in its index), else a TAESD stored on its own. */
async function taesdGraphs(own: TaesdInfo | null, set: SetSource, stored: SetSource | null): Promise<{ decoder: GraphToLoad | null; encoder: GraphToLoad | null }> {
  const source = own ? set : stored;
  const info = own ?? (stored ? (JSON.parse(decodeText(await stored.read(STORED_TAESD_INFO))) as TaesdInfo) : null);
  const graph = (file: string | null, role: Role): GraphToLoad | null =>
    file && source ? { source, file, label: `${file}${own ? '' : ' (stored)'}`, role, fp16: false, dataNames: externalDataNames(file) } : null;
  return { decoder: graph(info?.decoder ?? null, 'vae_decoder'), encoder: graph(info?.encoder ?? null, 'vae_encoder') };
}

/** A stored ControlNet as a session beside a loaded set (checked to fit the set's UNet). */
export async function openControlNet(stored: StoredControlNet, index: ModelIndex, createSession: LoadOptions['createSession']): Promise<{ session: Session; label: string }> {
  const g = await storedControlNetGraph(stored, index);
  return { session: await openGraphSession(g, { createSession }), label: g.label };
}

/** What a set does have, for an error about what it lacks. */
async function describeSet(source: SetSource, index: ModelIndex): Promise<string> {
  const parts = [];
  for (const f of [TEXT_ENCODER, UNET, VAE_DECODER, VAE_ENCODER]) if (await source.has(f)) parts.push(f);
  const controlnets = await findControlNets(index, source);
  return `It has ${[...parts, ...(controlnets.length ? [`ControlNets ${controlnets.join(', ')}`] : [])].join(', ') || 'no graphs at all'}. Is it a complete set in the diffusers ONNX layout?`;
}
