// A model set as files: where they come from (a SetSource) and the diffusers ONNX layout's
// index. Shared by the loader, the memory plan, downloads and the converter's output.

export interface ModelIndex {
  vae_encoder?: unknown;
  controlnet_studio?: { controlnets?: string[]; unet_fp16?: string | null };
}

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

/** External weight files a graph may name beside it (optimum/diffusers exports over 2 GB): "<graph>_data" or weights.pb. */
export const externalDataNames = (graphFile: string) => [`${graphFile.split('/').pop()}_data`, 'weights.pb'];

export async function readModelIndex(source: SetSource): Promise<ModelIndex> {
  return JSON.parse(new TextDecoder().decode(await source.read('model_index.json'))) as ModelIndex;
}
