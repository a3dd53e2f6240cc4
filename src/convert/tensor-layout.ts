// Every tensor's layout is checked here, once, when a file is opened and before any of its
// bytes are read: a crafted offset, shape or stride is refused in words instead of reading
// zeros, reading past the data, or looping for minutes. The messages name the tensor and what
// is wrong without echoing the bad value (never `NaN` or `undefined`).
import { CheckpointError } from './errors.ts';
import { ITEM_SIZE, type StoredDtype } from './stored-tensor.ts';

const damaged = (file: string, key: string, what: string) => new CheckpointError(`${file} is damaged or crafted: tensor ${key} ${what}. It cannot be converted; download or copy it again.`);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A shape: non-negative safe integers whose product is one too. */
export function checkShape(file: string, key: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every(isCount)) throw damaged(file, key, 'has a shape that is not a list of whole numbers ≥ 0');
  if (!Number.isSafeInteger(shape.reduce((a: number, b: number) => a * b, 1))) throw damaged(file, key, 'has more elements than any file can hold');
  return shape as number[];
}

/** A PyTorch view (offset, shape, strides in elements) that stays inside its storage of `storageBytes`. */
export function checkTorchView(file: string, key: string, view: { offset: unknown; shape: unknown; stride: unknown; dtype: StoredDtype }, storageBytes: number): void {
  const shape = checkShape(file, key, view.shape);
  if (!isCount(view.offset)) throw damaged(file, key, 'has a storage offset that is not a whole number ≥ 0');
  const stride = view.stride;
  // A dimension of size 0 or 1 never steps, so its stride does not matter (torch writes what it had).
  if (!Array.isArray(stride) || stride.length !== shape.length || !stride.every((s, i) => isCount(s) && (s >= 1 || shape[i]! <= 1))) {
    throw damaged(file, key, `has strides that are not ${shape.length} whole numbers ≥ 1`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  // The storage elements the view touches: from its offset to its last element.
  const span = count === 0 ? 0 : 1 + shape.reduce((sum, n, i) => sum + (n - 1) * (stride[i] as number), 0);
  const end = (view.offset + span) * ITEM_SIZE[view.dtype];
  if (!Number.isSafeInteger(end) || end > storageBytes) throw damaged(file, key, `reaches past the end of its storage (${storageBytes} bytes)`);
}

export interface SafetensorsEntry {
  key: string;
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** safetensors' data ranges: 0 ≤ begin ≤ end ≤ the data section, one per tensor, none overlapping, each the shape's size. */
export function checkSafetensorsRanges(file: string, entries: SafetensorsEntry[], dataStart: number, fileSize: number): void {
  for (const e of entries) {
    if (!isCount(e.begin) || !isCount(e.end) || e.begin > e.end) throw damaged(file, e.key, 'has a byte range that is not two whole numbers, begin ≤ end');
    if (e.end - e.begin !== e.shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[e.dtype]) throw damaged(file, e.key, `has ${e.end - e.begin} bytes for shape [${e.shape.join(', ')}]`);
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  sorted.forEach((e, i) => {
    const before = sorted[i - 1];
    if (before && e.begin < before.end) throw damaged(file, e.key, `overlaps tensor ${before.key} in the file`);
  });
  const last = dataStart + (sorted.length ? sorted[sorted.length - 1]!.end : 0);
  if (last > fileSize) throw new CheckpointError(`${file} is truncated: its header lists ${last} bytes of tensors, the file has ${fileSize}. Download or copy it again.`);
}
