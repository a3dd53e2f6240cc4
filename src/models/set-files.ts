// The files that make up a model set, and a SetSource over a FileStore (the OPFS cache),
// so a downloaded set loads without a single network request.
import type { FileStore } from './download/file-store.ts';
import type { RemoteFile } from './download/downloader.ts';
import type { ModelIndex, SetSource } from './load-set.ts';

/** Every file a set in the diffusers ONNX layout needs, from its model_index.json. */
export function setFiles(index: ModelIndex, baseUrl: string, setId: string): RemoteFile[] {
  const base = baseUrl.replace(/\/$/, '');
  const paths = [
    'model_index.json',
    'scheduler/scheduler_config.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
    'text_encoder/model.onnx',
    'unet/model.onnx',
    'vae_decoder/model.onnx',
    ...(index.vae_encoder ? ['vae_encoder/model.onnx'] : []),
    ...(index.controlnet_studio?.unet_fp16 ? [index.controlnet_studio.unet_fp16] : []),
    ...(index.controlnet_studio?.controlnets ?? []).map((n) => `controlnet/${n}/model.onnx`),
  ];
  return paths.map((path) => ({ url: `${base}/${path}`, path: `${setId}/${path}`, size: null, sha256: null }));
}

export function storeSource(store: FileStore, setId: string): SetSource {
  return {
    async read(path) {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const c of store.read(`${setId}/${path}`)) {
        chunks.push(c);
        total += c.length;
      }
      if (!chunks.length && (await store.size(`${setId}/${path}`)) === null) throw new Error(`${path} of ${setId} is not in the cache; download the set again.`);
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) out.set(c, (at += c.length) - c.length);
      return out;
    },
    has: async (path) => (await store.size(`${setId}/${path}`)) !== null,
    size: (path) => store.size(`${setId}/${path}`),
  };
}
