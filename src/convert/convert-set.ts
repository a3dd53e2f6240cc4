// A checkpoint becomes a set: the base model's graphs (text encoder, UNet with the 13 residual
// inputs, VAE decoder and encoder), each ControlNet, the tokenizer and scheduler (the repo's
// own, or CLIP's vocabulary and SD 1.5's defaults), and model_index.json last. A ControlNet
// can also be stored on its own, or added to a set that is already there. A failed or
// cancelled conversion removes what it wrote.
import type { FloatType } from '../models/onnx-graph.ts';
import { readStoreText, writeStoreText, type FileStore } from '../models/download/file-store.ts';
import { controlnetGraph, describeUnetShape, sameUnetShape, STORED_CONTROLNET_INFO, type ModelIndex, type StoredControlNetInfo } from '../models/set-layout.ts';
import { controlNetFits } from './architecture.ts';
import { bpeText, clipTokenizerFiles } from './clip-vocab.ts';
import { CheckpointError } from './errors.ts';
import type { OpenedControlNet, OpenedPipeline } from './open-checkpoint.ts';
import { controlNetSetGraph, pipelineGraphs, pipelineIndex, SD15_SCHEDULER_CONFIG, TOKENIZER_CONFIG, unetShape } from './set-graphs.ts';
import type { Checkpoint } from './weights.ts';
import { storePath, writeGraphs, type GraphProgress } from './write-set.ts';
import { bakedRecord, bakeLoras, type BakeLoras } from './lora/bake.ts';

export interface ConvertOptions {
  store: FileStore;
  /** The set's (or stored ControlNet's) folder in the store; removed again if the conversion fails. */
  root: string;
  precision: 'fp16' | 'fp32';
  /** The name the person gave (a set's label). */
  label?: string;
  maxDataFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: GraphProgress) => void;
  /** LoRAs merged into the text encoder and UNet as they are written. */
  loras?: BakeLoras;
}

export interface NamedControlNet {
  name: string;
  opened: OpenedControlNet;
}

export interface ConvertResult {
  /** Each graph's external data files, by graph. */
  files: Record<string, string[]>;
  /** What the person should know: unused tensors, repaired buffers, defaults used. */
  notices: string[];
}

const floatType = (p: 'fp16' | 'fp32'): FloatType => (p === 'fp16' ? 'float16' : 'float32');
const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** Tensors a conversion did not use, grouped by their first name part ("model_ema: 686 tensors (…)"). */
export function unusedNotice(checkpoints: Checkpoint[]): string[] {
  return checkpoints.flatMap((ck) => {
    const unused = ck.unused();
    if (!unused.length) return [];
    const groups = new Map<string, string[]>();
    for (const key of unused) {
      const head = key.includes('.') ? `${key.split('.')[0]}.*` : 'top-level';
      groups.set(head, [...(groups.get(head) ?? []), key]);
    }
    const parts = [...groups].map(([head, keys]) => `${head} ${keys.length} (${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''})`);
    return [`Not used from ${ck.label}: ${unused.length} tensor${unused.length > 1 ? 's' : ''} — ${parts.join('; ')}. EMA copies, training state and schedule buffers are expected here.`];
  });
}

async function cleanUpAfter<T>(store: FileStore, paths: string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    for (const p of paths) await store.remove(p).catch(() => undefined);
    throw err;
  }
}

function checkFits(cn: NamedControlNet, unet: OpenedPipeline['arch']['unet']): void {
  if (!controlNetFits(cn.opened.arch, unet)) {
    throw new CheckpointError(
      `ControlNet "${cn.name}" (${cn.opened.label}) was made for a different UNet (widths ${cn.opened.arch.blockChannels.join('/')}, text width ${cn.opened.arch.contextDim}) than ${unet.blockChannels.join('/')}, ${unet.contextDim}: its residuals would not fit.`,
    );
  }
}

/** Converts a base model (and ControlNets) into a new set at `opts.root`. */
export async function convertPipeline(base: OpenedPipeline, controlnets: NamedControlNet[], clipVocab: () => Promise<Uint8Array>, opts: ConvertOptions): Promise<ConvertResult> {
  if (!opts.root) throw new Error('convertPipeline needs a folder of its own to write into');
  for (const cn of controlnets) checkFits(cn, base.arch.unet);
  const dtype = floatType(opts.precision);
  const graphs = [...bakeLoras(pipelineGraphs(base.arch, dtype, base), opts.loras), ...controlnets.map((cn) => controlNetSetGraph(cn.name, cn.opened.arch, dtype, cn.opened.weights))];
  return cleanUpAfter(opts.store, [opts.root], async () => {
    const files = await writeGraphs(graphs, { ...opts, external: true });
    const at = (p: string) => storePath(opts.root, p);
    const tokenizer = base.tokenizer ?? clipTokenizerFiles(await bpeText(await clipVocab()));
    await writeStoreText(opts.store, at('tokenizer/vocab.json'), tokenizer.vocab);
    await writeStoreText(opts.store, at('tokenizer/merges.txt'), tokenizer.merges);
    await writeStoreText(opts.store, at('tokenizer/tokenizer_config.json'), json(TOKENIZER_CONFIG));
    await writeStoreText(opts.store, at('scheduler/scheduler_config.json'), json(base.scheduler ?? SD15_SCHEDULER_CONFIG));
    const notices = [
      ...base.notices,
      ...controlnets.flatMap((c) => c.opened.notices),
      ...(base.tokenizer ? [] : [`${base.label} carries no tokenizer: CLIP's own vocabulary (bundled) is used, as SD 1.5 was trained with it.`]),
      ...(opts.loras?.applied ?? []).map((a) => `Baked in LoRA ${a.lora.label} (UNet ${a.unet}, text encoder ${a.text}).`),
      ...unusedNotice([...base.checkpoints, ...controlnets.flatMap((c) => c.opened.checkpoints)]),
    ];
    const fp16 = dtype === 'float16';
    const index = pipelineIndex({
      controlnets: controlnets.map((c) => c.name),
      unet_fp32: fp16 ? null : 'unet/model.onnx',
      unet_fp16: fp16 ? 'unet/model.onnx' : null,
      fp16_graphs: fp16 ? ['text_encoder/model.onnx', ...controlnets.map((c) => controlnetGraph(c.name))] : [],
      text_dim: base.arch.text.hidden,
      unet_shape: unetShape(base.arch.unet),
      ...(base.arch.unet.inChannels === 9 ? { inpainting: true } : {}),
      data_files: files,
      label: opts.label ?? base.label,
      converted_from: base.label,
      ...(opts.loras?.applied.length ? { baked_loras: bakedRecord(opts.loras) } : {}),
      notices,
    });
    await writeStoreText(opts.store, at('model_index.json'), json(index));
    return { files, notices };
  });
}

/** Stores one ControlNet on its own at `opts.root` (model.onnx + controlnet.json), for use with any set it fits. */
export async function convertStoredControlNet(cn: NamedControlNet, opts: ConvertOptions): Promise<ConvertResult & { info: StoredControlNetInfo }> {
  if (!opts.root) throw new Error('convertStoredControlNet needs a folder of its own to write into');
  const graph = controlNetSetGraph(cn.name, cn.opened.arch, floatType(opts.precision), cn.opened.weights, false, 'model.onnx');
  return cleanUpAfter(opts.store, [opts.root], async () => {
    const files = await writeGraphs([graph], { ...opts, external: true });
    const notices = [...cn.opened.notices, ...unusedNotice(cn.opened.checkpoints)];
    const info: StoredControlNetInfo = { name: cn.name, precision: opts.precision, unet_shape: unetShape(cn.opened.arch), converted_from: cn.opened.label, data_files: files['model.onnx']! };
    await writeStoreText(opts.store, storePath(opts.root, STORED_CONTROLNET_INFO), json(info));
    return { files, notices, info };
  });
}

/** Adds ControlNets to the set at `opts.root` (its controlnet/<name>/ folders and model_index.json). */
export async function addControlNetsToSet(controlnets: NamedControlNet[], opts: ConvertOptions): Promise<ConvertResult> {
  const indexPath = storePath(opts.root, 'model_index.json');
  const text = await readStoreText(opts.store, indexPath);
  if (text === null) throw new CheckpointError(`${opts.root || 'The output folder'} is not a model set (it has no model_index.json); convert a base model into it first.`);
  const index = JSON.parse(text) as ModelIndex & Record<string, unknown>;
  const studio = index.controlnet_studio ?? {};
  const shape = studio.unet_shape;
  for (const cn of controlnets) {
    // Replacing would delete the old one if this conversion failed half-way; a new name loses nothing.
    if (studio.controlnets?.includes(cn.name)) throw new CheckpointError(`The set already has a ControlNet named "${cn.name}"; give the new one another name.`);
    if (shape && !sameUnetShape(unetShape(cn.opened.arch), shape)) {
      throw new CheckpointError(
        `ControlNet "${cn.name}" (${cn.opened.label}) does not fit this set's UNet: it has ${describeUnetShape(unetShape(cn.opened.arch))}, the set ${describeUnetShape(shape)}.`,
      );
    }
  }
  const dtype = floatType(opts.precision);
  const graphs = controlnets.map((cn) => controlNetSetGraph(cn.name, cn.opened.arch, dtype, cn.opened.weights));
  const folders = controlnets.map((cn) => storePath(opts.root, `controlnet/${cn.name}`));
  return cleanUpAfter(opts.store, folders, async () => {
    const files = await writeGraphs(graphs, { ...opts, external: true });
    const names = controlnets.map((c) => c.name);
    const fp16 = dtype === 'float16' ? names.map(controlnetGraph) : [];
    index.controlnet_studio = {
      ...studio,
      controlnets: [...(studio.controlnets ?? []).filter((n) => !names.includes(n)), ...names],
      fp16_graphs: [...(studio.fp16_graphs ?? []).filter((g) => !names.map(controlnetGraph).includes(g)), ...fp16],
      data_files: { ...studio.data_files, ...files },
    };
    await writeStoreText(opts.store, indexPath, json(index));
    const notices = [...controlnets.flatMap((c) => c.opened.notices), ...unusedNotice(controlnets.flatMap((c) => c.opened.checkpoints))];
    return { files, notices };
  });
}
