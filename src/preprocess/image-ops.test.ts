import { describe, expect, it } from 'vitest';
import { assertImage, fitToSize, hwc3, limitSize, pixelPerfectResolution, resize, resizeToResolution, type Rgba } from './image-ops.ts';

const solid = (w: number, h: number, rgba: number[]): Rgba => {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set(rgba, p * 4);
  return { data, width: w, height: h };
};

describe('image preparation', () => {
  it("composites alpha onto white first (ControlNet's HWC3)", () => {
    const out = hwc3({ data: Uint8ClampedArray.of(0, 0, 0, 0, 255, 0, 0, 255, 100, 100, 100, 128), width: 3, height: 1 });
    expect([...out.data]).toEqual([255, 255, 255, 255, 255, 0, 0, 255, 177, 177, 177, 255]);
  });

  it("uses A1111's pixel-perfect formula", () => {
    const raw = { width: 1024, height: 768 };
    const target = { width: 512, height: 512 };
    expect(pixelPerfectResolution(raw, target, 'crop-and-resize')).toBe(Math.round(Math.max(512 / 768, 512 / 1024) * 768));
    expect(pixelPerfectResolution(raw, target, 'just-resize')).toBe(512);
    expect(pixelPerfectResolution(raw, target, 'resize-and-fill')).toBe(384);
  });

  it('fits maps with the three resize modes', () => {
    // A 200×100 image: left half red, right half blue.
    const img = solid(200, 100, [255, 0, 0, 255]);
    for (let y = 0; y < 100; y++) for (let x = 100; x < 200; x++) img.data.set([0, 0, 255, 255], (y * 200 + x) * 4);
    const px = (m: Rgba, x: number, y: number) => [...m.data.subarray((y * m.width + x) * 4, (y * m.width + x) * 4 + 3)];
    const just = fitToSize(img, 64, 64, 'just-resize');
    expect([just.width, just.height]).toEqual([64, 64]);
    expect(px(just, 0, 32)).toEqual([255, 0, 0]);
    const crop = fitToSize(img, 64, 64, 'crop-and-resize');
    // Cropping the centre square keeps both halves, split in the middle, with no padding.
    expect(px(crop, 0, 0)).toEqual([255, 0, 0]);
    expect(px(crop, 63, 63)).toEqual([0, 0, 255]);
    const fill = fitToSize(img, 64, 64, 'resize-and-fill');
    // Contained: 64×32 in the middle, black bars above and below.
    expect(px(fill, 32, 0)).toEqual([0, 0, 0]);
    expect(px(fill, 0, 32)).toEqual([255, 0, 0]);
    expect(px(fill, 63, 32)).toEqual([0, 0, 255]);
  });

  it('keeps binary maps binary when asked (nearest)', () => {
    const img = solid(10, 10, [0, 0, 0, 255]);
    img.data.set([255, 255, 255, 255], (5 * 10 + 5) * 4);
    const up = resize(img, 37, 37, true);
    expect(new Set([...up.data].filter((_, i) => i % 4 === 0))).toEqual(new Set([0, 255]));
  });

  it("resizes the short side to the preprocessor resolution, in multiples of 64 (ControlNet's resize_image)", () => {
    const out = resizeToResolution(solid(300, 200, [1, 2, 3, 255]), 512);
    expect([out.width, out.height]).toEqual([768, 512]);
  });

  it('refuses a 0×0 image and scales a side over 8192 px down, with a notice', () => {
    expect(() => assertImage({ data: new Uint8ClampedArray(0), width: 0, height: 0 })).toThrow(/empty/);
    const big = { data: new Uint8ClampedArray(9000 * 4 * 4), width: 9000, height: 4 };
    const { image, notice } = limitSize(big);
    expect(image.width).toBe(8192);
    expect(notice).toMatch(/9000×4.*8192/);
    expect(limitSize(solid(10, 10, [0, 0, 0, 255])).notice).toBeNull();
  });
});
