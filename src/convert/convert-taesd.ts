// TAESD's graphs written from its files: into a set (beside its VAE, named in its index) or on
// their own (a folder with taesd.json), as ControlNets are. Written fp32 with their weights
// inside each graph: a half is about 5 MB.
import { readStoreText, writeStoreText, type FileStore } from '../models/download/file-store.ts';
import { STORED_TAESD_INFO, TAESD_DECODER, TAESD_ENCODER, type ModelIndex, type TaesdInfo } from '../models/set-layout.ts';
import { CheckpointError } from './errors.ts';
import type { OpenedTaesd } from './open-taesd.ts';
import { buildTaesdDecoder, buildTaesdEncoder } from './taesd.ts';
import { storePath, writeGraphs, type GraphProgress, type SetGraph } from './write-set.ts';

export interface TaesdWriteOptions {
  store: FileStore;
  root: string;
  signal?: AbortSignal;
  onProgress?: (p: GraphProgress) => void;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** Writes TAESD's graphs under `root`; returns what an index records of them. */
export async function writeTaesd(opened: OpenedTaesd, opts: TaesdWriteOptions): Promise<TaesdInfo> {
  const graphs: SetGraph[] = [
    ...(opened.decoder ? [{ path: TAESD_DECODER, graph: buildTaesdDecoder(), source: opened.decoder }] : []),
    ...(opened.encoder ? [{ path: TAESD_ENCODER, graph: buildTaesdEncoder(), source: opened.encoder }] : []),
  ];
  try {
    await writeGraphs(graphs, { ...opts, external: false });
  } catch (err) {
    for (const g of graphs) await opts.store.remove(storePath(opts.root, g.path.split('/')[0]!)).catch(() => undefined);
    throw err;
  }
  return { decoder: opened.decoder ? TAESD_DECODER : null, encoder: opened.encoder ? TAESD_ENCODER : null, converted_from: opened.label };
}

/** Adds TAESD to the set at `opts.root` (replacing a TAESD it had). */
export async function addTaesdToSet(opened: OpenedTaesd, opts: TaesdWriteOptions): Promise<TaesdInfo> {
  const indexPath = storePath(opts.root, 'model_index.json');
  const text = await readStoreText(opts.store, indexPath);
  if (text === null) throw new CheckpointError(`${opts.root || 'The output folder'} is not a model set (it has no model_index.json); convert a base model into it first.`);
  const info = await writeTaesd(opened, opts);
  const index = JSON.parse(text) as ModelIndex & Record<string, unknown>;
  index.controlnet_studio = { ...index.controlnet_studio, taesd: info };
  await writeStoreText(opts.store, indexPath, json(index));
  return info;
}

/** Stores TAESD on its own at `opts.root` (its graphs and taesd.json), for any SD 1.x set. */
export async function storeTaesd(opened: OpenedTaesd, opts: TaesdWriteOptions): Promise<TaesdInfo> {
  const info = await writeTaesd(opened, opts);
  await writeStoreText(opts.store, storePath(opts.root, STORED_TAESD_INFO), json(info));
  return info;
}
