// A Worker stand-in for Node tests: messages go to an WorkerMessages around `engine` in the same
// process, asynchronously and structured-cloned, so the real client ↔ host protocol is exercised.
import type { Engine } from '../engine/engine.ts';
import { WorkerMessages } from '../engine/worker-messages.ts';
import type { FromWorker, ToWorker } from '../engine/protocol.ts';

export class InMemoryWorker {
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  terminated = false;
  private host: WorkerMessages;
  constructor(engine: Engine) {
    this.host = new WorkerMessages(engine, (msg) => queueMicrotask(() => !this.terminated && this.onmessage?.({ data: structuredClone(msg) } as MessageEvent<FromWorker>)));
  }
  postMessage(msg: ToWorker) {
    queueMicrotask(() => void this.host.handle(structuredClone(msg)));
  }
  terminate() {
    this.terminated = true;
  }
  crash(message: string) {
    this.onerror?.({ message, preventDefault() {} } as ErrorEvent);
  }
}
