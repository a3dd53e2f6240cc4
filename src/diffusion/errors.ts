// Errors the diffusion core raises. The engine's error table (src/engine/errors.ts) knows
// them by name, so they survive the worker boundary as the same classes.

/** The caller cancelled the job. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** A graph does not fit its slot: the message names the file, what we expected and what we found. */
export class ModelContractError extends Error {
  override name = 'ModelContractError';
}

/** A model file is missing, corrupt or not the graph its slot expects. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}
