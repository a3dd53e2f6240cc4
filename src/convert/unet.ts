// SD 1.5's UNet2DConditionModel and ControlNetModel as ONNX graphs, with diffusers' names.
// Both share the encoder half (time embedding, conv_in, the down levels, the mid block), so a
// ControlNet's 13 outputs line up with the UNet's 13 residual inputs by construction.
import type { FloatType } from '../models/onnx-graph.ts';
import { residualLayout, residualInputName, residualOutputName } from '../diffusion/residuals.ts';
import type { ControlNetArch, UnetArch } from './architecture.ts';
import { conv2d, downsample, gemm, groupNorm, resnetBlock, silu, spatialTransformer, upsample } from './layers.ts';
import { ModelGraph, type GraphOptions } from './model-graph.ts';

type Dim = number | string;
/** UNet ResNets and the output norm use GroupNorm eps 1e-5 (diffusers' norm_eps); transformers use 1e-6. */
const NORM_EPS = 1e-5;

function residualShapes(arch: UnetArch): Dim[][] {
  return residualLayout(arch.blockChannels, arch.layersPerBlock).map(({ channels, downscale }) =>
    downscale === 1 ? ['batch', channels, 'height', 'width'] : ['batch', channels, `height/${downscale}`, `width/${downscale}`],
  );
}

interface EncoderResult {
  skips: { tensor: string; channels: number }[];
  mid: string;
  temb: { tensor: string; dim: number };
}

/** Sinusoidal timestep embedding (flip_sin_to_cos, shift 0), then time_embedding's two Linears. */
function timeEmbedding(g: ModelGraph, timestep: string, arch: UnetArch): { tensor: string; dim: number } {
  const base = arch.blockChannels[0]!;
  const half = base / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  // Computed in fp32 even in fp16 graphs: t·freq reaches ~1000, where fp16 steps by 0.5.
  const t = g.op1('Unsqueeze', [timestep, g.int64Const([1])]);
  const args = g.op1('Mul', [t, g.floatConst(freqs, [half], 'float32')]);
  let emb = g.op1('Concat', [g.op1('Cos', [args]), g.op1('Sin', [args])], { axis: 1 });
  if (g.dtype === 'float16') emb = g.op1('Cast', [emb], { to: 10 });
  const dim = base * 4;
  return g.scope('time_embedding', () => ({ tensor: gemm(g, silu(g, gemm(g, emb, 'linear_1', base, dim)), 'linear_2', dim, dim), dim }));
}

/** conv_in (plus the ControlNet hint, if given), the down levels and the mid block. */
function encoder(g: ModelGraph, sample: string, timestep: string, context: string, arch: UnetArch, gains: { out: number }, hint?: (h: string) => string): EncoderResult {
  const c = arch.blockChannels;
  const levels = c.length;
  const temb = timeEmbedding(g, timestep, arch);
  const resnet = { groups: arch.groups, eps: NORM_EPS, temb, outGain: gains.out };
  const transformer = (level: number) => ({ heads: arch.heads[level]!, contextDim: arch.contextDim, groups: arch.groups, depth: arch.transformerDepth, projection: arch.projection });
  let h = conv2d(g, sample, 'conv_in', arch.inChannels, c[0]!, 3);
  if (hint) h = hint(h);
  const skips = [{ tensor: h, channels: c[0]! }];
  let channels = c[0]!;
  for (let level = 0; level < levels; level++) {
    g.scope(`down_blocks.${level}`, () => {
      for (let j = 0; j < arch.layersPerBlock; j++) {
        h = resnetBlock(g, h, `resnets.${j}`, channels, c[level]!, resnet);
        channels = c[level]!;
        if (arch.attention[level]) h = spatialTransformer(g, h, context, `attentions.${j}`, channels, transformer(level));
        skips.push({ tensor: h, channels });
      }
      if (level < levels - 1) {
        h = downsample(g, h, 'downsamplers.0', channels);
        skips.push({ tensor: h, channels });
      }
    });
  }
  const mid = g.scope('mid_block', () => {
    let m = resnetBlock(g, h, 'resnets.0', channels, channels, resnet);
    m = spatialTransformer(g, m, context, 'attentions.0', channels, transformer(levels - 1));
    return resnetBlock(g, m, 'resnets.1', channels, channels, resnet);
  });
  return { skips, mid, temb };
}

function commonInputs(g: ModelGraph, arch: UnetArch) {
  return {
    sample: g.input('sample', g.dtype, ['batch', arch.inChannels, 'height', 'width']),
    // One timestep for the batch ([1]) or one per batch element ([batch]). float32, not torch's
    // int64: WebGPU has no 64-bit integers, so an int64 input is cast on the CPU, and a graph with
    // a CPU node can't be captured and replayed. Every timestep (0–999) is exact in float32.
    timestep: g.input('timestep', 'float32', ['timestep_batch']),
    // 77 tokens per prompt chunk; a long (or BREAK-split) prompt gives 154, 231, …
    context: g.input('encoder_hidden_states', g.dtype, ['batch', 'sequence', arch.contextDim]),
  };
}

/** `withResiduals: false` gives a plain UNet, as exports made without ControlNet support are. */
export function buildUnet(arch: UnetArch, dtype: FloatType, withResiduals = true, options: GraphOptions = {}): ModelGraph {
  const g = new ModelGraph('unet', dtype, options);
  const { sample, timestep, context } = commonInputs(g, arch);
  const shapes = residualShapes(arch);
  const residuals = withResiduals ? shapes.map((shape, i) => g.input(residualInputName(i), dtype, shape)) : [];

  const enc = encoder(g, sample, timestep, context, arch, { out: 0.5 });
  // ControlNet residuals are added to every skip and to the mid block output, as diffusers does.
  const skips = enc.skips.map((s, i) => ({ tensor: withResiduals ? g.op1('Add', [s.tensor, residuals[i]!]) : s.tensor, channels: s.channels }));
  let h = withResiduals ? g.op1('Add', [enc.mid, residuals[residuals.length - 1]!]) : enc.mid;
  const levels = arch.blockChannels.length;
  let channels = arch.blockChannels[levels - 1]!;
  const resnet = { groups: arch.groups, eps: NORM_EPS, temb: enc.temb };

  for (let u = 0; u < levels; u++) {
    const level = levels - 1 - u;
    const width = arch.blockChannels[level]!;
    g.scope(`up_blocks.${u}`, () => {
      for (let j = 0; j <= arch.layersPerBlock; j++) {
        const skip = skips.pop()!;
        h = resnetBlock(g, g.op1('Concat', [h, skip.tensor], { axis: 1 }), `resnets.${j}`, channels + skip.channels, width, resnet);
        channels = width;
        if (arch.attention[level]) {
          h = spatialTransformer(g, h, context, `attentions.${j}`, channels, {
            heads: arch.heads[level]!,
            contextDim: arch.contextDim,
            groups: arch.groups,
            depth: arch.transformerDepth,
            projection: arch.projection,
          });
        }
      }
      if (u < levels - 1) h = upsample(g, h, 'upsamplers.0', channels);
    });
  }
  const normed = groupNorm(g, h, 'conv_norm_out', channels, arch.groups, NORM_EPS);
  const out = conv2d(g, silu(g, normed), 'conv_out', channels, 4, 3, { gain: 0.3 });
  g.output(out, 'out_sample', dtype, ['batch', 4, 'height', 'width']);
  return g;
}

/** ControlNetConditioningEmbedding: the hint encoder that brings the 8× image down to latent size. */
function hintEncoder(g: ModelGraph, cond: string, arch: ControlNetArch, zeroInit: boolean): string {
  return g.scope('controlnet_cond_embedding', () => {
    const e = arch.hintChannels;
    let h = silu(g, conv2d(g, cond, 'conv_in', 3, e[0]!, 3));
    let block = 0;
    for (let i = 0; i < e.length - 1; i++) {
      h = silu(g, conv2d(g, h, `blocks.${block++}`, e[i]!, e[i]!, 3));
      h = silu(g, conv2d(g, h, `blocks.${block++}`, e[i]!, e[i + 1]!, 3, { stride: 2 }));
    }
    return conv2d(g, h, 'conv_out', e[e.length - 1]!, arch.blockChannels[0]!, 3, { gain: zeroInit ? 0 : 1 });
  });
}

/** `zeroInit`: the seeded weights of a freshly initialised ControlNet (exactly-zero zero convolutions). */
export function buildControlNet(arch: ControlNetArch, dtype: FloatType, zeroInit = false, options: GraphOptions = {}): ModelGraph {
  const g = new ModelGraph('controlnet', dtype, options);
  const { sample, timestep, context } = commonInputs(g, arch);
  const cond = g.input('controlnet_cond', dtype, ['batch', 3, 'image_height', 'image_width']);
  const scaleInput = g.input('conditioning_scale', 'float32', []);
  const scale = dtype === 'float16' ? g.op1('Cast', [scaleInput], { to: 10 }) : scaleInput;

  const enc = encoder(g, sample, timestep, context, arch, { out: 0.5 }, (h) => g.op1('Add', [h, hintEncoder(g, cond, arch, zeroInit)]));
  // Zero convolutions: exactly zero in a freshly initialised ControlNet, trained (or seeded) otherwise.
  const zeroConv = (t: string, name: string, channels: number) => g.op1('Mul', [conv2d(g, t, name, channels, channels, 1, { gain: zeroInit ? 0 : 0.7 }), scale]);
  const shapes = residualShapes(arch);
  enc.skips.forEach((s, i) => g.output(zeroConv(s.tensor, `controlnet_down_blocks.${i}`, s.channels), residualOutputName(i), dtype, shapes[i]!));
  const last = shapes.length - 1;
  g.output(zeroConv(enc.mid, 'controlnet_mid_block', arch.blockChannels[arch.blockChannels.length - 1]!), residualOutputName(last), dtype, shapes[last]!);
  return g;
}
