// LoRAs applied at load, without converting again: for one graph of a set (the UNet or the
// text encoder), the weights the LoRAs touch are read from the set by byte range, merged, and
// put in a new external file beside the graph's own, which stays as it is. Each merged weight
// is kept with what made it (which layers, at which scales), so changing one LoRA or its
// weight merges again only the weights that LoRA touches.
import { readFileRange } from '../../models/set-source.ts';
import type { ExternalData } from '../../models/set-source.ts';
import type { GraphToLoad } from '../../models/load-set.ts';
import type { LoraLayer, LoraPart } from './lora-file.ts';
import { LoraTargets, planMerge, type LoraUse, type MergeTerm } from './lora-targets.ts';
import { patchGraph, readGraphWeights, weightTargets, type GraphWeight, type GraphWeights } from './graph-weights.ts';
import type { LoraMerger, WeightValues } from './lora-merge.ts';

/** The graph with merged weights: its bytes and the one new external file they name. */
export interface LoraPatch {
  bytes: Uint8Array;
  overlay: ExternalData;
}

export interface PatchStats {
  /** Weights merged now, and weights whose merge was kept from before. */
  merged: number;
  reused: number;
  ms: number;
}

/** Layers by identity: two files can name a layer alike. */
const layerIds = new WeakMap<LoraLayer, number>();
let lastLayerId = 0;
const layerId = (layer: LoraLayer) => {
  if (!layerIds.has(layer)) layerIds.set(layer, ++lastLayerId);
  return layerIds.get(layer)!;
};
const signature = (terms: MergeTerm[]) => terms.map((t) => `${layerId(t.layer)}×${t.scale}`).join('+');

function typedValues(w: GraphWeight, bytes: Uint8Array): WeightValues {
  const size = w.type === 'float16' ? 2 : 4;
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const count = aligned.byteLength / size;
  const data = w.type === 'float16' ? new Uint16Array(aligned.buffer, aligned.byteOffset, count) : new Float32Array(aligned.buffer, aligned.byteOffset, count);
  return { type: w.type, data, dims: w.dims };
}

export class GraphLoraPatcher {
  private graph: Promise<{ weights: GraphWeights; targets: LoraTargets }> | null = null;
  private merged = new Map<string, { signature: string; bytes: Uint8Array }>();

  constructor(
    /** The set's graph (its source is borrowed: read, never changed). */
    private readonly g: GraphToLoad,
    readonly part: LoraPart,
    private readonly merger: LoraMerger,
  ) {}

  private load() {
    this.graph ??= this.g.source.read(this.g.file).then((bytes) => {
      const weights = readGraphWeights(bytes, this.g.label);
      return { weights, targets: new LoraTargets(this.part, weightTargets(weights)) };
    });
    return this.graph;
  }

  private async baseValues(w: GraphWeight): Promise<WeightValues> {
    if (w.where.kind === 'inline') return typedValues(w, w.where.bytes);
    const folder = this.g.file.slice(0, this.g.file.lastIndexOf('/') + 1);
    return typedValues(w, await readFileRange(this.g.source, folder + w.where.file, w.where.offset, w.where.length));
  }

  /** The graph with `uses` applied, or null when they change no weight (no LoRA, or multipliers of 0). */
  async patch(uses: LoraUse[]): Promise<{ patch: LoraPatch | null; stats: PatchStats }> {
    const started = performance.now();
    const { weights, targets } = await this.load();
    const plan = planMerge(uses, targets);
    const stats: PatchStats = { merged: 0, reused: 0, ms: 0 };
    const next = new Map<string, { signature: string; bytes: Uint8Array }>();
    for (const [name, terms] of plan) {
      const sig = signature(terms);
      const kept = this.merged.get(name);
      if (kept?.signature === sig) {
        next.set(name, kept);
        stats.reused++;
        continue;
      }
      const w = weights.weights.get(name)!;
      const merged = await this.merger.merge(await this.baseValues(w), w.layout, terms);
      next.set(name, { signature: sig, bytes: new Uint8Array(merged.data.buffer, merged.data.byteOffset, merged.data.byteLength) });
      stats.merged++;
    }
    this.merged = next;
    if (!next.size) return { patch: null, stats: { ...stats, ms: performance.now() - started } };
    const overlayName = `${this.g.file.slice(this.g.file.lastIndexOf('/') + 1)}_lora`;
    const { bytes, overlay } = patchGraph(weights, new Map([...next].map(([name, m]) => [name, m.bytes])), overlayName);
    return { patch: { bytes, overlay: { path: overlayName, data: overlay } }, stats: { ...stats, ms: performance.now() - started } };
  }
}
