// The left panel: prompts and sampler settings, as A1111's txt2img tab has them.
import { SCHEDULER_LABELS } from '../diffusion/schedulers/index.ts';
import { LabelledSelect } from './LabelledSelect.tsx';
import { useStudio } from '../state/studio-store.ts';
import { clamp, MAX_STEPS, randomSeed, SIZE_STEP, snapSize, MAX_SIZE } from '../state/settings.ts';
import { ModelSetPanel } from './ModelSetPanel.tsx';
import { ModelManager } from './ModelManager.tsx';
import { LiveSettings } from './LiveSettings.tsx';
import { InputPanel } from './InputPanel.tsx';
import { NumberField } from './NumberField.tsx';

const MAX_SEED = 4294967295;

function DeviceNote() {
  const note = useStudio((s) => s.deviceNote);
  return note ? (
    <p className="notice" role="note" aria-label="Device note">
      {note}
    </p>
  ) : null;
}

export function SettingsPanel() {
  const settings = useStudio((s) => s.settings);
  const setSettings = useStudio((s) => s.setSettings);
  return (
    <div className="settings">
      <label>
        Prompt
        <textarea aria-label="Prompt" rows={3} value={settings.prompt} onChange={(e) => setSettings({ prompt: e.target.value })} />
      </label>
      <label>
        Negative prompt
        <textarea aria-label="Negative prompt" rows={2} value={settings.negativePrompt} onChange={(e) => setSettings({ negativePrompt: e.target.value })} />
      </label>
      <LabelledSelect label="Sampler" value={settings.sampler} options={SCHEDULER_LABELS} onChange={(sampler) => setSettings({ sampler })} />
      <div className="row">
        <NumberField label="Steps" value={settings.steps} min={1} max={MAX_STEPS} normalise={(v) => Math.round(clamp(v, 1, MAX_STEPS))} onCommit={(steps) => setSettings({ steps })} />
        <NumberField label="CFG scale" value={settings.cfgScale} min={1} max={30} step={0.5} normalise={(v) => clamp(v, 1, 30)} onCommit={(cfgScale) => setSettings({ cfgScale })} />
      </div>
      <div className="row">
        <NumberField label="Seed" value={settings.seed} min={0} max={MAX_SEED} normalise={(v) => Math.round(clamp(v, 0, MAX_SEED))} onCommit={(seed) => setSettings({ seed })} />
        <button type="button" title="Pick a random seed" onClick={() => setSettings({ seed: randomSeed() })}>
          Randomise seed
        </button>
      </div>
      <div className="row">
        <NumberField label="Width" value={settings.width} min={SIZE_STEP} max={MAX_SIZE} step={SIZE_STEP} normalise={snapSize} onCommit={(width) => setSettings({ width })} />
        <NumberField label="Height" value={settings.height} min={SIZE_STEP} max={MAX_SIZE} step={SIZE_STEP} normalise={snapSize} onCommit={(height) => setSettings({ height })} />
      </div>
      <DeviceNote />
      <InputPanel />
      <NumberField label="Batch count" value={settings.batchCount} min={1} max={100} normalise={(v) => Math.round(clamp(v, 1, 100))} onCommit={(batchCount) => setSettings({ batchCount })} />
      <label className="check">
        <input type="checkbox" aria-label="Live mode" checked={settings.liveMode} onChange={(e) => setSettings({ liveMode: e.target.checked })} />
        Live mode <small>(regenerates while you draw)</small>
      </label>
      {settings.liveMode && <LiveSettings />}
      <label className="check">
        <input type="checkbox" aria-label="Latent preview" checked={settings.latentPreview} onChange={(e) => setSettings({ latentPreview: e.target.checked })} />
        Latent preview <small>(off: no GPU readback while denoising)</small>
      </label>
      <ModelSetPanel />
      <ModelManager />
    </div>
  );
}
