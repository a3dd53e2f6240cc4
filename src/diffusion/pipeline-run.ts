// What one generation holds while it runs: per-session timings, every readback counted,
// the device tensors to free at the end, and the cancel check. The pipeline's steps share it.
import { CancelledError } from './errors.ts';
import { SessionTimer, type DeviceTensor, type Feed, type Session } from './session.ts';
import type { TensorData } from './tensor.ts';

export class PipelineRun {
  readonly timer = new SessionTimer();
  readonly started = performance.now();
  readbacks = 0;
  readbackBytes = 0;
  /** Tensors that live for the whole run (embeddings, hints, zero residuals). */
  private readonly held: DeviceTensor[] = [];

  constructor(private readonly signal?: AbortSignal) {}

  checkCancel(): void {
    if (this.signal?.aborted) throw new CancelledError('Generation cancelled.');
  }

  /**
   * Between steps: lets the thread take its messages (a worker's Cancel arrives as one; on WASM
   * nothing else in the loop waits on the event loop), then stops if the run was cancelled.
   */
  async betweenSteps(): Promise<void> {
    await yieldToEvents();
    this.checkCancel();
  }

  run(session: Session, feeds: Record<string, Feed>): Promise<Record<string, DeviceTensor>> {
    return this.timer.time(session.label, () => session.run(feeds));
  }

  /**
   * Copies a tensor to the CPU, counted. On WebGPU a run returns once work is queued and a
   * readback waits for the GPU to finish, so it is timed as its own entry.
   */
  async read(t: DeviceTensor): Promise<TensorData> {
    const data = await this.timer.time('readback (waits for the GPU)', () => t.download());
    this.readbacks++;
    this.readbackBytes += data.data.byteLength;
    return data;
  }

  hold<T extends DeviceTensor>(t: T): T {
    this.held.push(t);
    return t;
  }

  dispose(): void {
    for (const t of this.held) t.dispose();
  }
}

/**
 * One turn of the event loop. A message, not a timer: chained zero-delay timers are clamped to
 * 4 ms after a few, which would add 4 ms to every step.
 */
function yieldToEvents(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
