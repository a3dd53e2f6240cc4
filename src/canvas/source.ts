// What a unit's canvas holds: the paper size, an optional placed image and the strokes.
// Canvas data (the tools, the rasteriser and undo work on it); the store keeps one per unit.
import type { Stroke } from './strokes.ts';

export interface PlacedImage {
  /** The file as dropped: kept (in IndexedDB, its own record) so a reload decodes the same pixels. */
  blob: Blob;
  /** Names the file's record; the same upload keeps its id through moves and undo. */
  imageId: string;
  name: string;
  width: number;
  height: number;
  /** Placement in document pixels: moved and scaled on the canvas. */
  x: number;
  y: number;
  scale: number;
}

/** What a unit's canvas holds; one undo step is one change to it. */
export interface UnitSource {
  width: number;
  height: number;
  image: PlacedImage | null;
  strokes: Stroke[];
  /** The inpainting mask, painted (and erased) like strokes: where it covers, a generation repaints. */
  mask?: Stroke[];
  /** The mask is inverted: everything but the painted part repaints. */
  maskInverted?: boolean;
}
