// The LoRA fixtures beside the tiny SD 1.5 family (../shared/data/checkpoints/tiny-sd15/lora):
// kohya and PEFT files, and outputs of the family's text encoder and UNet with them merged by
// kohya's merge_lora.py at several multipliers. Runs a case group on sessions and measures the
// element-wise error against the fixture's tolerance.
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import { sharedJson } from './shared-data.ts';
import { CHECKPOINTS, caseFeed, readCaseTensor, tensorValues, worstAllowance, type ReferenceCase } from './checkpoint-cases.ts';

export const LORA_DIR = () => join(CHECKPOINTS(), 'lora');

export interface LoraCase extends ReferenceCase {
  /** The family case whose inputs these are: text_encoder, unet or unet_residuals. */
  base_case: string;
  loras: { file: string; multiplier: number }[];
  tolerance: { atol: number; rtol: number };
}

/** Cases grouped by their LoRAs ("kohya_0.7+peft_0.5"): a text encoder case, a UNet case and a UNet-with-residuals case each. */
export function loraCaseGroups(): Map<string, LoraCase[]> {
  const cases = sharedJson<{ cases: LoraCase[] }>('checkpoints/tiny-sd15/lora/reference/cases.json').cases;
  const groups = new Map<string, LoraCase[]>();
  for (const c of cases) {
    const group = c.name.slice(0, -(c.base_case.length + 1));
    groups.set(group, [...(groups.get(group) ?? []), c]);
  }
  return groups;
}

/** Runs one case on the text encoder or UNet session; returns the worst element's error ÷ its allowance (≤ 1 passes). */
export async function loraCaseWorst(c: LoraCase, sessions: { text_encoder: ort.InferenceSession; unet: ort.InferenceSession }): Promise<number> {
  const dir = join(LORA_DIR(), 'reference');
  const session = sessions[c.graph as 'text_encoder' | 'unet'];
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    const input = c.inputs.find((i) => i.name === meta.name);
    if (!input) throw new Error(`${c.name} gives no ${meta.name}`);
    feeds[meta.name] = caseFeed(meta, input, dir);
  }
  const out = await session.run(feeds);
  const expected = c.outputs[0]!;
  return worstAllowance(tensorValues(out[expected.name]!), readCaseTensor(expected, dir), c.tolerance);
}
