// The files that make up a model set, and a SetSource over a FileStore (the OPFS cache),
// so a downloaded set loads without a single network request.
import type { FileStore } from './download/file-store.ts';
import type { RemoteFile } from './download/downloader.ts';
import type { ModelIndex, SetSource } from './set-source.ts';

/** Every file a set in the diffusers ONNX layout needs, from its model_index.json (and the ControlNets found in its folder). */
export function setFiles(index: ModelIndex, baseUrl: string, setId: string, controlnets = index.controlnet_studio?.controlnets ?? []): RemoteFile[] {
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
    ...controlnets.map((n) => `controlnet/${n}/model.onnx`),
    ...[index.controlnet_studio?.taesd?.decoder, index.controlnet_studio?.taesd?.encoder].filter((f): f is string => !!f),
  ];
  return paths.map((path) => ({ url: `${base}/${path}`, path: `${setId}/${path}`, size: null, sha256: null }));
}

export function storeSource(store: FileStore, setId: string): SetSource {
  return {
    async read(path) {
      // Streamed into one buffer of the file's size (not chunks plus a joined copy): weight files are up to 1.9 GB.
      const size = await store.size(`${setId}/${path}`);
      if (size === null) throw new Error(`${path} of ${setId} is not in the browser's storage; download or convert the set again.`);
      const out = new Uint8Array(size);
      let at = 0;
      for await (const chunk of store.read(`${setId}/${path}`)) {
        if (at + chunk.length > size) throw new Error(`${path} of ${setId} changed while it was read; try again.`);
        out.set(chunk, at);
        at += chunk.length;
      }
      if (at !== size) throw new Error(`${path} of ${setId} is shorter than stored (${at} of ${size} bytes); download or convert the set again.`);
      return out;
    },
    has: async (path) => (await store.size(`${setId}/${path}`)) !== null,
    size: (path) => store.size(`${setId}/${path}`),
    async readRange(path, offset, length) {
      const blob = await store.blob(`${setId}/${path}`);
      if (!blob) throw new Error(`${path} of ${setId} is not in the browser's storage; download or convert the set again.`);
      return blobRange(blob, path, offset, length);
    },
    localPath: store.localPath ? (path) => store.localPath!(`${setId}/${path}`) : undefined,
    list: (folder) => store.list(`${setId}/${folder}`),
  };
}

/** A set picked as a local folder: files by their path inside the set. */
export function blobSource(files: Record<string, Blob>): SetSource {
  return {
    async read(path) {
      const blob = files[path];
      if (!blob) throw new Error(`The folder has no ${path}; pick the set's top folder (the one with model_index.json).`);
      return new Uint8Array(await blob.arrayBuffer());
    },
    has: async (path) => path in files,
    size: async (path) => files[path]?.size ?? null,
    async readRange(path, offset, length) {
      const blob = files[path];
      if (!blob) throw new Error(`The folder has no ${path}; pick the set's top folder (the one with model_index.json).`);
      return blobRange(blob, path, offset, length);
    },
    list: async (folder) => [
      ...new Set(
        Object.keys(files)
          .filter((p) => p.startsWith(`${folder}/`))
          .map((p) => p.slice(folder.length + 1).split('/')[0]!),
      ),
    ],
  };
}

async function blobRange(blob: Blob, path: string, offset: number, length: number): Promise<Uint8Array> {
  if (offset + length > blob.size) throw new Error(`${path} ends at ${blob.size} bytes; a weight needs bytes ${offset}–${offset + length}.`);
  return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
}

/**
 * Paths from a directory pick ("my-set/unet/model.onnx") relative to the folder holding
 * model_index.json, so picking the set's folder or its parent both work.
 */
export function folderFiles(entries: { path: string; file: Blob }[]): Record<string, Blob> {
  const index = entries
    .map((e) => e.path)
    .filter((p) => p === 'model_index.json' || p.endsWith('/model_index.json'))
    .sort((a, b) => a.length - b.length)[0];
  if (!index) throw new Error('The folder has no model_index.json: pick a model set in the diffusers ONNX layout.');
  const prefix = index.slice(0, -'model_index.json'.length);
  return Object.fromEntries(entries.filter((e) => e.path.startsWith(prefix)).map((e) => [e.path.slice(prefix.length), e.file]));
}
