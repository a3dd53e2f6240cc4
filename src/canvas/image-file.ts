// Turns a file the person dropped, pasted or picked into RGBA pixels on the main thread,
// with clear errors: not an image, undecodable, empty; and images over 8192 px a side
// decoded scaled down, with a notice.
import { imageDimensions, sniffImageKind } from '../image/sniff.ts';
import { MAX_SIDE, type Rgba } from '../preprocess/image-ops.ts';

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export async function decodeImageFile(file: Blob, name = (file as File).name ?? 'The file'): Promise<{ image: Rgba; notice: string | null }> {
  const head = new Uint8Array(await file.slice(0, 65536).arrayBuffer());
  const kind = sniffImageKind(head);
  if (!kind) throw new ImageInputError(`${name} is not an image. Use a PNG, JPEG, WebP, GIF or BMP file.`);
  const dims = imageDimensions(head);
  if (dims && (dims.width === 0 || dims.height === 0)) throw new ImageInputError(`${name} is an empty (${dims.width}×${dims.height}) image.`);
  let options: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };
  let notice: string | null = null;
  if (dims && Math.max(dims.width, dims.height) > MAX_SIDE) {
    const k = MAX_SIDE / Math.max(dims.width, dims.height);
    const [w, h] = [Math.max(1, Math.round(dims.width * k)), Math.max(1, Math.round(dims.height * k))];
    options = { ...options, resizeWidth: w, resizeHeight: h, resizeQuality: 'high' };
    notice = `${name} is ${dims.width}×${dims.height}; it was scaled down to ${w}×${h} (the limit is ${MAX_SIDE} px a side).`;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, options);
  } catch {
    throw new ImageInputError(`${name} looks like a ${kind.toUpperCase()} but could not be decoded: it may be damaged or too large for this browser.`);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new ImageInputError('This browser cannot read image pixels (no 2D canvas).');
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { image: { data, width, height }, notice };
  } finally {
    bitmap.close();
  }
}
