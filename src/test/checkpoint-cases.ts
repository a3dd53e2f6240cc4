// The tiny SD 1.5 checkpoint family in ../shared/data/checkpoints (every file layout people
// use) and its reference outputs from the original LDM/ControlNet code. Runs a converted
// set's graphs on the reference inputs with onnxruntime-node and measures the error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { float16ToFloat32, float32ToFloat16 } from '../diffusion/float16.ts';
import { safetensorsHeader } from '../convert/safetensors.ts';
import type { StoredTensor } from '../convert/stored-tensor.ts';
import { sharedJson, sharedPath } from './shared-data.ts';

export const CHECKPOINTS = () => sharedPath('checkpoints/tiny-sd15');

export interface CaseTensor {
  name: string;
  shape: number[];
  file: string;
}
export interface ReferenceCase {
  name: string;
  graph: string;
  inputs: CaseTensor[];
  outputs: (CaseTensor & { max_abs: number })[];
  tolerance?: { atol: number; rtol: number };
}

export const referenceCases = () => sharedJson<{ cases: ReferenceCase[] }>('checkpoints/tiny-sd15/reference/cases.json').cases;

/** A reference folder's .bin tensor (raw little-endian float32). */
export const readCaseTensor = (t: CaseTensor, dir = join(CHECKPOINTS(), 'reference')) => {
  const bytes = readFileSync(join(dir, t.file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const read = (t: CaseTensor) => readCaseTensor(t);

/**
 * The fixtures' element-wise check, |actual − expected| ≤ atol + rtol·|expected|: the worst
 * element's |error| ÷ its allowance (≤ 1 passes).
 */
export function worstAllowance(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: { atol: number; rtol: number }): number {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (tolerance.atol + tolerance.rtol * Math.abs(expected[i]!)));
  return worst;
}

async function session(setDir: string, graph: string) {
  return ort.InferenceSession.create(join(setDir, graph));
}

/** A reference input as the session's input wants it (int ids and timesteps, fp16 where the graph is fp16). */
export function caseFeed(meta: ort.InferenceSession.ValueMetadata, t: CaseTensor, dir?: string): ort.Tensor {
  const values = readCaseTensor(t, dir);
  const type = meta.isTensor ? meta.type : 'float32';
  if (type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(Math.round(v))),
      t.shape,
    );
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values, Math.round), t.shape);
  if (type === 'float16') return new ort.Tensor('float16', float32ToFloat16(values), t.shape);
  return new ort.Tensor('float32', values, t.shape);
}

export const tensorValues = (t: ort.Tensor) => (t.type === 'float16' ? float16ToFloat32(t.data as Uint16Array) : (t.data as Float32Array));

async function runGraph(setDir: string, graph: string, inputs: Map<string, CaseTensor | ort.Tensor>): Promise<ort.Tensor[]> {
  const s = await session(setDir, graph);
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of s.inputMetadata) {
    const given = inputs.get(meta.name) ?? (meta.name === 'conditioning_scale' ? new ort.Tensor('float32', Float32Array.of(1), []) : null);
    if (!given) throw new Error(`${graph} needs ${meta.name}, which the case does not give`);
    feeds[meta.name] = 'file' in given ? caseFeed(meta, given as CaseTensor) : (given as ort.Tensor);
  }
  const out = await s.run(feeds);
  return s.outputNames.filter((n) => n !== 'pooler_output').map((n) => out[n]!);
}

/** Runs a reference case through the set's graphs (the ControlNet at `controlnetGraph` inside `setDir`). Returns max |actual − expected| / max |expected| per output. */
export async function caseErrors(setDir: string, c: ReferenceCase, controlnetGraph = 'controlnet/canny/model.onnx'): Promise<number[]> {
  const inputs = new Map<string, CaseTensor | ort.Tensor>(c.inputs.map((t) => [t.name, t]));
  const paths: Record<string, string> = {
    text_encoder: 'text_encoder/model.onnx',
    unet: 'unet/model.onnx',
    vae_decoder: 'vae_decoder/model.onnx',
    vae_encoder: 'vae_encoder/model.onnx',
    controlnet: controlnetGraph,
  };
  let outputs: ort.Tensor[];
  if (c.graph === 'unet+controlnet') {
    const residuals = await runGraph(setDir, paths.controlnet!, inputs);
    residuals.forEach((r, i) => inputs.set(i < 12 ? `down_block_additional_residual_${i}` : 'mid_block_additional_residual', r));
    outputs = await runGraph(setDir, paths.unet!, inputs);
  } else {
    outputs = await runGraph(setDir, paths[c.graph]!, inputs);
  }
  return c.outputs.map((expectedMeta, i) => {
    const expected = read(expectedMeta);
    // Our VAE encoder gives the distribution's mean and log-variance; the reference is its mean.
    const actual = c.graph === 'vae_encoder' && outputs[i]!.dims[1] === 8 ? tensorValues(outputs[i]!).slice(0, expected.length) : tensorValues(outputs[i]!);
    if (actual.length !== expected.length) throw new Error(`${c.name}: output ${i} has ${actual.length} values, expected ${expected.length}`);
    let max = 0;
    for (let k = 0; k < actual.length; k++) max = Math.max(max, Math.abs(actual[k]! - expected[k]!));
    return max / expectedMeta.max_abs;
  });
}

/** Writes tensors as a safetensors file (for repacks other tools make, e.g. a ControlNet without its prefix). */
export async function writeSafetensorsFile(path: string, tensors: StoredTensor[], rename: (key: string) => string = (k) => k, metadata?: Record<string, string>): Promise<void> {
  const entries = tensors.map((t) => ({ key: rename(t.key), dtype: t.dtype, shape: t.shape, t }));
  const { header, order } = safetensorsHeader(entries, metadata);
  const byKey = new Map(entries.map((e) => [e.key, e.t]));
  const parts: Uint8Array[] = [header];
  for (const key of order) parts.push(await byKey.get(key)!.bytes());
  writeFileSync(path, Buffer.concat(parts));
}
