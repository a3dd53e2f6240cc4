// SD 1.5's UNet2DConditionModel and ControlNetModel in miniature. Both share the encoder
// half (time embedding, conv_in, 4 down levels, mid block), so the ControlNet's 13 outputs
// line up with the UNet's 13 residual inputs by construction.
import { GraphBuilder, SeededRandom, type FloatType } from '../../src/models/onnx-graph.ts';
import { conv2d, downsample, gemm, groupNorm, resnetBlock, silu, spatialTransformer, upsample } from './layers.ts';
import type { SetConfig } from './config.ts';

type Dim = number | string;
export const RESIDUAL_COUNT = 12;

/** Shapes of the 12 down residuals and the mid residual, shared by UNet inputs and ControlNet outputs. */
export function residualShapes(cfg: SetConfig): { down: Dim[][]; mid: Dim[] } {
  const c = cfg.unetChannels;
  const at = (channels: number, level: number): Dim[] =>
    level === 0 ? ['batch', channels, 'height', 'width'] : ['batch', channels, `height/${2 ** level}`, `width/${2 ** level}`];
  const down: Dim[][] = [at(c[0], 0)];
  for (let level = 0; level < 4; level++) {
    down.push(at(c[level]!, level), at(c[level]!, level));
    if (level < 3) down.push(at(c[level]!, level + 1));
  }
  return { down, mid: at(c[3], 3) };
}

interface EncoderResult {
  skips: { tensor: string; channels: number }[];
  mid: string;
  temb: { tensor: string; dim: number };
}

/** Sinusoidal timestep embedding (flip_sin_to_cos, shift 0) then the 2-layer MLP. */
function timeEmbedding(g: GraphBuilder, timestep: string, cfg: SetConfig): { tensor: string; dim: number } {
  return g.scope('time_embedding', () => {
    const base = cfg.unetChannels[0];
    const half = base / 2;
    const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
    // Computed in fp32 even in fp16 graphs: t·freq reaches ~1000, where fp16 steps by 0.5.
    const t = g.op1('Unsqueeze', [g.op1('Cast', [timestep], { to: 1 }), g.int64Const([1])]);
    const args = g.op1('Mul', [t, g.floatConst(freqs, [half], 'float32')]);
    let emb = g.op1('Concat', [g.op1('Cos', [args]), g.op1('Sin', [args])], { axis: 1 });
    if (g.dtype === 'float16') emb = g.op1('Cast', [emb], { to: 10 });
    const dim = base * 4;
    return { tensor: gemm(g, silu(g, gemm(g, emb, base, dim)), dim, dim), dim };
  });
}

/** conv_in output (plus the ControlNet hint, if given), the 4 down levels and the mid block. */
function encoder(g: GraphBuilder, sample: string, timestep: string, context: string, cfg: SetConfig, hint?: (h: string) => string): EncoderResult {
  const c = cfg.unetChannels;
  const temb = timeEmbedding(g, timestep, cfg);
  let h = g.scope('conv_in', () => conv2d(g, sample, 4, c[0], 3));
  if (hint) h = hint(h);
  const skips = [{ tensor: h, channels: c[0] }];
  let channels = c[0];
  for (let level = 0; level < 4; level++) {
    g.scope(`down_blocks.${level}`, () => {
      for (let j = 0; j < 2; j++) {
        h = resnetBlock(g, h, temb, channels, c[level]!, cfg.groups);
        channels = c[level]!;
        if (level < 3) h = spatialTransformer(g, h, context, channels, cfg.textDim, cfg.unetHeads, cfg.groups);
        skips.push({ tensor: h, channels });
      }
      if (level < 3) {
        h = downsample(g, h, channels);
        skips.push({ tensor: h, channels });
      }
    });
  }
  const mid = g.scope('mid_block', () => {
    let m = resnetBlock(g, h, temb, channels, channels, cfg.groups);
    m = spatialTransformer(g, m, context, channels, cfg.textDim, cfg.unetHeads, cfg.groups);
    return resnetBlock(g, m, temb, channels, channels, cfg.groups);
  });
  return { skips, mid, temb };
}

function commonInputs(g: GraphBuilder, cfg: SetConfig, dtype: FloatType) {
  return {
    sample: g.input('sample', dtype, ['batch', 4, 'height', 'width']),
    timestep: g.input('timestep', 'int64', [1]),
    context: g.input('encoder_hidden_states', dtype, ['batch', 77, cfg.textDim]),
  };
}

/** `withResiduals: false` gives a plain UNet, as exports made without ControlNet support are. */
export function buildUnet(cfg: SetConfig, dtype: FloatType, seed = 1, withResiduals = true): GraphBuilder {
  const g = new GraphBuilder('unet', dtype, new SeededRandom(seed));
  const { sample, timestep, context } = commonInputs(g, cfg, dtype);
  const shapes = residualShapes(cfg);
  const downResiduals = withResiduals ? shapes.down.map((shape, i) => g.input(`down_block_additional_residual_${i}`, dtype, shape)) : [];
  const midResidual = withResiduals ? g.input('mid_block_additional_residual', dtype, shapes.mid) : null;

  const enc = encoder(g, sample, timestep, context, cfg);
  // ControlNet residuals are added to every skip and to the mid block output, as diffusers does.
  const skips = enc.skips.map((s, i) => ({ tensor: withResiduals ? g.op1('Add', [s.tensor, downResiduals[i]!]) : s.tensor, channels: s.channels }));
  let h = midResidual ? g.op1('Add', [enc.mid, midResidual]) : enc.mid;
  let channels = cfg.unetChannels[3];

  const reversed = [...cfg.unetChannels].reverse();
  for (let u = 0; u < 4; u++) {
    g.scope(`up_blocks.${u}`, () => {
      for (let j = 0; j < 3; j++) {
        const skip = skips.pop()!;
        h = resnetBlock(g, g.op1('Concat', [h, skip.tensor], { axis: 1 }), enc.temb, channels + skip.channels, reversed[u]!, cfg.groups);
        channels = reversed[u]!;
        if (u > 0) h = spatialTransformer(g, h, context, channels, cfg.textDim, cfg.unetHeads, cfg.groups);
      }
      if (u < 3) h = upsample(g, h, channels);
    });
  }
  const out = g.scope('conv_out', () => conv2d(g, silu(g, groupNorm(g, h, channels, cfg.groups)), channels, 4, 3, { gain: 0.3 }));
  g.output(out, 'out_sample', dtype, ['batch', 4, 'height', 'width']);
  return g;
}

/** ControlNetConditioningEmbedding: the hint encoder that brings the 8× image down to latent size. */
function hintEncoder(g: GraphBuilder, cond: string, cfg: SetConfig, zeroInit: boolean): string {
  return g.scope('controlnet_cond_embedding', () => {
    const e = cfg.hintChannels;
    let h = silu(g, conv2d(g, cond, 3, e[0], 3));
    for (let i = 0; i < e.length - 1; i++) {
      h = silu(g, conv2d(g, h, e[i]!, e[i]!, 3));
      h = silu(g, conv2d(g, h, e[i]!, e[i + 1]!, 3, { stride: 2 }));
    }
    return conv2d(g, h, e[e.length - 1]!, cfg.unetChannels[0], 3, { gain: zeroInit ? 0 : 1 });
  });
}

export function buildControlNet(cfg: SetConfig, seed: number, zeroInit: boolean): GraphBuilder {
  const g = new GraphBuilder('controlnet', 'float32', new SeededRandom(seed));
  const { sample, timestep, context } = commonInputs(g, cfg, 'float32');
  const cond = g.input('controlnet_cond', 'float32', ['batch', 3, 'image_height', 'image_width']);
  const scale = g.input('conditioning_scale', 'float32', []);

  const enc = encoder(g, sample, timestep, context, cfg, (h) => g.op1('Add', [h, hintEncoder(g, cond, cfg, zeroInit)]));
  // Zero convolutions: exactly zero in a freshly initialised ControlNet, trained (here: random) otherwise.
  const zeroConv = (t: string, channels: number) => g.op1('Mul', [conv2d(g, t, channels, channels, 1, { gain: zeroInit ? 0 : 0.7 }), scale]);
  const shapes = residualShapes(cfg);
  g.scope('controlnet_down_blocks', () =>
    enc.skips.forEach((s, i) => g.output(zeroConv(s.tensor, s.channels), `down_block_res_samples_${i}`, 'float32', shapes.down[i]!)),
  );
  g.scope('controlnet_mid_block', () => g.output(zeroConv(enc.mid, cfg.unetChannels[3]), 'mid_block_res_sample', 'float32', shapes.mid));
  return g;
}
