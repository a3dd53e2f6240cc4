// A model set as files: where they come from (a SetSource) and the diffusers ONNX layout's
// index. Shared by the loader, the memory plan, downloads and the converter's output.
import type { ModelIndex } from './set-layout.ts';

export type { ModelIndex };
export { externalDataNames } from './set-layout.ts';

export interface SetSource {
  /** Reads a file of the set by its path inside the set, e.g. "unet/model.onnx". */
  read(path: string): Promise<Uint8Array>;
  /** True when the set has this file (for optional parts). */
  has(path: string): Promise<boolean>;
  /** The file's size in bytes without reading it, when the source can tell (for the memory plan). */
  size?(path: string): Promise<number | null>;
  /** Where the file is on disk, when the runtime can read it (and its weight files) from there itself (Node). */
  localPath?(path: string): string | null;
  /** `length` bytes of a file from `offset`, without reading the rest (a weight in a multi-GB data file). */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Names directly inside a folder of the set (folders may end in "/"), where the source can list; [] when there is none. */
  list?(folder: string): Promise<string[]>;
}

/** Part of a set's file: by range where the source can, else from the whole file. */
export async function readFileRange(source: SetSource, path: string, offset: number, length: number): Promise<Uint8Array> {
  if (source.readRange) return source.readRange(path, offset, length);
  const whole = await source.read(path);
  if (offset + length > whole.length) throw new Error(`${path} ends at ${whole.length} bytes; a weight needs bytes ${offset}–${offset + length}.`);
  return whole.subarray(offset, offset + length);
}

export interface ExternalData {
  path: string;
  data: Uint8Array;
}

export async function readModelIndex(source: SetSource): Promise<ModelIndex> {
  return JSON.parse(new TextDecoder().decode(await source.read('model_index.json'))) as ModelIndex;
}

/**
 * Where a set's files are: served over HTTP at a base URL, stored in the browser (downloaded or
 * converted), or a folder the person picked (its files by path inside the set).
 */
export type ModelSource = { kind: 'url'; url: string } | { kind: 'stored'; id: string } | { kind: 'folder'; name: string; files: Record<string, Blob> };

/** One line naming a source, for messages and for telling two sources apart. */
export function sourceKey(source: ModelSource): string {
  switch (source.kind) {
    case 'url':
      return `url:${source.url}`;
    case 'stored':
      return `stored:${source.id}`;
    case 'folder':
      return `folder:${source.name}`;
  }
}
