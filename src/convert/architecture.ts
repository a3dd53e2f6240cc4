// The numbers that shape each graph. The tiny test set, the full-size benchmark set and a
// converted checkpoint differ only here (and in where their weights come from).
import { residualLayout } from '../diffusion/residuals.ts';

export interface UnetArch {
  /** Latent channels in (4; an inpainting UNet has 9: latents, mask, masked-image latents). */
  inChannels: number;
  /** Width of each level (SD 1.5: 320, 640, 1280, 1280). */
  blockChannels: number[];
  /** ResNet blocks per down level (up levels have one more). */
  layersPerBlock: number;
  /** Which levels have cross-attention transformers (SD 1.5: all but the last). */
  attention: boolean[];
  /** Attention heads per level (SD 1.5: 8 everywhere; SD 2-style configs give a head size of 64 instead). */
  heads: number[];
  transformerDepth: number;
  /** Width of the text embeddings the cross-attention reads (SD 1.5: 768). */
  contextDim: number;
  /** proj_in/proj_out of the transformers: 1×1 convolutions (SD 1.5) or linear layers. */
  projection: 'conv' | 'linear';
  groups: number;
}

export interface ControlNetArch extends UnetArch {
  /** The hint encoder's widths; three stride-2 steps bring the image to latent size (SD 1.5: 16, 32, 96, 256). */
  hintChannels: number[];
}

export interface VaeArch {
  blockChannels: number[];
  layersPerBlock: number;
  latentChannels: number;
  groups: number;
}

export interface TextArch {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  positions: number;
  activation: 'quick_gelu' | 'gelu';
}

export interface SetArch {
  text: TextArch;
  unet: UnetArch;
  vae: VaeArch;
}

/** Stable Diffusion 1.5, as runwayml/stable-diffusion-v1-5 and every A1111 SD 1.5 checkpoint has it. */
export const SD15: SetArch = {
  text: { hidden: 768, layers: 12, heads: 12, intermediate: 3072, vocab: 49408, positions: 77, activation: 'quick_gelu' },
  unet: {
    inChannels: 4,
    blockChannels: [320, 640, 1280, 1280],
    layersPerBlock: 2,
    attention: [true, true, true, false],
    heads: [8, 8, 8, 8],
    transformerDepth: 1,
    contextDim: 768,
    projection: 'conv',
    groups: 32,
  },
  vae: { blockChannels: [128, 256, 512, 512], layersPerBlock: 2, latentChannels: 4, groups: 32 },
};

export const SD15_HINT_CHANNELS = [16, 32, 96, 256];

export const controlNetArch = (unet: UnetArch, hintChannels = SD15_HINT_CHANNELS): ControlNetArch => ({ ...unet, hintChannels });

/** Whether a ControlNet's residuals fit a UNet: same widths, depth and levels, same text width. */
export function controlNetFits(cn: UnetArch, unet: UnetArch): boolean {
  const layout = (u: UnetArch) => JSON.stringify(residualLayout(u.blockChannels, u.layersPerBlock));
  return layout(cn) === layout(unet) && cn.contextDim === unet.contextDim;
}
