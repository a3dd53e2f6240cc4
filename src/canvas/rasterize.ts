// A unit's source as pixels, for the preprocessor: paper (white), the placed image, then the
// strokes on their own layer so the eraser removes strokes, not the photo — the same layering
// the Konva stage shows; and its inpainting mask, from the mask strokes. Browser-only (OffscreenCanvas); decoded images are cached per file.
import { decodeImageFile } from './image-file.ts';
import { drawStroke } from './strokes.ts';
import type { Rgba } from '../preprocess/image-ops.ts';
import type { PlacedImage, UnitSource } from './source.ts';
import type { PixelMask } from '../diffusion/control-units.ts';

export const PAPER = '#ffffff';

const decoded = new WeakMap<Blob, Promise<Rgba>>();
const bitmaps = new WeakMap<Blob, Promise<ImageBitmap>>();

/** The file's pixels exactly as decodeImageFile reads them (no colour conversion). */
export function decodeCached(blob: Blob, name?: string): Promise<Rgba> {
  let job = decoded.get(blob);
  if (!job) {
    job = decodeImageFile(blob, name).then((r) => r.image);
    decoded.set(blob, job);
    job.catch(() => decoded.delete(blob));
  }
  return job;
}

/** The decoded pixels as an ImageBitmap, for drawing (Konva and the rasteriser). */
export function bitmapCached(blob: Blob): Promise<ImageBitmap> {
  let job = bitmaps.get(blob);
  if (!job) {
    job = decodeCached(blob).then((img) => createImageBitmap(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' }));
    bitmaps.set(blob, job);
  }
  return job;
}

const untouched = (src: UnitSource, image: PlacedImage) => src.strokes.length === 0 && image.x === 0 && image.y === 0 && image.scale === 1 && image.width === src.width && image.height === src.height;

export async function rasterizeSource(src: UnitSource): Promise<Rgba> {
  const image = src.image;
  // An image nobody drew on or moved goes to the preprocessor as decoded, byte for byte.
  if (image && untouched(src, image)) {
    const pixels = await decodeCached(image.blob, image.name);
    return { data: new Uint8ClampedArray(pixels.data), width: pixels.width, height: pixels.height };
  }
  const canvas = new OffscreenCanvas(src.width, src.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, src.width, src.height);
  if (image) ctx.drawImage(await bitmapCached(image.blob), image.x, image.y, image.width * image.scale, image.height * image.scale);
  if (src.strokes.length) {
    const layer = new OffscreenCanvas(src.width, src.height);
    const lctx = layer.getContext('2d')!;
    for (const stroke of src.strokes) drawStroke(lctx, stroke);
    ctx.drawImage(layer, 0, 0);
  }
  const { data, width, height } = ctx.getImageData(0, 0, src.width, src.height);
  return { data, width, height };
}

/** The canvas's inpainting mask as one byte per pixel (255 repaints), inverted when the person inverted it. */
export function rasterizeMask(src: UnitSource): PixelMask {
  const canvas = new OffscreenCanvas(src.width, src.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  for (const stroke of src.mask ?? []) drawStroke(ctx, stroke);
  const { data } = ctx.getImageData(0, 0, src.width, src.height);
  const mask = new Uint8Array(src.width * src.height);
  for (let p = 0; p < mask.length; p++) mask[p] = src.maskInverted ? 255 - data[p * 4 + 3]! : data[p * 4 + 3]!;
  return { data: mask, width: src.width, height: src.height };
}
