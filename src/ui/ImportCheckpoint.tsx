// "Import checkpoint…": a person's own weights become a set (or a ControlNet for any set) in the
// browser — picked or dropped .safetensors/.ckpt/.pth files (with a .yaml), a diffusers folder,
// or a Hugging Face repo id. Shows conversion progress per graph with cancel, what the
// conversion noticed, and the converted sets and ControlNets in storage.
import { useEffect, useState, type DragEvent } from 'react';
import type { ImportFile } from '../engine/engine.ts';
import { LCM_LORA, MANIFEST_SETS } from '../models/manifest.ts';
import { useLoraLibrary } from '../state/loras.ts';
import { clamp } from '../state/settings.ts';
import { NumberField } from './NumberField.tsx';
import { useEngineStore } from '../state/engine-store.ts';
import { useModelSets } from '../state/model-sets.ts';
import { chosenPrecision, useImportDraft } from '../state/import-form.ts';
import { droppedFolder } from './folder-pick.ts';
import { errorText } from './hooks.ts';
import { TransferLine } from './TransferLine.tsx';

function StoredList() {
  const stored = useModelSets((s) => s.stored);
  const actions = useModelSets.getState();
  if (!stored.sets.length && !stored.controlnets.length && !stored.taesd.length) return null;
  return (
    <div aria-label="Converted models">
      {stored.sets.map((s) => (
        <section role="group" aria-label={`Converted set ${s.label}`} key={s.id} className="set-entry">
          <strong>{s.label}</strong> (from {s.convertedFrom})<button onClick={() => void actions.loadConverted(s.id, s.label)}>Load</button>
          <button onClick={() => void actions.deleteConverted(s.id)}>Delete</button>
        </section>
      ))}
      {stored.controlnets.map((c) => (
        <section role="group" aria-label={`Stored ControlNet ${c.name}`} key={c.name} className="set-entry">
          ControlNet <strong>{c.name}</strong> ({c.precision}, from {c.converted_from})<button onClick={() => void actions.deleteStoredControlNet(c.name)}>Delete</button>
        </section>
      ))}
      {stored.taesd.map((t) => (
        <section role="group" aria-label={`Stored TAESD ${t.name}`} key={t.name} className="set-entry">
          TAESD <strong>{t.name}</strong> (from {t.converted_from}; {t.encoder ? 'decoder and encoder' : 'decoder only'})<button onClick={() => void actions.deleteStoredTaesd(t.name)}>Delete</button>
        </section>
      ))}
    </div>
  );
}

/** "Bake LoRA": library LoRAs merged into a base model as it converts, each at its weight. */
function BakeLoras({ bake, onChange }: { bake: Record<string, number>; onChange: (bake: Record<string, number>) => void }) {
  const loras = useModelSets((s) => s.stored.loras);
  if (!loras.length) return null;
  const toggle = (name: string, on: boolean) => {
    const next = { ...bake };
    if (on) next[name] = 1;
    else delete next[name];
    onChange(next);
  };
  return (
    <details>
      <summary>Bake LoRA (merge library LoRAs into the converted set)</summary>
      {loras.map((l) => (
        <div className="row" key={l.name}>
          <label className="check">
            <input type="checkbox" aria-label={`Bake LoRA ${l.name}`} checked={l.name in bake} onChange={(e) => toggle(l.name, e.target.checked)} />
            {l.name}
          </label>
          {l.name in bake && (
            <NumberField
              label={`Baked weight of ${l.name}`}
              value={bake[l.name]!}
              min={-5}
              max={5}
              step={0.05}
              normalise={(v) => clamp(v, -5, 5)}
              onCommit={(w) => onChange({ ...bake, [l.name]: w })}
            />
          )}
        </div>
      ))}
    </details>
  );
}

export function ImportCheckpoint({ onChanged }: { onChanged: () => void }) {
  const job = useModelSets((s) => s.importJob);
  const actions = useModelSets.getState();
  const shaderF16 = useEngineStore((s) => !!s.device?.gpu?.shaderF16);
  const deviceKnown = useEngineStore((s) => s.device !== null);
  const draft = useImportDraft();
  const { files, name, repo, textHeads, unetHeads, bake, pickerKey, edit, pick } = draft;
  const [pickError, setPickError] = useState<string | null>(null);
  const refreshStored = useModelSets((s) => s.refreshStored);
  useEffect(() => void refreshStored(), [refreshStored]);

  const chosen = chosenPrecision(draft, shaderF16);
  const take = (picked: ImportFile[]) => {
    setPickError(null);
    pick(picked);
  };
  const onDrop = async (ev: DragEvent) => {
    ev.preventDefault();
    try {
      const folder = await droppedFolder(ev.dataTransfer);
      take(folder ? folder.files : [...ev.dataTransfer.files].map((file) => ({ path: file.name, file })));
    } catch (err) {
      setPickError(errorText(err));
    }
  };
  const convert = (from: 'files' | 'repo') => void draft.convert(from).then(onChanged);

  const busy = !!job.busy;
  return (
    <section aria-label="Import checkpoint" className="import" onDragOver={(e) => e.preventDefault()} onDrop={(e) => void onDrop(e)}>
      <h3>Import checkpoint…</h3>
      <p>Drop a .safetensors, .ckpt or .pth (SD 1.5 or a ControlNet), with its .yaml if it has one, or a diffusers folder — or give a Hugging Face repo id.</p>
      <div className="row">
        <label>
          Checkpoint files
          <input
            key={`files-${pickerKey}`}
            type="file"
            aria-label="Checkpoint files"
            multiple
            accept=".safetensors,.ckpt,.pth,.pt,.bin,.yaml,.yml"
            disabled={busy}
            onChange={(e) => take([...(e.target.files ?? [])].map((file) => ({ path: file.name, file })))}
          />
        </label>
        <label>
          Diffusers folder
          <input
            key={`folder-${pickerKey}`}
            type="file"
            aria-label="Diffusers folder"
            disabled={busy}
            onChange={(e) => take([...(e.target.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file })))}
            {...{ webkitdirectory: '' }}
          />
        </label>
      </div>
      {files.length > 0 && <p>Picked: {files.map((f) => f.path).join(', ')}</p>}
      <label>
        Name
        <input aria-label="Import name" value={name} placeholder="from the file name" onChange={(e) => edit({ name: e.target.value })} />
      </label>
      <label>
        Precision
        <select aria-label="Import precision" value={chosen} onChange={(e) => edit({ precision: e.target.value as 'fp16' | 'fp32' })}>
          <option value="fp16">fp16 (half the size; needs shader-f16 to run on the GPU)</option>
          <option value="fp32">fp32</option>
        </select>
      </label>
      {deviceKnown && !shaderF16 && chosen === 'fp32' && <p className="notice">This GPU has no shader-f16, so fp32 is the default: fp16 graphs would run on the CPU.</p>}
      <details>
        <summary>Architecture (only for unusual checkpoints)</summary>
        <label>
          Text encoder heads
          <input aria-label="Text encoder heads" inputMode="numeric" placeholder="from the width (SD 1.5: 12)" value={textHeads} onChange={(e) => edit({ textHeads: e.target.value })} />
        </label>
        <label>
          UNet heads
          <input aria-label="UNet heads" inputMode="numeric" placeholder="from the .yaml (SD 1.5: 8)" value={unetHeads} onChange={(e) => edit({ unetHeads: e.target.value })} />
        </label>
      </details>
      <BakeLoras bake={bake} onChange={(next) => edit({ bake: next })} />
      <div className="row">
        <button onClick={() => convert('files')} disabled={busy || !files.length}>
          Convert
        </button>
        <input aria-label="Hugging Face repo" placeholder="owner/repo" value={repo} onChange={(e) => edit({ repo: e.target.value })} disabled={busy} />
        <button onClick={() => convert('repo')} disabled={busy || !repo.trim()}>
          Fetch and convert
        </button>
        <button onClick={() => actions.cancelImport()} disabled={!busy}>
          Cancel import
        </button>
      </div>
      {job.busy && <p role="status">{job.busy}…</p>}
      {job.transfer && <TransferLine transfer={job.transfer} label="Import progress" />}
      {pickError && <p role="alert">{pickError}</p>}
      {job.message && <p role={job.message.kind === 'error' ? 'alert' : 'status'}>{job.message.text}</p>}
      {job.notices.length > 0 && (
        <ul aria-label="Import notices">
          {job.notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <StoredList />
      <details>
        <summary>Known models</summary>
        <ul>
          {MANIFEST_SETS.map((m) => (
            <li key={m.id}>
              <strong>{m.label}</strong> ({m.dtype}): {m.notes}
              {m.baseUrl && m.kind === 'pipeline' && (
                <button onClick={() => void actions.addSet(m.baseUrl!)} aria-label={`Add ${m.label}`}>
                  Add
                </button>
              )}
              {m.convert?.kind === 'lora' && (
                <button
                  onClick={() => void useLoraLibrary.getState().importRepo(m.convert!.repo, { lcm: m.convert === LCM_LORA, name: m.convert!.name }, m.convert!.files)}
                  aria-label={`Add ${m.label} to the LoRA library`}
                >
                  Add to library
                </button>
              )}
              {m.convert && m.convert.kind !== 'lora' && (
                <button onClick={() => void draft.convertKnown(m.convert!).then(onChanged)} disabled={busy} aria-label={`Convert ${m.label}`}>
                  Convert
                </button>
              )}
              {m.source && (
                <>
                  {' '}
                  Weights: <a href={m.source}>{m.source.replace('https://huggingface.co/', '')}</a>
                </>
              )}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
