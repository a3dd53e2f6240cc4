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

  it('finds XDoG lines where the wide blur is brighter than the narrow one: inside a dark square, along its border, worked by hand', () => {
    // A black 32×32 square on white. Just inside its border the σ 5 blur sees the white around it
    // (about half: g2 ≈ 127) while the σ 0.5 blur barely does (g1 ≈ 27): g2 − g1 ≈ 100, so 2·100 > 32
    // draws a line. Outside, g2 − g1 < 0; at the centre, 16 px (3.2σ) from the border, g2 − g1 < 1.
    const size = 64;
    const data = new Uint8ClampedArray(size * size * 4);
    const inside = (x: number, y: number) => x >= 16 && x < 48 && y >= 16 && y < 48;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(inside(x, y) ? [0, 0, 0, 255] : [255, 255, 255, 255], (y * size + x) * 4);
    const square = { data, width: size, height: size };
    const lines = xdog(square);
    const at = (x: number, y: number) => lines[y * size + x] === 255;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (at(x, y)) expect(inside(x, y), `line at ${x},${y}`).toBe(true);
    for (const [x, y] of [
      [16, 32],
      [47, 32],
      [32, 16],
      [32, 47],
    ] as const)
      expect(at(x, y), `border ${x},${y}`).toBe(true);
    expect(at(32, 32)).toBe(false);
    // Thickened as ControlNet's fake scribble does (σ 3 blur, > 4): every line pixel stays, and strokes reach at most 3σ out.
    const thick = fakeScribble(square);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const on = thick.data[(y * size + x) * 4] === 255;
        if (at(x, y)) expect(on, `kept ${x},${y}`).toBe(true);
        if (on) expect(x >= 16 - 9 && x < 48 + 9 && y >= 16 - 9 && y < 48 + 9, `stroke at ${x},${y}`).toBe(true);
      }
  });
});
