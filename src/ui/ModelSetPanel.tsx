// Choosing the model set: the bundled tiny set, or a local folder in the diffusers ONNX
// layout (picked with the file input, which works in every Chromium). Shows what loaded,
// the engine's notices, or a specific error.
import { useState, type ChangeEvent } from 'react';
import { useEngineStore } from '../state/engine-store.ts';
import { folderFiles } from '../models/set-files.ts';
import type { LoadedSetInfo } from '../gpu/engine.ts';
import { TINY_SET_URL } from './GpuStatus.tsx';

export function ModelSetPanel() {
  const engine = useEngineStore((s) => s.engine);
  const [loaded, setLoaded] = useState<{ name: string; info: LoadedSetInfo } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (name: string, options: Parameters<typeof engine.loadModelSet>[0]) => {
    setBusy(`Loading ${name}…`);
    setError(null);
    try {
      setLoaded({ name, info: await engine.loadModelSet(options, { onProgress: (p) => setBusy(`Loading ${name}: ${p.stage} (${p.done}/${p.total})`) }) });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  const onFolder = (ev: ChangeEvent<HTMLInputElement>) => {
    const picked = [...(ev.target.files ?? [])];
    if (!picked.length) return;
    try {
      const files = folderFiles(picked.map((file) => ({ path: file.webkitRelativePath || file.name, file })));
      const name = picked[0]!.webkitRelativePath.split('/')[0] || 'local folder';
      void load(name, { url: `folder:${name}`, folder: files });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section aria-label="Model set" className="model-set">
      <h2>Model set</h2>
      <button onClick={() => void load('tiny-sd15', { url: TINY_SET_URL })} disabled={!!busy}>
        Load tiny set
      </button>
      <label>
        Load model folder
        {/* webkitdirectory is not in React's typings; the attribute is what Chromium reads. */}
        <input type="file" aria-label="Load model folder" onChange={onFolder} disabled={!!busy} {...{ webkitdirectory: '' }} />
      </label>
      {busy && <p role="status">{busy}</p>}
      {error && <p role="alert">{error}</p>}
      {loaded && (
        <div role="status" aria-label="Loaded model set">
          <p>
            Loaded <strong>{loaded.name}</strong>: UNet {loaded.info.unet.precision} on {loaded.info.unet.provider}; ControlNets: {loaded.info.capabilities.controlnets.join(', ') || 'none'}
          </p>
          {loaded.info.notices.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </div>
      )}
    </section>
  );
}
