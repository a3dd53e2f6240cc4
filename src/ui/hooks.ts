// Small React bridges from data to things the DOM and Konva draw: object URLs for Blobs,
// bitmaps for RGBA pixels and image files. Each releases what it made.
import { useEffect, useState } from 'react';
import type { RgbaImage } from '../diffusion/control-units.ts';
import { bitmapCached } from '../canvas/rasterize.ts';
import { encodePngWithText } from '../image/png.ts';

export function useObjectUrl(blob: Blob | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) return setUrl(null);
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

/** A PNG of RGBA pixels as an object URL (control-map previews, latent previews). */
export function usePngUrl(image: RgbaImage | null): string | null {
  const [blob, setBlob] = useState<Blob | null>(null);
  useEffect(() => setBlob(image ? new Blob([encodePngWithText(image, {}) as Uint8Array<ArrayBuffer>], { type: 'image/png' }) : null), [image]);
  return useObjectUrl(blob);
}

export function useRgbaBitmap(image: RgbaImage | null): ImageBitmap | null {
  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null);
  useEffect(() => {
    if (!image) return setBitmap(null);
    let live = true;
    void createImageBitmap(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height)).then((b) => (live ? setBitmap(b) : b.close()));
    return () => {
      live = false;
    };
  }, [image]);
  // A bitmap is closed only once a newer one (or none) has replaced it on screen: closing it when
  // the image changed left Konva drawing a detached bitmap until the new one was decoded.
  useEffect(() => () => bitmap?.close(), [bitmap]);
  return bitmap;
}

/** Decoded image files are cached per Blob (shared with the rasteriser), so nothing is closed here. */
export function useFileBitmap(blob: Blob | null): ImageBitmap | null {
  const [bitmap, setBitmap] = useState<ImageBitmap | null>(null);
  useEffect(() => {
    if (!blob) return setBitmap(null);
    let live = true;
    void bitmapCached(blob).then(
      (b) => live && setBitmap(b),
      () => live && setBitmap(null),
    );
    return () => {
      live = false;
    };
  }, [blob]);
  return bitmap;
}

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
