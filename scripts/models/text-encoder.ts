// CLIP's text transformer in miniature: token + position embeddings, pre-LN blocks with
// causal self-attention and quick-GELU MLP, final LayerNorm, and the EOS-token pooler.
import { GraphBuilder, SeededRandom } from '../../src/models/onnx-graph.ts';
import { attention, layerNorm, linear, quickGelu } from './layers.ts';
import type { SetConfig } from './config.ts';

const MAX_LENGTH = 77;

export function buildTextEncoder(cfg: SetConfig, seed = 7): GraphBuilder {
  const g = new GraphBuilder('text_encoder', 'float32', new SeededRandom(seed));
  const D = cfg.textDim;
  const ids = g.input('input_ids', 'int32', ['batch', MAX_LENGTH]);

  const tokenTable = g.randomWeight('token_embedding', [cfg.vocabSize, D], 0.5);
  const positions = g.randomWeight('position_embedding', [MAX_LENGTH, D], 0.1);
  let h = g.op1('Add', [g.op1('Gather', [tokenTable, ids], { axis: 0 }), positions]);

  // Causal mask: a token attends only to itself and earlier tokens.
  const mask = new Float32Array(MAX_LENGTH * MAX_LENGTH);
  for (let i = 0; i < MAX_LENGTH; i++) for (let j = i + 1; j < MAX_LENGTH; j++) mask[i * MAX_LENGTH + j] = -1e9;
  const causal = g.weight('causal_mask', [MAX_LENGTH, MAX_LENGTH], mask);

  for (let layer = 0; layer < cfg.textLayers; layer++) {
    g.scope(`encoder.layers.${layer}`, () => {
      const normed = layerNorm(g, h, D);
      h = g.op1('Add', [h, attention(g, normed, normed, D, D, cfg.textHeads, { qkvBias: true, mask: causal })]);
      const mlp = linear(g, quickGelu(g, linear(g, layerNorm(g, h, D), D, D * 4)), D * 4, D);
      h = g.op1('Add', [h, mlp]);
    });
  }
  const last = g.scope('final_layer_norm', () => layerNorm(g, h, D));
  g.output(last, 'last_hidden_state', 'float32', ['batch', MAX_LENGTH, D]);

  // pooler_output: the hidden state at the end token, found as argmax(ids) since the
  // end token has the highest id, exactly as transformers' CLIPTextTransformer does.
  const eos = g.op1('ArgMax', [g.op1('Cast', [ids], { to: 1 })], { axis: -1, keepdims: 0 });
  const batch = g.op1('Gather', [g.op1('Shape', [ids]), g.int64Const([0], [])], { axis: 0 });
  const rows = g.op1('Range', [g.int64Const([0], []), batch, g.int64Const([1], [])]);
  const flatIndex = g.op1('Add', [g.op1('Mul', [rows, g.int64Const([MAX_LENGTH], [])]), eos]);
  const flat = g.op1('Reshape', [last, g.int64Const([-1, D])]);
  g.output(g.op1('Gather', [flat, flatIndex], { axis: 0 }), 'pooler_output', 'float32', ['batch', D]);
  return g;
}
