// Generate, Cancel, the progress bar with per-step time and ETA, the latent preview, and
// what the last run said. In live mode, the last finished live image stays until the next.
import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../state/studio-store.ts';
import { cancelRun, generateNow } from '../state/run-controller.ts';
import { usePngUrl } from './hooks.ts';

const seconds = (ms: number | null) => (ms === null ? '…' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

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
        {progress && (
          <div className="progress">
            <progress aria-label="Generation progress" max={progress.steps} value={progress.step} aria-valuetext={`Step ${progress.step} of ${progress.steps}`} />
            <span data-testid="progress-text">
              {progress.images > 1 && `Image ${progress.image} of ${progress.images} · `}Step {progress.step} of {progress.steps} · {seconds(progress.stepMs)} per step · ETA {seconds(progress.etaMs)}
            </span>
          </div>
        )}
        {running && !progress && <span role="status">Preparing…</span>}
      </div>
      {runMessage && (
        <p role={runMessage.kind === 'error' ? 'alert' : 'status'} className={runMessage.kind}>
          {runMessage.text}
        </p>
      )}
      <div className="previews">
        {latentUrl && <img className="pixelated" src={latentUrl} alt="Latent preview" />}
        {liveMode && (
          <figure>
            {liveUrl ? <img className="pixelated" src={liveUrl} alt="Live result" data-revision={live.shownRevision ?? ''} /> : <span>Live mode: draw or change a setting.</span>}
            <figcaption data-testid="live-stats">
              Live: {live.finished} finished, {live.cancelled} cancelled
            </figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}
