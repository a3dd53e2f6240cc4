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
}

export interface ExternalData {
  path: string;
  data: Uint8Array;
}


export async function readModelIndex(source: SetSource): Promise<ModelIndex> {
  return JSON.parse(new TextDecoder().decode(await source.read('model_index.json'))) as ModelIndex;
}
