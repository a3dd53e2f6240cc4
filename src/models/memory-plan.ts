// Before a set loads: how many weight bytes each session brings (graph + external data),
// and whether they can fit. onnxruntime-web copies a model into the wasm32 heap (4 GiB in
// all) before uploading it, a graph file without external data must stay under
// protobuf's 2 GiB, and one weight tensor must fit the GPU's largest buffer.
import type { SetSource } from './set-source.ts';

/** A graph file, where it is, and the weight files it may have beside it. */
export interface PlannedGraph {
  source: SetSource;
  file: string;
  label: string;
  dataNames: string[];
}

export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;
export const PROTOBUF_LIMIT = 2 * 1024 ** 3;

export interface MemoryPlan {
  perSession: Record<string, number>;
  totalBytes: number;
  errors: string[];
  warnings: string[];
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

export async function planMemory(graphs: PlannedGraph[], maxBufferSize: number | null): Promise<MemoryPlan> {
  const perSession: Record<string, number> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const { source, file: path, label: file, dataNames } of graphs) {
    if (!source.size) continue;
    const graph = (await source.size(path)) ?? 0;
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    let external = 0;
    for (const name of dataNames) external += (await source.size(folder + name)) ?? 0;
    perSession[file] = graph + external;
    if (graph > PROTOBUF_LIMIT) errors.push(`${file} is ${gib(graph)}, over protobuf's 2 GiB limit for one graph file: it needs its weights in an external data file (model.onnx_data).`);
    if (graph + external > WASM_HEAP_LIMIT) errors.push(`${file} needs ${gib(graph + external)}, more than the browser's 4 GiB WebAssembly memory: use an fp16 export of it.`);
    if (maxBufferSize !== null && external === 0 && graph > maxBufferSize)
      warnings.push(`${file} (${gib(graph)}) is larger than this GPU's largest buffer (${gib(maxBufferSize)}); a single large weight may not fit.`);
  }
  const totalBytes = Object.values(perSession).reduce((a, b) => a + b, 0);
  if (!errors.length && totalBytes > WASM_HEAP_LIMIT) {
    warnings.push(`The set's weights total ${gib(totalBytes)}; sessions load one at a time, but together they exceed the 4 GiB WebAssembly memory, so loading may fail on this browser.`);
  }
  return { perSession, totalBytes, errors, warnings };
}
