// The Python callables a checkpoint's pickle may name, and what each rebuilds: tensors and
// storages of torch.save, OrderedDict, sets, sizes, numpy scalars in metadata. Anything not
// listed in DATA_GLOBALS is refused by the reader (pickle.ts); nothing here runs code.
import type { StoredDtype } from './stored-tensor.ts';

/** A storage inside a PyTorch zip checkpoint ("archive/data/<key>"). */
export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: StoredDtype;
}

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …): a view into a storage. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  /** In elements of the storage's dtype. */
  offset: number;
  shape: number[];
  stride: number[];
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | Map<PickleValue, PickleValue> | TensorRef | StorageRef | DataGlobal;

/** An allowed global, as a value until something calls it (REDUCE). */
export interface DataGlobal {
  kind: 'global';
  name: string;
}

const STORAGE_TYPES: Record<string, StoredDtype> = {
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const TORCH_DTYPES = ['float16', 'bfloat16', 'float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'half', 'float', 'double', 'long'];

/** Globals that rebuild data. Each is rebuilt by `rebuild` below; everything else is refused. */
export const DATA_GLOBALS = new Set([
  'collections.OrderedDict',
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  '_codecs.encode',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.dtype',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
  ...TORCH_DTYPES.map((d) => `torch.${d}`),
]);

export function persistent(pid: PickleValue, fail: (why: string) => never): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage') return fail('a persistent id that is not a torch storage');
  const type = pid[1] as DataGlobal;
  const key = pid[2];
  const dtype = STORAGE_TYPES[type?.name?.replace(/^torch\./, '') ?? ''];
  if (!dtype || typeof key !== 'string') return fail(`a storage of type ${type?.name ?? '?'}`);
  return { kind: 'storage', key, dtype };
}

const ints = (v: PickleValue, fail: (why: string) => never): number[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) fail('a tensor size or stride that is not a tuple of integers');
  return v as number[];
};

/** Rebuilds the data an allowed global stands for from its arguments (nothing is called). */
export function rebuild(fn: PickleValue, args: PickleValue, fail: (why: string) => never): PickleValue {
  if (typeof fn !== 'object' || fn === null || (fn as DataGlobal).kind !== 'global') return fail('a call of something that is not a known function');
  if (!Array.isArray(args)) return fail('call arguments that are not a tuple');
  const name = (fn as DataGlobal).name;
  switch (name) {
    case 'collections.OrderedDict': {
      const d = new Map<PickleValue, PickleValue>();
      for (const pair of (args[0] as PickleValue[] | undefined) ?? []) if (Array.isArray(pair)) d.set(pair[0]!, pair[1]!);
      return d;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const storage = args[0] as StorageRef;
      if (storage?.kind !== 'storage') return fail('a tensor without a storage');
      return { kind: 'tensor', storage, offset: Number(args[1]), shape: ints(args[2]!, fail), stride: ints(args[3]!, fail) };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0]!;
    case 'torch.Size':
    case 'builtins.set':
    case 'builtins.frozenset':
    case '__builtin__.set':
      return (args[0] as PickleValue[] | undefined) ?? [];
    case '_codecs.encode':
      // Python 2-compatible pickles store bytes as a latin-1 string: one char per byte.
      return Uint8Array.from(String(args[0]), (c) => c.charCodeAt(0) & 0xff);
    case 'numpy.dtype':
      return String(args[0]);
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return numpyScalar(String(args[0]), args[1] as Uint8Array);
    default:
      return fail(`${name} called as a function`);
  }
}

/** numpy scalars in checkpoint metadata (e.g. a float64 loss): dtype string + raw bytes. */
function numpyScalar(dtype: string, raw: Uint8Array | undefined): number | bigint {
  if (!(raw instanceof Uint8Array)) return NaN;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'f8' && raw.length === 8) return view.getFloat64(0, true);
  if (dtype === 'f4' && raw.length === 4) return view.getFloat32(0, true);
  if (dtype === 'i8' && raw.length === 8) return view.getBigInt64(0, true);
  if (dtype === 'i4' && raw.length === 4) return view.getInt32(0, true);
  return NaN;
}
