// A tensor as a checkpoint stores it: dtype, shape, and a way to read its bytes on demand.
// safetensors and PyTorch zip files both become maps of these, so everything downstream
// (key mapping, architecture detection, graph weights) reads one kind of thing.
import { fromFloat16Bits } from '../diffusion/float16.ts';

export type StoredDtype = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const ITEM_SIZE: Record<StoredDtype, number> = { float16: 2, bfloat16: 2, float32: 4, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

export interface StoredTensor {
  /** The key in its file, e.g. "model.diffusion_model.input_blocks.0.0.weight". */
  readonly key: string;
  /** The file it lives in, for messages. */
  readonly file: string;
  readonly dtype: StoredDtype;
  readonly shape: number[];
  /** Its little-endian bytes in C order (read from the file now, not kept). */
  bytes(): Promise<Uint8Array>;
}

export type TensorMap = Map<string, StoredTensor>;

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = fromFloat16Bits(i);
  return t;
})();

/** The values as float32, whatever the stored float type (integers too, for checks). */
export function toFloat32(dtype: StoredDtype, bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const view = (Ctor: { new (b: ArrayBufferLike, o: number, n: number): ArrayLike<number | bigint> }, size: number) => new Ctor(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
  switch (dtype) {
    case 'float32':
      return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength));
    case 'float16': {
      const h = view(Uint16Array, 2) as Uint16Array;
      const out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = HALF_TABLE[h[i]!]!;
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32.
      const h = view(Uint16Array, 2) as Uint16Array;
      const bits = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) bits[i] = h[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    case 'float64':
      return Float32Array.from(view(Float64Array, 8) as Float64Array);
    case 'int64':
      return Float32Array.from(view(BigInt64Array, 8) as BigInt64Array, Number);
    case 'int32':
      return Float32Array.from(view(Int32Array, 4) as Int32Array);
    case 'int16':
      return Float32Array.from(view(Int16Array, 2) as Int16Array);
    case 'int8':
      return Float32Array.from(view(Int8Array, 1) as Int8Array);
    case 'uint8':
    case 'bool':
      return Float32Array.from(aligned);
  }
}
