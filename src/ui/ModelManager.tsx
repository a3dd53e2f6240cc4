// The model manager: sets the studio knows and sets added by address, each with its files'
// sizes and status (cached / partial / missing / corrupt), download with progress, cancel,
// verify, delete and load, and the browser storage used.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SetStatus } from '../gpu/engine.ts';
import { MANIFEST_SETS, resolveRemoteSet, type RemoteSet } from '../models/manifest.ts';
import { useEngineStore } from '../state/engine-store.ts';
import { useStudio } from '../state/studio-store.ts';
import { errorText } from './hooks.ts';

export const mb = (n: number | null) => (n === null ? '?' : `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 2 : 0)} MB`);

interface Transfer {
  done: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  file: string;
}

function SetEntry({ set, onChanged }: { set: RemoteSet; onChanged: () => void }) {
  const engine = useEngineStore((s) => s.engine);
  const loadSet = useEngineStore((s) => s.loadSet);
  const { adoptModels, removeCustomSet } = useStudio.getState(); // actions are stable; no subscription
  const [status, setStatus] = useState<SetStatus | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [transfer, setTransfer] = useState<Transfer | null>(null);
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const abort = useRef<AbortController | null>(null);
  const request = { id: set.id, files: set.files };

  const refresh = useCallback(async () => {
    setStatus(await engine.modelSetStatus({ id: set.id, files: set.files }).catch(() => null));
    onChanged();
  }, [engine, set, onChanged]);
  useEffect(() => void refresh(), [refresh]);

  const run = async (label: string, job: (signal: AbortSignal) => Promise<string>) => {
    abort.current = new AbortController();
    setBusy(label);
    setMessage(null);
    try {
      setMessage({ kind: 'info', text: await job(abort.current.signal) });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(null);
      setTransfer(null);
      await refresh();
    }
  };

  const download = () =>
    run('Downloading', async (signal) => {
      // Persistence can only be asked from a page, not from the worker.
      await navigator.storage?.persist?.().catch(() => false);
      const started = performance.now();
      const r = await engine.downloadModelSet(request, {
        signal,
        onProgress: (p) => {
          const speed = p.done / Math.max(0.001, (performance.now() - started) / 1000);
          setTransfer({ done: p.done, total: p.total, bytesPerSecond: speed, etaSeconds: speed > 0 && p.total > p.done ? (p.total - p.done) / speed : null, file: p.file ?? '' });
        },
      });
      return `Downloaded: ${r.files - r.alreadyCached} file(s), ${mb(r.fetchedBytes)} fetched${r.resumedBytes ? `, ${mb(r.resumedBytes)} resumed from before` : ''}; ${r.alreadyCached} already cached.`;
    });
  const verify = () =>
    run('Verifying', async (signal) => {
      const r = await engine.verifyModelSet(request, { signal });
      if (r.corrupt.length) throw new Error(`Corrupt and deleted: ${r.corrupt.join(', ')}. Download the set again to replace them.`);
      return `Verified ${r.checked} file(s)${r.unverifiable.length ? `; ${r.unverifiable.length} have no hash to check (size only)` : ''}.`;
    });
  const remove = () =>
    run('Deleting', async () => {
      await engine.deleteModelSet(set.id);
      return 'Deleted from the browser storage.';
    });
  const load = () =>
    run('Loading', async () => {
      const info = await loadSet({ name: set.label, options: { source: { kind: 'stored', id: set.id } } });
      adoptModels(info.capabilities.controlnets);
      return `Loaded: ControlNets ${info.capabilities.controlnets.join(', ') || 'none'}.`;
    });

  const counts = status ? Object.entries(status.files.reduce<Record<string, number>>((acc, f) => ((acc[f.status] = (acc[f.status] ?? 0) + 1), acc), {})) : [];
  const allCached = !!status && status.files.every((f) => f.status === 'cached');
  return (
    <section role="group" aria-label={`Model set ${set.label}`} className="set-entry">
      <h3>{set.label}</h3>
      <p>
        {set.files.length} files · {mb(status?.storedBytes ?? 0)} stored · {counts.map(([k, n]) => `${n} ${k}`).join(', ')}
      </p>
      <div className="row">
        <button onClick={() => void download()} disabled={!!busy || allCached}>
          Download
        </button>
        <button onClick={() => abort.current?.abort()} disabled={busy !== 'Downloading'}>
          Cancel download
        </button>
        <button onClick={() => void verify()} disabled={!!busy}>
          Verify
        </button>
        <button onClick={() => void remove()} disabled={!!busy}>
          Delete
        </button>
        <button onClick={() => void load()} disabled={!!busy || !allCached}>
          Load
        </button>
        {!MANIFEST_SETS.some((m) => m.id === set.id) && (
          <button onClick={() => void engine.deleteModelSet(set.id).then(() => removeCustomSet(set.id))} disabled={!!busy}>
            Forget
          </button>
        )}
      </div>
      {busy && <p role="status">{busy}…</p>}
      {transfer && (
        <div>
          <progress aria-label="Download progress" max={transfer.total} value={transfer.done} />
          <p data-testid="download-progress">
            {mb(transfer.done)} of {mb(transfer.total)} · {mb(transfer.bytesPerSecond)}/s · ETA {transfer.etaSeconds === null ? '…' : `${Math.ceil(transfer.etaSeconds)} s`} · {transfer.file}
          </p>
        </div>
      )}
      {message && <p role={message.kind === 'error' ? 'alert' : 'status'}>{message.text}</p>}
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
  const addCustomSet = useStudio((s) => s.addCustomSet);
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [usage, setUsage] = useState<{ usage: number | null; quota: number | null } | null>(null);
  const onChanged = useCallback(() => void navigator.storage?.estimate?.().then((e) => setUsage({ usage: e.usage ?? null, quota: e.quota ?? null })), []);

  const add = async (from: string) => {
    setAdding(true);
    setError(null);
    try {
      addCustomSet(await resolveRemoteSet(from));
      setAddress('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setAdding(false);
    }
  };

  return (
    <section aria-label="Model manager" className="model-manager">
      <h2>Model manager</h2>
      <p>Storage used: {usage ? `${mb(usage.usage)} of ${mb(usage.quota)}` : '…'}</p>
      <div className="row">
        <input aria-label="Model set address" placeholder="owner/repo or https://…" value={address} onChange={(e) => setAddress(e.target.value)} />
        <button onClick={() => void add(address)} disabled={adding || !address.trim()}>
          Add model set
        </button>
      </div>
      {error && <p role="alert">{error}</p>}
      {customSets.map((set) => (
        <SetEntry key={set.id} set={set} onChanged={onChanged} />
      ))}
      <details>
        <summary>Known sets</summary>
        <ul>
          {MANIFEST_SETS.map((m) => (
            <li key={m.id}>
              <strong>{m.label}</strong> ({m.dtype}){m.baseUrl ? '' : ' — no public ONNX export yet'}: {m.notes}
              {m.baseUrl && m.kind === 'pipeline' && (
                <button onClick={() => void add(m.baseUrl!)} disabled={adding} aria-label={`Add ${m.label}`}>
                  Add
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
