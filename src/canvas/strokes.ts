// A unit's drawing as data: strokes in document pixels, kept as strokes (not pixels) so
// the drawing survives a reload exactly and undo is cheap. Rasterised with the 2D canvas
// API in the same order Konva draws them, so the preprocessor sees what the person sees.

export type StrokeColor = 'white' | 'black';

export interface Stroke {
  /** "erase" removes earlier strokes' pixels (the image or background shows through). */
  kind: 'paint' | 'erase';
  color: StrokeColor;
  size: number;
  /** Flat [x0, y0, x1, y1, …] in document pixels, as Konva.Line takes them. */
  points: number[];
}

export const STROKE_RGB: Record<StrokeColor, string> = { white: '#ffffff', black: '#000000' };

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export function drawStroke(ctx: Ctx2D, stroke: Stroke): void {
  const p = stroke.points;
  if (p.length < 2) return;
  ctx.save();
  ctx.globalCompositeOperation = stroke.kind === 'erase' ? 'destination-out' : 'source-over';
  ctx.strokeStyle = STROKE_RGB[stroke.color];
  ctx.lineWidth = stroke.size;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(p[0]!, p[1]!);
  // A single click is a dot: a zero-length segment with round caps.
  if (p.length === 2) ctx.lineTo(p[0]!, p[1]!);
  for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i]!, p[i + 1]!);
  ctx.stroke();
  ctx.restore();
}
