// What live mode runs, decided from what the set can do. LCM's recipe (4 steps, CFG 1) runs only
// on LCM weights: an LCM-distilled set (its scheduler says LCMScheduler, or an LCM-LoRA was
// baked in), or the library's LCM-LoRA applied for the run. On a plain SD 1.5 UNet it would give
// mush, so the studio says so and offers the LCM-LoRA instead of running it. A person can turn
// the LCM-LoRA off or choose their own recipe; TAESD decodes when the set has it.
import type { SchedulerName } from '../diffusion/schedulers/index.ts';
import type { LoraRequest } from '../engine/engine.ts';
import type { SetCapabilities } from '../models/load-set.ts';
import type { StoredLoraInfo } from '../models/set-layout.ts';

export interface LiveSettings {
  /** 'lcm': LCM, 4 steps, CFG 1 (needs LCM weights); 'custom': the sampler, steps and CFG below. */
  recipe: 'lcm' | 'custom';
  /** Apply the library's LCM-LoRA while live mode runs (where the set is not LCM-distilled already). */
  lcmLora: boolean;
  sampler: SchedulerName;
  steps: number;
  cfgScale: number;
  /** Decode with TAESD ("Fast decode"), when there is one. */
  fastDecode: boolean;
}

export const DEFAULT_LIVE: LiveSettings = { recipe: 'lcm', lcmLora: true, sampler: 'euler-a', steps: 8, cfgScale: 4, fastDecode: true };

/** LCM's usual few-step recipe (diffusers' LCM docs: 4 steps, guidance 1). */
export const LCM_RECIPE = { sampler: 'lcm' as SchedulerName, steps: 4, cfgScale: 1 };

export type LivePlan =
  { ok: true; sampler: SchedulerName; steps: number; cfgScale: number; loras: LoraRequest[]; fastDecode: boolean; notes: string[] } | { ok: false; problem: string; offerLcmLora: boolean };

type SetCan = Pick<SetCapabilities, 'lcm' | 'taesd'>;

/** The LCM weights the run can use: the set's own, or the library's LCM-LoRA (applied at full weight). */
function lcmWeights(live: LiveSettings, set: SetCan, library: StoredLoraInfo[]): { loras: LoraRequest[] } | null {
  if (set.lcm) return { loras: [] };
  const lcmLora = library.find((l) => l.lcm);
  return live.lcmLora && lcmLora ? { loras: [{ name: lcmLora.name, unet: 1, text: 1 }] } : null;
}

function noLcmWeights(live: LiveSettings, library: StoredLoraInfo[]): LivePlan {
  const has = library.some((l) => l.lcm);
  if (!live.lcmLora && has)
    return {
      ok: false,
      problem:
        'Live mode’s LCM recipe needs LCM weights, and its LCM-LoRA is turned off: this set is a plain SD 1.5 UNet, where 4 LCM steps give mush. Turn the LCM-LoRA on, or choose your own recipe.',
      offerLcmLora: false,
    };
  return {
    ok: false,
    problem:
      'Live mode’s LCM recipe (4 steps, CFG 1) needs LCM weights, and this set is a plain SD 1.5 UNet, where it would give mush. Use LCM-LoRA (downloaded once, about 135 MB, and applied while live mode runs), or choose your own recipe.',
    offerLcmLora: true,
  };
}

export function planLiveRun(live: LiveSettings, set: SetCan, library: StoredLoraInfo[]): LivePlan {
  const weights = lcmWeights(live, set, library);
  const recipe = live.recipe === 'lcm' ? LCM_RECIPE : { sampler: live.sampler, steps: live.steps, cfgScale: live.cfgScale };
  if (recipe.sampler === 'lcm' && !weights) return noLcmWeights(live, library);
  const notes: string[] = [];
  const fastDecode = live.fastDecode && set.taesd.decoder;
  if (live.fastDecode && !set.taesd.decoder) notes.push('No TAESD for this set: live mode decodes with the VAE (slower). Add TAESD in the model manager.');
  return { ok: true, ...recipe, loras: weights?.loras ?? [], fastDecode, notes };
}
