// AutoencoderKL as two graphs with diffusers' names: the decoder (post_quant_conv, conv_in,
// mid block, up levels) and the encoder (conv_in, down levels, mid block, quant_conv), whose
// output is the latent distribution's mean and log-variance.
// The VAE stays in fp32 in every set: SD 1.5's VAE config asks for it (force_upcast), as
// its activations overflow fp16.
import type { VaeArch } from './architecture.ts';
import { conv2d, downsample, groupNorm, resnetBlock, silu, upsample, vaeAttention } from './layers.ts';
import { ModelGraph, type GraphOptions } from './model-graph.ts';

/** Every GroupNorm in the VAE uses eps 1e-6. */
const EPS = 1e-6;

function midBlock(g: ModelGraph, h: string, channels: number, groups: number): string {
  return g.scope('mid_block', () => {
    const opts = { groups, eps: EPS, temb: null };
    let m = resnetBlock(g, h, 'resnets.0', channels, channels, opts);
    m = vaeAttention(g, m, 'attentions.0', channels, groups);
    return resnetBlock(g, m, 'resnets.1', channels, channels, opts);
  });
}

export function buildVaeDecoder(arch: VaeArch, options: GraphOptions = {}): ModelGraph {
  const g = new ModelGraph('vae_decoder', 'float32', options);
  const c = arch.blockChannels;
  const levels = c.length;
  const latent = g.input('latent_sample', 'float32', ['batch', arch.latentChannels, 'latent_height', 'latent_width']);
  let h = conv2d(g, latent, 'post_quant_conv', arch.latentChannels, arch.latentChannels, 1);
  let channels = c[levels - 1]!;
  g.scope('decoder', () => {
    h = conv2d(g, h, 'conv_in', arch.latentChannels, channels, 3);
    h = midBlock(g, h, channels, arch.groups);
    for (let u = 0; u < levels; u++) {
      const width = c[levels - 1 - u]!;
      g.scope(`up_blocks.${u}`, () => {
        for (let j = 0; j <= arch.layersPerBlock; j++) {
          h = resnetBlock(g, h, `resnets.${j}`, channels, width, { groups: arch.groups, eps: EPS, temb: null });
          channels = width;
        }
        if (u < levels - 1) h = upsample(g, h, 'upsamplers.0', channels);
      });
    }
    h = conv2d(g, silu(g, groupNorm(g, h, 'conv_norm_out', channels, arch.groups, EPS)), 'conv_out', channels, 3, 3);
  });
  g.output(h, 'sample', 'float32', ['batch', 3, 'height', 'width']);
  return g;
}

export function buildVaeEncoder(arch: VaeArch): ModelGraph {
  const g = new ModelGraph('vae_encoder', 'float32');
  const c = arch.blockChannels;
  const levels = c.length;
  const image = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
  let h = image;
  let channels = c[0]!;
  g.scope('encoder', () => {
    h = conv2d(g, image, 'conv_in', 3, channels, 3);
    for (let level = 0; level < levels; level++) {
      g.scope(`down_blocks.${level}`, () => {
        for (let j = 0; j < arch.layersPerBlock; j++) {
          h = resnetBlock(g, h, `resnets.${j}`, channels, c[level]!, { groups: arch.groups, eps: EPS, temb: null });
          channels = c[level]!;
        }
        if (level < levels - 1) h = downsample(g, h, 'downsamplers.0', channels, true);
      });
    }
    h = midBlock(g, h, channels, arch.groups);
    h = conv2d(g, silu(g, groupNorm(g, h, 'conv_norm_out', channels, arch.groups, EPS)), 'conv_out', channels, 2 * arch.latentChannels, 3);
  });
  const moments = conv2d(g, h, 'quant_conv', 2 * arch.latentChannels, 2 * arch.latentChannels, 1);
  // The distribution's parameters (mean, then log-variance), as optimum exports them: img2img
  // samples mean + std·ε with the run's generator, as diffusers' latent_dist.sample(generator).
  g.output(moments, 'latent_parameters', 'float32', ['batch', 2 * arch.latentChannels, 'latent_height', 'latent_width']);
  return g;
}
