// A LoRA file as people have them — kohya / sd-scripts (`lora_unet_…`, `lora_te_…` with
// lora_down / lora_up / alpha), diffusers / PEFT (`unet.….lora_A.weight`), and the older
// layouts diffusers 0.27's load_lora_weights still reads (attention processors'
// `to_q_lora.down`, `lora.down`, `lora_linear_layer.down`) — read into one list of layers:
// which module, its down and up tensors (still on disk), its alpha. Every key is accounted
// for: a key that is not part of a LoRA layer is an error naming it, and files that are not
// plain LoRAs (LyCORIS LoHa / LoKr / (IA)³ and the like, SDXL and SD 2.x LoRAs, whole
// checkpoints) are refused by name.
import type { ByteSource } from '../byte-source.ts';
import { CheckpointError } from '../errors.ts';
import { readTensors } from '../read-checkpoint.ts';
import { readSafetensors } from '../safetensors.ts';
import { toFloat32, type StoredTensor, type TensorMap } from '../stored-tensor.ts';
import { isZip } from '../torch-zip.ts';

/** Which model a layer changes. */
export type LoraPart = 'unet' | 'text';

/**
 * A module as the file names it: kohya's underscore form ("down_blocks_0_attentions_0_proj_in",
 * or LDM's "input_blocks_1_1_proj_in"), or a dotted diffusers path ("down_blocks.0.attentions.0.proj_in").
 */
export interface LoraModule {
  part: LoraPart;
  naming: 'underscore' | 'dotted';
  name: string;
}

export interface LoraLayer {
  module: LoraModule;
  /** The file's own name for the layer, for messages. */
  key: string;
  /** [rank, in] or [rank, in, kh, kw] */
  down: StoredTensor;
  /** [out, rank] or [out, rank, 1, 1] */
  up: StoredTensor;
  rank: number;
  /** null: the file has no alpha, which means alpha = rank (a scale of 1). */
  alpha: number | null;
}

export interface LoraFile {
  /** The file's name, for messages. */
  label: string;
  format: 'kohya' | 'peft' | 'diffusers';
  layers: LoraLayer[];
  metadata: Record<string, string>;
}

/** alpha / rank, the factor kohya and A1111 put on up @ down (before the multiplier). */
export const layerScale = (layer: LoraLayer) => (layer.alpha ?? layer.rank) / layer.rank;

/** LyCORIS and other adapter kinds, told apart by the tensor names only they use. */
const OTHER_ADAPTERS: [RegExp, string][] = [
  [/\.hada_(w[12]_[ab]|t[12])$/, 'a LyCORIS LoHa (Hadamard-product) adapter'],
  [/\.lokr_(w[12](_[ab])?|t[12])$/, 'a LyCORIS LoKr (Kronecker-product) adapter'],
  [/\.on_input$/, 'an (IA)³ adapter'],
  [/\.(oft_blocks|oft_diag|boft_\w+)$/, 'a LyCORIS OFT / BOFT adapter'],
  [/\.(a[12]|b[12])\.weight$/, 'a LyCORIS GLoRA adapter'],
  [/\.(diff|diff_b)$/, 'a LyCORIS full-weight difference'],
  [/\.(dora_scale|lora_magnitude_vector)(\.\w+)?$/, 'a DoRA (weight-decomposed LoRA)'],
  [/\.lora_mid\.weight$/, 'a LoCon with a Tucker middle factor (lora_mid)'],
  [/\.[wb]_norm$/, 'a LyCORIS norm adapter'],
];

/** Key shapes of whole checkpoints, which people sometimes drop where a LoRA goes. */
const CHECKPOINT_KEYS =
  /^(model\.diffusion_model\.|first_stage_model\.|cond_stage_model\.|control_model\.|conditioner\.|input_blocks\.\d|down_blocks\.\d+\.resnets\.\d+\.conv1\.weight$|text_model\.embeddings\.)/;

type Role = 'down' | 'up' | 'alpha';
interface ParsedKey {
  module: LoraModule;
  role: Role;
  format: LoraFile['format'];
}

/** Old diffusers attention-processor names for q/k/v/out, and what each is in the UNet and in CLIP. */
const PROCESSOR_NAMES: Record<string, { unet: string; text: string }> = {
  to_q_lora: { unet: 'to_q', text: 'q_proj' },
  to_k_lora: { unet: 'to_k', text: 'k_proj' },
  to_v_lora: { unet: 'to_v', text: 'v_proj' },
  to_out_lora: { unet: 'to_out.0', text: 'out_proj' },
};

function parseKohya(key: string): ParsedKey | null {
  const m = /^lora_(unet|te)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/.exec(key);
  if (!m) return null;
  const role: Role = m[3] === 'alpha' ? 'alpha' : m[3]!.startsWith('lora_down') ? 'down' : 'up';
  return { module: { part: m[1] === 'unet' ? 'unet' : 'text', naming: 'underscore', name: m[2]! }, role, format: 'kohya' };
}

/** diffusers' dotted layouts: PEFT's lora_A/lora_B and the older down/up names, with or without the unet./text_encoder. prefix. */
function parseDotted(key: string): ParsedKey | null {
  const k = key.replace(/\.processor\./g, '.');
  const prefix = /^(unet|text_encoder)\./.exec(k);
  const part: LoraPart = prefix?.[1] === 'text_encoder' ? 'text' : 'unet';
  const rest = prefix ? k.slice(prefix[0].length) : k;
  let m: RegExpExecArray | null;
  if ((m = /^(.+)\.lora_([AB])\.weight$/.exec(rest))) return dotted(part, m[1]!, m[2] === 'A' ? 'down' : 'up', 'peft');
  if ((m = /^(.+)\.(to_[qkv]_lora|to_out_lora)\.(down|up)\.weight$/.exec(rest))) {
    const name = PROCESSOR_NAMES[m[2]!]![part];
    return dotted(part, `${m[1]}.${name}`, m[3] as Role, 'diffusers');
  }
  if ((m = /^(.+)\.(lora|lora_linear_layer)\.(down|up)\.weight$/.exec(rest))) return dotted(part, m[1]!, m[3] as Role, 'diffusers');
  if (prefix && (m = /^(.+)\.alpha$/.exec(rest))) return dotted(part, m[1]!, 'alpha', 'diffusers');
  return null;
}

const dotted = (part: LoraPart, name: string, role: Role, format: LoraFile['format']): ParsedKey => ({ module: { part, naming: 'dotted', name }, role, format });

const list = (keys: string[], n = 4) => `${keys.slice(0, n).join(', ')}${keys.length > n ? ` and ${keys.length - n} more` : ''}`;

/** Refuses files that are LoRAs for another base model, by what their keys and metadata say. */
function refuseOtherBases(keys: string[], metadata: Record<string, string>, file: string): void {
  const version = `${metadata.ss_base_model_version ?? ''} ${metadata['modelspec.architecture'] ?? ''}`;
  if (keys.some((k) => /^lora_te[12]_|^text_encoder_2\./.test(k)) || /sdxl|stable-diffusion-xl/i.test(version)) {
    throw new CheckpointError(
      `${file} is a LoRA for SDXL (it has SDXL's two text encoders${/xl/i.test(version) ? ', and its metadata says so' : ''}). The studio runs Stable Diffusion 1.5; pick an SD 1.5 LoRA.`,
    );
  }
  if (metadata.ss_v2 === 'True' || /sd_v2|stable-diffusion-v2/i.test(version)) {
    throw new CheckpointError(`${file} is a LoRA for Stable Diffusion 2.x (its metadata says so). The studio runs SD 1.5; pick an SD 1.5 LoRA.`);
  }
}

function refuseOtherKinds(keys: string[], file: string): void {
  for (const [pattern, what] of OTHER_ADAPTERS) {
    const hit = keys.find((k) => pattern.test(k));
    if (hit) throw new CheckpointError(`${file} is ${what} (e.g. ${hit}), not a LoRA the studio can apply. It applies LoRA and LoCon files (lora_down / lora_up, or lora_A / lora_B).`);
  }
}

/** Reads a LoRA file's tensors and sorts them into layers, refusing what is not an SD 1.5 LoRA. */
export async function readLora(src: ByteSource): Promise<LoraFile> {
  const tensors = await readTensors(src);
  // A PyTorch zip (.pt, .bin) carries no metadata; a safetensors header may (kohya's ss_* keys).
  const metadata = (await isZip(src)) ? {} : (await readSafetensors(src)).metadata;
  return loraFromTensors(tensors, metadata, src.name);
}

export async function loraFromTensors(tensors: TensorMap, metadata: Record<string, string>, file: string): Promise<LoraFile> {
  const keys = [...tensors.keys()];
  if (!keys.length) throw new CheckpointError(`${file} holds no tensors: it is not a LoRA.`);
  refuseOtherBases(keys, metadata, file);
  refuseOtherKinds(keys, file);
  const parsed = new Map(keys.map((k) => [k, parseKohya(k) ?? parseDotted(k)] as const));
  const unknown = keys.filter((k) => !parsed.get(k));
  if (unknown.length === keys.length) {
    if (keys.some((k) => CHECKPOINT_KEYS.test(k)))
      throw new CheckpointError(`${file} is a whole model checkpoint (it starts with ${list(keys, 2)}), not a LoRA. Import it with "Import checkpoint" instead.`);
    throw new CheckpointError(`${file} is not a LoRA: none of its ${keys.length} tensors have LoRA names (lora_down / lora_up, or lora_A / lora_B); it starts with ${list(keys, 3)}.`);
  }
  if (unknown.length) throw new CheckpointError(`${file} has ${unknown.length} tensor${unknown.length > 1 ? 's' : ''} that belong to no LoRA layer: ${list(unknown)}. Nothing was applied.`);
  const layers = await groupLayers(tensors, parsed as Map<string, ParsedKey>, file);
  const formats = new Set([...parsed.values()].map((p) => p!.format));
  const format = formats.has('kohya') ? 'kohya' : formats.has('peft') ? 'peft' : 'diffusers';
  return { label: file, format, layers, metadata };
}

async function groupLayers(tensors: TensorMap, parsed: Map<string, ParsedKey>, file: string): Promise<LoraLayer[]> {
  const groups = new Map<string, { module: LoraModule; key: string; parts: Partial<Record<Role, StoredTensor>> }>();
  for (const [key, p] of parsed) {
    const id = `${p.module.part}:${p.module.naming}:${p.module.name}`;
    const group = groups.get(id) ?? { module: p.module, key: key.replace(/\.(lora_down|lora_up|lora_A|lora_B|down|up)\.weight$|\.alpha$/, ''), parts: {} };
    if (group.parts[p.role]) throw new CheckpointError(`${file} gives the ${p.role} of ${group.key} twice (${key}).`);
    group.parts[p.role] = tensors.get(key)!;
    groups.set(id, group);
  }
  const layers: LoraLayer[] = [];
  for (const { module, key, parts } of groups.values()) {
    if (!parts.down || !parts.up)
      throw new CheckpointError(`${file}: layer ${key} has ${parts.down ? 'a down' : parts.up ? 'an up' : 'only an alpha'} tensor without its ${parts.down ? 'up' : 'down'} half.`);
    const rank = parts.down.shape[0]!;
    if (parts.up.shape[1] !== rank || !rank)
      throw new CheckpointError(`${file}: layer ${key}'s down is [${parts.down.shape.join(', ')}] and its up [${parts.up.shape.join(', ')}]: their ranks differ.`);
    layers.push({ module, key, down: parts.down, up: parts.up, rank, alpha: parts.alpha ? await scalar(parts.alpha, key, file) : null });
  }
  return layers;
}

async function scalar(t: StoredTensor, key: string, file: string): Promise<number> {
  const values = toFloat32(t.dtype, await t.bytes());
  if (values.length !== 1 || !Number.isFinite(values[0])) throw new CheckpointError(`${file}: the alpha of ${key} is not one finite number.`);
  return values[0]!;
}
