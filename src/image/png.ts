// PNG files with A1111-style text metadata. Pixels are encoded by fast-png; chunks are
// split and joined by png-chunks-extract/-encode. Like A1111 (PIL), a Latin-1 text goes
// in a tEXt chunk (png-chunk-text) and anything else in an uncompressed UTF-8 iTXt chunk.
import { decode as decodePng, encode as encodePng } from 'fast-png';
import extractChunks, { type PngChunk } from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as textChunk from 'png-chunk-text';
import type { RgbaImage } from '../diffusion/control-units.ts';

const LATIN1 = /^[\u0000-\u00ff]*$/;

/** iTXt: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty translation, NUL, UTF-8 text. */
function iTXt(keyword: string, text: string): PngChunk {
  const key = new TextEncoder().encode(keyword);
  const body = new TextEncoder().encode(text);
  const data = new Uint8Array(key.length + 5 + body.length);
  data.set(key);
  data.set(body, key.length + 5); // the five bytes between are NUL, 0, 0, NUL, NUL
  return { name: 'iTXt', data };
}

function readITXt(data: Uint8Array): { keyword: string; text: string } | null {
  const nul = data.indexOf(0);
  if (nul < 0 || data[nul + 1] !== 0) return null; // compressed iTXt is not ours to read
  let p = nul + 3;
  p = data.indexOf(0, p) + 1; // language tag
  p = data.indexOf(0, p) + 1; // translated keyword
  return { keyword: new TextDecoder('latin1').decode(data.subarray(0, nul)), text: new TextDecoder().decode(data.subarray(p)) };
}

export function encodePngWithText(image: RgbaImage, text: Record<string, string>): Uint8Array {
  const png = encodePng({ width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength), channels: 4, depth: 8 });
  const chunks = extractChunks(png);
  const textChunks = Object.entries(text).map(([k, v]) => (LATIN1.test(v) ? textChunk.encode(k, v) : iTXt(k, v)));
  // Text goes before the image data, as A1111 writes it.
  const firstData = chunks.findIndex((c) => c.name === 'IDAT');
  chunks.splice(firstData, 0, ...textChunks);
  return encodeChunks(chunks);
}

export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chunk of extractChunks(png)) {
    const entry = chunk.name === 'tEXt' ? textChunk.decode(chunk.data) : chunk.name === 'iTXt' ? readITXt(chunk.data) : null;
    if (entry) out[entry.keyword] = entry.text;
  }
  return out;
}

export function decodePngImage(png: Uint8Array): RgbaImage {
  const img = decodePng(png);
  if (img.depth !== 8) throw new Error(`Only 8-bit PNGs are supported (this one is ${img.depth}-bit).`);
  const { width, height } = img;
  const data = new Uint8ClampedArray(width * height * 4);
  const src = img.data;
  const ch = img.channels;
  for (let p = 0; p < width * height; p++) {
    const g = ch <= 2;
    data[p * 4] = src[p * ch]!;
    data[p * 4 + 1] = src[p * ch + (g ? 0 : 1)]!;
    data[p * 4 + 2] = src[p * ch + (g ? 0 : 2)]!;
    data[p * 4 + 3] = ch === 2 || ch === 4 ? src[p * ch + ch - 1]! : 255;
  }
  return { data, width, height };
}
