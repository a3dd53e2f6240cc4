// Writes graphs as a model set (or a stored ControlNet) into a FileStore: every graph's weights
// are checked against its source before a byte is written, graphs stream in one tensor at a
// time with progress per graph, and the index that makes the set loadable is written last.
import type { FileStore } from '../models/download/file-store.ts';
import { CheckpointError } from './errors.ts';
import type { ModelGraph } from './model-graph.ts';
import type { WeightSource } from './weights.ts';
import { graphWeightBytes, writeGraph } from './write-graph.ts';

export interface SetGraph {
  /** Path inside the set, e.g. "unet/model.onnx". */
  path: string;
  graph: ModelGraph;
  source: WeightSource;
}

export interface GraphProgress {
  /** The graph being written, its place in the list, and bytes of weights written of it. */
  graph: string;
  index: number;
  count: number;
  done: number;
  total: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface WriteOptions {
  store: FileStore;
  /** The set's folder in the store ("" for the store's top). */
  root: string;
  /** Weights in external data files (any real set) or inside each graph (the tiny set). */
  external: boolean;
  maxDataFileBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: GraphProgress) => void;
}

const join = (root: string, path: string) => (root ? `${root.replace(/\/$/, '')}/${path}` : path);

/** Every problem with every graph's weights, in one error, before anything is written. */
export function checkGraphs(graphs: SetGraph[]): void {
  const problems = graphs.flatMap((g) => g.source.problems(g.graph.params).map((p) => `${g.path}: ${p}`));
  if (!problems.length) return;
  const shown = problems.slice(0, 12).join('; ');
  throw new CheckpointError(
    `The checkpoint does not have the weights the graphs need (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${shown}${problems.length > 12 ? '; …' : ''}. It may be damaged, or a different architecture than SD 1.5.`,
  );
}

/** Writes each graph; returns each graph's external data files (paths inside the set) by graph path. */
export async function writeGraphs(graphs: SetGraph[], opts: WriteOptions): Promise<Record<string, string[]>> {
  checkGraphs(graphs);
  const out: Record<string, string[]> = {};
  for (const [index, { path, graph, source }] of graphs.entries()) {
    const total = graphWeightBytes(graph);
    const started = performance.now();
    const report = (done: number) => {
      const seconds = (performance.now() - started) / 1000;
      const speed = seconds > 0 ? done / seconds : 0;
      opts.onProgress?.({ graph: path, index, count: graphs.length, done, total, bytesPerSecond: speed, etaSeconds: speed > 0 ? (total - done) / speed : null });
    };
    report(0);
    const written = await writeGraph(graph, source, opts.store, join(opts.root, path), { external: opts.external, maxDataFileBytes: opts.maxDataFileBytes, signal: opts.signal, onBytes: report });
    out[path] = written.files.slice(1).map((f) => (opts.root ? f.slice(join(opts.root, '').length) : f));
  }
  return out;
}

export { join as storePath };
