// Live mode's timing: every input change cancels the run in flight at once (its result
// would be stale), and a new run starts once the input has been still for `delayMs`.
// Independent of the engine and the store, so its behaviour is tested with fake timers.

export interface LiveRun {
  revision: number;
  signal: AbortSignal;
}

export interface LiveCallbacks {
  /** Runs one generation for this revision; rejects with CancelledError when aborted. */
  start(run: LiveRun): Promise<void>;
  onCancelled(revision: number): void;
}

export class LiveScheduler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: { revision: number; controller: AbortController } | null = null;
  private latest = -1;

  constructor(
    private readonly callbacks: LiveCallbacks,
    private readonly delayMs = 350,
  ) {}

  /** The inputs are now at `revision`. */
  changed(revision: number): void {
    this.latest = revision;
    if (this.inFlight && this.inFlight.revision !== revision) {
      this.inFlight.controller.abort();
      this.callbacks.onCancelled(this.inFlight.revision);
      this.inFlight = null;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.delayMs);
  }

  /** Live mode off: cancel what runs and forget what was pending. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) {
      this.inFlight.controller.abort();
      this.callbacks.onCancelled(this.inFlight.revision);
      this.inFlight = null;
    }
  }

  get running(): boolean {
    return this.inFlight !== null;
  }

  private fire(): void {
    this.timer = null;
    if (this.inFlight?.revision === this.latest) return;
    const run = { revision: this.latest, controller: new AbortController() };
    this.inFlight = run;
    void this.callbacks
      .start({ revision: run.revision, signal: run.controller.signal })
      .catch(() => {})
      .finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
  }
}
