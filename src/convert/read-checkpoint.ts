// Opens a checkpoint file of any kind people have (safetensors, a PyTorch zip .ckpt/.pth)
// into its tensors, and says what it is from the key names: an SD 1.5 single file, a
// ControlNet (with or without the control_model. prefix, or in diffusers' names), or one of
// the files that look like checkpoints but are not what the studio runs — each with its own
// error: a LoRA, SDXL, SD 2.x, a VAE or UNet on its own.
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import { readSafetensors } from './safetensors.ts';
import type { TensorMap } from './stored-tensor.ts';
import { isLegacyTorch, isZip, readTorchZip } from './torch-zip.ts';

/** Magic numbers of files people drop by mistake (none can begin a safetensors header length or a zip). */
const NOT_CHECKPOINTS: [string, number[]][] = [
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a PDF', [0x25, 0x50, 0x44, 0x46]],
];

export async function readTensors(src: ByteSource): Promise<TensorMap> {
  try {
    return await readAnyTensors(src);
  } catch (err) {
    // A structure nested or sized to overflow the reader (a crafted file) is a damaged file, said in words.
    if (err instanceof RangeError)
      throw new CheckpointError(`${src.name} could not be read: it holds a structure too deep or too large for any checkpoint (${err.message.slice(0, 60)}). It may be damaged or crafted.`);
    throw err;
  }
}

async function readAnyTensors(src: ByteSource): Promise<TensorMap> {
  const head = await src.read(0, Math.min(8, src.size));
  const known = NOT_CHECKPOINTS.find(([, magic]) => magic.every((b, i) => head[i] === b));
  if (known) throw new CheckpointError(`${src.name} is ${known[0]}, not a model checkpoint. Pick a .safetensors, .ckpt or .pth file.`);
  if (await isZip(src)) return readTorchZip(src);
  if (await isLegacyTorch(src)) {
    throw new CheckpointError(
      `${src.name} is in PyTorch's legacy format (saved before torch 1.6), which cannot be read without running its code. Re-save it with a current torch, or as .safetensors.`,
    );
  }
  return (await readSafetensors(src)).tensors;
}

export type FileKind =
  /** An SD single file with LDM names (A1111 / ComfyUI / civitai). */
  | { kind: 'ldm-pipeline' }
  /** A ControlNet with LDM names; `prefix` is "control_model." or "" (repacks that drop it). */
  | { kind: 'ldm-controlnet'; prefix: string }
  /** A ControlNet with diffusers' names (diffusion_pytorch_model.safetensors of a ControlNet repo). */
  | { kind: 'diffusers-controlnet' };

const some = (keys: string[], test: (k: string) => boolean) => keys.some(test);

/** What a single file is, from its tensor names and a few shapes; throws the specific error for files the studio cannot use. */
export function classify(tensors: TensorMap, file: string): FileKind {
  const keys = [...tensors.keys()];
  const has = (prefix: string) => some(keys, (k) => k.startsWith(prefix));
  if (!keys.length) throw new CheckpointError(`${file} holds no tensors: it is not a model checkpoint.`);
  if (some(keys, (k) => /(^|\.)lora_(up|down|[AB])\b|^lora_(unet|te)_|\.alpha$|lora_magnitude/.test(k))) {
    throw new CheckpointError(
      `${file} is a LoRA: a small add-on trained on top of a base model, not a checkpoint of its own. Import it in the LoRA library (or bake it in with --lora), and import a full SD 1.5 checkpoint (about 2–4 GB) here.`,
    );
  }
  if (has('conditioner.embedders.') || has('model.diffusion_model.label_emb.')) {
    throw new CheckpointError(`${file} is an SDXL checkpoint. The studio runs Stable Diffusion 1.5 and its ControlNets; pick an SD 1.5 checkpoint.`);
  }
  if (has('cond_stage_model.model.')) {
    throw new CheckpointError(`${file} is a Stable Diffusion 2.x checkpoint (OpenCLIP text encoder; 768-v or 512-base). The studio runs SD 1.5 and its ControlNets; pick an SD 1.5 checkpoint.`);
  }
  if (has('model.diffusion_model.')) {
    const conv = tensors.get('model.diffusion_model.input_blocks.0.0.weight')?.shape;
    if (conv && conv.length !== 4) throw new CheckpointError(`${file}'s UNet input convolution has shape [${conv.join(', ')}], not [width, channels, 3, 3]: it is damaged or not an SD UNet.`);
    // 9 channels: an inpainting model (latents, mask, masked-image latents), as sd-v1-5-inpainting.
    if (conv && conv[1] !== 4 && conv[1] !== 9)
      throw new CheckpointError(`${file}'s UNet takes ${conv[1]} input channels, not SD 1.5's 4 (an instruct or depth-conditioned variant?). Pick a standard SD 1.5 checkpoint.`);
    const context = tensors.get('model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight')?.shape[1];
    if (context === 1024)
      throw new CheckpointError(`${file} is a Stable Diffusion 2.x checkpoint (its cross-attention reads 1024-wide text embeddings). The studio runs SD 1.5; pick an SD 1.5 checkpoint.`);
    return { kind: 'ldm-pipeline' };
  }
  const controlPrefix = has('control_model.') ? 'control_model.' : has('input_hint_block.') && has('zero_convs.') ? '' : null;
  if (controlPrefix !== null) {
    const context = [...tensors.entries()].find(([k]) => k.endsWith('attn2.to_k.weight'))?.[1].shape[1];
    if (context && context !== 768 && context >= 1024)
      throw new CheckpointError(`${file} is a ControlNet for ${context === 2048 ? 'SDXL' : 'SD 2.x'} (its cross-attention reads ${context}-wide text embeddings); SD 1.5 ControlNets read 768.`);
    return { kind: 'ldm-controlnet', prefix: controlPrefix };
  }
  if (has('controlnet_cond_embedding.')) return { kind: 'diffusers-controlnet' };
  if (has('down_blocks.') && has('time_embedding.')) {
    throw new CheckpointError(`${file} is a diffusers UNet on its own. Import the whole diffusers folder (with model_index.json, unet/, vae/, text_encoder/), or an A1111-style single file.`);
  }
  if (has('encoder.down') && has('decoder.')) {
    throw new CheckpointError(`${file} is a VAE on its own. Import a full SD 1.5 checkpoint; swapping in a separate VAE is not supported yet.`);
  }
  if (has('text_model.') || has('transformer.text_model.')) throw new CheckpointError(`${file} is a text encoder on its own. Import a full SD 1.5 checkpoint.`);
  throw new CheckpointError(
    `${file} is not a Stable Diffusion 1.5 or ControlNet checkpoint: none of its ${keys.length} tensors have the names those files use (it starts with ${keys.slice(0, 3).join(', ')}).`,
  );
}
