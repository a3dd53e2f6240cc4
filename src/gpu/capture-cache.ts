// Captured sessions for the denoising loop's big graphs (the UNet and each ControlNet) at the
// shapes of the current request. A captured session runs at static shapes and replays its
// recorded GPU work, so a step costs the CPU a few calls instead of a thousand dispatches.
// The shapes come from the request (size, CFG batch, prompt length, each unit's mode), so a
// new size or a new set of ControlNets makes new sessions once ("preparing …"), and the ones
// no longer needed are freed. A graph that can't be captured keeps its ordinary session.
import { ModelSession, type ReadbackCounter } from './backend.ts';
import type { SessionSpec } from '../models/load-set.ts';
import { hintBatch, type GenerateParams, type PipelineModels } from '../diffusion/pipeline.ts';
import { promptChunks } from '../diffusion/prompt-weighting.ts';
import type { TimestepSpec } from '../diffusion/contract.ts';

/** How to make a graph's session again, remembered when the set loads (WebGPU graphs only). */
export interface Recreatable {
  spec: SessionSpec;
  /** The ordinary session, suspended while a captured copy runs in its place. */
  session: ModelSession;
}

export class CaptureCache {
  /** Captured sessions by "label|dims". */
  private readonly sessions = new Map<string, ModelSession>();
  /** Graphs that failed to capture (kept ordinary), with why. */
  readonly failures = new Map<string, string>();
  /** The graphs the last request ran captured. */
  lastCaptured: string[] = [];

  constructor(
    private readonly graphs: Map<string, Recreatable>,
    private readonly readbacks: ReadbackCounter,
  ) {}

  /**
   * The models with captured sessions swapped in for this request; makes what is missing
   * (calling `onPreparing` first) and frees captured sessions the request doesn't use.
   */
  async modelsFor(models: PipelineModels, params: GenerateParams, onPreparing: (what: string) => void): Promise<PipelineModels> {
    const wanted = this.wanted(models, params);
    for (const [key, session] of this.sessions) {
      if (!wanted.has(key)) {
        this.sessions.delete(key);
        await session.dispose();
      }
    }
    const missing = [...wanted].filter(([key, w]) => !this.sessions.has(key) && !this.failures.has(w.label));
    if (missing.length) onPreparing(`Preparing ${params.width}×${params.height} (recording the GPU work once)`);
    for (const [key, { label, dims }] of missing) {
      const graph = this.graphs.get(label)!;
      try {
        const { bytes, externalData } = await graph.spec.reread!();
        this.sessions.set(key, await ModelSession.create(bytes, 'webgpu', label, this.readbacks, externalData, dims));
        // One copy of the weights on the GPU: the ordinary session comes back only if a request needs it.
        await graph.session.suspend(graph.spec.reread!);
      } catch (err) {
        this.failures.set(label, (err as Error).message);
      }
    }
    const session = (label: string) => {
      const key = [...wanted].find(([, w]) => w.label === label)?.[0];
      return key ? this.sessions.get(key) : undefined;
    };
    const controlnets = new Map(models.controlnets);
    for (const [name, cn] of models.controlnets) {
      const captured = session(cn.session.label);
      if (captured) controlnets.set(name, { ...cn, session: captured });
    }
    const unet = session(models.unet.session.label);
    this.lastCaptured = [...new Set([...wanted.values()].map((w) => w.label).filter((label) => session(label)))];
    return { ...models, unet: unet ? { ...models.unet, session: unet } : models.unet, controlnets };
  }

  /** Each graph this request runs, at the dims it runs them, keyed "label|dims". */
  private wanted(models: PipelineModels, params: GenerateParams): Map<string, { label: string; dims: Record<string, number> }> {
    const cfg = params.cfgScale > 1;
    const batch = cfg ? 2 : 1;
    // The prompt and negative prompt run at the same number of 77-token chunks (the shorter is padded).
    const chunks = Math.max(promptChunks(models.tokenizer, params.prompt).length, cfg ? promptChunks(models.tokenizer, params.negativePrompt).length : 0);
    const base: Record<string, number> = { height: params.height / 8, width: params.width / 8, image_height: params.height, image_width: params.width, sequence: 77 * chunks };
    // The residuals' dims are named "height/2" … "width/8": each symbolic name needs its value.
    for (const name of ['height', 'width']) for (const n of [2, 4, 8]) base[`${name}/${n}`] = base[name]! / n;
    const dims = (b: number, timestep: TimestepSpec) => ({ ...base, batch: b, timestep_batch: timestep.shape === 'batch' ? b : 1 });
    const out = new Map<string, { label: string; dims: Record<string, number> }>();
    const mixed = new Set<string>();
    const add = (label: string, d: Record<string, number>) => {
      if (!this.graphs.has(label) || mixed.has(label)) return;
      // One captured shape per graph: a ControlNet that two units run at different batches stays ordinary.
      if ([...out.values()].some((w) => w.label === label && JSON.stringify(w.dims) !== JSON.stringify(d))) {
        for (const [key, w] of out) if (w.label === label) out.delete(key);
        mixed.add(label);
        return;
      }
      out.set(`${label}|${JSON.stringify(d)}`, { label, dims: d });
    };
    add(models.unet.session.label, dims(batch, models.unet.contract.timestep));
    for (const unit of params.units) {
      const cn = models.controlnets.get(unit.model);
      if (cn) add(cn.session.label, dims(hintBatch(params, unit), cn.contract.timestep));
    }
    return out;
  }

  /** Drops the captured copies of a graph whose weights changed (LoRAs applied); the next request records it again. */
  async forget(label: string): Promise<void> {
    for (const [key, session] of this.sessions) {
      if (!key.startsWith(`${label}|`)) continue;
      this.sessions.delete(key);
      await session.dispose();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.dispose()));
    this.sessions.clear();
  }
}
