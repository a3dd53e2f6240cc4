// The one message union between EngineClient (main thread) and the worker.
// Each call carries its method's own argument types and is matched to its reply by id.
import type { Engine, Progress } from './engine.ts';
import type { SerializedError } from './errors.ts';

/** Engine methods that cross the boundary (everything but dispose). */
export type EngineMethods = Omit<Engine, 'dispose'>;
export type MethodName = keyof EngineMethods;
/** Every engine method takes at most one payload, then an optional JobControl that stays on the main thread. */
export type Payload<K extends MethodName> = Parameters<EngineMethods[K]>[0];
export type WireResult<K extends MethodName> = Awaited<ReturnType<EngineMethods[K]>>;

export type ToWorker = { [K in MethodName]: { kind: 'call'; id: number; method: K; payload: Payload<K> } }[MethodName] | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; value: WireResult<MethodName> }
  | { kind: 'error'; id: number; error: SerializedError }
  | { kind: 'progress'; id: number; progress: Progress }
  /** Not tied to a call: e.g. the device was lost. */
  | { kind: 'event'; event: { type: 'device-lost' | 'gpu-error'; message: string } };
