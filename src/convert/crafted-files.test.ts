// Files crafted to break readers are refused fast, in words, with nothing written: the pickle's
// opcodes and the safetensors headers are built here byte by byte. No refusal carries NaN,
// undefined, a JS error name or a stack; a bf16 checkpoint converts.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { main as convertCli } from '../cli/convert.ts';
import { fileBytes } from '../cli/fs-bytes.ts';
import { CHECKPOINTS, caseErrors, referenceCases, writeSafetensorsFile } from '../test/checkpoint-cases.ts';
import { readSafetensors } from './safetensors.ts';
import { toFloat32, type StoredTensor } from './stored-tensor.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'crafted-'));
const text = (s: string) => [...new TextEncoder().encode(s)];
const KEY = 'model.diffusion_model.input_blocks.0.0.weight';

/** Converts `file`; returns the refusal, after checking its time, that nothing was written, and that it speaks in words. */
async function refusal(file: string): Promise<string> {
  const out = join(dir(), 'set');
  const t0 = performance.now();
  const err = await convertCli(['--checkpoint', file, '--out', out, '--text-heads', '2'], () => {}).then(
    () => null,
    (e: Error) => e,
  );
  const seconds = (performance.now() - t0) / 1000;
  expect(err, 'the conversion should fail').not.toBeNull();
  expect(seconds, 'refused within seconds').toBeLessThan(5);
  expect(existsSync(out) || existsSync(`${out}.partial`), 'nothing written').toBe(false);
  expect(err!.name).toBe('CheckpointError');
  expect(err!.message).not.toMatch(/NaN|undefined|RangeError|TypeError|\n\s+at /);
  return err!.message;
}

/** Pickle opcodes for torch.save's state dict { KEY: _rebuild_tensor_v2(storage '0', offset, shape, stride) }. */
function statePickle(offset: number[], shape: number[][], stride: number[][], numel = 16): Uint8Array {
  const tuple = (items: number[][]) => [0x28, ...items.flat(), 0x74];
  return Uint8Array.from([
    0x80,
    0x02,
    0x7d, // PROTO 2, EMPTY_DICT
    0x8c,
    KEY.length,
    ...text(KEY), // the key
    0x63,
    ...text('torch._utils\n_rebuild_tensor_v2\n'), // GLOBAL
    0x28, // MARK (the call's arguments)
    0x28,
    0x8c,
    7,
    ...text('storage'),
    0x63,
    ...text('torch\nFloatStorage\n'),
    0x8c,
    1,
    ...text('0'),
    0x8c,
    3,
    ...text('cpu'),
    0x4a,
    ...int32(numel),
    0x74,
    0x51, // BINPERSID
    ...offset,
    ...tuple(shape),
    ...tuple(stride),
    0x89, // requires_grad False
    0x74,
    0x52, // TUPLE, REDUCE
    0x73,
    0x2e, // SETITEM, STOP
  ]);
}
const int32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const binint = (v: number) => [0x4a, ...int32(v)];

function writeCkpt(pickle: Uint8Array, storageBytes = 64): string {
  const file = join(dir(), 'model.ckpt');
  writeFileSync(
    file,
    zipSync({ 'archive/data.pkl': [pickle, { level: 0 }], 'archive/data/0': [new Uint8Array(storageBytes), { level: 0 }], 'archive/version': [Uint8Array.from(text('3\n')), { level: 0 }] }),
  );
  return file;
}

describe('crafted .ckpt pickles', () => {
  it('a 1 MB integer (LONG4) is refused at once, not parsed for minutes', async () => {
    const huge = [0x8b, ...int32(1 << 20), ...new Array<number>(1 << 20).fill(0x7f)];
    expect(await refusal(writeCkpt(statePickle(huge, [binint(4), binint(4)], [binint(4), binint(1)])))).toMatch(
      /model\.ckpt could not be read: an integer 1048576 bytes wide, which no checkpoint value is/,
    );
  });

  it('an 8-byte integer beyond any file, as an offset, is refused as such (LONG1)', async () => {
    const big = [0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40];
    expect(await refusal(writeCkpt(statePickle(big, [binint(4), binint(4)], [binint(4), binint(1)])))).toMatch(
      /tensor model\.diffusion_model\.input_blocks\.0\.0\.weight has a storage offset that is not a whole number ≥ 0/,
    );
  });

  it('a NaN storage offset is refused, not read as zeros', async () => {
    const nan = [0x47, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]; // BINFLOAT NaN
    expect(await refusal(writeCkpt(statePickle(nan, [binint(4), binint(4)], [binint(4), binint(1)])))).toMatch(/has a storage offset that is not a whole number ≥ 0/);
  });

  it('a stride of 0 under a huge shape is refused by the layout check, naming the strides', async () => {
    expect(await refusal(writeCkpt(statePickle(binint(0), [binint(1 << 20), binint(1 << 20)], [binint(0), binint(0)])))).toMatch(/has strides that are not 2 whole numbers ≥ 1/);
  });

  it('negative and fractional shapes, and a view past its storage, are refused before any bytes are read', async () => {
    expect(await refusal(writeCkpt(statePickle(binint(0), [binint(-4), binint(4)], [binint(4), binint(1)])))).toMatch(/has a shape that is not a list of whole numbers ≥ 0/);
    const half = [0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0]; // 2.5
    expect(await refusal(writeCkpt(statePickle(binint(0), [half, binint(4)], [binint(4), binint(1)])))).toMatch(/has a shape that is not a list of whole numbers ≥ 0/);
    expect(await refusal(writeCkpt(statePickle(binint(10), [binint(4), binint(4)], [binint(4), binint(1)])))).toMatch(/reaches past the end of its storage \(64 bytes\)/);
  });

  it('a list of 300 000 items (APPENDS) and 100 000 nested lists are read without overflowing: the file is refused for what it is', async () => {
    const items = Array.from({ length: 300_000 }, () => 0x4e); // NONE
    expect(await refusal(writeCkpt(Uint8Array.from([0x80, 0x02, 0x5d, 0x28, ...items, 0x65, 0x2e])))).toMatch(/holds no state dict/);
    const nested = [0x80, 0x02, ...new Array<number>(100_000).fill(0x5d), ...new Array<number>(99_999).fill(0x61), 0x2e];
    expect(await refusal(writeCkpt(Uint8Array.from(nested)))).toMatch(/holds no state dict/);
  });
});

/** A safetensors file with this JSON header and `dataBytes` of zeros after it. */
function writeSafetensors(header: Record<string, unknown>, dataBytes: number): string {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  const file = join(dir(), 'model.safetensors');
  writeFileSync(file, bytes);
  return file;
}

describe('crafted safetensors headers', () => {
  const t = (data_offsets: unknown, shape: unknown = [2, 2], dtype = 'F32') => ({ dtype, shape, data_offsets });
  it('ranges out of order, overlapping, reversed or past the data are refused, naming the tensor', async () => {
    expect(await refusal(writeSafetensors({ a: t([0, 16]), b: t([8, 24]) }, 24))).toMatch(/tensor (a|b) overlaps tensor (a|b) in the file/);
    expect(await refusal(writeSafetensors({ a: t([16, 0]) }, 16))).toMatch(/tensor a has a byte range that is not two whole numbers, begin ≤ end/);
    expect(await refusal(writeSafetensors({ a: t([-16, 0]) }, 16))).toMatch(/tensor a has a byte range that is not two whole numbers/);
    expect(await refusal(writeSafetensors({ a: t([0, 16]), b: t([16, 32]) }, 20))).toMatch(/is truncated: its header lists \d+ bytes of tensors, the file has \d+/);
    expect(await refusal(writeSafetensors({ a: t([0, 16], [2, -2]) }, 16))).toMatch(/tensor a has a shape that is not a list of whole numbers ≥ 0/);
  });

  it('an unknown dtype is named as such', async () => {
    expect(await refusal(writeSafetensors({ a: t([0, 4], [4], 'F8_E4M3') }, 4))).toMatch(/tensor "a" is stored as F8_E4M3, a dtype the converter does not read/);
  });
});

/** float32 → bfloat16 bits, rounded to nearest even, as torch's .to(torch.bfloat16). */
function bfloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  return Uint16Array.from(bits, (x) => ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff);
}

describe('bf16 checkpoints', () => {
  it('a bf16 single file converts, and matches the original code within bf16’s rounding of the weights', async () => {
    const { tensors } = await readSafetensors(await fileBytes(join(CHECKPOINTS(), 'single-file/model.safetensors')));
    const bf16 = [...tensors.values()].map((s): StoredTensor =>
      s.dtype === 'float16' ? { ...s, dtype: 'bfloat16', bytes: async () => new Uint8Array(bfloat16Bits(toFloat32(s.dtype, await s.bytes())).buffer) } : s,
    );
    const file = join(dir(), 'model-bf16.safetensors');
    await writeSafetensorsFile(file, bf16);
    const out = join(dir(), 'set');
    await convertCli(['--checkpoint', file, '--out', out, '--precision', 'fp32', '--text-heads', '2'], () => {});
    const unet = referenceCases().find((c) => c.name === 'unet')!;
    const error = Math.max(...(await caseErrors(out, unet)));
    console.log(`bf16 single file: UNet reference case within ${error.toExponential(1)} of its largest output`);
    // bf16 keeps 8 significant bits (a relative step of 2⁻⁸ ≈ 3.9e-3 per weight); a wrong layout is off by O(1).
    expect(error).toBeLessThan(5e-2);
  }, 60_000);
});
