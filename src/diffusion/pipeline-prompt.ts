// Step 1 of the pipeline: the prompt (and the negative prompt, for classifier-free guidance)
// through the text encoder, in A1111's syntax: weighted runs in 77-token chunks, both halves of
// the CFG batch padded to the same number of chunks, on the device in the graphs' precisions.
import type { GenerateParams, PipelineModels } from './pipeline.ts';
import type { PipelineRun } from './pipeline-run.ts';
import { promptChunks } from './prompt-weighting.ts';
import type { DeviceTensor, Session } from './session.ts';
import type { TensorData } from './tensor.ts';

/** Text embeddings for the UNet's batch ([negative, prompt] with CFG, [1 or 2, 77·chunks, D]) and the prompt alone, each castable to a graph's precision. */
export interface PromptEmbeddings {
  context: DeviceTensor;
  condContext: DeviceTensor;
  as(t: DeviceTensor, type: 'float32' | 'float16'): Promise<DeviceTensor>;
}

/**
 * The text encoder's last output, kept on the device: live mode runs again and again with the
 * same prompt while the canvas changes, so the encoder runs only when the prompt does (or the
 * encoder itself, opened again with other LoRAs). The set owns it and disposes it at unload.
 */
export class PromptCache {
  private last: { session: Session; key: string; hidden: DeviceTensor } | null = null;

  get(session: Session, key: string): DeviceTensor | null {
    return this.last?.session === session && this.last.key === key ? this.last.hidden : null;
  }

  put(session: Session, key: string, hidden: DeviceTensor): void {
    this.last?.hidden.dispose();
    this.last = { session, key, hidden };
  }

  dispose(): void {
    this.last?.hidden.dispose();
    this.last = null;
  }
}

export async function encodePrompt(models: PipelineModels, params: GenerateParams, run: PipelineRun): Promise<PromptEmbeddings> {
  const { textEncoder, ops, tokenizer } = models;
  const cfg = params.cfgScale > 1;
  // A1111's syntax: weighted runs in 77-token chunks (a long prompt is several chunks).
  const positive = promptChunks(tokenizer, params.prompt);
  const negative = cfg ? promptChunks(tokenizer, params.negativePrompt) : [];
  // The two halves of the CFG batch must be as long as each other: the shorter one is padded
  // with the empty prompt's chunk (A1111's "pad prompt/negative prompt to be same length").
  const padChunk = cfg && positive.length !== negative.length ? promptChunks(tokenizer, '') : [];
  const chunks = [...negative, ...positive, ...padChunk];
  const ids = chunks.flatMap((c) => c.ids);
  const feed: TensorData =
    textEncoder.contract.idsType === 'int64'
      ? { type: 'int64', dims: [chunks.length, 77], data: BigInt64Array.from(ids, BigInt) }
      : { type: 'int32', dims: [chunks.length, 77], data: Int32Array.from(ids) };
  // Every chunk of both prompts in one text-encoder run, unless the last run encoded the same ids.
  const key = `${chunks.length}:${ids.join(',')}`;
  const cached = models.promptCache?.get(textEncoder.session, key) ?? null;
  const out = cached ? {} : await run.run(textEncoder.session, { [textEncoder.contract.ids]: feed });
  const hidden = cached ?? out[textEncoder.contract.hidden]!;
  if (!cached && models.promptCache) {
    models.promptCache.put(textEncoder.session, key, hidden);
    delete out[textEncoder.contract.hidden];
  }
  try {
    const k = Math.max(positive.length, negative.length);
    const row = (first: number, count: number) => [...Array.from({ length: count }, (_, i) => first + i), ...new Array<number>(k - count).fill(negative.length + positive.length)];
    const negativeRow = row(0, negative.length);
    const positiveRow = row(negative.length, positive.length);
    const weights = Float32Array.from(chunks.flatMap((c) => c.weights));
    const weigh = (rows: number[][]) => run.timer.time('prompt weighting', () => ops.promptContext(hidden, weights, rows));
    const context = run.hold(await weigh(cfg ? [negativeRow, positiveRow] : [positiveRow]));
    // "ControlNet is more important" feeds its ControlNet the prompt alone (the conditional half).
    const condContext = cfg && params.units.some((u) => u.mode === 'controlnet') ? run.hold(await weigh([positiveRow])) : context;
    // Each graph gets the embeddings in its own precision (an fp16 UNet beside fp32 embeddings).
    const casts = new Map<string, DeviceTensor>();
    const as = async (t: DeviceTensor, type: 'float32' | 'float16') => {
      if (t.type === type) return t;
      const key = `${t === context ? 'both' : 'cond'}-${type}`;
      if (!casts.has(key)) casts.set(key, run.hold(await ops.cast(t, type)));
      return casts.get(key)!;
    };
    return { context, condContext, as };
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}
