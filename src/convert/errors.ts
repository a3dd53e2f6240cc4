// Why a checkpoint could not be converted. The message names the file, what it is (when we
// can tell) and what to do; the engine's error table rebuilds it on the main thread.

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}
