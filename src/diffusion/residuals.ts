// The ControlNet residuals, stated once: a ControlNet's outputs and a ControlNet-ready UNet's
// inputs are the UNet encoder's skip connections (conv_in, each ResNet block, each
// downsampler) followed by the mid block. For SD 1.5 (4 levels, 2 blocks each) that is 12 + 1.

export interface ResidualSlot {
  /** Channels of this residual. */
  channels: number;
  /** How many times smaller than the latent it is (1, 2, 4, 8 for SD 1.5). */
  downscale: number;
}

/** The residuals of a UNet with these level widths and ResNet blocks per level, in order (mid block last). */
export function residualLayout(blockChannels: readonly number[], layersPerBlock: number): ResidualSlot[] {
  const levels = blockChannels.length;
  const out: ResidualSlot[] = [{ channels: blockChannels[0]!, downscale: 1 }];
  for (let level = 0; level < levels; level++) {
    for (let j = 0; j < layersPerBlock; j++) out.push({ channels: blockChannels[level]!, downscale: 2 ** level });
    if (level < levels - 1) out.push({ channels: blockChannels[level]!, downscale: 2 ** (level + 1) });
  }
  out.push({ channels: blockChannels[levels - 1]!, downscale: 2 ** (levels - 1) });
  return out;
}

/** SD 1.5's layout (any widths): 12 down residuals and the mid one. */
export const SD15_RESIDUAL_DOWNSCALE = residualLayout([1, 1, 1, 1], 2).map((r) => r.downscale);
export const RESIDUALS = SD15_RESIDUAL_DOWNSCALE.length;

export const residualInputName = (i: number) => (i < RESIDUALS - 1 ? `down_block_additional_residual_${i}` : 'mid_block_additional_residual');
export const residualOutputName = (i: number) => (i < RESIDUALS - 1 ? `down_block_res_samples_${i}` : 'mid_block_res_sample');
