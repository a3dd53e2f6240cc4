// The parameters of a unit's preprocessor, as A1111's ControlNet panel offers them.
import { PREPROCESSOR_MODELS } from '../models/preprocessor-models.ts';
import type { PreprocessorParams as Params, Unit } from '../state/units.ts';
import { Slider } from './Slider.tsx';

export function PreprocessorParams({ unit, onChange }: { unit: Unit; onChange: (patch: Partial<Params>) => void }) {
  const p = unit.params;
  switch (unit.preprocessor) {
    case 'canny':
      return (
        <>
          <Slider label="Canny low threshold" value={p.cannyLow} min={1} max={255} step={1} onChange={(cannyLow) => onChange({ cannyLow })} />
          <Slider label="Canny high threshold" value={p.cannyHigh} min={1} max={255} step={1} onChange={(cannyHigh) => onChange({ cannyHigh })} />
        </>
      );
    case 'mlsd':
      return (
        <>
          <Slider label="Hough threshold" value={p.houghThreshold} min={1} max={200} step={1} onChange={(houghThreshold) => onChange({ houghThreshold })} />
          <Slider label="Min line length" value={p.houghMinLength} min={1} max={200} step={1} onChange={(houghMinLength) => onChange({ houghMinLength })} />
          <Slider label="Max line gap" value={p.houghMaxGap} min={0} max={50} step={1} onChange={(houghMaxGap) => onChange({ houghMaxGap })} />
        </>
      );
    case 'scribble_xdog':
      return <Slider label="XDoG threshold" value={p.xdogThreshold} min={1} max={64} step={1} onChange={(xdogThreshold) => onChange({ xdogThreshold })} />;
    case 'normal':
    case 'depth':
      return (
        <>
          <ModelChoice label="Depth model" kind="depth" value={p.depthModel} onChange={(depthModel) => onChange({ depthModel })} />
          {unit.preprocessor === 'normal' && (
            <Slider label="Normal background threshold" value={p.normalBgThreshold} min={0} max={1} step={0.01} onChange={(normalBgThreshold) => onChange({ normalBgThreshold })} />
          )}
        </>
      );
    case 'openpose':
      return <ModelChoice label="Pose model" kind="pose" value={p.poseModel ?? 'tiny-pose'} onChange={(poseModel) => onChange({ poseModel })} />;
    case 'seg':
      return <ModelChoice label="Segmentation model" kind="seg" value={p.segModel ?? 'tiny-seg'} onChange={(segModel) => onChange({ segModel })} />;
    default:
      return null;
  }
}

function ModelChoice({ label, kind, value, onChange }: { label: string; kind: 'depth' | 'pose' | 'seg'; value: string; onChange: (id: string) => void }) {
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {PREPROCESSOR_MODELS.filter((m) => m.kind === kind).map((m) => (
          <option key={m.id} value={m.id}>
            {m.id}
          </option>
        ))}
      </select>
    </label>
  );
}
