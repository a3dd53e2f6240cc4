// Model-set configurations. The same generator code emits the tiny test set and a
// full-size SD 1.5-shaped set (random weights) for benchmarks; only these numbers differ.

export interface SetConfig {
  name: string;
  /** Width of the CLIP text transformer (SD 1.5: 768). */
  textDim: number;
  textLayers: number;
  textHeads: number;
  /** Rows of the text encoder's embedding table: at least the tokenizer's token count. */
  vocabSize: number;
  /** Write weights to `model.onnx_data` beside each graph (needed past protobuf's 2 GB limit). */
  externalData: boolean;
  /** UNet block widths (SD 1.5: 320, 640, 1280, 1280). */
  unetChannels: [number, number, number, number];
  unetHeads: number;
  groups: number;
  /** ControlNet hint-encoder widths (SD 1.5: 16, 32, 96, 256); three stride-2 steps = 8×. */
  hintChannels: [number, number, number, number];
  /** VAE block widths (SD 1.5: 128, 256, 512, 512). */
  vaeChannels: [number, number, number, number];
  vaeGroups: number;
  /** Sample resolution written into model_index.json as the default. */
  sampleSize: number;
  /** ControlNets to emit; `zero-init` has exactly-zero zero convolutions. */
  controlnets: { name: string; seed: number; zeroInit?: boolean }[];
  /** Also write an fp16 UNet variant (unet/model_fp16.onnx). */
  fp16Unet: boolean;
}

export const TINY: SetConfig = {
  name: 'tiny-sd15',
  textDim: 32,
  textLayers: 2,
  textHeads: 2,
  vocabSize: 0, // the trained tokenizer's size
  externalData: false,
  unetChannels: [16, 32, 32, 32],
  unetHeads: 2,
  groups: 8,
  hintChannels: [8, 16, 16, 32],
  vaeChannels: [16, 16, 32, 32],
  vaeGroups: 8,
  sampleSize: 8,
  controlnets: [
    { name: 'canny', seed: 101 },
    { name: 'scribble', seed: 202 },
    { name: 'zero-init', seed: 303, zeroInit: true },
  ],
  fp16Unet: true,
};

export const FULLSIZE: SetConfig = {
  name: 'fullsize-sd15',
  textDim: 768,
  textLayers: 12,
  textHeads: 12,
  vocabSize: 49408, // CLIP's
  externalData: true,
  unetChannels: [320, 640, 1280, 1280],
  unetHeads: 8,
  groups: 32,
  hintChannels: [16, 32, 96, 256],
  vaeChannels: [128, 256, 512, 512],
  vaeGroups: 32,
  sampleSize: 64,
  controlnets: [{ name: 'canny', seed: 101 }],
  // The fp32 UNet's 3.2 GiB can't load in a browser; the fp16 one (1.6 GiB) is what real sets ship.
  fp16Unet: true,
};

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
