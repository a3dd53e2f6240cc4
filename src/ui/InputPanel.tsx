// "Start from": the canvas a generation starts from (img2img), the denoising strength and
// resize mode, A1111's inpainting options for its mask, and outpainting (grow the canvas).
import { useState } from 'react';
import { SIDES, type Side } from '../canvas/mask.ts';
import { RESIZE_MODE_LABELS } from '../preprocess/image-ops.ts';
import { INPAINT_AREA_LABELS, MASKED_CONTENT_LABELS, type InpaintOptions } from '../preprocess/inpaint-image.ts';
import type { InputSettings } from '../state/settings.ts';
import { useStudio } from '../state/studio-store.ts';
import { LabelledSelect } from './LabelledSelect.tsx';
import { NumberField } from './NumberField.tsx';
import { Slider } from './Slider.tsx';

const NONE = '';
const whole = (lo: number, hi: number) => (v: number) => Math.min(hi, Math.max(lo, Math.round(Number.isFinite(v) ? v : lo)));

export function InputPanel() {
  const input = useStudio((s) => s.settings.input);
  const units = useStudio((s) => s.units);
  const { setSettings, outpaint } = useStudio.getState(); // actions are stable; no subscription
  const [side, setSide] = useState<Side>('right');
  const [grow, setGrow] = useState(128);
  const set = (patch: Partial<InputSettings>) => setSettings({ input: { ...input, ...patch } });
  const setInpaint = (patch: Partial<InpaintOptions>) => set({ inpaint: { ...input.inpaint, ...patch } });
  const canvases: Record<string, string> = { [NONE]: 'Nothing (txt2img)', ...Object.fromEntries(units.map((u, i) => [u.id, `Unit ${i + 1}'s canvas`])) };

  return (
    <fieldset className="input-panel">
      <legend>Start from (img2img, inpaint)</legend>
      <LabelledSelect label="Start from" value={input.unitId ?? NONE} options={canvases} onChange={(id) => set({ unitId: id === NONE ? null : id })} />
      {input.unitId && (
        <>
          <Slider label="Denoising strength" value={input.strength} min={0.01} max={1} step={0.01} onChange={(strength) => set({ strength })} />
          <LabelledSelect label="Input resize mode" value={input.resizeMode} options={RESIZE_MODE_LABELS} onChange={(resizeMode) => set({ resizeMode })} />
          <p className="hint">Paint a mask on the canvas (Mask tool) to inpaint only there.</p>
          <NumberField label="Mask blur" value={input.inpaint.maskBlur} min={0} max={64} normalise={whole(0, 64)} onCommit={(maskBlur) => setInpaint({ maskBlur })} />
          <LabelledSelect label="Masked content" value={input.inpaint.content} options={MASKED_CONTENT_LABELS} onChange={(content) => setInpaint({ content })} />
          <LabelledSelect label="Inpaint area" value={input.inpaint.area} options={INPAINT_AREA_LABELS} onChange={(area) => setInpaint({ area })} />
          <NumberField label="Only masked padding, pixels" value={input.inpaint.padding} min={0} max={256} normalise={whole(0, 256)} onCommit={(padding) => setInpaint({ padding })} />
          <div className="outpaint">
            <LabelledSelect label="Outpaint side" value={side} options={Object.fromEntries(SIDES.map((s) => [s, s])) as Record<Side, string>} onChange={setSide} />
            <NumberField label="Outpaint pixels" value={grow} min={8} max={1024} normalise={whole(8, 1024)} onCommit={setGrow} />
            <button onClick={() => outpaint(input.unitId!, side, grow)}>Extend canvas</button>
          </div>
        </>
      )}
    </fieldset>
  );
}
