// A checkpoint's architecture: from diffusers' config.json where there is one, and from the
// tensors' shapes where there isn't (single files). Shapes give widths, depth, attention
// levels, projection kind, context width and input channels; head counts are not in the
// weights, so they come from the LDM .yaml beside the file, an explicit override, or SD 1.5's
// convention (8 heads; a head size of 64 for SD 2-style linear projections).
import type { UnetShape } from '../models/set-layout.ts';
import { parse as parseYaml } from 'yaml';
import type { ControlNetArch, TextArch, UnetArch, VaeArch } from './architecture.ts';
import { CheckpointError } from './errors.ts';
import type { TensorMap } from './stored-tensor.ts';

/** What the person (or the CLI) says about the architecture where the weights cannot. */
export interface ArchOverrides {
  /** Attention heads of the UNet and ControlNet transformers (SD 1.5: 8). */
  unetHeads?: number;
  /**
   * The set a ControlNet is converted for: a ControlNet copies its base UNet's encoder, so where
   * the widths match, its heads are the set's (the weights do not say them).
   */
  paired?: UnetShape | null;
  /** Attention heads of the text encoder (SD 1.5's CLIP ViT-L: 12). */
  textHeads?: number;
}

/** Reads the few values an LDM .yaml (v1-inference.yaml, cldm_v15.yaml) adds to the weights. */
export interface YamlHints {
  unetHeads?: number;
  unetHeadChannels?: number;
  /** "v" for v-prediction models (SD 2 768-v), which SD 1.5's samplers would run wrongly. */
  parameterization?: string;
  openClip: boolean;
}

export function readLdmYaml(text: string, file: string): YamlHints {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CheckpointError(`${file} is not valid YAML (${(err as Error).message.split('\n')[0]}).`);
  }
  const params = (doc as { model?: { params?: Record<string, unknown> } })?.model?.params ?? {};
  const net = ((params.control_stage_config ?? params.unet_config) as { params?: Record<string, unknown> } | undefined)?.params ?? {};
  const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined);
  return {
    unetHeads: positive(net.num_heads),
    unetHeadChannels: positive(net.num_head_channels),
    parameterization: typeof params.parameterization === 'string' ? params.parameterization : undefined,
    openClip: /OpenCLIP/i.test(JSON.stringify(params.cond_stage_config ?? '')),
  };
}

const shapeOf = (t: TensorMap, key: string) => t.get(key)?.shape ?? null;

function countIndices(tensors: TensorMap, prefix: string): number {
  let max = -1;
  for (const key of tensors.keys()) {
    if (!key.startsWith(prefix)) continue;
    const n = Number(key.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(n)) max = Math.max(max, n);
  }
  return max + 1;
}

const SD15_WIDTHS = [320, 640, 1280, 1280];

/**
 * Attention heads per level, which the weights do not hold: the person's, the .yaml's, the paired
 * set's (a ControlNet), or SD 1.5's 8 for SD 1.5's own layout (1×1-conv projections, 320…1280
 * wide, 768-wide text). A ControlNet of any other layout is not guessed: the error asks.
 * A base model keeps the long-standing reading (8 heads; 64-wide heads with linear projections).
 */
function headsFor(arch: { widths: number[]; projection: 'conv' | 'linear'; contextDim: number }, overrides: ArchOverrides, yaml: YamlHints | null, controlnet: { file: string } | null): number[] {
  const { widths, projection } = arch;
  const heads = overrides.unetHeads ?? yaml?.unetHeads;
  if (heads) return widths.map(() => heads);
  if (yaml?.unetHeadChannels) return widths.map((w) => Math.max(1, Math.floor(w / yaml.unetHeadChannels!)));
  const paired = overrides.paired;
  if (paired?.heads && JSON.stringify(paired.block_channels) === JSON.stringify(widths)) return paired.heads;
  const sd15 = projection === 'conv' && JSON.stringify(widths) === JSON.stringify(SD15_WIDTHS) && arch.contextDim === 768;
  if (controlnet && !sd15) {
    throw new CheckpointError(
      `${controlnet.file} is a ControlNet whose attention head count its weights do not say (widths ${widths.join('/')}, ${projection === 'linear' ? 'linear' : '1×1-conv'} projections), and nothing else tells it: no .yaml beside it, and no loaded set of its base model. Load a set of its base model and import it again (it takes the set's layout), put its .yaml beside it, or give "UNet heads".`,
    );
  }
  if (projection === 'linear') return widths.map((w) => Math.max(1, Math.floor(w / 64)));
  return widths.map(() => 8);
}

/** A UNet (or a ControlNet's encoder) from LDM keys under `prefix` ("model.diffusion_model.", "control_model." or ""). */
export function unetArchFromShapes(tensors: TensorMap, prefix: string, file: string, overrides: ArchOverrides, yaml: YamlHints | null, controlnet = false): UnetArch {
  const conv = shapeOf(tensors, `${prefix}input_blocks.0.0.weight`);
  if (!conv || conv.length !== 4) throw new CheckpointError(`${file} has no ${prefix}input_blocks.0.0.weight, so its UNet layout cannot be read.`);
  const inputBlocks = countIndices(tensors, `${prefix}input_blocks.`);
  const downsamplers = [...tensors.keys()].filter((k) => k.startsWith(`${prefix}input_blocks.`) && k.endsWith('.0.op.weight')).length;
  const levels = downsamplers + 1;
  const layersPerBlock = inputBlocks / levels - 1;
  if (!Number.isInteger(layersPerBlock) || layersPerBlock < 1) throw new CheckpointError(`${file}: its ${inputBlocks} input blocks do not form ${levels} levels of ResNet blocks.`);
  const widths: number[] = [];
  const attention: boolean[] = [];
  let projection: 'conv' | 'linear' = 'conv';
  let contextDim = 0;
  let depth = 1;
  for (let level = 0; level < levels; level++) {
    const block = 1 + level * (layersPerBlock + 1);
    const out = shapeOf(tensors, `${prefix}input_blocks.${block}.0.out_layers.3.weight`);
    if (!out) throw new CheckpointError(`${file} has no ${prefix}input_blocks.${block}.0.out_layers.3.weight (the first ResNet of level ${level + 1}).`);
    widths.push(out[0]!);
    const projIn = shapeOf(tensors, `${prefix}input_blocks.${block}.1.proj_in.weight`);
    attention.push(projIn !== null);
    if (projIn) {
      projection = projIn.length === 2 ? 'linear' : 'conv';
      contextDim = shapeOf(tensors, `${prefix}input_blocks.${block}.1.transformer_blocks.0.attn2.to_k.weight`)?.[1] ?? contextDim;
      depth = countIndices(tensors, `${prefix}input_blocks.${block}.1.transformer_blocks.`);
    }
  }
  if (!contextDim) contextDim = shapeOf(tensors, `${prefix}middle_block.1.transformer_blocks.0.attn2.to_k.weight`)?.[1] ?? 0;
  return {
    inChannels: conv[1]!,
    blockChannels: widths,
    layersPerBlock,
    attention,
    heads: headsFor({ widths, projection, contextDim }, overrides, yaml, controlnet ? { file } : null),
    transformerDepth: depth,
    contextDim,
    projection,
    groups: 32,
  };
}

/** ControlNet v1's hint encoder: 8 convolutions at input_hint_block.0, 2, …, 14; the widths are those of convs 0, 4, 8, 12. */
export function hintChannelsFromShapes(tensors: TensorMap, prefix: string, file: string): number[] {
  const out = (i: number) => shapeOf(tensors, `${prefix}input_hint_block.${i}.weight`)?.[0];
  const widths = [0, 4, 8, 12].map(out);
  if (widths.some((w) => !w) || !out(14)) throw new CheckpointError(`${file}'s hint encoder (input_hint_block) is not ControlNet v1's 8 convolutions.`);
  return widths as number[];
}

export function vaeArchFromShapes(tensors: TensorMap, prefix: string, file: string): VaeArch {
  const levels = countIndices(tensors, `${prefix}encoder.down.`);
  const widths = Array.from({ length: levels }, (_, i) => shapeOf(tensors, `${prefix}encoder.down.${i}.block.0.conv1.weight`)?.[0] ?? 0);
  const latent = shapeOf(tensors, `${prefix}post_quant_conv.weight`)?.[0];
  if (!levels || widths.includes(0) || !latent) throw new CheckpointError(`${file} has no complete VAE under ${prefix || 'its top level'} (encoder.down.*, post_quant_conv).`);
  return { blockChannels: widths, layersPerBlock: countIndices(tensors, `${prefix}encoder.down.0.block.`), latentChannels: latent, groups: 32 };
}

/** CLIP's text transformer from transformers' key names under `prefix` (…"text_model."). */
export function textArchFromShapes(tensors: TensorMap, prefix: string, file: string, overrides: ArchOverrides): TextArch {
  const table = shapeOf(tensors, `${prefix}embeddings.token_embedding.weight`);
  const positions = shapeOf(tensors, `${prefix}embeddings.position_embedding.weight`);
  const fc1 = shapeOf(tensors, `${prefix}encoder.layers.0.mlp.fc1.weight`);
  if (!table || !positions || !fc1) throw new CheckpointError(`${file} has no CLIP text encoder under ${prefix} (token and position embeddings, encoder layers).`);
  const hidden = table[1]!;
  // Every released CLIP has 64-wide heads (ViT-L: 768 = 12 × 64); other widths must be told.
  const heads = overrides.textHeads ?? (hidden % 64 === 0 ? hidden / 64 : null);
  if (!heads || hidden % heads !== 0) {
    throw new CheckpointError(
      `${file}'s text encoder is ${hidden} wide, which no released CLIP is, so its number of attention heads cannot be known from the weights. Give it: "Text encoder heads" when importing, or --text-heads in the CLI.`,
    );
  }
  return { hidden, layers: countIndices(tensors, `${prefix}encoder.layers.`), heads, intermediate: fc1[0]!, vocab: table[0]!, positions: positions[0]!, activation: 'quick_gelu' };
}

type Json = Record<string, unknown>;
const num = (c: Json, key: string, fallback?: number): number => {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number') throw new CheckpointError(`config.json has no number "${key}".`);
  return v;
};

/** diffusers UNet2DConditionModel / ControlNetModel config.json. Note its quirk: attention_head_dim holds the number of heads. */
export function unetArchFromConfig(c: Json, overrides: ArchOverrides): UnetArch {
  const widths = c.block_out_channels as number[];
  const heads = overrides.unetHeads ?? c.num_attention_heads ?? c.attention_head_dim ?? 8;
  const depth = c.transformer_layers_per_block ?? 1;
  if (typeof depth !== 'number') throw new CheckpointError('config.json gives a different transformer depth per level, which SD 1.5-style models never do.');
  return {
    inChannels: num(c, 'in_channels', 4),
    blockChannels: widths,
    layersPerBlock: num(c, 'layers_per_block', 2),
    attention: (c.down_block_types as string[]).map((t) => t.startsWith('CrossAttn')),
    heads: Array.isArray(heads) ? (heads as number[]) : widths.map(() => heads as number),
    transformerDepth: depth,
    contextDim: num(c, 'cross_attention_dim', 768),
    projection: c.use_linear_projection ? 'linear' : 'conv',
    groups: num(c, 'norm_num_groups', 32),
  };
}

export function controlNetArchFromConfig(c: Json, overrides: ArchOverrides): ControlNetArch {
  return { ...unetArchFromConfig(c, overrides), hintChannels: (c.conditioning_embedding_out_channels as number[] | undefined) ?? [16, 32, 96, 256] };
}

export function vaeArchFromConfig(c: Json): VaeArch {
  return { blockChannels: c.block_out_channels as number[], layersPerBlock: num(c, 'layers_per_block', 2), latentChannels: num(c, 'latent_channels', 4), groups: num(c, 'norm_num_groups', 32) };
}

export function textArchFromConfig(c: Json, overrides: ArchOverrides): TextArch {
  const act = c.hidden_act ?? 'quick_gelu';
  if (act !== 'quick_gelu' && act !== 'gelu') throw new CheckpointError(`The text encoder uses the ${String(act)} activation; SD 1.5's CLIP uses quick_gelu.`);
  return {
    hidden: num(c, 'hidden_size'),
    layers: num(c, 'num_hidden_layers'),
    heads: overrides.textHeads ?? num(c, 'num_attention_heads'),
    intermediate: num(c, 'intermediate_size'),
    vocab: num(c, 'vocab_size', 49408),
    positions: num(c, 'max_position_embeddings', 77),
    activation: act,
  };
}
