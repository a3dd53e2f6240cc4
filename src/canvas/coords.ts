// Coordinate spaces on the canvas. Document pixels are the unit source's own pixels (what
// the preprocessor sees); stage pixels are where the pointer is on screen after pan/zoom.
// Branded so a stage coordinate can't reach a raster without going through the view.

export type DocPoint = { readonly x: number; readonly y: number; readonly __space: 'doc' };
export type StagePoint = { readonly x: number; readonly y: number; readonly __space: 'stage' };

export const docPoint = (x: number, y: number) => ({ x, y }) as DocPoint;
export const stagePoint = (x: number, y: number) => ({ x, y }) as StagePoint;

/** Pan and zoom: stage = doc × scale + offset. */
export interface View {
  scale: number;
  x: number;
  y: number;
}

export function stageToDoc(view: View, p: StagePoint): DocPoint {
  return docPoint((p.x - view.x) / view.scale, (p.y - view.y) / view.scale);
}

/** The view that shows a whole document centred in a viewport, with a margin. */
export function fitView(doc: { width: number; height: number }, viewport: { width: number; height: number }, margin = 16): View {
  const scale = Math.max(0.01, Math.min((viewport.width - 2 * margin) / doc.width, (viewport.height - 2 * margin) / doc.height));
  return { scale, x: (viewport.width - doc.width * scale) / 2, y: (viewport.height - doc.height * scale) / 2 };
}

/** Zooms about a stage point (the wheel's position), keeping that point still. */
export function zoomAt(view: View, at: StagePoint, factor: number): View {
  const scale = Math.min(64, Math.max(0.05, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: at.x - (at.x - view.x) * k, y: at.y - (at.y - view.y) * k };
}
