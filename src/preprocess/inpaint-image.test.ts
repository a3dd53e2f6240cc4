// The pixel side of inpainting, on hand-worked cases: A1111's crop box, mask blur, fill and
// the composite that keeps every pixel outside the mask.
import { describe, expect, it } from 'vitest';
import { blurMask, compositeMasked, cropRegion, fillMasked, pasteInto, type PixelMask } from './inpaint-image.ts';
import { cropToInputBox, inputParameterFields } from './img2img.ts';

function maskWith(width: number, height: number, on: (x: number, y: number) => boolean): PixelMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = on(x, y) ? 255 : 0;
  return { data, width, height };
}
const solid = (width: number, height: number, rgb: (x: number, y: number) => [number, number, number]) => {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], (y * width + x) * 4);
  return { data, width, height };
};

describe('only masked: the crop box', () => {
  it('is the mask box plus padding, grown to the generation aspect ratio (A1111 get_crop_region + expand_crop_region)', () => {
    // Box x 40–49, y 10–29; padding 5 → x 35–54, y 5–34 (20 × 30); square target → width grows by 10, centred.
    const mask = maskWith(100, 100, (x, y) => x >= 40 && x < 50 && y >= 10 && y < 30);
    expect(cropRegion(mask, 5, { width: 64, height: 64 })).toEqual({ x: 30, y: 5, width: 30, height: 30 });
    // At the image's edge: padded to x 0–14 × y 45–64; a 2:1 target grows the width to 40, centred (x −12…27), then shifted back inside: x 0–39.
    const edge = maskWith(100, 100, (x, y) => x < 10 && y >= 50 && y < 60);
    expect(cropRegion(edge, 5, { width: 128, height: 64 })).toEqual({ x: 0, y: 45, width: 40, height: 20 });
  });
});

describe('mask blur', () => {
  it('spreads a hard edge over A1111’s kernel (σ = blur, 2·⌊2.5·blur + ½⌋ + 1 taps) and keeps the far side', () => {
    const mask = maskWith(40, 4, (x) => x >= 20);
    const blurred = blurMask(mask, 4);
    const row = Array.from(blurred.data.subarray(0, 40));
    // 21 taps: the edge reaches 10 px to either side, no further.
    expect(row.slice(0, 10).every((v) => v === 0)).toBe(true);
    expect(row.slice(30).every((v) => v === 255)).toBe(true);
    // Symmetric about the edge: v(19 − k) + v(20 + k) = 255.
    for (let k = 0; k < 10; k++) expect(Math.abs(row[19 - k]! + row[20 + k]! - 255)).toBeLessThanOrEqual(1);
    expect(blurMask(mask, 0)).toBe(mask);
  });
});

describe('fill', () => {
  it('paints the masked area with the colours around it', () => {
    // Left half red, right half blue; the right half masked: only red is kept, so the fill is red.
    const image = solid(32, 16, (x) => (x < 16 ? [200, 0, 0] : [0, 0, 200]));
    const filled = fillMasked(
      image,
      maskWith(32, 16, (x) => x >= 16),
    );
    for (let p = 0; p < 32 * 16; p++) {
      expect(Math.abs(filled.data[p * 4]! - 200)).toBeLessThanOrEqual(2);
      expect(filled.data[p * 4 + 2]).toBeLessThanOrEqual(2);
    }
  });
});

describe('composite', () => {
  it('keeps the input’s bytes where the mask is 0, takes the result where it is 255 and mixes between', () => {
    const input = solid(3, 1, () => [10, 20, 30]);
    const generated = solid(3, 1, () => [250, 240, 230]);
    const mask = { data: Uint8Array.of(0, 255, 51), width: 3, height: 1 };
    const out = compositeMasked(input, generated, mask);
    expect(Array.from(out.data)).toEqual([10, 20, 30, 255, 250, 240, 230, 255, 58, 64, 70, 255]);
  });

  it('pastes a crop back into its box, scaled to it', () => {
    const base = solid(4, 4, () => [0, 0, 0]);
    const out = pasteInto(
      base,
      solid(2, 2, () => [9, 9, 9]),
      { x: 1, y: 2, width: 2, height: 2 },
    );
    const lit = Array.from({ length: 16 }, (_, p) => out.data[p * 4])
      .map((v, p) => (v ? p : -1))
      .filter((p) => p >= 0);
    expect(lit).toEqual([9, 10, 13, 14]);
  });
});

describe('only masked: other units’ maps', () => {
  it('are cropped to the generated box, scaled from the input to the map, then scaled up to the generation size', () => {
    // A 64×64 map of a 128×128 input: its left half dark, right half lit. The box is the input's right half (x 64–127, all rows),
    // which is the map's x 32–63: the crop is lit everywhere.
    const map = solid(64, 64, (x) => (x < 32 ? [0, 0, 0] : [200, 200, 200]));
    const right = cropToInputBox(map, { box: { x: 64, y: 0, width: 64, height: 128 }, width: 128, height: 128 });
    expect([right.width, right.height]).toEqual([64, 64]);
    expect(Array.from({ length: 64 * 64 }, (_, p) => right.data[p * 4]).every((v) => v === 200)).toBe(true);
    // The top-left quarter of the input (x, y 0–63) is the map's x, y 0–31: dark throughout.
    const corner = cropToInputBox(map, { box: { x: 0, y: 0, width: 64, height: 64 }, width: 128, height: 128 });
    expect(Array.from({ length: 64 * 64 }, (_, p) => corner.data[p * 4]).every((v) => v === 0)).toBe(true);
  });
});

describe('PNG parameters', () => {
  it('names what A1111 writes for img2img and for inpainting', () => {
    const image = solid(8, 8, () => [0, 0, 0]);
    expect(inputParameterFields({ image, strength: 0.6, resizeMode: 'just-resize' })).toEqual([['Denoising strength', 0.6]]);
    const mask = maskWith(8, 8, (x) => x > 3);
    expect(inputParameterFields({ image, strength: 0.75, resizeMode: 'just-resize', mask, inpaint: { maskBlur: 4, content: 'noise', area: 'masked', padding: 32 } })).toEqual([
      ['Denoising strength', 0.75],
      ['Mask blur', 4],
      ['Inpaint area', 'Only masked'],
      ['Masked area padding', 32],
      ['Masked content', 'latent noise'],
    ]);
  });
});
