// Where the denoising starts: pure noise (txt2img), an image noised part-way (img2img), or an
// image with a mask (inpainting). After diffusers' img2img and inpaint pipelines, draw for draw
// from the one torch-compatible generator, so a seed gives their latents:
//   img2img:    the image's latents (latent_dist.sample), then the start noise;
//   inpainting: the image's latents (skipped by a 9-channel UNet starting from pure noise), the
//               start noise, then the masked image's latents (drawn and ignored by a 4-channel UNet).
// Masked content (A1111's "latent noise" / "latent nothing") changes the masked part of the
// image's latents before they are noised; "fill" was done on the pixels before.
import type { PixelMask, RgbaImage } from './control-units.ts';

export type { PixelMask };
import { latentFeed } from './image-tensors.ts';
import type { PipelineRun } from './pipeline-run.ts';
import { encodeImage, type VaeModels } from './pipeline-vae.ts';
import type { TorchGenerator } from './random.ts';
import type { Scheduler } from './schedulers/types.ts';
import type { DeviceTensor, TensorOps } from './session.ts';

/** A1111's masked content at the latent level ("fill" is done on the pixels before the run). */
export type LatentContent = 'original' | 'noise' | 'nothing';

export interface InitImage {
  image: RgbaImage;
  strength: number;
  /** Inpainting: repaint only where the mask is set. */
  mask?: PixelMask;
  content?: LatentContent;
}

/** What the loop needs for inpainting: the UNet's extra channels, or the legacy per-step blend. */
export interface InpaintState {
  /** A 9-channel UNet's mask and masked-image latents, float32 [1, 5, h, w]. */
  extra: DeviceTensor | null;
  /** A 4-channel UNet's mask at latent size [1, 1, h, w] (1 = repaint) and the image's latents and start noise. */
  legacy: { mask: DeviceTensor; imageLatents: Float32Array; noise: Float32Array } | null;
}

export interface StartModels extends VaeModels {
  unet: { contract: { inpainting: boolean } };
}

interface Schedule {
  scheduler: Scheduler;
  timesteps: number[];
  generator: TorchGenerator;
  dims: number[];
  fast: boolean;
}

/** Binarised at ½ and taken nearest at latent size, as diffusers' mask processor and F.interpolate. */
export function latentMask(mask: PixelMask, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  const [sy, sx] = [mask.height / h, mask.width / w];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = mask.data[Math.floor(y * sy) * mask.width + Math.floor(x * sx)]! >= 128 ? 1 : 0;
  return out;
}

/** The start latents, and the inpainting state the loop needs (null for txt2img and img2img). */
export async function startLatents(models: StartModels, init: InitImage | undefined, run: PipelineRun, s: Schedule): Promise<{ latents: Float32Array; inpaint: InpaintState | null }> {
  const nine = models.unet.contract.inpainting;
  if (!init?.mask && !nine) {
    if (!init) return { latents: s.generator.randn(s.dims).map((v) => v * s.scheduler.initNoiseSigma), inpaint: null };
    const encoded = await encodeImage(models, init.image, run, s.fast, s.generator);
    return { latents: s.scheduler.addNoise(encoded, s.generator.randn(s.dims), s.timesteps[0]!), inpaint: null };
  }
  // Without a mask a 9-channel UNet repaints everything (a full mask over a grey image), as A1111 feeds it.
  const [h, w] = [s.dims[2]!, s.dims[3]!];
  const mask = init?.mask ? latentMask(init.mask, h, w) : new Float32Array(h * w).fill(1);
  const fromNoise = !init || init.strength >= 1;
  const imageLatents = init && !(nine && fromNoise) ? await encodeImage(models, init.image, run, s.fast, s.generator) : null;
  const noise = s.generator.randn(s.dims);
  // The masked image's latents come from the VAE, never TAESD: the UNet was trained on the VAE's.
  const blank = { data: new Uint8ClampedArray(64 * h * w * 4), width: 8 * w, height: 8 * h };
  const maskedLatents = nine ? await encodeImage(models, init?.image ?? blank, run, false, s.generator, { mask: init?.mask ?? null }) : (s.generator.randn(s.dims), null);
  const start = imageLatents && init?.content && init.content !== 'original' ? withContent(imageLatents, mask, init.content, s) : imageLatents;
  const latents = fromNoise || !start ? noise.map((v) => v * s.scheduler.initNoiseSigma) : s.scheduler.addNoise(start, noise, s.timesteps[0]!);
  const ops = models.ops;
  if (maskedLatents) return { latents, inpaint: { extra: await ops.upload({ type: 'float32', dims: [1, 5, h, w], data: concat(mask, maskedLatents) }), legacy: null } };
  const maskTensor = await ops.upload({ type: 'float32', dims: [1, 1, h, w], data: mask });
  return { latents, inpaint: { extra: null, legacy: { mask: maskTensor, imageLatents: imageLatents!, noise } } };
}

/** "latent noise" fills the masked latents with fresh noise; "latent nothing" with zeros (A1111's inpainting_fill 2 and 3). */
function withContent(latents: Float32Array, mask: Float32Array, content: LatentContent, s: Schedule): Float32Array {
  const fresh = content === 'noise' ? s.generator.randn(s.dims) : null;
  const plane = mask.length;
  return latents.map((v, i) => (mask[i % plane]! ? (fresh ? fresh[i]! : 0) : v));
}

function concat(mask: Float32Array, latents: Float32Array): Float32Array {
  const out = new Float32Array(mask.length + latents.length);
  out.set(mask);
  out.set(latents, mask.length);
  return out;
}

/** Legacy inpainting after step i: the unmasked latents become the image's, noised to the next timestep. */
export async function blendUnmasked(ops: TensorOps, legacy: NonNullable<InpaintState['legacy']>, latents: DeviceTensor, scheduler: Scheduler, next: number | undefined): Promise<DeviceTensor> {
  const keepValues = next === undefined ? legacy.imageLatents : scheduler.addNoise(legacy.imageLatents, legacy.noise, next);
  const keep = await ops.upload(latentFeed(keepValues, latents.dims, 'float32'));
  try {
    return await ops.maskBlend(latents, keep, legacy.mask);
  } finally {
    keep.dispose();
  }
}

export function disposeInpaint(state: InpaintState | null): void {
  state?.extra?.dispose();
  state?.legacy?.mask.dispose();
}
