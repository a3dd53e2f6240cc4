// Neural-network building blocks, emitted with the same ONNX op types torch.onnx.export
// produces for diffusers' SD 1.5 modules (GroupNorm as Reshape+InstanceNormalization,
// SiLU as Sigmoid*x, GELU through Erf, attention as MatMul+Softmax).
import type { GraphBuilder } from '../../src/models/onnx-graph.ts';

export interface InitOptions {
  /** Multiplies the default 1/sqrt(fan_in) standard deviation; 0 gives exact zeros. */
  gain?: number;
}

export function conv2d(
  g: GraphBuilder,
  x: string,
  cin: number,
  cout: number,
  kernel: number,
  opts: InitOptions & { stride?: number; pads?: number[] } = {},
): string {
  const fanIn = cin * kernel * kernel;
  const gain = opts.gain ?? 1;
  const w = gain === 0 ? g.filledWeight('conv.weight', [cout, cin, kernel, kernel], 0) : g.randomWeight('conv.weight', [cout, cin, kernel, kernel], gain / Math.sqrt(fanIn));
  const b = gain === 0 ? g.filledWeight('conv.bias', [cout], 0) : g.randomWeight('conv.bias', [cout], 0.02);
  const pad = (kernel - 1) / 2;
  const stride = opts.stride ?? 1;
  return g.op1('Conv', [x, w, b], {
    kernel_shape: [kernel, kernel],
    strides: [stride, stride],
    pads: opts.pads ?? [pad, pad, pad, pad],
    dilations: [1, 1],
    group: 1,
  });
}

/** nn.Linear on the last axis of a [..., in] tensor: MatMul + Add, as torch exports it. */
export function linear(g: GraphBuilder, x: string, inDim: number, outDim: number, opts: InitOptions & { bias?: boolean } = {}): string {
  const w = g.randomWeight('linear.weight', [inDim, outDim], (opts.gain ?? 1) / Math.sqrt(inDim));
  const y = g.op1('MatMul', [x, w]);
  if (opts.bias === false) return y;
  return g.op1('Add', [y, g.randomWeight('linear.bias', [outDim], 0.02)]);
}

/** nn.Linear on a 2-D [N, in] tensor: torch exports this as Gemm. */
export function gemm(g: GraphBuilder, x: string, inDim: number, outDim: number): string {
  const w = g.randomWeight('gemm.weight', [outDim, inDim], 1 / Math.sqrt(inDim));
  const b = g.randomWeight('gemm.bias', [outDim], 0.02);
  return g.op1('Gemm', [x, w, b], { transB: 1, alpha: { float: 1 }, beta: { float: 1 } });
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op1('Mul', [x, g.op1('Sigmoid', [x])]);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu op, so exports use Erf. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op1('Erf', [g.op1('Div', [x, g.floatConst([Math.SQRT2])])]);
  const onePlus = g.op1('Add', [erf, g.floatConst([1])]);
  return g.op1('Mul', [g.op1('Mul', [x, onePlus]), g.floatConst([0.5])]);
}

/** CLIP's quick-GELU, x·sigmoid(1.702x). */
export function quickGelu(g: GraphBuilder, x: string): string {
  return g.op1('Mul', [x, g.op1('Sigmoid', [g.op1('Mul', [x, g.floatConst([1.702])])])]);
}

/** nn.GroupNorm on NCHW: Reshape → InstanceNormalization → Reshape → affine. */
export function groupNorm(g: GraphBuilder, x: string, channels: number, groups: number, eps = 1e-5): string {
  const grouped = g.op1('Reshape', [x, g.int64Const([0, groups, -1])]);
  const normed = g.op1('InstanceNormalization', [grouped, g.filledWeight('gn.ones', [groups], 1), g.filledWeight('gn.zeros', [groups], 0)], {
    epsilon: { float: eps },
  });
  const back = g.op1('Reshape', [normed, g.op1('Shape', [x])]);
  const gamma = g.weight('gn.weight', [channels, 1, 1], Float32Array.from({ length: channels }, () => 1 + 0.1 * g.rng.normal()));
  const beta = g.randomWeight('gn.bias', [channels, 1, 1], 0.05);
  return g.op1('Add', [g.op1('Mul', [back, gamma]), beta]);
}

export function layerNorm(g: GraphBuilder, x: string, dim: number, eps = 1e-5): string {
  const gamma = g.weight('ln.weight', [dim], Float32Array.from({ length: dim }, () => 1 + 0.1 * g.rng.normal()));
  const beta = g.randomWeight('ln.bias', [dim], 0.05);
  return g.op1('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
}

/**
 * Multi-head attention of [B, N, dim] queries over [B, M, contextDim] keys and values.
 * `mask` (optional) is added to the scores, e.g. CLIP's causal mask.
 */
export function attention(
  g: GraphBuilder,
  x: string,
  context: string,
  dim: number,
  contextDim: number,
  heads: number,
  opts: { qkvBias?: boolean; mask?: string } = {},
): string {
  const headDim = dim / heads;
  const bias = opts.qkvBias ?? false;
  const split = (t: string) => g.op1('Transpose', [g.op1('Reshape', [t, g.int64Const([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
  const q = split(linear(g, x, dim, dim, { bias }));
  const k = split(linear(g, context, contextDim, dim, { bias }));
  const v = split(linear(g, context, contextDim, dim, { bias }));
  const kT = g.op1('Transpose', [k], { perm: [0, 1, 3, 2] });
  let scores = g.op1('Mul', [g.op1('MatMul', [q, kT]), g.floatConst([1 / Math.sqrt(headDim)])]);
  if (opts.mask) scores = g.op1('Add', [scores, opts.mask]);
  const probs = g.op1('Softmax', [scores], { axis: -1 });
  const merged = g.op1('Reshape', [g.op1('Transpose', [g.op1('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), g.int64Const([0, 0, dim])]);
  return linear(g, merged, dim, dim);
}

/** diffusers ResnetBlock2D; `temb` is the [B, tembDim] time embedding, or null in the VAE. */
export function resnetBlock(
  g: GraphBuilder,
  x: string,
  temb: { tensor: string; dim: number } | null,
  cin: number,
  cout: number,
  groups: number,
): string {
  return g.scope('resnet', () => {
    let h = conv2d(g, silu(g, groupNorm(g, x, cin, groups)), cin, cout, 3);
    if (temb) {
      const proj = gemm(g, silu(g, temb.tensor), temb.dim, cout);
      h = g.op1('Add', [h, g.op1('Unsqueeze', [proj, g.int64Const([2, 3])])]);
    }
    h = conv2d(g, silu(g, groupNorm(g, h, cout, groups)), cout, cout, 3, { gain: 0.5 });
    const skip = cin === cout ? x : conv2d(g, x, cin, cout, 1);
    return g.op1('Add', [skip, h]);
  });
}

/** [B, C, H, W] → [B, H·W, C] */
export function toTokens(g: GraphBuilder, x: string, channels: number): string {
  return g.op1('Transpose', [g.op1('Reshape', [x, g.int64Const([0, channels, -1])])], { perm: [0, 2, 1] });
}

/** [B, H·W, C] → the shape of `like` ([B, C, H, W]) */
export function fromTokens(g: GraphBuilder, tokens: string, like: string): string {
  return g.op1('Reshape', [g.op1('Transpose', [tokens], { perm: [0, 2, 1] }), g.op1('Shape', [like])]);
}

/** diffusers Transformer2DModel with one BasicTransformerBlock (self-attn, cross-attn, GEGLU). */
export function spatialTransformer(g: GraphBuilder, x: string, context: string, channels: number, contextDim: number, heads: number, groups: number): string {
  return g.scope('transformer', () => {
    const projIn = conv2d(g, groupNorm(g, x, channels, groups, 1e-6), channels, channels, 1);
    let h = toTokens(g, projIn, channels);
    const selfIn = layerNorm(g, h, channels);
    h = g.op1('Add', [attention(g, selfIn, selfIn, channels, channels, heads), h]);
    h = g.op1('Add', [attention(g, layerNorm(g, h, channels), context, channels, contextDim, heads), h]);
    h = g.op1('Add', [gegluFeedForward(g, layerNorm(g, h, channels), channels), h]);
    const projOut = conv2d(g, fromTokens(g, h, x), channels, channels, 1);
    return g.op1('Add', [projOut, x]);
  });
}

function gegluFeedForward(g: GraphBuilder, x: string, dim: number): string {
  const inner = dim * 4;
  const projected = linear(g, x, dim, inner * 2);
  const [hidden, gate] = g.op('Split', [projected, g.int64Const([inner, inner])], { axis: -1 }, 2) as [string, string];
  return linear(g, g.op1('Mul', [hidden, gelu(g, gate)]), inner, dim);
}

/** Single-head self-attention over spatial positions, as in the VAE's mid block. */
export function vaeAttention(g: GraphBuilder, x: string, channels: number, groups: number): string {
  return g.scope('attn', () => {
    const tokens = toTokens(g, groupNorm(g, x, channels, groups, 1e-6), channels);
    const attended = attention(g, tokens, tokens, channels, channels, 1, { qkvBias: true });
    return g.op1('Add', [fromTokens(g, attended, x), x]);
  });
}

export function downsample(g: GraphBuilder, x: string, channels: number, asymmetricPad = false): string {
  // The VAE pads (0,1,0,1) then convolves with padding 0; the UNet pads 1 on every side.
  return conv2d(g, x, channels, channels, 3, { stride: 2, pads: asymmetricPad ? [0, 0, 1, 1] : [1, 1, 1, 1] });
}

export function upsample(g: GraphBuilder, x: string, channels: number): string {
  const scales = g.floatConst([1, 1, 2, 2], [4], 'float32');
  const up = g.op1('Resize', [x, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  return conv2d(g, up, channels, channels, 3);
}
