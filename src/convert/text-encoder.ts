// CLIP's text transformer (transformers' CLIPTextModel, names under "text_model."): token and
// position embeddings, pre-LayerNorm blocks with causal self-attention and a quick-GELU MLP,
// the final LayerNorm, and the pooler (the hidden state at the end token).
import type { FloatType } from '../models/onnx-graph.ts';
import type { TextArch } from './architecture.ts';
import { attention, CLIP_ATTENTION, gelu, layerNorm, linear, quickGelu } from './layers.ts';
import { ModelGraph } from './model-graph.ts';

export const MAX_LENGTH = 77;

export function buildTextEncoder(arch: TextArch, dtype: FloatType): ModelGraph {
  const g = new ModelGraph('text_encoder', dtype);
  const D = arch.hidden;
  const ids = g.input('input_ids', 'int32', ['batch', MAX_LENGTH]);
  const act = arch.activation === 'quick_gelu' ? quickGelu : gelu;

  const last = g.scope('text_model', () => {
    const tokenTable = g.param('embeddings.token_embedding.weight', [arch.vocab, D], { kind: 'normal', std: 0.5 });
    const positions = g.param('embeddings.position_embedding.weight', [arch.positions, D], { kind: 'normal', std: 0.1 });
    // Positions 0…76 in order: the table's first 77 rows (what position_ids holds in a healthy checkpoint).
    const used = arch.positions === MAX_LENGTH ? positions : g.op1('Slice', [positions, g.int64Const([0]), g.int64Const([MAX_LENGTH]), g.int64Const([0])]);
    let h = g.op1('Add', [g.op1('Gather', [tokenTable, ids], { axis: 0 }), used]);

    // Causal mask: a token attends only to itself and earlier tokens.
    const mask = new Float32Array(MAX_LENGTH * MAX_LENGTH);
    for (let i = 0; i < MAX_LENGTH; i++) for (let j = i + 1; j < MAX_LENGTH; j++) mask[i * MAX_LENGTH + j] = dtype === 'float16' ? -65504 : -1e9;
    const causal = g.weight('causal_mask', [MAX_LENGTH, MAX_LENGTH], mask);

    for (let layer = 0; layer < arch.layers; layer++) {
      g.scope(`encoder.layers.${layer}`, () => {
        const normed = layerNorm(g, h, 'layer_norm1', D);
        h = g.op1('Add', [h, attention(g, normed, normed, 'self_attn', { dim: D, contextDim: D, heads: arch.heads }, { qkvBias: true, mask: causal, names: CLIP_ATTENTION })]);
        const normed2 = layerNorm(g, h, 'layer_norm2', D);
        const mlp = g.scope('mlp', () => linear(g, act(g, linear(g, normed2, 'fc1', D, arch.intermediate)), 'fc2', arch.intermediate, D));
        h = g.op1('Add', [h, mlp]);
      });
    }
    return layerNorm(g, h, 'final_layer_norm', D);
  });
  g.output(last, 'last_hidden_state', dtype, ['batch', MAX_LENGTH, D]);

  // pooler_output: the hidden state at the end token, found as argmax(ids) since the end
  // token has the highest id, exactly as transformers' CLIPTextTransformer does.
  const eos = g.op1('ArgMax', [g.op1('Cast', [ids], { to: 1 })], { axis: -1, keepdims: 0 });
  const batch = g.op1('Gather', [g.op1('Shape', [ids]), g.int64Const([0], [])], { axis: 0 });
  const rows = g.op1('Range', [g.int64Const([0], []), batch, g.int64Const([1], [])]);
  const flatIndex = g.op1('Add', [g.op1('Mul', [rows, g.int64Const([MAX_LENGTH], [])]), eos]);
  const flat = g.op1('Reshape', [last, g.int64Const([-1, D])]);
  g.output(g.op1('Gather', [flat, flatIndex], { axis: 0 }), 'pooler_output', dtype, ['batch', D]);
  return g;
}
