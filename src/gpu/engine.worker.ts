// Entry point of the inference worker: one EngineHost around the one WorkerEngine.
import { EngineHost } from './engine-host.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { WorkerEngine } from './worker-engine.ts';

const post = (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, { transfer });
const host = new EngineHost(new WorkerEngine((event) => post({ kind: 'event', event })), post);
self.onmessage = (ev: MessageEvent<ToWorker>) => void host.handle(ev.data);
