import { describe, expect, it } from 'vitest';
import { latentPreview, SD15_LATENT_RGB } from './latent-preview.ts';

describe('latentPreview', () => {
  it('projects each cell with the SD 1.5 factors into 0–255', () => {
    // 2×1 latent: cell 0 is channel 0 = 1 only, cell 1 is all zeros (mid grey).
    const latents = new Float32Array([1, 0, 0, 0, 0, 0, 0, 0]);
    const img = latentPreview(latents, 2, 1);
    const expected = SD15_LATENT_RGB[0]!.map((f) => Math.round(((f + 1) / 2) * 255));
    expect([...img.data.slice(0, 3)]).toEqual(expected);
    expect([...img.data.slice(4, 8)]).toEqual([128, 128, 128, 255]);
  });

  it('refuses latents smaller than the stated size', () => {
    expect(() => latentPreview(new Float32Array(3), 1, 1)).toThrow(/fewer than/);
  });
});
