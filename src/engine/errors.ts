// Typed engine errors. They cross the worker boundary as {name, message} and are
// rebuilt here by name, so callers can branch with instanceof on either side.
import { CancelledError, ModelContractError, ModelLoadError } from '../diffusion/errors.ts';
import { CheckpointError } from '../convert/errors.ts';

export { CancelledError, CheckpointError, ModelContractError, ModelLoadError };

export class EngineError extends Error {
  override name = 'EngineError';
}
/** The worker died; the client can start a new one. */
export class EngineCrashedError extends EngineError {
  override name = 'EngineCrashedError';
}

const KNOWN: Record<string, new (message: string) => Error> = {
  EngineError,
  EngineCrashedError,
  CancelledError,
  ModelLoadError,
  ModelContractError,
  CheckpointError,
};

export interface SerializedError {
  name: string;
  message: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'EngineError', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  const Ctor = KNOWN[e.name];
  if (Ctor) return new Ctor(e.message);
  const err = new EngineError(e.message);
  err.name = e.name;
  return err;
}
