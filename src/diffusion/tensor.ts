// Plain CPU tensors and graph I/O descriptions shared by the diffusion core and the
// engine. No runtime here: these types are what crosses module and worker boundaries.

export type TensorType = 'float32' | 'float16' | 'int32' | 'int64';

export interface TensorData {
  type: TensorType;
  dims: number[];
  /** float16 data is raw IEEE half bits in a Uint16Array. */
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array;
}

/** A graph input or output as the runtime reports it; symbolic dimensions are strings. */
export interface ValueMeta {
  name: string;
  type: string;
  shape: (number | string)[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
