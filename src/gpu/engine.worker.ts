// Entry point of the inference worker: one WorkerMessages around the one WorkerEngine.
import { WorkerMessages } from '../engine/worker-messages.ts';
import type { FromWorker, ToWorker } from '../engine/protocol.ts';
import { WorkerEngine } from './worker-engine.ts';

const post = (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, { transfer });
const host = new WorkerMessages(new WorkerEngine((event) => post({ kind: 'event', event })), post);
self.onmessage = (ev: MessageEvent<ToWorker>) => void host.handle(ev.data);
