// Which graphs a set holds, built from an architecture and weight sources. The tiny and
// full-size generators (seeded weights) and the checkpoint converter all call these, so every
// set's graphs come from the same code.
import type { FloatType } from '../models/onnx-graph.ts';
import { controlnetGraph, TEXT_ENCODER, UNET, VAE_DECODER, VAE_ENCODER, type ModelIndex, type StudioIndex, type UnetShape } from '../models/set-layout.ts';
import type { ControlNetArch, SetArch, UnetArch } from './architecture.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildControlNet, buildUnet } from './unet.ts';
import { buildVaeDecoder, buildVaeEncoder } from './vae.ts';
import type { WeightSource } from './weights.ts';
import type { GraphOptions } from './model-graph.ts';
import type { SetGraph } from './write-set.ts';

export interface PipelineSources {
  text: WeightSource;
  unet: WeightSource;
  /** One source for both VAE graphs (the decoder reads decoder.*, the encoder encoder.*). */
  vae: WeightSource;
  vaeEncoder?: WeightSource;
}

/** Text encoder and UNet in `precision`; the VAE always in fp32 (see vae.ts). */
export function pipelineGraphs(arch: SetArch, precision: FloatType, sources: PipelineSources, options: GraphOptions = {}): SetGraph[] {
  return [
    { path: TEXT_ENCODER, graph: buildTextEncoder(arch.text, precision), source: sources.text },
    { path: UNET, graph: buildUnet(arch.unet, precision, true, options), source: sources.unet },
    { path: VAE_DECODER, graph: buildVaeDecoder(arch.vae, options), source: sources.vae },
    { path: VAE_ENCODER, graph: buildVaeEncoder(arch.vae), source: sources.vaeEncoder ?? sources.vae },
  ];
}

export function controlNetSetGraph(
  name: string,
  arch: ControlNetArch,
  precision: FloatType,
  source: WeightSource,
  zeroInit = false,
  path = controlnetGraph(name),
  options: GraphOptions = {},
): SetGraph {
  return { path, graph: buildControlNet(arch, precision, zeroInit, options), source };
}

export const unetShape = (unet: UnetArch): UnetShape => ({ block_channels: unet.blockChannels, layers_per_block: unet.layersPerBlock, context_dim: unet.contextDim, heads: unet.heads });

/** diffusers' OnnxStableDiffusionPipeline index, with what our folder adds under `controlnet_studio`. */
export function pipelineIndex(studio: StudioIndex): ModelIndex & Record<string, unknown> {
  return {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.27.2',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    controlnet_studio: studio,
  };
}

/** SD 1.5's scheduler_config.json (PNDM), as published with runwayml/stable-diffusion-v1-5. */
export const SD15_SCHEDULER_CONFIG = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

export const TOKENIZER_CONFIG = {
  tokenizer_class: 'CLIPTokenizer',
  model_max_length: 77,
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  do_lower_case: true,
};
