// PyTorch checkpoints (.pth, .ckpt) as torch.save has written them since 1.6: a zip whose
// "<archive>/data.pkl" pickles the state dict, with each storage's bytes stored uncompressed
// in "<archive>/data/<key>". The zip's central directory (zip64 too, for files past 4 GB)
// says where each entry is, so only the pickle is read up front and each tensor later.
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import { isTensorRef, readPickle, type PickleValue, type TensorRef } from './pickle.ts';
import { checkTorchView } from './tensor-layout.ts';
import { ITEM_SIZE, numel, type StoredTensor, type TensorMap } from './stored-tensor.ts';

interface ZipEntry {
  name: string;
  method: number;
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The pickle header torch.save wrote before 1.6 (the legacy, non-zip format). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const u64 = (v: DataView, at: number) => Number(v.getBigUint64(at, true));

export async function isZip(src: ByteSource): Promise<boolean> {
  if (src.size < 4) return false;
  return new DataView((await src.read(0, 4)).slice().buffer).getUint32(0, true) === LOCAL;
}

export async function isLegacyTorch(src: ByteSource): Promise<boolean> {
  if (src.size < LEGACY_MAGIC.length) return false;
  const head = await src.read(0, LEGACY_MAGIC.length);
  return LEGACY_MAGIC.every((b, i) => head[i] === b);
}

async function centralDirectory(src: ByteSource): Promise<ZipEntry[]> {
  const truncated = () => new CheckpointError(`${src.name} is truncated or damaged: its zip directory is missing. Download or copy it again.`);
  // The end record is in the last 22 bytes, plus up to 64 KB of comment.
  const tailLength = Math.min(src.size, 22 + 65535 + 20);
  const tail = (await src.read(src.size - tailLength, tailLength)).slice();
  const view = new DataView(tail.buffer);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw truncated();
  let count = view.getUint16(at + 10, true);
  let dirSize = view.getUint32(at + 12, true);
  let dirOffset = view.getUint32(at + 16, true);
  if ((count === 0xffff || dirOffset === 0xffffffff) && at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR) {
    const recordAt = u64(view, at - 20 + 8);
    if (recordAt + 56 > src.size) throw truncated();
    const record = new DataView((await src.read(recordAt, 56)).slice().buffer);
    if (record.getUint32(0, true) !== ZIP64_EOCD) throw truncated();
    count = u64(record, 32);
    dirSize = u64(record, 40);
    dirOffset = u64(record, 48);
  }
  if (dirOffset + dirSize > src.size) throw truncated();
  const dir = (await src.read(dirOffset, dirSize)).slice();
  const d = new DataView(dir.buffer);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || d.getUint32(p, true) !== CENTRAL) throw truncated();
    const method = d.getUint16(p + 10, true);
    let size = d.getUint32(p + 24, true);
    const nameLength = d.getUint16(p + 28, true);
    const extraLength = d.getUint16(p + 30, true);
    const commentLength = d.getUint16(p + 32, true);
    let localHeader = d.getUint32(p + 42, true);
    const name = new TextDecoder().decode(dir.subarray(p + 46, p + 46 + nameLength));
    // zip64 extra field: the 64-bit values that are 0xFFFFFFFF above, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = d.getUint16(e, true);
      const length = d.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) ((size = u64(d, q)), (q += 8));
        if (d.getUint32(p + 20, true) === 0xffffffff) q += 8; // compressed size
        if (localHeader === 0xffffffff) localHeader = u64(d, q);
      }
      e += 4 + length;
    }
    entries.push({ name, method, size, localHeader });
    p = extraEnd + commentLength;
  }
  return entries;
}

async function dataStart(src: ByteSource, entry: ZipEntry): Promise<number> {
  const header = new DataView((await src.read(entry.localHeader, 30)).slice().buffer);
  if (header.getUint32(0, true) !== LOCAL) throw new CheckpointError(`${src.name} is damaged: the zip entry ${entry.name} has no header.`);
  return entry.localHeader + 30 + header.getUint16(26, true) + header.getUint16(28, true);
}

/** The state dict inside: a Lightning checkpoint's "state_dict", or the top-level dict itself. */
function stateDict(root: PickleValue, file: string): Map<PickleValue, PickleValue> {
  if (!(root instanceof Map)) throw new CheckpointError(`${file} holds no state dict (its pickle is not a dict of tensors).`);
  for (const key of ['state_dict', 'model', 'module']) {
    const inner = root.get(key);
    if (inner instanceof Map && [...inner.values()].some(isTensorRef)) return inner;
  }
  return root;
}

/** Reads a .pth/.ckpt zip into tensors whose bytes are read on demand. */
export async function readTorchZip(src: ByteSource): Promise<TensorMap> {
  const entries = await centralDirectory(src);
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) throw new CheckpointError(`${src.name} is a zip file but not a PyTorch checkpoint (it has no data.pkl).`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const byteorder = byName.get(`${prefix}byteorder`);
  if (byteorder && byteorder.method === 0) {
    const order = new TextDecoder().decode(await src.read(await dataStart(src, byteorder), byteorder.size));
    if (order.trim() !== 'little') throw new CheckpointError(`${src.name} was saved on a big-endian machine; re-save it as .safetensors.`);
  }
  if (pkl.method !== 0) throw new CheckpointError(`${src.name} stores its pickle compressed, which torch.save never does; it is not a checkpoint we can read.`);
  const root = readPickle(await src.read(await dataStart(src, pkl), pkl.size), src.name);

  const tensors: TensorMap = new Map();
  for (const [key, value] of stateDict(root, src.name)) {
    if (typeof key !== 'string' || !isTensorRef(value)) continue;
    const entry = byName.get(`${prefix}data/${value.storage.key}`);
    if (!entry) throw new CheckpointError(`${src.name} is damaged: tensor ${key} points to storage ${value.storage.key}, which is not in the file.`);
    if (entry.method !== 0) throw new CheckpointError(`${src.name} stores tensor data compressed, which torch.save never does.`);
    checkTorchView(src.name, key, { ...value, dtype: value.storage.dtype }, entry.size);
    tensors.set(key, torchTensor(src, key, value, entry));
  }
  return tensors;
}

function torchTensor(src: ByteSource, key: string, ref: TensorRef, entry: ZipEntry): StoredTensor {
  const item = ITEM_SIZE[ref.storage.dtype];
  const count = numel(ref.shape);
  // The storage elements the view touches (checkTorchView has kept them inside the storage).
  const span = count === 0 ? 0 : 1 + ref.shape.reduce((sum, n, i) => sum + (n - 1) * ref.stride[i]!, 0);
  return {
    key,
    file: src.name,
    dtype: ref.storage.dtype,
    shape: ref.shape,
    async bytes() {
      const raw = await src.read((await dataStart(src, entry)) + ref.offset * item, span * item);
      return isContiguous(ref) ? raw : gather(raw, ref, item);
    },
  };
}

function isContiguous(ref: TensorRef): boolean {
  let expected = 1;
  for (let i = ref.shape.length - 1; i >= 0; i--) {
    if (ref.shape[i] !== 1 && ref.stride[i] !== expected) return false;
    expected *= ref.shape[i]!;
  }
  return true;
}

/** A strided view (e.g. a transposed weight saved as is) copied into C order. */
function gather(raw: Uint8Array, ref: TensorRef, item: number): Uint8Array {
  const out = new Uint8Array(numel(ref.shape) * item);
  const index = new Array<number>(ref.shape.length).fill(0);
  for (let o = 0; o < out.length; o += item) {
    let at = 0;
    for (let d = 0; d < index.length; d++) at += index[d]! * ref.stride[d]!;
    out.set(raw.subarray(at * item, at * item + item), o);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < ref.shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
