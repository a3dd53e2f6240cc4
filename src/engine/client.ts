// EngineClient: the main thread's Engine. It posts calls to the worker, turns replies
// back into promises and typed errors, forwards cancellation, and notices a crashed worker.
import type {
  DeviceInfo,
  DownloadSetRequest,
  DownloadSetResult,
  Engine,
  EngineGenerateParams,
  GenerateResponse,
  ImportRequest,
  ImportResult,
  JobControl,
  LoadedSetInfo,
  LoadSetOptions,
  LoraImportRequest,
  SelfTestOptions,
  SelfTestReport,
  SetStatus,
  StoredLoraInfo,
  StoredModels,
  VerifyResult,
} from './engine.ts';
import type { PreprocessRequest, PreprocessResult } from '../preprocess/run.ts';
import { CancelledError, deserializeError, EngineCrashedError } from './errors.ts';
import type { FromWorker, MethodName, Payload, ToWorker, WireResult } from './protocol.ts';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  control?: JobControl;
}

export interface ClientEvents {
  onCrash?: (err: EngineCrashedError) => void;
  onDeviceLost?: (message: string) => void;
}

export class EngineClient implements Engine {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(
    private readonly createWorker: () => Worker,
    private readonly events: ClientEvents = {},
  ) {
    this.worker = this.start();
  }

  deviceInfo(): Promise<DeviceInfo> {
    return this.call('deviceInfo', undefined);
  }

  selfTest(options: SelfTestOptions, control?: JobControl): Promise<SelfTestReport> {
    return this.call('selfTest', options, control);
  }

  loadModelSet(options: LoadSetOptions, control?: JobControl): Promise<LoadedSetInfo> {
    return this.call('loadModelSet', options, control);
  }

  /** Control maps and the init image are copied to the worker (the caller keeps its pixels). */
  generate(params: EngineGenerateParams, control?: JobControl): Promise<GenerateResponse> {
    return this.call('generate', params, control);
  }

  downloadModelSet(request: DownloadSetRequest, control?: JobControl): Promise<DownloadSetResult> {
    return this.call('downloadModelSet', request, control);
  }

  modelSetStatus(request: DownloadSetRequest): Promise<SetStatus> {
    return this.call('modelSetStatus', request);
  }

  verifyModelSet(request: DownloadSetRequest, control?: JobControl): Promise<VerifyResult> {
    return this.call('verifyModelSet', request, control);
  }

  deleteModelSet(id: string): Promise<void> {
    return this.call('deleteModelSet', id);
  }

  preprocess(request: PreprocessRequest, control?: JobControl): Promise<PreprocessResult> {
    return this.call('preprocess', request, control);
  }

  /** Dropped files cross as Blobs (references, not copies); the worker reads them a tensor at a time. */
  importCheckpoint(request: ImportRequest, control?: JobControl): Promise<ImportResult> {
    return this.call('importCheckpoint', request, control);
  }

  storedModels(): Promise<StoredModels> {
    return this.call('storedModels', undefined);
  }

  deleteStoredControlNet(name: string): Promise<void> {
    return this.call('deleteStoredControlNet', name);
  }

  importLora(request: LoraImportRequest, control?: JobControl): Promise<StoredLoraInfo> {
    return this.call('importLora', request, control);
  }

  deleteLora(name: string): Promise<void> {
    return this.call('deleteLora', name);
  }

  deleteStoredTaesd(name: string): Promise<void> {
    return this.call('deleteStoredTaesd', name);
  }

  /** Replaces a crashed (or live) worker with a fresh one; pending calls fail. */
  restart(): void {
    this.failAll(new EngineCrashedError('The engine was restarted.'));
    this.worker.terminate();
    this.worker = this.start();
  }

  dispose(): void {
    this.failAll(new CancelledError('The engine was shut down.'));
    this.worker.terminate();
  }

  private start(): Worker {
    const worker = this.createWorker();
    worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
    // An uncaught error or a failed module load means the worker is gone or unusable.
    worker.onerror = (ev) => {
      ev.preventDefault();
      const err = new EngineCrashedError(`The inference engine stopped: ${ev.message || 'the worker crashed'}. Restart it to go on; your inputs are kept.`);
      this.failAll(err);
      this.events.onCrash?.(err);
    };
    return worker;
  }

  private call<K extends MethodName>(method: K, payload: Payload<K>, control?: JobControl): Promise<WireResult<K>> {
    const id = this.nextId++;
    if (control?.signal?.aborted) return Promise.reject(new CancelledError('Cancelled before it started.'));
    return new Promise<WireResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, control });
      control?.signal?.addEventListener('abort', () => this.post({ kind: 'cancel', id }), { once: true });
      this.post({ kind: 'call', id, method, payload } as ToWorker);
    });
  }

  private post(msg: ToWorker) {
    this.worker.postMessage(msg);
  }

  private receive(msg: FromWorker) {
    if (msg.kind === 'event') {
      if (msg.event.type === 'device-lost') this.events.onDeviceLost?.(msg.event.message);
      return;
    }
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    if (msg.kind === 'progress') {
      pending.control?.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.kind === 'result') pending.resolve(msg.value);
    else pending.reject(deserializeError(msg.error));
  }

  private failAll(err: Error) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
