// Worker-side message handling as a plain class, so it runs in Node tests without a Worker:
// it dispatches calls to an Engine, relays progress, maps cancel messages to AbortSignals,
// and sends errors as {name, message}.
import type { Engine, JobControl } from './engine.ts';
import { serializeError } from './errors.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

export class WorkerMessages {
  private jobs = new Map<number, AbortController>();

  constructor(
    private readonly engine: Engine,
    private readonly post: (msg: FromWorker, transfer?: Transferable[]) => void,
  ) {}

  async handle(msg: ToWorker): Promise<void> {
    if (msg.kind === 'cancel') {
      this.jobs.get(msg.id)?.abort();
      return;
    }
    const abort = new AbortController();
    this.jobs.set(msg.id, abort);
    const control: JobControl = {
      signal: abort.signal,
      onProgress: (progress) => this.post({ kind: 'progress', id: msg.id, progress }),
    };
    try {
      const value = await this.dispatch(msg, control);
      // Generated images and control maps move to the main thread instead of being copied.
      const pixels = value && typeof value === 'object' ? ('image' in value ? value.image : 'map' in value ? value.map : null) : null;
      const transfer = pixels ? [pixels.data.buffer as ArrayBuffer] : [];
      this.post({ kind: 'result', id: msg.id, value }, transfer);
    } catch (err) {
      this.post({ kind: 'error', id: msg.id, error: serializeError(err) });
    } finally {
      this.jobs.delete(msg.id);
    }
  }

  private dispatch(msg: Extract<ToWorker, { kind: 'call' }>, control: JobControl) {
    switch (msg.method) {
      case 'deviceInfo':
        return this.engine.deviceInfo();
      case 'selfTest':
        return this.engine.selfTest(msg.payload, control);
      case 'loadModelSet':
        return this.engine.loadModelSet(msg.payload, control);
      case 'generate':
        return this.engine.generate(msg.payload, control);
      case 'preprocess':
        return this.engine.preprocess(msg.payload, control);
      case 'downloadModelSet':
        return this.engine.downloadModelSet(msg.payload, control);
      case 'deleteModelSet':
        return this.engine.deleteModelSet(msg.payload);
      case 'modelSetStatus':
        return this.engine.modelSetStatus(msg.payload);
      case 'verifyModelSet':
        return this.engine.verifyModelSet(msg.payload, control);
      case 'importCheckpoint':
        return this.engine.importCheckpoint(msg.payload, control);
      case 'storedModels':
        return this.engine.storedModels();
      case 'deleteStoredControlNet':
        return this.engine.deleteStoredControlNet(msg.payload);
      case 'importLora':
        return this.engine.importLora(msg.payload, control);
      case 'deleteLora':
        return this.engine.deleteLora(msg.payload);
      case 'deleteStoredTaesd':
        return this.engine.deleteStoredTaesd(msg.payload);
    }
  }
}
