// A cheap look at the latents during denoising: each latent cell's 4 channels projected to
// RGB by a fixed linear map (the SD 1.5 factors ComfyUI and A1111 use for "approx cheap"
// previews). One pixel per latent cell; the UI scales it up. No VAE run, no extra readback.
import type { RgbaImage } from './control-units.ts';

/** Rows: latent channel; columns: R, G, B contribution. */
export const SD15_LATENT_RGB: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/** latents: [1, 4, h, w] in the pipeline's NCHW layout (the first image of a batch). */
export function latentPreview(latents: Float32Array, width: number, height: number): RgbaImage {
  const plane = width * height;
  if (latents.length < 4 * plane) throw new Error(`Latents hold ${latents.length} values, fewer than 4×${width}×${height}.`);
  const data = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += latents[k * plane + p]! * SD15_LATENT_RGB[k]![c]!;
      // The projection lands roughly in [-1, 1].
      data[p * 4 + c] = ((v + 1) / 2) * 255;
    }
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** A step's preview as the studio shows it: TAESD's image when there is one, else the latents projected (one pixel per cell). */
export function stepPreview(step: { latents: Float32Array | null; image: RgbaImage | null }, size: { width: number; height: number }): RgbaImage | undefined {
  if (step.image) return step.image;
  return step.latents ? latentPreview(step.latents, size.width / 8, size.height / 8) : undefined;
}
