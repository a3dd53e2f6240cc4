// A number input that lets a person type freely: the value is committed as soon as it is
// valid, and snapped into range (and to its step) when the field loses focus.
import { useEffect, useState } from 'react';

interface Props {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  /** Snaps a typed value to something allowed (e.g. a multiple of 64). */
  normalise: (v: number) => number;
  onCommit: (v: number) => void;
}

export function NumberField({ label, value, min, max, step = 1, normalise, onCommit }: Props) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const commitIfValid = (text: string) => {
    const v = Number(text);
    if (text.trim() !== '' && Number.isFinite(v) && normalise(v) === v) onCommit(v);
  };
  return (
    <label>
      {label}
      <input
        aria-label={label}
        type="number"
        min={min}
        max={max}
        step={step}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          commitIfValid(e.target.value);
        }}
        onBlur={() => {
          const v = normalise(Number(draft));
          setDraft(String(v));
          if (v !== value) onCommit(v);
        }}
      />
    </label>
  );
}
