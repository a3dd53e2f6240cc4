// What an inpainted image must show, column by column: left of the blurred mask's reach every
// pixel is the input's, byte for byte; under the mask most pixels are new. The two images may
// differ in width (an outpaint), so each is indexed by its own.
import { expect } from '@playwright/test';

interface Pixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** Checks that columns 0…keptBefore−1 are the input's (RGB); returns how many pixels of columns `changed` [from, to] differ in red. */
export function checkInpainted(result: Pixels, input: Pixels, keptBefore: number, changed: [number, number] = [0, -1]): number {
  let count = 0;
  for (let y = 0; y < input.height; y++)
    for (let x = 0; x < result.width; x++) {
      const [r, i] = [(y * result.width + x) * 4, (y * input.width + x) * 4];
      if (x < keptBefore) for (let c = 0; c < 3; c++) expect(result.data[r + c], `pixel ${x},${y}`).toBe(input.data[i + c]);
      if (x >= changed[0] && x <= changed[1] && result.data[r] !== input.data[i]) count++;
    }
  return count;
}
