// The mask as data: the mask tools paint and erase it, and outpainting grows the canvas with
// everything on it moved along and the new strip masked.
import { describe, expect, it } from 'vitest';
import { extendSource, hasMask, invertMask } from './mask.ts';
import type { UnitSource } from './source.ts';
import { pointerDown, pointerUp } from './tools.ts';
import type { DocPoint } from './coords.ts';

const at = (x: number, y: number) => ({ x, y }) as DocPoint;
const src = (): UnitSource => ({
  width: 100,
  height: 80,
  image: { blob: new Blob([]), imageId: 'i', name: 'p.png', width: 100, height: 80, x: 0, y: 0, scale: 1 },
  strokes: [{ kind: 'paint', color: 'black', size: 4, points: [10, 10, 20, 20] }],
  mask: [{ kind: 'paint', color: 'white', size: 8, points: [50, 40] }],
});

describe('mask tools', () => {
  it('paint and erase white mask strokes whatever the brush colour', () => {
    const stroke = (tool: 'mask' | 'unmask') => pointerUp(pointerDown({ tool, size: 12, color: 'black' }, at(3, 4)).state).commit!;
    expect(stroke('mask')).toEqual({ kind: 'paint', color: 'white', size: 12, points: [3, 4] });
    expect(stroke('unmask')).toMatchObject({ kind: 'erase', color: 'white' });
  });

  it('counts an inverted empty mask as a mask (it covers everything)', () => {
    const empty = { ...src(), mask: [] };
    expect(hasMask(empty)).toBe(false);
    expect(hasMask(invertMask(empty))).toBe(true);
  });
});

describe('outpainting', () => {
  it('grows the canvas on the left: image, strokes and mask move right, the new strip is masked', () => {
    const out = extendSource(src(), 'left', 32);
    expect([out.width, out.height]).toEqual([132, 80]);
    expect([out.image!.x, out.image!.y]).toEqual([32, 0]);
    expect(out.strokes[0]!.points).toEqual([42, 10, 52, 20]);
    expect(out.mask![0]!.points).toEqual([82, 40]);
    // A 32-wide stroke down x = 16, reaching past the top and bottom.
    expect(out.mask![1]).toEqual({ kind: 'paint', color: 'white', size: 32, points: [16, -32, 16, 112] });
  });

  it('grows the canvas at the bottom without moving anything; an inverted mask gets the strip erased', () => {
    const out = extendSource(invertMask(src()), 'bottom', 16);
    expect([out.width, out.height]).toEqual([100, 96]);
    expect(out.strokes[0]!.points).toEqual([10, 10, 20, 20]);
    expect(out.mask![1]).toEqual({ kind: 'erase', color: 'white', size: 16, points: [-16, 88, 116, 88] });
  });
});
