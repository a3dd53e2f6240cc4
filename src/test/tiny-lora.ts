// A kohya LoRA for the generated tiny set (public/models/tiny-sd15): seeded rank-2 layers on its
// UNet's attention projections (and, if asked, its text encoder's q_proj), with the module names
// read off the set's own graphs. For tests that need a LoRA that fits that set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGraphWeights, weightTargets } from '../convert/lora/graph-weights.ts';
import { numel, type StoredTensor } from '../convert/stored-tensor.ts';
import { SeededRandom } from '../convert/weights.ts';
import { writeSafetensorsFile } from './checkpoint-cases.ts';

export const TINY_SET = 'public/models/tiny-sd15';

const tensor = (key: string, shape: number[], values: Float32Array): StoredTensor => ({ key, file: 'tiny-lora', dtype: 'float32', shape, bytes: async () => new Uint8Array(values.buffer) });

/** Writes the LoRA to `path`; `seed` varies its values, `text` adds text-encoder layers. */
export async function writeTinyLora(path: string, { seed = 1, text = false, std = 0.3 } = {}): Promise<void> {
  const rng = new SeededRandom(seed);
  const draw = (shape: number[]) => Float32Array.from({ length: numel(shape) }, () => rng.normal() * std);
  const out: StoredTensor[] = [];
  const add = (prefix: string, graph: string, pattern: RegExp) => {
    const targets = weightTargets(readGraphWeights(new Uint8Array(readFileSync(join(TINY_SET, graph))), graph)).filter((t) => pattern.test(t.name));
    for (const t of targets) {
      const key = `${prefix}${t.name.slice(0, -'.weight'.length).replace(/\./g, '_')}`;
      const [outDim, inDim] = t.shape as [number, number];
      out.push(tensor(`${key}.lora_down.weight`, [2, inDim], draw([2, inDim])), tensor(`${key}.lora_up.weight`, [outDim, 2], draw([outDim, 2])), tensor(`${key}.alpha`, [], Float32Array.of(2)));
    }
  };
  add('lora_unet_', 'unet/model.onnx', /attn[12]\.to_(q|k|v|out\.0)\.weight$/);
  if (text) add('lora_te_', 'text_encoder/model.onnx', /self_attn\.q_proj\.weight$/);
  await writeSafetensorsFile(path, out);
}
