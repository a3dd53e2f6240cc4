// Neural-network building blocks for SD 1.5's modules, with diffusers' parameter names.
// Unfused, each emits the ops torch.onnx.export produces for the same module (GroupNorm as
// Reshape + InstanceNormalization, SiLU as x·sigmoid(x), GELU through Erf, attention as
// MatMul + Softmax). Fused (ModelGraph.fused), attention is one MultiHeadAttention kernel and a
// transformer block's residual adds ride in SkipLayerNormalization; the numbers are the same.
import type { ModelGraph } from './model-graph.ts';

export interface ConvOptions {
  stride?: number;
  pads?: number[];
  /** Scale of the seeded init (0: exactly zero, as a fresh ControlNet's zero convolutions). */
  gain?: number;
  /** false: no bias parameter (TAESD's stride-2 and post-upsample convs). */
  bias?: boolean;
}

/** nn.Conv2d `name` (weight [cout, cin, k, k], bias [cout]). */
export function conv2d(g: ModelGraph, x: string, name: string, cin: number, cout: number, kernel: number, opts: ConvOptions = {}): string {
  const gain = opts.gain ?? 1;
  const w = g.param(`${name}.weight`, [cout, cin, kernel, kernel], gain === 0 ? { kind: 'constant', value: 0 } : { kind: 'fan-in', fanIn: cin * kernel * kernel, gain });
  const b = opts.bias === false ? null : g.param(`${name}.bias`, [cout], gain === 0 ? { kind: 'constant', value: 0 } : { kind: 'normal', std: 0.02 });
  const pad = (kernel - 1) / 2;
  const stride = opts.stride ?? 1;
  return g.op1('Conv', b ? [x, w, b] : [x, w], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: opts.pads ?? [pad, pad, pad, pad], dilations: [1, 1], group: 1 });
}

/** nn.Linear `name` on the last axis of a [..., in] tensor: MatMul with the transposed weight, + bias. */
export function linear(g: ModelGraph, x: string, name: string, inDim: number, outDim: number, opts: { bias?: boolean; gain?: number } = {}): string {
  const { product, bias } = linearParts(g, x, name, inDim, outDim, opts);
  return bias ? g.op1('Add', [product, bias]) : product;
}

/** nn.Linear's MatMul and its bias apart, for a fused op that adds the bias itself. */
function linearParts(g: ModelGraph, x: string, name: string, inDim: number, outDim: number, opts: { bias?: boolean; gain?: number } = {}): { product: string; bias: string | null } {
  const w = g.param(`${name}.weight`, [outDim, inDim], { kind: 'fan-in', fanIn: inDim, gain: opts.gain }, { transpose: true });
  const product = g.op1('MatMul', [x, w]);
  return { product, bias: opts.bias === false ? null : g.param(`${name}.bias`, [outDim], { kind: 'normal', std: 0.02 }) };
}

/** nn.Linear `name` on a 2-D [N, in] tensor: torch exports this as Gemm, which takes the weight as stored. */
export function gemm(g: ModelGraph, x: string, name: string, inDim: number, outDim: number): string {
  const w = g.param(`${name}.weight`, [outDim, inDim], { kind: 'fan-in', fanIn: inDim });
  const b = g.param(`${name}.bias`, [outDim], { kind: 'normal', std: 0.02 });
  return g.op1('Gemm', [x, w, b], { transB: 1, alpha: { float: 1 }, beta: { float: 1 } });
}

export function silu(g: ModelGraph, x: string): string {
  return g.op1('Mul', [x, g.op1('Sigmoid', [x])]);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu op, so exports use Erf. */
export function gelu(g: ModelGraph, x: string): string {
  const erf = g.op1('Erf', [g.op1('Div', [x, g.floatConst([Math.SQRT2])])]);
  const onePlus = g.op1('Add', [erf, g.floatConst([1])]);
  return g.op1('Mul', [g.op1('Mul', [x, onePlus]), g.floatConst([0.5])]);
}

/** CLIP's quick-GELU, x·sigmoid(1.702x). */
export function quickGelu(g: ModelGraph, x: string): string {
  return g.op1('Mul', [x, g.op1('Sigmoid', [g.op1('Mul', [x, g.floatConst([1.702])])])]);
}

/** nn.GroupNorm `name` on NCHW: Reshape → InstanceNormalization → Reshape → affine. */
export function groupNorm(g: ModelGraph, x: string, name: string, channels: number, groups: number, eps: number): string {
  const grouped = g.op1('Reshape', [x, g.int64Const([0, groups, -1])]);
  const normed = g.op1('InstanceNormalization', [grouped, g.filledWeight('gn.ones', [groups], 1), g.filledWeight('gn.zeros', [groups], 0)], { epsilon: { float: eps } });
  const back = g.op1('Reshape', [normed, g.op1('Shape', [x])]);
  const gamma = g.param(`${name}.weight`, [channels], { kind: 'gamma' }, { graphDims: [channels, 1, 1] });
  const beta = g.param(`${name}.bias`, [channels], { kind: 'normal', std: 0.05 }, { graphDims: [channels, 1, 1] });
  return g.op1('Add', [g.op1('Mul', [back, gamma]), beta]);
}

export function layerNorm(g: ModelGraph, x: string, name: string, dim: number, eps = 1e-5): string {
  const [gamma, beta] = layerNormParams(g, name, dim);
  return g.op1('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
}

function layerNormParams(g: ModelGraph, name: string, dim: number): [string, string] {
  return [g.param(`${name}.weight`, [dim], { kind: 'gamma' }), g.param(`${name}.bias`, [dim], { kind: 'normal', std: 0.05 })];
}

/**
 * The residual stream of a transformer block: sum = x + bias + skip, and LayerNorm `name` of it.
 * Fused, one SkipLayerNormalization kernel gives both (its fourth output is the sum).
 */
function addAndNorm(g: ModelGraph, x: { product: string; bias: string | null }, skip: string, name: string, dim: number): { sum: string; normed: string } {
  if (!g.fused) {
    const sum = g.op1('Add', [x.bias ? g.op1('Add', [x.product, x.bias]) : x.product, skip]);
    return { sum, normed: layerNorm(g, sum, name, dim) };
  }
  const [gamma, beta] = layerNormParams(g, name, dim);
  const [normed, , , sum] = g.msOp('SkipLayerNormalization', [x.product, skip, gamma, beta, x.bias ?? ''], { epsilon: { float: 1e-5 } }, 4) as [string, string, string, string];
  return { sum, normed };
}

/** Projection names: diffusers' Attention (to_q … to_out.0) or CLIP's (q_proj … out_proj). */
export interface AttentionNames {
  q: string;
  k: string;
  v: string;
  out: string;
}
export const DIFFUSERS_ATTENTION: AttentionNames = { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' };
export const CLIP_ATTENTION: AttentionNames = { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' };

/**
 * Multi-head attention `name` of [B, N, dim] queries over [B, M, contextDim] keys and values
 * (null: the projections sit directly in the current scope, as in the VAE's attention).
 * `mask` (optional) is added to the scores, e.g. CLIP's causal mask.
 */
export interface AttentionDims {
  dim: number;
  contextDim: number;
  heads: number;
}
export interface AttentionOptions {
  qkvBias?: boolean;
  mask?: string;
  names?: AttentionNames;
}

export function attention(g: ModelGraph, x: string, context: string, name: string | null, dims: AttentionDims, opts: AttentionOptions = {}): string {
  const { product, bias } = attentionParts(g, x, context, name, dims, opts);
  return bias ? g.op1('Add', [product, bias]) : product;
}

/** Attention up to its output projection's MatMul; the projection's bias is left to the caller. */
function attentionParts(g: ModelGraph, x: string, context: string, name: string | null, dims: AttentionDims, opts: AttentionOptions = {}): { product: string; bias: string | null } {
  const { dim, contextDim, heads } = dims;
  const n = opts.names ?? DIFFUSERS_ATTENTION;
  const bias = opts.qkvBias ?? false;
  const body = () => {
    const q = linear(g, x, n.q, dim, dim, { bias });
    const k = linear(g, context, n.k, contextDim, dim, { bias });
    const v = linear(g, context, n.v, contextDim, dim, { bias });
    // MultiHeadAttention has no additive mask of CLIP's kind; the masked text encoder runs once per image anyway.
    const merged = g.fused && !opts.mask ? g.msOp('MultiHeadAttention', [q, k, v], { num_heads: heads })[0]! : scaledDotProduct(g, q, k, v, dim, heads, opts.mask);
    return linearParts(g, merged, n.out, dim, dim);
  };
  return name === null ? body() : g.scope(name, body);
}

/** softmax(q·kᵀ/√d + mask)·v per head, op by op, as torch.onnx exports it. */
function scaledDotProduct(g: ModelGraph, q: string, k: string, v: string, dim: number, heads: number, mask?: string): string {
  const headDim = dim / heads;
  const split = (t: string) => g.op1('Transpose', [g.op1('Reshape', [t, g.int64Const([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
  const kT = g.op1('Transpose', [split(k)], { perm: [0, 1, 3, 2] });
  let scores = g.op1('Mul', [g.op1('MatMul', [split(q), kT]), g.floatConst([1 / Math.sqrt(headDim)])]);
  if (mask) scores = g.op1('Add', [scores, mask]);
  const probs = g.op1('Softmax', [scores], { axis: -1 });
  return g.op1('Reshape', [g.op1('Transpose', [g.op1('MatMul', [probs, split(v)])], { perm: [0, 2, 1, 3] }), g.int64Const([0, 0, dim])]);
}

export interface ResnetOptions {
  groups: number;
  eps: number;
  /** The [B, dim] time embedding (UNet), or null (VAE). */
  temb: { tensor: string; dim: number } | null;
  /** Seeded init of conv2 (a small gain keeps random deep nets from blowing up). */
  outGain?: number;
}

/** diffusers ResnetBlock2D `name`: norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut. */
export function resnetBlock(g: ModelGraph, x: string, name: string, cin: number, cout: number, opts: ResnetOptions): string {
  return g.scope(name, () => {
    let h = conv2d(g, silu(g, groupNorm(g, x, 'norm1', cin, opts.groups, opts.eps)), 'conv1', cin, cout, 3);
    if (opts.temb) {
      const proj = gemm(g, silu(g, opts.temb.tensor), 'time_emb_proj', opts.temb.dim, cout);
      h = g.op1('Add', [h, g.op1('Unsqueeze', [proj, g.int64Const([2, 3])])]);
    }
    h = conv2d(g, silu(g, groupNorm(g, h, 'norm2', cout, opts.groups, opts.eps)), 'conv2', cout, cout, 3, { gain: opts.outGain ?? 0.5 });
    const skip = cin === cout ? x : conv2d(g, x, 'conv_shortcut', cin, cout, 1);
    return g.op1('Add', [skip, h]);
  });
}

/** [B, C, H, W] → [B, H·W, C] */
export function toTokens(g: ModelGraph, x: string, channels: number): string {
  return g.op1('Transpose', [g.op1('Reshape', [x, g.int64Const([0, channels, -1])])], { perm: [0, 2, 1] });
}

/** [B, H·W, C] → the shape of `like` ([B, C, H, W]) */
export function fromTokens(g: ModelGraph, tokens: string, like: string): string {
  return g.op1('Reshape', [g.op1('Transpose', [tokens], { perm: [0, 2, 1] }), g.op1('Shape', [like])]);
}

export interface TransformerOptions {
  heads: number;
  contextDim: number;
  groups: number;
  depth: number;
  projection: 'conv' | 'linear';
}

/** diffusers Transformer2DModel `name`: GroupNorm, proj_in, BasicTransformerBlocks (self-attn, cross-attn, GEGLU), proj_out, residual. */
export function spatialTransformer(g: ModelGraph, x: string, context: string, name: string, channels: number, opts: TransformerOptions): string {
  return g.scope(name, () => {
    const normed = groupNorm(g, x, 'norm', channels, opts.groups, 1e-6);
    const dims = { dim: channels, contextDim: channels, heads: opts.heads };
    let h = opts.projection === 'conv' ? toTokens(g, conv2d(g, normed, 'proj_in', channels, channels, 1), channels) : linear(g, toTokens(g, normed, channels), 'proj_in', channels, channels);
    for (let b = 0; b < opts.depth; b++) {
      h = g.scope(`transformer_blocks.${b}`, () => {
        const selfIn = layerNorm(g, h, 'norm1', channels);
        const afterSelf = addAndNorm(g, attentionParts(g, selfIn, selfIn, 'attn1', dims), h, 'norm2', channels);
        const afterCross = addAndNorm(g, attentionParts(g, afterSelf.normed, context, 'attn2', { ...dims, contextDim: opts.contextDim }), afterSelf.sum, 'norm3', channels);
        return g.op1('Add', [gegluFeedForward(g, afterCross.normed, channels), afterCross.sum]);
      });
    }
    const out = opts.projection === 'conv' ? conv2d(g, fromTokens(g, h, x), 'proj_out', channels, channels, 1) : fromTokens(g, linear(g, h, 'proj_out', channels, channels), x);
    return g.op1('Add', [out, x]);
  });
}

/** diffusers FeedForward with GEGLU: ff.net.0.proj (dim → 2·inner), hidden · gelu(gate), ff.net.2 (inner → dim). */
function gegluFeedForward(g: ModelGraph, x: string, dim: number): string {
  const inner = dim * 4;
  const projected = linear(g, x, 'ff.net.0.proj', dim, inner * 2);
  const [hidden, gate] = g.op('Split', [projected, g.int64Const([inner, inner])], { axis: -1 }, 2) as [string, string];
  return linear(g, g.op1('Mul', [hidden, gelu(g, gate)]), 'ff.net.2', inner, dim);
}

/** The VAE mid block's single-head self-attention over positions (diffusers Attention with group_norm). */
export function vaeAttention(g: ModelGraph, x: string, name: string, channels: number, groups: number): string {
  return g.scope(name, () => {
    const tokens = toTokens(g, groupNorm(g, x, 'group_norm', channels, groups, 1e-6), channels);
    const attended = attention(g, tokens, tokens, null, { dim: channels, contextDim: channels, heads: 1 }, { qkvBias: true });
    return g.op1('Add', [fromTokens(g, attended, x), x]);
  });
}

/** Downsample2D `name`: a stride-2 conv. The VAE pads (0, 1, 0, 1) first; the UNet pads 1 on every side. */
export function downsample(g: ModelGraph, x: string, name: string, channels: number, asymmetricPad = false): string {
  return conv2d(g, x, `${name}.conv`, channels, channels, 3, { stride: 2, pads: asymmetricPad ? [0, 0, 1, 1] : [1, 1, 1, 1] });
}

/** nn.Upsample(scale_factor=2), nearest: each pixel becomes a 2×2 block. */
export function nearest2x(g: ModelGraph, x: string): string {
  const scales = g.floatConst([1, 1, 2, 2], [4], 'float32');
  return g.op1('Resize', [x, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
}

/** Upsample2D `name`: nearest ×2, then a conv. */
export function upsample(g: ModelGraph, x: string, name: string, channels: number): string {
  return conv2d(g, nearest2x(g, x), `${name}.conv`, channels, channels, 3);
}
