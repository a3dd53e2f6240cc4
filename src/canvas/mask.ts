// The inpainting mask as data: strokes on a layer of its own (the mask brush paints, the mask
// eraser removes), an inverted flag, and outpainting — the canvas grown on one side, its new
// strip masked. Pure data: the rasteriser turns it into pixels, Konva shows it as a tint.
import type { UnitSource } from './source.ts';
import type { Stroke } from './strokes.ts';

export type Side = 'left' | 'right' | 'top' | 'bottom';
export const SIDES: Side[] = ['left', 'right', 'top', 'bottom'];

/** Whether anything would be repainted: a painted mask, or an inverted one (which covers all but its strokes). */
export const hasMask = (src: UnitSource) => !!src.maskInverted || (src.mask ?? []).some((s) => s.kind === 'paint');

export const addMaskStroke = (src: UnitSource, stroke: Stroke): UnitSource => ({ ...src, mask: [...(src.mask ?? []), stroke] });
export const invertMask = (src: UnitSource): UnitSource => ({ ...src, maskInverted: !src.maskInverted });
export const clearMask = (src: UnitSource): UnitSource => ({ ...src, mask: [], maskInverted: false });

const shift = (stroke: Stroke, dx: number, dy: number): Stroke => ({ ...stroke, points: stroke.points.map((v, i) => v + (i % 2 ? dy : dx)) });

/**
 * Outpainting: the canvas grows by `px` on `side`; what is there moves with it, and the new
 * strip is masked (one stroke as wide as the strip, through its middle, reaching past both ends).
 */
export function extendSource(src: UnitSource, side: Side, px: number): UnitSource {
  const n = Math.round(px);
  if (!(n > 0)) return src;
  const horizontal = side === 'left' || side === 'right';
  const [dx, dy] = [side === 'left' ? n : 0, side === 'top' ? n : 0];
  const [width, height] = [src.width + (horizontal ? n : 0), src.height + (horizontal ? 0 : n)];
  const mid = side === 'left' || side === 'top' ? n / 2 : (horizontal ? src.width : src.height) + n / 2;
  // Round caps reach half the width past each end, outside the canvas, so the strip is covered to its corners.
  const points = horizontal ? [mid, -n, mid, height + n] : [-n, mid, width + n, mid];
  // With an inverted mask the strip must not be painted, or inverting would keep it.
  const strip: Stroke = { kind: src.maskInverted ? 'erase' : 'paint', color: 'white', size: n, points };
  return {
    ...src,
    width,
    height,
    image: src.image ? { ...src.image, x: src.image.x + dx, y: src.image.y + dy } : null,
    strokes: src.strokes.map((s) => shift(s, dx, dy)),
    mask: [...(src.mask ?? []).map((s) => shift(s, dx, dy)), strip],
  };
}
