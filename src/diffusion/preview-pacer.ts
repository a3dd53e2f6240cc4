// How often the denoising loop reads the latents back for the live preview. A readback waits
// for the GPU to drain, so reading every step can cost more than the step; the pacer spaces
// reads so that, averaged over the steps, they cost under 5% of a step.
export const PREVIEW_BUDGET = 0.05;

export class PreviewPacer {
  private every = 1;
  private since = 0;

  /** Call once per step: whether this step's latents should be read for the preview. */
  due(): boolean {
    this.since++;
    return this.since >= this.every;
  }

  /** After a preview read: how long it took against a step's time (0 before any step is timed: keep reading). */
  record(readMs: number, stepMs: number): void {
    this.since = 0;
    if (stepMs > 0) this.every = Math.max(1, Math.ceil(readMs / (PREVIEW_BUDGET * stepMs)));
  }

  /** Steps between reads, as it stands. */
  get interval(): number {
    return this.every;
  }
}
