// TAESD's files as people have them: taesd.py's `taesd_encoder` / `taesd_decoder` state dicts
// (.safetensors or .pth, keys are nn.Sequential indices) or a diffusers AutoencoderTiny folder
// (config.json + diffusion_pytorch_model.safetensors, keys `encoder.layers.k…` and
// `decoder.layers.k…`), opened into weight sources named as our TAESD graphs ask.
import type { ByteSource } from './byte-source.ts';
import { CheckpointError } from './errors.ts';
import { readTensors } from './read-checkpoint.ts';
import type { TensorMap } from './stored-tensor.ts';
import { TAESD } from './taesd.ts';
import { Checkpoint, CheckpointWeights, type WeightSource } from './weights.ts';

export interface OpenedTaesd {
  label: string;
  encoder: WeightSource | null;
  decoder: WeightSource | null;
  checkpoints: Checkpoint[];
}

type Half = 'encoder' | 'decoder';

/** Which half a taesd.py state dict is: the encoder starts with a 3→64 conv at index 0; the decoder's index 0 is its weightless Clamp. */
function halfOf(tensors: TensorMap, file: string): Half {
  const first = tensors.get('0.weight')?.shape;
  const decoderIn = tensors.get('1.weight')?.shape;
  if (first?.[1] === 3 && first[0] === TAESD.channels) return 'encoder';
  if (!first && decoderIn?.[0] === TAESD.channels && decoderIn[1] === TAESD.latentChannels) return 'decoder';
  const latent = first?.[1] ?? decoderIn?.[1];
  if (latent === 16) throw new CheckpointError(`${file} is a TAESD for a 16-channel latent space (SD 3 or FLUX), not SD 1.5's.`);
  throw new CheckpointError(
    `${file} is not a TAESD encoder or decoder (taesd.py's layers: a 3→64 conv first, or the Clamp then a 4→64 conv); it starts with ${[...tensors.keys()].slice(0, 3).join(', ')}.`,
  );
}

/** taesd.py keys for a diffusers AutoencoderTiny name: the decoder's Sequential has the Clamp at 0, diffusers' does not. */
function taesdPyKey(name: string, half: Half): string {
  const m = /^(encoder|decoder)\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!m || m[1] !== half) return name;
  return `${half === 'decoder' ? Number(m[2]) + 1 : Number(m[2])}.${m[3]}`;
}

function refuseOtherLatentSpaces(name: string): void {
  // TAESDXL has TAESD's exact shapes but SDXL's latent space: only its name tells.
  if (/taesdxl|taesd_xl|sdxl/i.test(name)) throw new CheckpointError(`${name} is TAESDXL, made for SDXL's latents; SD 1.5 needs madebyollin/taesd.`);
}

async function openDiffusers(files: Map<string, ByteSource>, config: ByteSource): Promise<OpenedTaesd> {
  const c = JSON.parse(new TextDecoder().decode(await config.read(0, config.size))) as Record<string, unknown>;
  if (c._class_name !== 'AutoencoderTiny') throw new CheckpointError(`${config.name} describes a ${String(c._class_name)}, not diffusers' AutoencoderTiny (TAESD).`);
  if (c.latent_channels !== undefined && c.latent_channels !== TAESD.latentChannels)
    throw new CheckpointError(`This AutoencoderTiny has ${String(c.latent_channels)} latent channels; SD 1.5's TAESD has 4.`);
  if (typeof c.scaling_factor === 'number' && c.scaling_factor !== 1)
    throw new CheckpointError(`This AutoencoderTiny's scaling_factor is ${c.scaling_factor}, not TAESD's 1: it was made for another latent space.`);
  const weights = [...files.entries()].filter(([p]) => /diffusion_pytorch_model(\.fp16)?\.(safetensors|bin)$/.test(p)).sort(([a], [b]) => a.length - b.length)[0];
  if (!weights) throw new CheckpointError('The AutoencoderTiny folder has no diffusion_pytorch_model.safetensors.');
  const checkpoint = new Checkpoint(weights[1].name, await readTensors(weights[1]));
  const source = new CheckpointWeights(checkpoint, (n) => [n]);
  return { label: 'AutoencoderTiny folder', encoder: source, decoder: source, checkpoints: [checkpoint] };
}

/** TAESD from the picked files: a diffusers folder, or one or both taesd.py halves. */
export async function openTaesd(files: Map<string, ByteSource>): Promise<OpenedTaesd> {
  for (const path of files.keys()) refuseOtherLatentSpaces(path);
  const config = [...files.entries()].find(([p]) => p === 'config.json' || p.endsWith('/config.json'));
  if (config) return openDiffusers(files, config[1]);
  const opened: OpenedTaesd = { label: '', encoder: null, decoder: null, checkpoints: [] };
  for (const [path, src] of files) {
    if (!/\.(safetensors|pth|pt|bin)$/i.test(path)) continue;
    const tensors = await readTensors(src);
    const half = halfOf(tensors, src.name);
    if (opened[half]) throw new CheckpointError(`Two TAESD ${half}s were given (${src.name} is the second); give one of each.`);
    const checkpoint = new Checkpoint(src.name, tensors);
    opened[half] = new CheckpointWeights(checkpoint, (n) => [taesdPyKey(n, half)]);
    opened.checkpoints.push(checkpoint);
  }
  if (!opened.encoder && !opened.decoder)
    throw new CheckpointError(`No TAESD among ${[...files.keys()].join(', ')}: give taesd_decoder.safetensors (and taesd_encoder.safetensors), or a diffusers AutoencoderTiny folder.`);
  opened.label = opened.checkpoints.map((c) => c.label).join(' + ');
  return opened;
}

/** taesd.py's keys are nn.Sequential indices ("3.conv.2.weight", "14.bias"); no other checkpoint is keyed so. */
const TAESD_KEY = /^\d+\.(conv\.\d+\.)?(weight|bias)$/;

/** Whether picked files are a TAESD (a diffusers AutoencoderTiny folder, or taesd.py state dicts), told apart from checkpoints without converting. */
export async function isTaesdInput(files: Map<string, ByteSource>): Promise<boolean> {
  const config = [...files.entries()].find(([p]) => p === 'config.json' || p.endsWith('/config.json'));
  if (config) return /"_class_name"\s*:\s*"AutoencoderTiny"/.test(new TextDecoder().decode(await config[1].read(0, Math.min(config[1].size, 65536))));
  const weights = [...files.entries()].filter(([p]) => /\.(safetensors|pth|pt|bin)$/i.test(p));
  if (!weights.length) return false;
  for (const [, src] of weights) {
    const keys = [...(await readTensors(src)).keys()];
    if (!keys.length || !keys.every((k) => TAESD_KEY.test(k))) return false;
  }
  return true;
}
