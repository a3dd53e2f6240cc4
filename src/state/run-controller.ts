// The Generate and Cancel buttons, and live mode, on top of runGeneration: one run at a
// time, messages in words, and the inputs never touched by a failure.
import { CancelledError } from '../engine/errors.ts';
import { InputProblem, LiveProblem, runGeneration } from './generation.ts';
import { LiveScheduler } from './live-scheduler.ts';
import { useStudio } from './studio-store.ts';
import { useModelSets } from './model-sets.ts';

let manual: AbortController | null = null;

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isCancel = (err: unknown) => err instanceof CancelledError;

export async function generateNow(): Promise<void> {
  const store = useStudio.getState();
  if (store.running === 'generate') return;
  live.stop();
  manual = new AbortController();
  store.setRun({ running: 'generate', progress: null, latentPreview: null, runMessage: null });
  try {
    const images = await runGeneration({ signal: manual.signal });
    useStudio.getState().setRun({ runMessage: { kind: 'info', text: `Done: ${images} image${images === 1 ? '' : 's'} added to the gallery.` } });
  } catch (err) {
    const p = useStudio.getState().progress;
    const text = isCancel(err)
      ? `Cancelled${p ? ` at step ${p.step} of ${p.steps}` : ''}. Your inputs are unchanged.`
      : err instanceof InputProblem
        ? err.message
        : `Generation failed: ${describe(err)} Your inputs are kept; try again.`;
    useStudio.getState().setRun({ runMessage: { kind: isCancel(err) ? 'info' : 'error', text } });
  } finally {
    manual = null;
    useStudio.getState().setRun({ running: null });
  }
}

export function cancelRun(): void {
  manual?.abort();
  live.stop();
}

const live = new LiveScheduler({
  async start({ revision, signal }) {
    useStudio.getState().setRun({ running: 'live', progress: null, runMessage: null });
    try {
      await runGeneration({
        signal,
        live: true,
        onImage: (image, _, fastDecode) => {
          const s = useStudio.getState();
          s.setRun({ liveImage: image, live: { ...s.live, finished: s.live.finished + 1, shownRevision: revision, decoder: fastDecode ? 'TAESD' : 'VAE' } });
        },
      });
    } catch (err) {
      if (!isCancel(err)) {
        const offer = err instanceof LiveProblem && err.offerLcmLora ? ('lcm-lora' as const) : undefined;
        useStudio.getState().setRun({ runMessage: { kind: 'error', text: err instanceof InputProblem ? err.message : `Live run failed: ${describe(err)}`, offer } });
      }
      throw err;
    } finally {
      // A cancelled run was already marked stopped by onCancelled; a newer run may be going.
      if (!signal.aborted) useStudio.getState().setRun({ running: null });
    }
  },
  onCancelled() {
    const s = useStudio.getState();
    s.setRun({ live: { ...s.live, cancelled: s.live.cancelled + 1 }, running: s.running === 'live' ? null : s.running });
  },
});

/** Connects live mode to the store: input changes (while it is on) schedule runs. */
export function connectLiveMode(): () => void {
  // The LoRA library is an input too: an LCM-LoRA just added makes live mode's recipe run.
  const library = useModelSets.subscribe((m, prev) => {
    if (m.stored.loras !== prev.stored.loras) useStudio.setState((s) => ({ inputRevision: s.inputRevision + 1 }));
  });
  const studio = useStudio.subscribe((s, prev) => {
    if (!s.settings.liveMode) {
      if (prev.settings.liveMode) live.stop();
      return;
    }
    if (s.running === 'generate') return;
    if (s.inputRevision !== prev.inputRevision || !prev.settings.liveMode) live.changed(s.inputRevision);
  });
  return () => {
    library();
    studio();
  };
}
