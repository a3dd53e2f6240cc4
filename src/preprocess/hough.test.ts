// Hough lines: synthetic shapes with known lines are recovered within 1 px and 1°,
// and ControlNet's house photo gives a clean line map.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canny } from './canny.ts';
import { drawSegments, houghLinesP, type Segment } from './hough.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedPath } from '../test/shared-data.ts';

const W = 160;
const H = 120;

/** A grey image with filled polygons (so edges are where the shapes' borders are). */
function shapes(fill: (x: number, y: number) => boolean) {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) (data.fill(fill(x, y) ? 220 : 30, (y * W + x) * 4, (y * W + x) * 4 + 3), (data[(y * W + x) * 4 + 3] = 255));
  return { data, width: W, height: H };
}

const angle = ([x1, y1, x2, y2]: number[]) => ((Math.atan2(y2! - y1!, x2! - x1!) * 180) / Math.PI + 180) % 180;
/** Distance from point to the infinite line through the segment. */
const distToLine = (px: number, py: number, [x1, y1, x2, y2]: number[]) => Math.abs((x2! - x1!) * (y1! - py) - (x1! - px) * (y2! - y1!)) / Math.hypot(x2! - x1!, y2! - y1!);

/** Every expected line has a detected segment within 1° whose endpoints lie within 1 px of it (edges sit between pixels: ±0.5 each side). */
function expectRecovered(found: Segment[], expected: number[][]) {
  for (const line of expected) {
    const match = found.find((s) => {
      const da = Math.abs(angle(s) - angle(line));
      return Math.min(da, 180 - da) <= 1 && distToLine(s[0], s[1], line) <= 1.5 && distToLine(s[2], s[3], line) <= 1.5 && Math.hypot(s[2] - s[0], s[3] - s[1]) > 20;
    });
    expect(match, `line ${line.join(',')} in ${JSON.stringify(found)}`).toBeDefined();
  }
}

describe('probabilistic Hough lines', () => {
  it('recovers the four sides of a rectangle, one segment each and nothing else', () => {
    const img = shapes((x, y) => x >= 40 && x < 120 && y >= 30 && y < 90);
    const lines = houghLinesP(canny(img, { low: 100, high: 200 }), W, H);
    expect(lines).toHaveLength(4);
    expectRecovered(lines, [
      [40, 30, 119, 30],
      [40, 89, 119, 89],
      [40, 30, 40, 89],
      [119, 30, 119, 89],
    ]);
  });

  it('recovers a grid, one segment per grid line and nothing else', () => {
    const img = shapes((x, y) => Math.floor(x / 40) % 2 !== Math.floor(y / 40) % 2);
    const lines = houghLinesP(canny(img, { low: 100, high: 200 }), W, H);
    expect(lines).toHaveLength(5);
    expectRecovered(lines, [
      [40, 0, 40, 119],
      [80, 0, 80, 119],
      [120, 0, 120, 119],
      [0, 40, 159, 40],
      [0, 80, 159, 80],
    ]);
  });

  it('recovers a tilted line', () => {
    const tan = Math.tan((25 * Math.PI) / 180);
    const img = shapes((x, y) => y > 20 + (x - 10) * tan);
    const lines = houghLinesP(canny(img, { low: 100, high: 200 }), W, H);
    expectRecovered(lines, [[10, 20, 150, 20 + 140 * tan]]);
  });

  it("gives a clean line map on ControlNet's house photo", () => {
    const house = decodePngImage(new Uint8Array(readFileSync(sharedPath('reference', 'canny', 'house.input.png'))));
    const edges = canny(house, { low: 100, high: 200 });
    const lines = houghLinesP(edges, house.width, house.height);
    const map = drawSegments(lines, house.width, house.height);
    // Lines follow edges: nearly every lit pixel has an edge within 2 px.
    let lit = 0;
    let nearEdge = 0;
    for (let y = 0; y < house.height; y++)
      for (let x = 0; x < house.width; x++) {
        if (!map[(y * house.width + x) * 4]) continue;
        lit++;
        let near = false;
        for (let dy = -2; dy <= 2 && !near; dy++)
          for (let dx = -2; dx <= 2 && !near; dx++) near = !!edges[Math.min(Math.max(y + dy, 0), house.height - 1) * house.width + Math.min(Math.max(x + dx, 0), house.width - 1)];
        if (near) nearEdge++;
      }
    expect(nearEdge / lit).toBeGreaterThan(0.95);
    // Sparse, like M-LSD's maps: a small fraction of the image.
    expect(lit / (house.width * house.height)).toBeLessThan(0.1);
  });
});
