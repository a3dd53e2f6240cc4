// Baking LoRAs into a converted set, as kohya's merge_lora.py and A1111's checkpoint merger do:
// the text encoder's and the UNet's weight sources merge each LoRA's layers in as they stream,
// so the result is an ordinary set.
import { TEXT_ENCODER, UNET } from '../../models/set-layout.ts';
import type { SetGraph } from '../write-set.ts';
import type { LoraPart } from './lora-file.ts';
import { LoraMergedWeights, type LoraMerger } from './lora-merge.ts';
import { LoraTargets, planMerge, usesFor, type AppliedLora } from './lora-targets.ts';

export interface BakeLoras {
  applied: AppliedLora[];
  merger: LoraMerger;
  /** Files among `applied` that are LCM-LoRAs (the set then runs live mode's LCM recipe on its own). */
  lcm?: Set<AppliedLora['lora']>;
}

const PARTS: Record<string, LoraPart> = { [TEXT_ENCODER]: 'text', [UNET]: 'unet' };

/** The graphs with every LoRA layer planned onto its weight (refusing what does not land or fit), before a byte is written. */
export function bakeLoras(graphs: SetGraph[], bake: BakeLoras | undefined): SetGraph[] {
  if (!bake?.applied.length) return graphs;
  return graphs.map((g) => {
    const part = PARTS[g.path];
    if (!part) return g;
    const plan = planMerge(usesFor(part, bake.applied), new LoraTargets(part, g.graph.params));
    return plan.size ? { ...g, source: new LoraMergedWeights(g.source, plan, bake.merger) } : g;
  });
}

/** What the set's index records of its baked LoRAs. */
export const bakedRecord = (bake: BakeLoras | undefined) =>
  (bake?.applied ?? []).map((a) => ({ file: a.lora.label, unet: a.unet, text_encoder: a.text, ...(bake?.lcm?.has(a.lora) ? { lcm: true } : {}) }));
