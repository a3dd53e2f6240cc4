// Kohya LoRAs that fit a generated set: seeded random layers on the UNet's attention projections
// (and, if asked, more of its layers and the text encoder's q_proj), with the module names read
// off the set's own graphs. writeTinyLora makes a rank-2 one for the tiny set
// (public/models/tiny-sd15), for tests; the LoRA benchmark writes a rank-64 one for the full-size set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToFloat16 } from '../diffusion/float16.ts';
import { readGraphWeights, weightTargets } from '../convert/lora/graph-weights.ts';
import { numel, type StoredTensor } from '../convert/stored-tensor.ts';
import { SeededRandom } from '../convert/weights.ts';
import { writeSafetensorsFile } from './checkpoint-cases.ts';

export const TINY_SET = 'public/models/tiny-sd15';

/** A transformer block's attention projections. */
export const ATTENTION = /attn[12]\.to_(q|k|v|out\.0)\.weight$/;
/** Attention projections and the feed-forward layers (GEGLU's projection and the output). */
export const ATTENTION_AND_FF = /(attn[12]\.to_(q|k|v|out\.0)|ff\.net\.(0\.proj|2))\.weight$/;

export interface RandomLoraOptions {
  set: string;
  /** The UNet graph whose weights name the layers (weights may live in external files). */
  unetGraph?: string;
  unetLayers?: RegExp;
  rank?: number;
  seed?: number;
  /** Add layers on the text encoder's q_proj. */
  text?: boolean;
  std?: number;
  dtype?: 'float32' | 'float16';
}

/** Writes a LoRA for `set` to `path`; returns how many layers it has. */
export async function writeRandomLora(path: string, o: RandomLoraOptions): Promise<number> {
  const { rank = 2, std = 0.3, dtype = 'float32' } = o;
  const rng = new SeededRandom(o.seed ?? 1);
  const values = (shape: number[]) => {
    const v = Float32Array.from({ length: numel(shape) }, () => rng.normal() * std);
    return dtype === 'float16' ? new Uint8Array(float32ToFloat16(v).buffer) : new Uint8Array(v.buffer);
  };
  const tensor = (key: string, shape: number[]): StoredTensor => {
    const bytes = values(shape);
    return { key, file: 'random-lora', dtype, shape, bytes: async () => bytes };
  };
  const out: StoredTensor[] = [];
  const add = (prefix: string, graph: string, pattern: RegExp) => {
    const targets = weightTargets(readGraphWeights(new Uint8Array(readFileSync(join(o.set, graph))), graph)).filter((t) => pattern.test(t.name));
    for (const t of targets) {
      const key = `${prefix}${t.name.slice(0, -'.weight'.length).replace(/\./g, '_')}`;
      const [outDim, inDim] = t.shape as [number, number];
      const alpha = new Uint8Array(Float32Array.of(rank).buffer);
      out.push(tensor(`${key}.lora_down.weight`, [rank, inDim]), tensor(`${key}.lora_up.weight`, [outDim, rank]), {
        key: `${key}.alpha`,
        file: 'random-lora',
        dtype: 'float32',
        shape: [],
        bytes: async () => alpha,
      });
    }
  };
  add('lora_unet_', o.unetGraph ?? 'unet/model.onnx', o.unetLayers ?? ATTENTION);
  if (o.text) add('lora_te_', 'text_encoder/model.onnx', /self_attn\.q_proj\.weight$/);
  await writeSafetensorsFile(path, out);
  return out.length / 3;
}

/** Writes a rank-2 LoRA for the tiny set to `path`; `seed` varies its values, `text` adds text-encoder layers. */
export async function writeTinyLora(path: string, { seed = 1, text = false, std = 0.3 } = {}): Promise<void> {
  await writeRandomLora(path, { set: TINY_SET, seed, text, std });
}
