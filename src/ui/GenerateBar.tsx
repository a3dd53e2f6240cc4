// Generate, Cancel, the progress bar with per-step time and ETA, the latent preview, and
// what the last run said. In live mode, the last finished live image stays until the next.
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../state/studio-store.ts';
import { cancelRun, generateNow } from '../state/run-controller.ts';
import { usePngUrl } from './hooks.ts';
import type { RunProgress } from '../state/run-slice.ts';
import { useLoraLibrary } from '../state/loras.ts';
import { TransferLine } from './TransferLine.tsx';

const seconds = (ms: number | null) => (ms === null ? '…' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function progressText(p: RunProgress): string {
  const image = p.images > 1 ? `Image ${p.image} of ${p.images} · ` : '';
  if (p.phase === 'loading') return `${p.detail} (${p.step} of ${p.steps} graphs)`;
  if (p.phase === 'compiling') return `${image}${p.detail}…`;
  return `${image}Step ${p.step} of ${p.steps} · ${seconds(p.stepMs)} per step · ETA ${seconds(p.etaMs)}`;
}

/** "Use LCM-LoRA": fetches the published LCM-LoRA once, stores it and switches live mode onto it. */
function LcmLoraOffer() {
  const { busy, transfer, message } = useLoraLibrary(useShallow((s) => ({ busy: s.busy, transfer: s.transfer, message: s.message })));
  return (
    <>
      {' '}
      <button onClick={() => void useLoraLibrary.getState().useLcmLora()} disabled={!!busy}>
        Use LCM-LoRA
      </button>
      {busy && transfer && <TransferLine transfer={transfer} label="LCM-LoRA download" />}
      {!busy && message?.kind === 'error' && <span role="alert">{message.text}</span>}
    </>
  );
}

export function GenerateBar() {
  const { running, progress, runMessage, latentPreview, liveImage, live, liveMode } = useStudio(
    useShallow((s) => ({ running: s.running, progress: s.progress, runMessage: s.runMessage, latentPreview: s.latentPreview, liveImage: s.liveImage, live: s.live, liveMode: s.settings.liveMode })),
  );
  const latentUrl = usePngUrl(running ? latentPreview : null);
  const liveUrl = usePngUrl(liveImage);
  return (
    <section className="generate-bar" aria-label="Generation">
      <div className="row">
        <button className="primary" onClick={() => void generateNow()} disabled={running === 'generate'}>
          Generate
        </button>
        <button onClick={cancelRun} disabled={!running}>
          Cancel
        </button>
        {(running || progress) && (
          <div className="progress">
            {/* From the first click: indeterminate while preparing and compiling, then graphs loaded or steps done. */}
            <progress
              aria-label="Generation progress"
              {...(progress && progress.phase !== 'compiling' ? { max: progress.steps, value: progress.step } : {})}
              aria-valuetext={progress ? progressText(progress) : 'Preparing'}
            />
            <span data-testid="progress-text">{progress ? progressText(progress) : 'Preparing the control maps…'}</span>
          </div>
        )}
      </div>
      {runMessage && (
        <p role={runMessage.kind === 'error' ? 'alert' : 'status'} className={runMessage.kind}>
          {runMessage.text}
          {runMessage.offer === 'lcm-lora' && <LcmLoraOffer />}
        </p>
      )}
      <div className="previews">
        {latentUrl && <img className="pixelated" src={latentUrl} alt="Latent preview" data-width={latentPreview?.width} />}
        {liveMode && (
          <figure>
            {liveUrl ? <img className="pixelated" src={liveUrl} alt="Live result" data-revision={live.shownRevision ?? ''} /> : <span>Live mode: draw or change a setting.</span>}
            <figcaption data-testid="live-stats">
              Live: {live.finished} finished, {live.cancelled} cancelled{live.decoder ? ` · decoded with ${live.decoder}` : ''}
            </figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}
