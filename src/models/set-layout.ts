// Our model-set layout: diffusers' ONNX folders (model_index.json, scheduler/, tokenizer/, one
// folder per graph) plus a `controlnet_studio` entry in model_index.json that says what else
// the folder holds. Stated once, for the loader, the downloader and the converter that writes sets.

export const TEXT_ENCODER = 'text_encoder/model.onnx';
export const UNET = 'unet/model.onnx';
export const UNET_FP16_VARIANT = 'unet/model_fp16.onnx';
export const VAE_DECODER = 'vae_decoder/model.onnx';
export const VAE_ENCODER = 'vae_encoder/model.onnx';
export const controlnetGraph = (name: string) => `controlnet/${name}/model.onnx`;
/** TAESD's halves, in a set or in a TAESD stored on its own. */
export const TAESD_DECODER = 'taesd_decoder/model.onnx';
export const TAESD_ENCODER = 'taesd_encoder/model.onnx';

/** The UNet shape a ControlNet must match (its residuals are the UNet's skips, its encoder a copy of the UNet's). */
export interface UnetShape {
  block_channels: number[];
  layers_per_block: number;
  context_dim: number;
  /** Attention heads per level: the weights do not say them (absent in sets and ControlNets converted before it was kept). */
  heads?: number[];
}

/** Whether a ControlNet converted for `a` fits a UNet of shape `b`: widths, depth and text width, and heads where both say them. */
export function sameUnetShape(a: UnetShape, b: UnetShape): boolean {
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  return same(a.block_channels, b.block_channels) && a.layers_per_block === b.layers_per_block && a.context_dim === b.context_dim && (!a.heads || !b.heads || same(a.heads, b.heads));
}

/** A UNet shape in words, for errors that name two of them. */
export const describeUnetShape = (s: UnetShape) => `widths ${s.block_channels.join('/')}, ${s.context_dim}-wide text${s.heads ? `, ${s.heads.join('/')} attention heads` : ''}`;

export interface StudioIndex {
  /** ControlNets in controlnet/<name>/. */
  controlnets?: string[];
  /** The fp32 UNet; absent means unet/model.onnx, null means the set has none (an fp16-only set). */
  unet_fp32?: string | null;
  /** An fp16 UNet, if the set has one. */
  unet_fp16?: string | null;
  /** Other graphs stored in fp16 (text encoder, ControlNets): they need shader-f16 to run on WebGPU. */
  fp16_graphs?: string[];
  text_dim?: number;
  unet_shape?: UnetShape;
  /** The UNet is an inpainting one (9 input channels); its graph says so too. */
  inpainting?: boolean;
  /** Each graph's external weight files, when they are not the usual "<graph>_data". */
  data_files?: Record<string, string[]>;
  /** The name the person gave the set. */
  label?: string;
  /** What the set was converted from, and what the conversion noticed. */
  converted_from?: string;
  /** TAESD's graphs in the set (previews and fast decoding), and what they were converted from. */
  taesd?: TaesdInfo;
  /** LoRAs merged into its weights when it was converted, with their multipliers. */
  baked_loras?: { file: string; unet: number; text_encoder: number; lcm?: boolean }[];
  notices?: string[];
}

export interface ModelIndex {
  vae_encoder?: unknown;
  controlnet_studio?: StudioIndex;
}

export const unetFp32File = (index: ModelIndex) => (index.controlnet_studio?.unet_fp32 === undefined ? UNET : index.controlnet_studio.unet_fp32);
export const unetFp16File = (index: ModelIndex) => index.controlnet_studio?.unet_fp16 ?? null;

/** External weight files a graph may have beside it: what the index lists, or the usual "<graph>_data" / weights.pb. */
export function externalDataNames(graphFile: string, index?: ModelIndex): string[] {
  const listed = index?.controlnet_studio?.data_files?.[graphFile];
  if (listed) return listed.map((p) => p.slice(p.lastIndexOf('/') + 1));
  return [`${graphFile.split('/').pop()}_data`, 'weights.pb'];
}

/** A ControlNet stored on its own (imported without a base set), usable with any set whose UNet it fits. */
export interface StoredControlNetInfo {
  name: string;
  precision: 'fp16' | 'fp32';
  unet_shape: UnetShape;
  converted_from: string;
  /** Its weight files beside model.onnx. */
  data_files: string[];
}
export const STORED_CONTROLNET_INFO = 'controlnet.json';

/** TAESD's halves (either may be missing: a preview needs only the decoder). */
export interface TaesdInfo {
  decoder: string | null;
  encoder: string | null;
  converted_from: string;
}
/** A TAESD stored on its own (taesd/<name>/): its graphs beside this file. TAESD decodes any SD 1.x set's latents. */
export const STORED_TAESD_INFO = 'taesd.json';

/** A LoRA in the studio's library (loras/<name>/): the file as it came, and what the studio read of it. */
export interface StoredLoraInfo {
  /** What <lora:name:…> tags call it: the file's name without its extension, as A1111 lists LoRAs. */
  name: string;
  /** The file beside this info, as it was given. */
  file: string;
  bytes: number;
  sha256: string;
  /** An LCM-LoRA (latent-consistency distillation): live mode's LCM recipe may run with it. Said by its source or by the person. */
  lcm: boolean;
  format: 'kohya' | 'peft' | 'diffusers';
  layers: { unet: number; text: number };
  /** Where it came from: a file name, or a Hugging Face repo. */
  source: string;
}
export const STORED_LORA_INFO = 'lora.json';
