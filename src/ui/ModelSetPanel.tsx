// Choosing the model set: the bundled tiny set, or a local folder in the diffusers ONNX
// layout — from the directory picker where the browser has one, the folder file input
// otherwise, or a folder dropped here. Shows what loaded, the engine's notices, or a
// specific error. Generate loads the tiny set when none was chosen.
import { useState, type ChangeEvent, type DragEvent } from 'react';
import { DEFAULT_SET, useEngineStore, type SetLoad } from '../state/engine-store.ts';
import { folderFiles } from '../models/set-files.ts';
import { errorText } from './hooks.ts';
import { droppedFolder, hasDirectoryPicker, pickDirectory, type PickedFile } from './folder-pick.ts';

export function ModelSetPanel() {
  const { set, loadSet } = useEngineStore();
  const [pickError, setPickError] = useState<string | null>(null);

  const load = (request: SetLoad) => {
    setPickError(null);
    // The load's outcome shows from the store (loaded, or its error).
    loadSet(request).catch(() => {});
  };

  const loadFolder = (name: string, picked: PickedFile[]) => {
    try {
      load({ name, options: { source: { kind: 'folder', name, files: folderFiles(picked) } } });
    } catch (err) {
      setPickError(errorText(err));
    }
  };
  const onFolder = (ev: ChangeEvent<HTMLInputElement>) => {
    const picked = [...(ev.target.files ?? [])];
    if (!picked.length) return;
    loadFolder(
      picked[0]!.webkitRelativePath.split('/')[0] || 'local folder',
      picked.map((file) => ({ path: file.webkitRelativePath || file.name, file })),
    );
  };
  const onPick = async () => {
    try {
      const picked = await pickDirectory();
      if (picked) loadFolder(picked.name, picked.files);
    } catch (err) {
      setPickError(errorText(err));
    }
  };
  const onDrop = async (ev: DragEvent) => {
    ev.preventDefault();
    const dropped = await droppedFolder(ev.dataTransfer).catch((err: unknown) => (setPickError(errorText(err)), null));
    if (dropped) loadFolder(dropped.name, dropped.files);
    else setPickError('Drop a model set folder (the one with model_index.json), not single files.');
  };

  const busy = set?.state === 'loading';
  return (
    <section aria-label="Model set" className="model-set" onDragOver={(e) => e.preventDefault()} onDrop={(e) => void onDrop(e)}>
      <h2>Model set</h2>
      <button onClick={() => load(DEFAULT_SET)} disabled={busy}>
        Load tiny set
      </button>
      {hasDirectoryPicker() && (
        <button onClick={() => void onPick()} disabled={busy}>
          Choose model folder
        </button>
      )}
      <label>
        Load model folder
        {/* webkitdirectory is not in React's typings; the attribute is what Chromium reads. */}
        <input type="file" aria-label="Load model folder" onChange={onFolder} disabled={busy} {...{ webkitdirectory: '' }} />
      </label>
      {busy && (
        <p role="status">
          Loading {set.request.name}
          {set.progress ? `: loading ${set.progress.file} (${set.progress.done}/${set.progress.total})` : '…'}
        </p>
      )}
      {pickError && <p role="alert">{pickError}</p>}
      {set?.state === 'failed' && <p role="alert">{set.error}</p>}
      {set?.state === 'loaded' && set.info && (
        <div role="status" aria-label="Loaded model set">
          <p>
            Loaded <strong>{set.request.name}</strong>:{' '}
            {set.info.capabilities.inpainting ? 'inpainting UNet (9 channels: masked generations repaint the mask; without one, the whole picture)' : 'UNet'} {set.info.unet.precision} on{' '}
            {set.info.unet.provider}; ControlNets: {set.info.capabilities.controlnets.join(', ') || 'none'}
          </p>
          {set.info.notices.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </div>
      )}
    </section>
  );
}
