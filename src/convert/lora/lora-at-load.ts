// The LoRAs a loaded set runs with, applied at load: the text encoder and the UNet are patched
// (lora-patcher.ts) as they load, and when the LoRAs or their weights change, only the parts
// whose LoRAs changed are patched and opened again. The weight work and the session work are
// timed apart, because they cost differently and are sped up differently.
import type { GraphPatch, GraphToLoad } from '../../models/load-set.ts';
import { checkTextEncoder, checkUnet } from '../../diffusion/contract.ts';
import type { PipelineModels } from '../../diffusion/pipeline.ts';
import type { Session } from '../../diffusion/session.ts';
import type { LoraLayer, LoraPart } from './lora-file.ts';
import type { LoraMerger } from './lora-merge.ts';
import { GraphLoraPatcher } from './lora-patcher.ts';
import { usesFor, type AppliedLora } from './lora-targets.ts';

export interface LoraChangeStats {
  /** The parts opened again (the others kept their sessions). */
  parts: LoraPart[];
  /** Reading, merging and writing weights. */
  weightMs: number;
  /** Making the changed sessions again. */
  sessionMs: number;
  merged: number;
  reused: number;
}

const PART_OF_ROLE: Partial<Record<GraphToLoad['role'], LoraPart>> = { text_encoder: 'text', unet: 'unet' };
const fileIds = new WeakMap<object, number>();
let lastFileId = 0;
const fileId = (layers: LoraLayer[]) => {
  if (!fileIds.has(layers)) fileIds.set(layers, ++lastFileId);
  return fileIds.get(layers)!;
};

/** What a part runs with, as a string: equal strings give equal weights. */
const partKey = (part: LoraPart, applied: AppliedLora[]) =>
  usesFor(part, applied)
    .filter((u) => u.multiplier !== 0)
    .map((u) => `${fileId(u.lora.layers)}×${u.multiplier}`)
    .join('+');

export class LoadedLoras {
  private readonly patchers = new Map<LoraPart, GraphLoraPatcher>();
  private readonly current = new Map<LoraPart, string>();

  constructor(private readonly merger: LoraMerger) {}

  private patcher(part: LoraPart, g: GraphToLoad): GraphLoraPatcher {
    let p = this.patchers.get(part);
    if (!p) this.patchers.set(part, (p = new GraphLoraPatcher(g, part, this.merger)));
    return p;
  }

  /** For loadModelSet's patchGraph: the text encoder and UNet with `applied` merged in (null for other graphs, or with no LoRA). */
  async patchGraph(g: GraphToLoad, applied: AppliedLora[]): Promise<GraphPatch | null> {
    const part = PART_OF_ROLE[g.role];
    if (!part) return null;
    const { patch } = await this.patcher(part, g).patch(usesFor(part, applied));
    this.current.set(part, partKey(part, applied));
    return patch;
  }

  /** Whether `applied` differs from what the loaded sessions run with. */
  changes(applied: AppliedLora[]): LoraPart[] {
    return (['text', 'unet'] as const).filter((part) => (this.current.get(part) ?? '') !== partKey(part, applied));
  }

  /** Patches the parts whose LoRAs changed and opens each again with `reopen`; the others are not touched. */
  async apply(graphs: { text: GraphToLoad; unet: GraphToLoad }, applied: AppliedLora[], reopen: (part: LoraPart, patch: GraphPatch | null) => Promise<void>): Promise<LoraChangeStats> {
    const stats: LoraChangeStats = { parts: this.changes(applied), weightMs: 0, sessionMs: 0, merged: 0, reused: 0 };
    for (const part of stats.parts) {
      const result = await this.patcher(part, graphs[part]).patch(usesFor(part, applied));
      stats.weightMs += result.stats.ms;
      stats.merged += result.stats.merged;
      stats.reused += result.stats.reused;
      const t0 = performance.now();
      await reopen(part, result.patch);
      stats.sessionMs += performance.now() - t0;
      this.current.set(part, partKey(part, applied));
    }
    return stats;
  }
}

/** Puts a part's new session (its graph opened again with LoRAs) into the models, checked as at load; returns the session it replaced. */
export function swapPart(models: PipelineModels, part: LoraPart, session: Session): Session {
  if (part === 'text') {
    const old = models.textEncoder.session;
    models.textEncoder = { session, contract: checkTextEncoder(session.label, session.inputs, session.outputs) };
    return old;
  }
  const old = models.unet.session;
  models.unet = { session, contract: checkUnet(session.label, session.inputs, session.outputs) };
  return old;
}
