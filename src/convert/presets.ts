// The generated sets' architectures: the tiny test set (SD 1.5's module tree at toy widths)
// and the full-size benchmark set (SD 1.5 exactly), with their ControlNets.
import { SD15, SD15_HINT_CHANNELS, type SetArch } from './architecture.ts';
import { TAESD, type TaesdArch } from './taesd.ts';

export interface GeneratedSet {
  name: string;
  arch: SetArch;
  hintChannels: number[];
  /** ControlNets to emit with seeded weights; `zeroInit` has exactly-zero zero convolutions. */
  controlnets: { name: string; seed: number; zeroInit?: boolean }[];
  /** Weights in external data files beside each graph (needed past protobuf's 2 GB limit). */
  externalData: boolean;
  /** Also write an fp16 UNet variant (unet/model_fp16.onnx) with the same weights. */
  fp16Unet: boolean;
  /** Default sample resolution (latent cells). */
  sampleSize: number;
  /** TAESD's halves, seeded like the rest (the full-size set's are TAESD's real size). */
  taesd: TaesdArch;
}

/** The tiny set's vocabulary is its own small BPE; `vocab` is filled in from it. */
export const TINY: GeneratedSet = {
  name: 'tiny-sd15',
  arch: {
    text: { hidden: 32, layers: 2, heads: 2, intermediate: 128, vocab: 0, positions: 77, activation: 'quick_gelu' },
    unet: {
      inChannels: 4,
      blockChannels: [16, 32, 32, 32],
      layersPerBlock: 2,
      attention: [true, true, true, false],
      heads: [2, 2, 2, 2],
      transformerDepth: 1,
      contextDim: 32,
      projection: 'conv',
      groups: 8,
    },
    vae: { blockChannels: [16, 16, 32, 32], layersPerBlock: 2, latentChannels: 4, groups: 8 },
  },
  hintChannels: [8, 16, 16, 32],
  controlnets: [
    { name: 'canny', seed: 101 },
    { name: 'scribble', seed: 202 },
    { name: 'zero-init', seed: 303, zeroInit: true },
    // Stands in for control_v11p_sd15_inpaint (its hint: the input with masked pixels at −1).
    { name: 'inpaint', seed: 404 },
  ],
  externalData: false,
  fp16Unet: true,
  sampleSize: 8,
  taesd: { ...TAESD, channels: 16 },
};

export const FULLSIZE: GeneratedSet = {
  name: 'fullsize-sd15',
  arch: SD15,
  hintChannels: SD15_HINT_CHANNELS,
  controlnets: [{ name: 'canny', seed: 101 }],
  externalData: true,
  // The fp32 UNet's 3.2 GiB can't load in a browser; the fp16 one (1.6 GiB) is what real sets ship.
  fp16Unet: true,
  sampleSize: 64,
  taesd: TAESD,
};
