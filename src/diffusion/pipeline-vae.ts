// Between latents and pixels: the VAE (or TAESD, where the set has it and the run asks for fast
// decoding) decodes the final latents; TAESD also decodes the previews while denoising; and an
// img2img start image is encoded. The VAE works in latents × 0.18215; TAESD in the UNet's
// latents as they are (its scaling factor is 1).
import { checkRunDims, type VaeContract } from './contract.ts';
import type { RgbaImage } from './control-units.ts';
import { asFloat32, maskedVaeImageTensor, tensorToImage, vaeImageTensor } from './image-tensors.ts';
import type { PipelineRun } from './pipeline-run.ts';
import type { TorchGenerator } from './random.ts';
import type { DeviceTensor, Session, TensorOps } from './session.ts';

export const LATENT_SCALE = 0.18215;

export interface VaeGraph {
  session: Session;
  contract: VaeContract;
}

/** TAESD's halves, when the set has them: previews and fast decoding need the decoder, fast encoding the encoder. */
export interface TaesdGraphs {
  decoder: VaeGraph | null;
  encoder: VaeGraph | null;
}

export interface VaeModels {
  vaeDecoder: VaeGraph;
  vaeEncoder: VaeGraph | null;
  taesd?: TaesdGraphs | null;
  ops: TensorOps;
}

/** Runs a decoder on [1, 4, h, w] latents (times `scale`) and reads the image back. */
async function runDecoder(dec: VaeGraph, ops: TensorOps, run: PipelineRun, latents: DeviceTensor, scale: number, size: { width: number; height: number }): Promise<RgbaImage> {
  const input = await ops.modelInput(latents, scale, 1, dec.contract.dtype);
  const out = await run.run(dec.session, { [dec.contract.input]: input }).finally(() => input.dispose());
  try {
    const image = out[dec.contract.output]!;
    checkRunDims(dec.session.label, 'vae_decoder', dec.contract.output, image.dims, [1, 3, size.height, size.width]);
    const pixels = asFloat32(await run.read(image));
    // The first values the loop reads: where fp16 overflowed, NaN has flowed through to here.
    if (!pixels.every(Number.isFinite)) throw new Error('The image came out as NaN or infinite values (usually an fp16 UNet overflowing). Try the fp32 UNet or another sampler.');
    return tensorToImage(pixels, size.width, size.height);
  } finally {
    for (const tensor of Object.values(out)) tensor.dispose();
  }
}

/** The final image: the VAE's, or TAESD's when `fast` (live mode's "Fast decode"). */
export function decodeLatents(models: VaeModels, run: PipelineRun, latents: DeviceTensor, size: { width: number; height: number }, fast: boolean): Promise<RgbaImage> {
  const taesd = models.taesd?.decoder;
  if (fast && !taesd) throw new Error('Fast decode needs TAESD, and this set has none. Add TAESD in the model manager, or turn Fast decode off.');
  return fast ? runDecoder(taesd!, models.ops, run, latents, 1, size) : runDecoder(models.vaeDecoder, models.ops, run, latents, 1 / LATENT_SCALE, size);
}

/** A real preview image of the latents, from TAESD's decoder; null when the set has no TAESD (the caller projects the latents instead). */
export function previewImage(models: VaeModels, run: PipelineRun, latents: DeviceTensor, size: { width: number; height: number }): Promise<RgbaImage> | null {
  const taesd = models.taesd?.decoder;
  return taesd ? runDecoder(taesd, models.ops, run, latents, 1, size) : null;
}

/** An inpainting UNet's masked image: the image with the mask's pixels at 0 (grey); no mask, all grey. */
export interface MaskedInput {
  mask: { data: ArrayLike<number> } | null;
}

/**
 * An img2img start image as UNet latents × 0.18215: where the encoder gives the distribution's
 * mean and log-variance (8 channels), a sample mean + std·ε with ε drawn from the run's generator,
 * as diffusers' `latent_dist.sample(generator)`; a 4-channel encoder's latents as they are.
 * TAESD's encoder (`fast`) gives its latents directly (scaling factor 1).
 */
export async function encodeImage(models: VaeModels, image: RgbaImage, run: PipelineRun, fast: boolean, generator: TorchGenerator, masked?: MaskedInput): Promise<Float32Array> {
  const taesd = models.taesd?.encoder;
  if (fast && !taesd) throw new Error('Fast encode needs TAESD’s encoder, and this set has none. Add TAESD in the model manager, or turn Fast decode off.');
  const enc = fast ? taesd! : models.vaeEncoder!;
  const input = masked ? maskedVaeImageTensor(image, masked.mask, enc.contract.dtype) : vaeImageTensor(image, enc.contract.dtype);
  const out = await run.run(enc.session, { [enc.contract.input]: input });
  try {
    const dims = out[enc.contract.output]!.dims;
    checkRunDims(enc.session.label, 'vae_encoder', enc.contract.output, dims, [1, [4, 8], image.height / 8, image.width / 8]);
    const latent = asFloat32(await run.read(out[enc.contract.output]!));
    const scale = fast ? 1 : LATENT_SCALE;
    if (dims[1] !== 8) return latent.map((v) => v * scale);
    return sampleLatent(latent, [1, 4, dims[2]!, dims[3]!], generator).map((v) => v * scale);
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/** DiagonalGaussianDistribution.sample: mean + exp(½·clamp(logvar, −30, 20))·ε, ε ~ N(0, 1) from `generator`. */
export function sampleLatent(moments: Float32Array, dims: number[], generator: TorchGenerator): Float32Array {
  const size = moments.length / 2;
  const eps = generator.randn(dims);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = moments[i]! + Math.exp(0.5 * Math.min(Math.max(moments[size + i]!, -30), 20)) * eps[i]!;
  return out;
}
