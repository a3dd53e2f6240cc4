// onnxruntime-web's WebGPU build suspends inside its WebAssembly module while it waits for the
// GPU (asyncify). A second call into the module meanwhile, from another session or another job,
// corrupts the module's memory ("memory access out of bounds"). Live mode starts a new run the
// moment the old one is cancelled, before the old one has left its current session.run(), so
// every job that creates, runs or releases sessions goes through this queue, one at a time.
export class OrtQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` once every job queued before it has settled (resolved or failed). */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
