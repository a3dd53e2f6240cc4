import { describe, expect, it } from 'vitest';
import { latentPreview } from './latent-preview.ts';

describe('latentPreview', () => {
  it('projects each cell with the SD 1.5 factors into 0–255', () => {
    // 3×1 latent, channel-major: cell 0 has channel 0 = 1, cell 1 channel 3 = 1, cell 2 is all zeros.
    const latents = new Float32Array(12);
    latents[0] = 1;
    latents[3 * 3 + 1] = 1;
    const img = latentPreview(latents, 3, 1);
    // ComfyUI's SD 1.5 factors, worked by hand: channel 0 → (0.3512, 0.2297, 0.3227) → (1.3512/2·255, …) = (172.3, 156.8, 168.6).
    expect([...img.data.slice(0, 4)]).toEqual([172, 157, 169, 255]);
    // Channel 3 → (−0.2120, −0.2616, −0.7177) → (100.5, 94.1, 36.0).
    expect([...img.data.slice(4, 8)]).toEqual([100, 94, 36, 255]);
    expect([...img.data.slice(8, 12)]).toEqual([128, 128, 128, 255]);
  });

  it('refuses latents smaller than the stated size', () => {
    expect(() => latentPreview(new Float32Array(3), 1, 1)).toThrow(/fewer than/);
  });
});
