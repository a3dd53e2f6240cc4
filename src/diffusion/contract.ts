// The model contract: what each slot's graph must look like, read from the session's
// own input/output metadata, with the variants real SD 1.5 exports show (timestep dtype
// and shape, int32/int64 ids, fp16/fp32, residual naming or order, conditioning_scale
// present or absent). Anything else is refused with the file, the expected and the found signature.
import { ModelContractError } from './errors.ts';
import { RESIDUALS } from './residuals.ts';
import { toFloat16Bits as toHalf } from './float16.ts';
import type { TensorType, ValueMeta } from './tensor.ts';

export type Role = 'text_encoder' | 'unet' | 'controlnet' | 'vae_decoder' | 'vae_encoder';
export { RESIDUALS };

export interface TimestepSpec {
  name: string;
  type: 'int64' | 'float32' | 'float16';
  /** 'scalar' for shape [], 'one' for [1], 'batch' for a symbolic [batch]. */
  shape: 'scalar' | 'one' | 'batch';
}

export interface TextEncoderContract {
  ids: string;
  idsType: 'int32' | 'int64';
  hidden: string;
}
export interface UnetContract {
  sample: string;
  timestep: TimestepSpec;
  context: string;
  dtype: 'float32' | 'float16';
  /** The 13 residual inputs in order, or null for a plain UNet (no ControlNet). */
  residuals: string[] | null;
  output: string;
  /** An inpainting UNet takes 9 channels: the latents, the mask and the masked image's latents. */
  inpainting: boolean;
}
export interface ControlNetContract {
  sample: string;
  timestep: TimestepSpec;
  context: string;
  cond: string;
  /** null when the graph has no conditioning_scale input: the pipeline scales residuals itself. */
  scale: string | null;
  dtype: 'float32' | 'float16';
  outputs: string[];
}
export interface VaeContract {
  input: string;
  output: string;
  dtype: 'float32' | 'float16';
}

const EXPECTED: Record<Role, string> = {
  text_encoder: '(input_ids: int32|int64[batch, 77]) → (last_hidden_state: float[batch, 77, D], …)',
  unet: '(sample: float[batch, 4 (9 inpainting), h, w], timestep: int64|float[1 or scalar], encoder_hidden_states: float[batch, 77, D], 13 residuals or none) → (out_sample: float[batch, 4, h, w])',
  controlnet: '(sample: float[batch, 4, h, w], timestep, encoder_hidden_states, controlnet_cond: float[batch, 3, 8h, 8w], conditioning_scale?) → (13 residuals: 12 down + mid)',
  vae_decoder: '(latent_sample: float[batch, 4, h, w]) → (sample: float[batch, 3, 8h, 8w])',
  vae_encoder: '(sample: float[batch, 3, H, W]) → (latent_sample: float[batch, 4, H/8, W/8])',
};

export function describeSignature(inputs: ValueMeta[], outputs: ValueMeta[]): string {
  const one = (m: ValueMeta) => `${m.name}: ${m.type}[${m.shape.join(', ')}]`;
  return `(${inputs.map(one).join(', ')}) → (${outputs.map(one).join(', ')})`;
}

class Checker {
  constructor(
    readonly file: string,
    readonly role: Role,
    readonly inputs: ValueMeta[],
    readonly outputs: ValueMeta[],
  ) {}
  fail(why: string): never {
    throw new ModelContractError(
      `${this.file} does not fit the ${this.role} slot: ${why}. Expected ${EXPECTED[this.role]}; found ${describeSignature(this.inputs, this.outputs)}. Check that the file is the ${this.role.replace('_', ' ')} of an SD 1.5 export.`,
    );
  }
  input(name: string, types: string[]): ValueMeta {
    const m = this.inputs.find((i) => i.name === name);
    if (!m) this.fail(`it has no input "${name}"`);
    if (!types.includes(m.type)) this.fail(`input "${name}" is ${m.type}, not ${types.join(' or ')}`);
    return m;
  }
  floatType(m: ValueMeta): 'float32' | 'float16' {
    if (m.type !== 'float32' && m.type !== 'float16') this.fail(`"${m.name}" is ${m.type}, not a float tensor`);
    return m.type;
  }
}

const FLOATS = ['float32', 'float16'];

function timestepSpec(c: Checker): TimestepSpec {
  const m = c.input('timestep', ['int64', 'float32', 'float16']);
  if (m.shape.length > 1) c.fail(`timestep has shape [${m.shape.join(', ')}], not [1] or a scalar`);
  const shape = m.shape.length === 0 ? 'scalar' : m.shape[0] === 1 ? 'one' : 'batch';
  return { name: m.name, type: m.type as TimestepSpec['type'], shape };
}

/** Orders residual names by their trailing index, with the mid block last; null if the names don't say. */
function orderByName(names: string[], down: RegExp, mid: RegExp): string[] | null {
  const mids = names.filter((n) => mid.test(n));
  const downs = names.map((n) => [n, down.exec(n)] as const).filter(([, m]) => m);
  if (mids.length !== 1 || downs.length !== RESIDUALS - 1) return null;
  const sorted = downs.sort((a, b) => Number(a[1]![1]) - Number(b[1]![1])).map(([n]) => n);
  return sorted.every((_, i) => Number(down.exec(sorted[i]!)![1]) === i) ? [...sorted, mids[0]!] : null;
}

export function checkTextEncoder(file: string, inputs: ValueMeta[], outputs: ValueMeta[]): TextEncoderContract {
  const c = new Checker(file, 'text_encoder', inputs, outputs);
  const ids = c.input('input_ids', ['int32', 'int64']);
  if (inputs.length !== 1) c.fail('it takes more than input_ids');
  const hidden = outputs.find((o) => o.name === 'last_hidden_state') ?? outputs.find((o) => o.shape.length === 3) ?? c.fail('it has no [batch, 77, D] output');
  return { ids: ids.name, idsType: ids.type as 'int32' | 'int64', hidden: hidden.name };
}

export function checkUnet(file: string, inputs: ValueMeta[], outputs: ValueMeta[]): UnetContract {
  const c = new Checker(file, 'unet', inputs, outputs);
  const sample = c.input('sample', FLOATS);
  if (!fits(sample.shape[1], 4, 9)) c.fail('sample does not have 4 latent channels (or 9, for an inpainting UNet)');
  const timestep = timestepSpec(c);
  const context = c.input('encoder_hidden_states', FLOATS);
  if (outputs.length !== 1) c.fail(`it has ${outputs.length} outputs, not 1`);
  const rest = inputs.filter((i) => ![sample.name, timestep.name, context.name].includes(i.name));
  let residuals: string[] | null = null;
  if (rest.length === RESIDUALS) {
    const names = rest.map((r) => r.name);
    residuals = orderByName(names, /^down_block_additional_residual_(\d+)$/, /^mid_block_additional_residual$/) ?? orderByName(names, /^down_block_(\d+)$/, /^mid_block/) ?? names; // unnamed: by position, as the exporter listed them
    for (const r of rest) c.floatType(r);
  } else if (rest.length !== 0) {
    c.fail(`it has ${rest.length} extra inputs; a ControlNet-ready UNet has 13 residual inputs, a plain one none`);
  }
  return { sample: sample.name, timestep, context: context.name, dtype: c.floatType(sample), residuals, output: outputs[0]!.name, inpainting: sample.shape[1] === 9 };
}

export function checkControlNet(file: string, inputs: ValueMeta[], outputs: ValueMeta[]): ControlNetContract {
  const c = new Checker(file, 'controlnet', inputs, outputs);
  const sample = c.input('sample', FLOATS);
  const timestep = timestepSpec(c);
  const context = c.input('encoder_hidden_states', FLOATS);
  const cond = c.input('controlnet_cond', FLOATS);
  if (!fits(cond.shape[1], 3)) c.fail('controlnet_cond does not have 3 channels');
  const scale = inputs.find((i) => i.name === 'conditioning_scale') ?? null;
  const known = [sample.name, timestep.name, context.name, cond.name, scale?.name];
  const extra = inputs.filter((i) => !known.includes(i.name));
  if (extra.length) c.fail(`unexpected input "${extra[0]!.name}"`);
  if (outputs.length !== RESIDUALS) c.fail(`it has ${outputs.length} outputs, not 13 residuals`);
  const names = outputs.map((o) => o.name);
  const ordered = orderByName(names, /^down_block_res_samples?_(\d+)$/, /^mid_block_res_sample$/) ?? names;
  return { sample: sample.name, timestep, context: context.name, cond: cond.name, scale: scale?.name ?? null, dtype: c.floatType(sample), outputs: ordered };
}

/**
 * A dimension the graph leaves open (torch.onnx.export names unnamed output dims like
 * "Addlatent_sample_dim_1") is not a mismatch: it is checked on the first run instead (checkRunDims).
 */
const fits = (dim: number | string | undefined, ...allowed: number[]) => typeof dim !== 'number' || allowed.includes(dim);
/** A rank the graph leaves open (no shape at all) likewise. */
const rankFits = (shape: (number | string)[], rank: number) => shape.length === 0 || shape.length === rank;

function checkVae(role: 'vae_decoder' | 'vae_encoder', file: string, inputs: ValueMeta[], outputs: ValueMeta[]): VaeContract {
  const c = new Checker(file, role, inputs, outputs);
  if (inputs.length !== 1 || outputs.length !== 1) c.fail(`it has ${inputs.length} inputs and ${outputs.length} outputs, not 1 and 1`);
  const [inCh, outCh] = role === 'vae_decoder' ? [4, 3] : [3, 4];
  const input = inputs[0]!;
  if (!rankFits(input.shape, 4) || !fits(input.shape[1], inCh)) c.fail(`its input is not [batch, ${inCh}, h, w]`);
  const output = outputs[0]!;
  if (!rankFits(output.shape, 4) || !fits(output.shape[1], ...(role === 'vae_encoder' ? [4, 8] : [outCh]))) c.fail(`its output is not [batch, ${outCh}, h, w]`);
  return { input: input.name, output: output.name, dtype: c.floatType(input) };
}

/** After a run: dims the graph left open must be what the slot needs; the error reads like the load-time one. */
export function checkRunDims(file: string, role: Role, output: string, dims: number[], expected: (number | number[] | null)[]): void {
  const ok = dims.length === expected.length && expected.every((e, i) => e === null || (Array.isArray(e) ? e.includes(dims[i]!) : e === dims[i]));
  if (ok) return;
  const want = expected.map((e) => (e === null ? '*' : Array.isArray(e) ? e.join('|') : String(e))).join(', ');
  throw new ModelContractError(
    `${file} does not fit the ${role} slot: its output "${output}" came out [${dims.join(', ')}] on its first run, not [${want}]. Expected ${EXPECTED[role]}. Check that the file is the ${role.replace('_', ' ')} of an SD 1.5 export.`,
  );
}

export const checkVaeDecoder = (file: string, i: ValueMeta[], o: ValueMeta[]) => checkVae('vae_decoder', file, i, o);
export const checkVaeEncoder = (file: string, i: ValueMeta[], o: ValueMeta[]) => checkVae('vae_encoder', file, i, o);

export function timestepFeed(spec: TimestepSpec, t: number, batch: number): { type: TensorType; dims: number[]; data: BigInt64Array | Float32Array | Uint16Array } {
  const n = spec.shape === 'batch' ? batch : 1;
  const dims = spec.shape === 'scalar' ? [] : [n];
  if (spec.type === 'int64') return { type: 'int64', dims, data: new BigInt64Array(n).fill(BigInt(Math.round(t))) };
  if (spec.type === 'float32') return { type: 'float32', dims, data: new Float32Array(n).fill(t) };
  return { type: 'float16', dims, data: new Uint16Array(n).fill(toHalf(t)) };
}
