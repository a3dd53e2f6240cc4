// The LoRA library in the model manager: each stored LoRA with what it changes, a switch and a
// weight (applied to every generation besides <lora:name:weight> tags), and Delete; import from
// a file or a Hugging Face repo, saying whether it is an LCM-LoRA. Actions are useLoraLibrary's.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useLoraLibrary } from '../state/loras.ts';
import { mb, useModelSets } from '../state/model-sets.ts';
import { useStudio } from '../state/studio-store.ts';
import { clamp } from '../state/settings.ts';
import type { StoredLoraInfo } from '../models/set-layout.ts';
import { NumberField } from './NumberField.tsx';
import { TransferLine } from './TransferLine.tsx';

function LoraEntry({ lora }: { lora: StoredLoraInfo }) {
  const choice = useStudio((s) => s.settings.loras[lora.name]) ?? { enabled: false, weight: 1 };
  const { choose, remove } = useLoraLibrary.getState();
  return (
    <section role="group" aria-label={`LoRA ${lora.name}`} className="set-entry">
      <label className="check">
        <input type="checkbox" aria-label={`Apply LoRA ${lora.name}`} checked={choice.enabled} onChange={(e) => choose(lora.name, { enabled: e.target.checked })} />
        <strong>{lora.name}</strong>
      </label>{' '}
      <small>
        {lora.format}, {lora.layers.unet} UNet + {lora.layers.text} text-encoder layers, {mb(lora.bytes)}
        {lora.lcm ? ', LCM' : ''} · {lora.sha256.slice(0, 12)}
      </small>
      <NumberField label={`Weight of ${lora.name}`} value={choice.weight} min={-5} max={5} step={0.05} normalise={(v) => clamp(v, -5, 5)} onCommit={(weight) => choose(lora.name, { weight })} />
      <button onClick={() => void remove(lora.name)}>Delete</button>
    </section>
  );
}

export function LoraLibrary() {
  const loras = useModelSets((s) => s.stored.loras);
  const job = useLoraLibrary(useShallow((s) => ({ busy: s.busy, transfer: s.transfer, message: s.message })));
  const actions = useLoraLibrary.getState();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [repo, setRepo] = useState('');
  const [lcm, setLcm] = useState(false);
  const busy = !!job.busy;
  return (
    <section aria-label="LoRA library" className="import">
      <h3>LoRA library</h3>
      <p>
        Use a LoRA with <code>&lt;lora:name:weight&gt;</code> in the prompt, or switch it on here.
      </p>
      {loras.map((l) => (
        <LoraEntry key={l.name} lora={l} />
      ))}
      <div className="row">
        <input type="file" aria-label="LoRA file" accept=".safetensors,.pt,.bin" disabled={busy} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <input aria-label="LoRA name" placeholder="from the file name" value={name} onChange={(e) => setName(e.target.value)} />
        <label className="check">
          <input type="checkbox" aria-label="It is an LCM-LoRA" checked={lcm} onChange={(e) => setLcm(e.target.checked)} />
          LCM-LoRA
        </label>
        <button disabled={busy || !file} onClick={() => void actions.importFiles([{ path: file!.name, file: file! }], { name: name.trim() || undefined, lcm }).then((ok) => ok && setFile(null))}>
          Add LoRA
        </button>
      </div>
      <div className="row">
        <input aria-label="LoRA repo" placeholder="owner/repo (pytorch_lora_weights.safetensors)" value={repo} onChange={(e) => setRepo(e.target.value)} disabled={busy} />
        <button disabled={busy || !repo.trim()} onClick={() => void actions.importRepo(repo, { lcm })}>
          Fetch LoRA
        </button>
        <button onClick={() => actions.cancel()} disabled={!busy}>
          Cancel LoRA import
        </button>
      </div>
      {job.busy && <p role="status">{job.busy}…</p>}
      {job.transfer && <TransferLine transfer={job.transfer} label="LoRA import progress" />}
      {job.message && <p role={job.message.kind === 'error' ? 'alert' : 'status'}>{job.message.text}</p>}
    </section>
  );
}
