// Turns what a person picked — a single file (with its .yaml, if any), or a diffusers folder —
// into an architecture and weight sources named the way the graph builder asks for them.
import { SD15_HINT_CHANNELS, type ControlNetArch, type SetArch } from './architecture.ts';
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import {
  controlNetArchFromConfig,
  hintChannelsFromShapes,
  readLdmYaml,
  textArchFromConfig,
  textArchFromShapes,
  unetArchFromConfig,
  unetArchFromShapes,
  vaeArchFromConfig,
  vaeArchFromShapes,
  type ArchOverrides,
  type YamlHints,
} from './infer-arch.ts';
import { ldmControlNetKey, ldmUnetKey, ldmVaeKey, legacyDiffusersVaeKey } from './key-map.ts';
import { classify, readTensors } from './read-checkpoint.ts';
import { toFloat32, type TensorMap } from './stored-tensor.ts';
import { Checkpoint, CheckpointWeights, type WeightSource } from './weights.ts';

export interface CheckpointInput {
  /** Files by their path in what was picked: one checkpoint (and optionally its .yaml), or a diffusers folder's files. */
  files: Map<string, ByteSource>;
  overrides?: ArchOverrides;
  /** A repo's *.fp16.safetensors is preferred for fp16 output, the full-precision file for fp32. */
  precision: 'fp16' | 'fp32';
}

export interface OpenedPipeline {
  kind: 'pipeline';
  label: string;
  arch: SetArch;
  text: WeightSource;
  unet: WeightSource;
  vae: WeightSource;
  checkpoints: Checkpoint[];
  /** The repo's own tokenizer and scheduler, when it has them. */
  tokenizer: { vocab: string; merges: string } | null;
  scheduler: Record<string, unknown> | null;
  notices: string[];
}

export interface OpenedControlNet {
  kind: 'controlnet';
  label: string;
  arch: ControlNetArch;
  weights: WeightSource;
  checkpoints: Checkpoint[];
  notices: string[];
}

export type Opened = OpenedPipeline | OpenedControlNet;

const CHECKPOINT_FILE = /\.(safetensors|ckpt|pth|pt|bin)$/i;
const text = async (src: ByteSource) => new TextDecoder().decode(await src.read(0, src.size));
const json = async (src: ByteSource) => {
  try {
    return JSON.parse(await text(src)) as Record<string, unknown>;
  } catch {
    throw new CheckpointError(`${src.name} is not valid JSON.`);
  }
};

export async function openCheckpoint(input: CheckpointInput): Promise<Opened> {
  const paths = [...input.files.keys()];
  const index = paths.filter((p) => p === 'model_index.json' || p.endsWith('/model_index.json')).sort((a, b) => a.length - b.length)[0];
  if (index !== undefined) return openDiffusersPipeline(input, index.slice(0, -'model_index.json'.length));
  const config = paths.filter((p) => p === 'config.json' || p.endsWith('/config.json')).sort((a, b) => a.length - b.length)[0];
  let weightsFiles = paths.filter((p) => CHECKPOINT_FILE.test(p));
  // One file given: read it whatever its name says (files get renamed); the reader tells what it is.
  const others = paths.filter((p) => !/\.(ya?ml|json)$/i.test(p));
  if (!weightsFiles.length && others.length === 1) weightsFiles = others;
  if (config !== undefined && weightsFiles.length) return openDiffusersControlNet(input, config.slice(0, -'config.json'.length));
  if (weightsFiles.length !== 1) {
    throw new CheckpointError(
      weightsFiles.length
        ? `Pick one checkpoint at a time (got ${weightsFiles.join(', ')}), or a diffusers folder with model_index.json.`
        : `No checkpoint among ${paths.join(', ') || 'the picked files'}: pick a .safetensors, .ckpt or .pth file, or a diffusers folder.`,
    );
  }
  const file = input.files.get(weightsFiles[0]!)!;
  const yamlPath = paths.find((p) => /\.ya?ml$/i.test(p));
  const yaml = yamlPath ? readLdmYaml(await text(input.files.get(yamlPath)!), yamlPath) : null;
  return openSingleFile(file, await readTensors(file), input.overrides ?? {}, yaml);
}

async function openSingleFile(file: ByteSource, tensors: TensorMap, overrides: ArchOverrides, yaml: YamlHints | null): Promise<Opened> {
  if (yaml?.parameterization === 'v') throw new CheckpointError(`${file.name}'s .yaml says it predicts v (an SD 2.x 768-v model); the studio runs SD 1.5, which predicts noise.`);
  if (yaml?.openClip) throw new CheckpointError(`${file.name}'s .yaml names an OpenCLIP text encoder (SD 2.x); the studio runs SD 1.5.`);
  const kind = classify(tensors, file.name);
  const checkpoint = new Checkpoint(file.name, tensors);
  if (kind.kind === 'diffusers-controlnet') {
    const unet = unetArchFromShapes(ldmNamesOfDiffusersControlNet(tensors), '', file.name, overrides, yaml, true);
    return controlNet(file.name, { ...unet, hintChannels: diffusersHintChannels(tensors) }, new CheckpointWeights(checkpoint, (n) => [n]), [checkpoint]);
  }
  if (kind.kind === 'ldm-controlnet') {
    const unet = unetArchFromShapes(tensors, kind.prefix, file.name, overrides, yaml, true);
    const arch = { ...unet, hintChannels: hintChannelsFromShapes(tensors, kind.prefix, file.name) };
    return controlNet(file.name, arch, new CheckpointWeights(checkpoint, (n) => [kind.prefix + ldmControlNetKey(n, unet)]), [checkpoint]);
  }
  const unet = unetArchFromShapes(tensors, 'model.diffusion_model.', file.name, overrides, yaml);
  const vae = vaeArchFromShapes(tensors, 'first_stage_model.', file.name);
  // transformers' CLIPTextModel keys, nested in LDM's FrozenCLIPEmbedder (older saves lack "text_model.").
  const clip = tensors.has('cond_stage_model.transformer.text_model.embeddings.token_embedding.weight') ? 'cond_stage_model.transformer.text_model.' : 'cond_stage_model.transformer.';
  const textArch = textArchFromShapes(tensors, clip, file.name, overrides);
  const notices = await checkPositionIds(checkpoint, `${clip}embeddings.position_ids`);
  return {
    kind: 'pipeline',
    label: file.name,
    arch: { text: textArch, unet, vae },
    text: new CheckpointWeights(checkpoint, (n) => [clip + n.replace(/^text_model\./, '')]),
    unet: new CheckpointWeights(checkpoint, (n) => [`model.diffusion_model.${ldmUnetKey(n, unet)}`]),
    vae: new CheckpointWeights(checkpoint, (n) => [`first_stage_model.${ldmVaeKey(n, vae.blockChannels.length)}`]),
    checkpoints: [checkpoint],
    tokenizer: null,
    scheduler: null,
    notices,
  };
}

function controlNet(label: string, arch: ControlNetArch, weights: WeightSource, checkpoints: Checkpoint[], notices: string[] = []): OpenedControlNet {
  return { kind: 'controlnet', label, arch, weights, checkpoints, notices };
}

/**
 * position_ids is a buffer (0…76), not a weight. Some merged checkpoints carry it damaged (as
 * floats a little off); the graph always uses positions 0…76, as A1111 does, and says so.
 */
async function checkPositionIds(checkpoint: Checkpoint, key: string): Promise<string[]> {
  const t = checkpoint.tensors.get(key);
  if (!t) return [];
  checkpoint.accountFor(key);
  const values = toFloat32(t.dtype, await t.bytes());
  return values.every((v, i) => v === i)
    ? []
    : [`${checkpoint.label}'s text encoder position_ids are damaged (as in some merged checkpoints); positions 0–${values.length - 1} are used instead, as A1111 does.`];
}

/** Which files of a diffusers component to read: the fp16 variant for fp16 output when present, else the full-precision file. */
function componentFiles(input: CheckpointInput, folder: string): ByteSource[] {
  const inFolder = [...input.files.keys()].filter((p) => p.startsWith(folder) && !p.slice(folder.length).includes('/') && CHECKPOINT_FILE.test(p));
  const safetensors = inFolder.filter((p) => p.endsWith('.safetensors'));
  const pool = safetensors.length ? safetensors : inFolder;
  const fp16 = pool.filter((p) => /\.fp16\./.test(p));
  const full = pool.filter((p) => !/\.fp16\./.test(p));
  const chosen = input.precision === 'fp16' ? (fp16.length ? fp16 : full) : full.length ? full : fp16;
  if (!chosen.length) throw new CheckpointError(`The folder has no weights in ${folder || 'its top level'} (diffusion_pytorch_model.safetensors or model.safetensors).`);
  return chosen.map((p) => input.files.get(p)!);
}

async function componentTensors(input: CheckpointInput, folder: string): Promise<Checkpoint> {
  const tensors: TensorMap = new Map();
  const files = componentFiles(input, folder);
  // Sharded weights (…-00001-of-00002.safetensors) are one state dict across files.
  for (const file of files) for (const [k, t] of await readTensors(file)) tensors.set(k, t);
  return new Checkpoint(`${folder}${files.map((f) => f.name).join(', ')}`, tensors);
}

async function readConfig(input: CheckpointInput, path: string): Promise<Record<string, unknown>> {
  const src = input.files.get(path);
  if (!src) throw new CheckpointError(`The diffusers folder has no ${path}; pick the repo's top folder (the one with model_index.json).`);
  return json(src);
}

async function openDiffusersPipeline(input: CheckpointInput, root: string): Promise<OpenedPipeline> {
  const overrides = input.overrides ?? {};
  const unetConfig = await readConfig(input, `${root}unet/config.json`);
  const schedulerPath = `${root}scheduler/scheduler_config.json`;
  const scheduler = input.files.has(schedulerPath) ? await json(input.files.get(schedulerPath)!) : null;
  refuseDiffusersUnet(unetConfig, scheduler);
  const unet = unetArchFromConfig(unetConfig, overrides);
  const vae = vaeArchFromConfig(await readConfig(input, `${root}vae/config.json`));
  const textArch = textArchFromConfig(await readConfig(input, `${root}text_encoder/config.json`), overrides);
  const [unetCk, vaeCk, textCk] = await Promise.all([componentTensors(input, `${root}unet/`), componentTensors(input, `${root}vae/`), componentTensors(input, `${root}text_encoder/`)]);
  const notices = await checkPositionIds(textCk, 'text_model.embeddings.position_ids');
  const vocab = input.files.get(`${root}tokenizer/vocab.json`);
  const merges = input.files.get(`${root}tokenizer/merges.txt`);
  return {
    kind: 'pipeline',
    label: root.replace(/\/$/, '') || 'diffusers folder',
    arch: { text: textArch, unet, vae },
    text: new CheckpointWeights(textCk, (n) => [n]),
    unet: new CheckpointWeights(unetCk, (n) => [n]),
    vae: new CheckpointWeights(vaeCk, (n) => [n, legacyDiffusersVaeKey(n)]),
    checkpoints: [unetCk, vaeCk, textCk],
    tokenizer: vocab && merges ? { vocab: await text(vocab), merges: await text(merges) } : null,
    scheduler,
    notices,
  };
}

function refuseDiffusersUnet(c: Record<string, unknown>, scheduler: Record<string, unknown> | null): void {
  if (c.addition_embed_type || c.cross_attention_dim === 2048) throw new CheckpointError('This is an SDXL model. The studio runs Stable Diffusion 1.5 and its ControlNets.');
  if (c.cross_attention_dim === 1024) throw new CheckpointError('This is a Stable Diffusion 2.x model (1024-wide text embeddings). The studio runs SD 1.5.');
  if (scheduler?.prediction_type === 'v_prediction') throw new CheckpointError('This model predicts v (an SD 2.x 768-v model); the studio runs SD 1.5, which predicts noise.');
  if (c.in_channels !== undefined && c.in_channels !== 4 && c.in_channels !== 9)
    throw new CheckpointError(`Its UNet takes ${String(c.in_channels)} input channels, not SD 1.5's 4 (or 9, for inpainting).`);
}

async function openDiffusersControlNet(input: CheckpointInput, root: string): Promise<OpenedControlNet> {
  const config = await readConfig(input, `${root}config.json`);
  if (config._class_name !== 'ControlNetModel')
    throw new CheckpointError(`${root}config.json describes a ${String(config._class_name)}, not a ControlNetModel. For a whole model, pick the folder with model_index.json.`);
  if (config.cross_attention_dim === 2048 || config.cross_attention_dim === 1024)
    throw new CheckpointError(`This ControlNet is for ${config.cross_attention_dim === 2048 ? 'SDXL' : 'SD 2.x'}; SD 1.5 ControlNets read 768-wide text embeddings.`);
  const checkpoint = await componentTensors(input, root);
  return controlNet(root.replace(/\/$/, '') || 'ControlNet folder', controlNetArchFromConfig(config, input.overrides ?? {}), new CheckpointWeights(checkpoint, (n) => [n]), [checkpoint]);
}

/** A diffusers-named ControlNet's shapes under LDM names, so one shape reader serves both. */
function ldmNamesOfDiffusersControlNet(tensors: TensorMap): TensorMap {
  const levels = new Set([...tensors.keys()].map((k) => /^down_blocks\.(\d+)\./.exec(k)?.[1]).filter(Boolean)).size;
  const layersPerBlock = new Set([...tensors.keys()].map((k) => /^down_blocks\.0\.resnets\.(\d+)\./.exec(k)?.[1]).filter(Boolean)).size;
  const attention = Array.from({ length: levels }, (_, i) => [...tensors.keys()].some((k) => k.startsWith(`down_blocks.${i}.attentions.`)));
  const out: TensorMap = new Map();
  for (const [k, t] of tensors) out.set(ldmControlNetKey(k, { layersPerBlock, attention }), t);
  return out;
}

function diffusersHintChannels(tensors: TensorMap): number[] {
  const out = (name: string) => tensors.get(`controlnet_cond_embedding.${name}.weight`)?.shape[0];
  const widths = [out('conv_in'), out('blocks.1'), out('blocks.3'), out('blocks.5')];
  return widths.every((w): w is number => !!w) ? widths : SD15_HINT_CHANNELS;
}
