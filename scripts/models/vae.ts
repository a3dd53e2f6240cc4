// AutoencoderKL in miniature: encoder (conv_in, 4 down levels, mid block with attention,
// quant_conv) and decoder (post_quant_conv, mid block, 4 up levels with 3 upsamplings).
import { GraphBuilder, SeededRandom } from '../../src/models/onnx-graph.ts';
import { conv2d, downsample, groupNorm, resnetBlock, silu, upsample, vaeAttention } from './layers.ts';
import type { SetConfig } from './config.ts';

function midBlock(g: GraphBuilder, h: string, channels: number, groups: number): string {
  return g.scope('mid_block', () => {
    let m = resnetBlock(g, h, null, channels, channels, groups);
    m = vaeAttention(g, m, channels, groups);
    return resnetBlock(g, m, null, channels, channels, groups);
  });
}

export function buildVaeDecoder(cfg: SetConfig, seed = 11): GraphBuilder {
  const g = new GraphBuilder('vae_decoder', 'float32', new SeededRandom(seed));
  const c = cfg.vaeChannels;
  const groups = cfg.vaeGroups;
  const latent = g.input('latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']);
  let h = g.scope('post_quant_conv', () => conv2d(g, latent, 4, 4, 1));
  h = g.scope('decoder.conv_in', () => conv2d(g, h, 4, c[3], 3));
  h = midBlock(g, h, c[3], groups);
  let channels = c[3];
  const reversed = [...c].reverse();
  for (let u = 0; u < 4; u++) {
    g.scope(`decoder.up_blocks.${u}`, () => {
      for (let j = 0; j < 3; j++) {
        h = resnetBlock(g, h, null, channels, reversed[u]!, groups);
        channels = reversed[u]!;
      }
      if (u < 3) h = upsample(g, h, channels);
    });
  }
  const out = g.scope('decoder.conv_out', () => conv2d(g, silu(g, groupNorm(g, h, channels, groups, 1e-6)), channels, 3, 3));
  g.output(out, 'sample', 'float32', ['batch', 3, 'height', 'width']);
  return g;
}

export function buildVaeEncoder(cfg: SetConfig, seed = 13): GraphBuilder {
  const g = new GraphBuilder('vae_encoder', 'float32', new SeededRandom(seed));
  const c = cfg.vaeChannels;
  const groups = cfg.vaeGroups;
  const image = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
  let h = g.scope('encoder.conv_in', () => conv2d(g, image, 3, c[0], 3));
  let channels = c[0];
  for (let level = 0; level < 4; level++) {
    g.scope(`encoder.down_blocks.${level}`, () => {
      for (let j = 0; j < 2; j++) {
        h = resnetBlock(g, h, null, channels, c[level]!, groups);
        channels = c[level]!;
      }
      if (level < 3) h = downsample(g, h, channels, true);
    });
  }
  h = midBlock(g, h, channels, groups);
  const moments = g.scope('encoder.conv_out', () => conv2d(g, silu(g, groupNorm(g, h, channels, groups, 1e-6)), channels, 8, 3));
  const quant = g.scope('quant_conv', () => conv2d(g, moments, 8, 8, 1));
  // latent_sample is the distribution's mean (the first 4 of 8 moment channels): deterministic,
  // so img2img is reproducible; the pipeline applies the 0.18215 latent scale itself.
  const mean = g.op1('Slice', [quant, g.int64Const([0]), g.int64Const([4]), g.int64Const([1])]);
  g.output(mean, 'latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']);
  return g;
}
