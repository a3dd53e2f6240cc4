// Live mode's own settings, under its checkbox: the recipe (LCM, or the person's own sampler,
// steps and CFG), its LCM-LoRA, and "Fast decode (TAESD)".
import { SCHEDULER_LABELS } from '../diffusion/schedulers/index.ts';
import { useStudio } from '../state/studio-store.ts';
import { clamp, MAX_STEPS } from '../state/settings.ts';
import type { LiveSettings as Live } from '../state/live-recipe.ts';
import { LabelledSelect } from './LabelledSelect.tsx';
import { NumberField } from './NumberField.tsx';

const RECIPES: Record<Live['recipe'], string> = { lcm: 'LCM: 4 steps, CFG 1 (needs LCM weights)', custom: 'My own: sampler, steps, CFG' };

export function LiveSettings() {
  const live = useStudio((s) => s.settings.live);
  const setSettings = useStudio((s) => s.setSettings);
  const change = (patch: Partial<Live>) => setSettings({ live: { ...live, ...patch } });
  return (
    <fieldset className="live-settings" aria-label="Live mode settings">
      <LabelledSelect label="Live recipe" value={live.recipe} options={RECIPES} onChange={(recipe) => change({ recipe })} />
      <label className="check">
        <input type="checkbox" aria-label="LCM-LoRA for live runs" checked={live.lcmLora} onChange={(e) => change({ lcmLora: e.target.checked })} />
        LCM-LoRA <small>(for sets that are not LCM-distilled)</small>
      </label>
      {live.recipe === 'custom' && (
        <>
          <LabelledSelect label="Live sampler" value={live.sampler} options={SCHEDULER_LABELS} onChange={(sampler) => change({ sampler })} />
          <div className="row">
            <NumberField label="Live steps" value={live.steps} min={1} max={MAX_STEPS} normalise={(v) => Math.round(clamp(v, 1, MAX_STEPS))} onCommit={(steps) => change({ steps })} />
            <NumberField label="Live CFG" value={live.cfgScale} min={1} max={30} step={0.5} normalise={(v) => clamp(v, 1, 30)} onCommit={(cfgScale) => change({ cfgScale })} />
          </div>
        </>
      )}
      <label className="check">
        <input type="checkbox" aria-label="Fast decode (TAESD)" checked={live.fastDecode} onChange={(e) => change({ fastDecode: e.target.checked })} />
        Fast decode (TAESD)
      </label>
    </fieldset>
  );
}
