// The model manager: sets the studio knows and sets added by address, each with its files'
// sizes and status (cached / partial / missing / corrupt), download with progress, cancel,
// verify, delete and load, and the browser storage used; checkpoints converted in the browser
// (ImportCheckpoint). Every action is a useModelSets action; this only renders.
import { useCallback, useEffect, useState } from 'react';
import { MANIFEST_SETS, type RemoteSet } from '../models/manifest.ts';
import { mb, useModelSets } from '../state/model-sets.ts';
import { useStudio } from '../state/studio-store.ts';
import { ImportCheckpoint } from './ImportCheckpoint.tsx';
import { LoraLibrary } from './LoraLibrary.tsx';
import { TransferLine } from './TransferLine.tsx';

function SetEntry({ set, onChanged }: { set: RemoteSet; onChanged: () => void }) {
  const entry = useModelSets((s) => s.entries[set.id]);
  const actions = useModelSets.getState(); // for click handlers; effects depend on the stable action itself
  const refresh = useModelSets((s) => s.refresh);
  useEffect(() => void refresh(set).then(onChanged), [set, refresh, onChanged]);
  const status = entry?.status ?? null;
  const busy = entry?.busy ?? null;
  const counts = status ? Object.entries(status.files.reduce<Record<string, number>>((acc, f) => ((acc[f.status] = (acc[f.status] ?? 0) + 1), acc), {})) : [];
  const allCached = !!status && status.files.every((f) => f.status === 'cached');
  return (
    <section role="group" aria-label={`Model set ${set.label}`} className="set-entry">
      <h3>{set.label}</h3>
      <p>
        {set.files.length} files · {mb(status?.storedBytes ?? 0)} stored · {counts.map(([k, n]) => `${n} ${k}`).join(', ')}
      </p>
      <div className="row">
        <button onClick={() => void actions.download(set)} disabled={!!busy || allCached}>
          Download
        </button>
        <button onClick={() => actions.cancel(set.id)} disabled={busy !== 'Downloading'}>
          Cancel download
        </button>
        <button onClick={() => void actions.verify(set)} disabled={!!busy}>
          Verify
        </button>
        <button onClick={() => void actions.remove(set)} disabled={!!busy}>
          Delete
        </button>
        <button onClick={() => void actions.load(set)} disabled={!!busy || !allCached}>
          Load
        </button>
        {!MANIFEST_SETS.some((m) => m.id === set.id) && (
          <button onClick={() => void actions.forget(set)} disabled={!!busy}>
            Forget
          </button>
        )}
      </div>
      {busy && <p role="status">{busy}…</p>}
      {entry?.transfer && <TransferLine transfer={entry.transfer} label="Download progress" />}
      {entry?.message && <p role={entry.message.kind === 'error' ? 'alert' : 'status'}>{entry.message.text}</p>}
      <details>
        <summary>Files</summary>
        <table aria-label={`Files of ${set.label}`}>
          <tbody>
            {(status?.files ?? []).map((f) => (
              <tr key={f.path} data-status={f.status}>
                <td>{f.path.slice(set.id.length + 1)}</td>
                <td>{f.size === null ? mb(f.stored) : `${mb(f.stored)} / ${mb(f.size)}`}</td>
                <td>{f.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

export function ModelManager() {
  const customSets = useStudio((s) => s.customSets);
  const { adding, storage: usage, addSetByAddress, refreshStorage } = useModelSets();
  const [address, setAddress] = useState('');
  const onChanged = useCallback(() => void refreshStorage(), [refreshStorage]);
  const add = async (from: string) => {
    if (await addSetByAddress(from)) setAddress('');
  };

  return (
    <section aria-label="Model manager" className="model-manager">
      <h2>Model manager</h2>
      <p>Storage used: {usage ? `${mb(usage.usage)} of ${mb(usage.quota)}` : '…'}</p>
      <ImportCheckpoint onChanged={onChanged} />
      <LoraLibrary />
      <div className="row">
        <input aria-label="Model set address" placeholder="owner/repo or https://…" value={address} onChange={(e) => setAddress(e.target.value)} />
        <button onClick={() => void add(address)} disabled={adding.busy || !address.trim()}>
          Add model set
        </button>
      </div>
      {adding.error && <p role="alert">{adding.error}</p>}
      {customSets.map((set) => (
        <SetEntry key={set.id} set={set} onChanged={onChanged} />
      ))}
    </section>
  );
}
