import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeScribble, scribbleFromDrawing, xdog } from './scribble.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedPath } from '../test/shared-data.ts';

const image = (name: string) => decodePngImage(new Uint8Array(readFileSync(sharedPath('images', name))));
const lit = (img: { data: Uint8ClampedArray }) => {
  let n = 0;
  for (let p = 0; p < img.data.length; p += 4) if (img.data[p]) n++;
  return n;
};

describe('scribble maps', () => {
  it("turns an uploaded drawing's dark pixels (< 127) into white lines, like ControlNet's scribble app", () => {
    const bag = image('bag_scribble.png');
    const map = scribbleFromDrawing(bag);
    // Pixel for pixel: white exactly where the drawing is dark in every channel's minimum, black elsewhere.
    let wrong = 0;
    for (let p = 0; p < bag.data.length; p += 4) {
      const line = Math.min(bag.data[p]!, bag.data[p + 1]!, bag.data[p + 2]!) < 127;
      if (map.data[p] !== (line ? 255 : 0) || map.data[p + 1] !== map.data[p] || map.data[p + 2] !== map.data[p]) wrong++;
    }
    expect(wrong).toBe(0);
    expect(lit(map)).toBeGreaterThan(1000);
  });

  it('finds XDoG lines on a photo and thickens them into scribble strokes', () => {
    const bird = image('bird.png');
    const small = { ...bird };
    const lines = xdog(small);
    const lineCount = lines.reduce((n, v) => n + (v ? 1 : 0), 0);
    expect(lineCount / lines.length).toBeGreaterThan(0.01);
    expect(lineCount / lines.length).toBeLessThan(0.5);
    const thick = fakeScribble(small);
    expect(lit(thick)).toBeGreaterThan(lineCount);
    // A higher threshold keeps fewer lines.
    expect(xdog(small, 64).reduce((n, v) => n + (v ? 1 : 0), 0)).toBeLessThan(lineCount);
  }, 60_000);
});
