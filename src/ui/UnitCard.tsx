// One ControlNet unit, laid out like A1111's: enable, preprocessor and its parameters,
// model, weight, guidance start/end, control mode, resize mode, pixel perfect, Preview.
import { useState } from 'react';
import { RESIZE_MODE_LABELS } from '../preprocess/image-ops.ts';
import { previewUnit } from '../state/previews.ts';
import { useEngineStore } from '../state/engine-store.ts';
import { useStudio } from '../state/studio-store.ts';
import { CONTROL_MODE_LABELS, pickModel, PREPROCESSOR_LABELS, unitProblem, type Unit } from '../state/units.ts';
import { usePngUrl } from './hooks.ts';
import { PreprocessorParams } from './PreprocessorParams.tsx';
import { Slider } from './Slider.tsx';
import { LabelledSelect } from './LabelledSelect.tsx';

export function UnitCard({ unit, index, count }: { unit: Unit; index: number; count: number }) {
  const { updateUnit, removeUnit, moveUnit, selectUnit } = useStudio.getState(); // actions are stable; no subscription
  const selected = useStudio((s) => s.selectedUnitId === unit.id);
  const preview = useStudio((s) => s.previews[unit.id]);
  const runError = useStudio((s) => s.unitErrors[unit.id]);
  const models = useEngineStore((s) => s.controlnets);
  const [busy, setBusy] = useState(false);
  const previewUrl = usePngUrl(preview?.map ?? null);
  const update = (patch: Partial<Omit<Unit, 'id' | 'source'>>) => updateUnit(unit.id, patch);
  const problem = unitProblem(unit, models);

  const runPreview = async () => {
    setBusy(true);
    await previewUnit(unit.id);
    setBusy(false);
  };

  const name = `ControlNet unit ${index + 1}`;
  return (
    <section role="group" aria-label={name} className={`unit${selected ? ' selected' : ''}${unit.enabled ? '' : ' disabled'}`}>
      <header>
        <strong>{name}</strong>
        <button aria-pressed={selected} onClick={() => selectUnit(unit.id)} title="Show this unit's source on the canvas">
          Edit on canvas
        </button>
        <button aria-label="Move up" disabled={index === 0} onClick={() => moveUnit(unit.id, -1)}>
          ↑
        </button>
        <button aria-label="Move down" disabled={index === count - 1} onClick={() => moveUnit(unit.id, 1)}>
          ↓
        </button>
        <button aria-label="Remove" onClick={() => removeUnit(unit.id)}>
          ✕
        </button>
      </header>
      <label className="check">
        <input type="checkbox" aria-label="Enabled" checked={unit.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
        Enabled
      </label>
      <LabelledSelect
        label="Preprocessor"
        value={unit.preprocessor}
        options={PREPROCESSOR_LABELS}
        onChange={(preprocessor) => update({ preprocessor, model: pickModel(preprocessor, models ?? [], unit.model) })}
      />
      <PreprocessorParams unit={unit} onChange={(patch) => update({ params: { ...unit.params, ...patch } })} />
      <label>
        Model
        <select aria-label="Model" value={unit.model} onChange={(e) => update({ model: e.target.value })}>
          {models && !models.includes(unit.model) && <option value={unit.model}>{unit.model || '(none)'} — not in the set</option>}
          {(models ?? []).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <Slider label="Weight" value={unit.weight} min={0} max={2} step={0.05} onChange={(weight) => update({ weight })} />
      <Slider label="Start" value={unit.start} min={0} max={1} step={0.01} onChange={(start) => update({ start })} />
      <Slider label="End" value={unit.end} min={0} max={1} step={0.01} onChange={(end) => update({ end })} />
      <LabelledSelect label="Control mode" value={unit.controlMode} options={CONTROL_MODE_LABELS} onChange={(controlMode) => update({ controlMode })} />
      <LabelledSelect label="Resize mode" value={unit.resizeMode} options={RESIZE_MODE_LABELS} onChange={(resizeMode) => update({ resizeMode })} />
      <label className="check">
        <input type="checkbox" aria-label="Pixel perfect" checked={unit.pixelPerfect} onChange={(e) => update({ pixelPerfect: e.target.checked })} />
        Pixel perfect
      </label>
      <button onClick={() => void runPreview()} disabled={busy}>
        Preview
      </button>
      {busy && <p role="status">Preprocessing…</p>}
      {problem && <p role="alert">{problem}</p>}
      {runError && <p role="alert">{runError}</p>}
      {preview?.notice && <p className="notice">{preview.notice}</p>}
      {previewUrl && <img className="map-preview" src={previewUrl} alt="Control map preview" data-width={preview!.map.width} data-height={preview!.map.height} />}
    </section>
  );
}
