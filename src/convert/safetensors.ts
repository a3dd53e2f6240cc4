// safetensors files: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the data. Only the header is read up front;
// each tensor is read by its byte range when it is needed.
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import { ITEM_SIZE, numel, type StoredDtype, type TensorMap } from './stored-tensor.ts';
import { checkSafetensorsRanges, checkShape, type SafetensorsEntry } from './tensor-layout.ts';

const DTYPES: Record<string, StoredDtype> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
/** Real headers are a few hundred KB; anything far larger is not a safetensors header. */
const MAX_HEADER = 100 * 1024 * 1024;

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

const notSafetensors = (src: ByteSource, why: string) => new CheckpointError(`${src.name} is not a safetensors file (${why}). Pick a .safetensors, .ckpt or .pth checkpoint.`);

export async function readSafetensors(src: ByteSource): Promise<SafetensorsFile> {
  if (src.size < 8) throw notSafetensors(src, `it is only ${src.size} bytes`);
  const length = new DataView((await src.read(0, 8)).slice().buffer).getBigUint64(0, true);
  if (length < 2n || length > BigInt(MAX_HEADER)) throw notSafetensors(src, 'its first 8 bytes are not a header length');
  const headerLength = Number(length);
  if (8 + headerLength > src.size) throw new CheckpointError(`${src.name} is truncated: its header alone needs ${8 + headerLength} bytes, the file has ${src.size}. Download or copy it again.`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(8, headerLength))) as Record<string, unknown>;
  } catch {
    throw notSafetensors(src, 'its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw notSafetensors(src, 'its header is not a JSON object');
  const dataStart = 8 + headerLength;
  const entries = Object.entries(header)
    .filter(([key]) => key !== '__metadata__')
    .map(([key, value]) => headerEntry(src, key, value));
  // Every range is checked before any tensor's bytes are read.
  checkSafetensorsRanges(src.name, entries, dataStart, src.size);
  const tensors: TensorMap = new Map();
  for (const { key, dtype, shape, begin, end } of entries) tensors.set(key, { key, file: src.name, dtype, shape, bytes: () => src.read(dataStart + begin, end - begin) });
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}

/** One header entry, its dtype known (an unknown one is named) and its shape checked. */
function headerEntry(src: ByteSource, key: string, value: unknown): SafetensorsEntry {
  const entry = (typeof value === 'object' && value !== null ? value : {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof entry.dtype !== 'string') throw notSafetensors(src, `tensor "${key}" has no dtype`);
  const dtype = DTYPES[entry.dtype];
  if (!dtype) throw new CheckpointError(`${src.name}: tensor "${key}" is stored as ${entry.dtype.slice(0, 16)}, a dtype the converter does not read (it reads ${Object.keys(DTYPES).join(', ')}).`);
  const shape = checkShape(src.name, key, entry.shape);
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) throw notSafetensors(src, `tensor "${key}" has no data_offsets pair`);
  return { key, dtype, shape: [...shape], begin: offsets[0] as number, end: offsets[1] as number };
}

/** Writes a safetensors file (tests and the benchmark's full-size checkpoint); tensors ordered as safetensors orders them. */
export function safetensorsHeader(
  tensors: { key: string; dtype: StoredDtype; shape: number[] }[],
  metadata: Record<string, string> = { format: 'pt' },
): { header: Uint8Array; order: string[]; offsets: Map<string, number> } {
  const code = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v, k]));
  const sorted = [...tensors].sort((a, b) => ITEM_SIZE[b.dtype] - ITEM_SIZE[a.dtype] || (a.key < b.key ? -1 : 1));
  const json: Record<string, unknown> = { __metadata__: metadata };
  const offsets = new Map<string, number>();
  let at = 0;
  for (const t of sorted) {
    const size = numel(t.shape) * ITEM_SIZE[t.dtype];
    json[t.key] = { dtype: code[t.dtype], shape: t.shape, data_offsets: [at, at + size] };
    offsets.set(t.key, at);
    at += size;
  }
  const json8 = new TextEncoder().encode(JSON.stringify(json));
  const body = new Uint8Array(json8.length + ((8 - (json8.length % 8)) % 8)).fill(0x20); // padded with spaces to 8 bytes
  body.set(json8);
  const header = new Uint8Array(8 + body.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(body.length), true);
  header.set(body, 8);
  return { header, order: sorted.map((t) => t.key), offsets };
}
