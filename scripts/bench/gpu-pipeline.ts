// Whole denoising steps through the studio's pipeline on onnxruntime-node's WebGPU EP: the
// set's text encoder, one ControlNet, the UNet and the VAE, with the pipeline's own per-step
// timings and readback counts.
import { existsSync } from 'node:fs';
import { nodeOps, nodeSession, type NodeRuntime } from '../../src/cli/node-runtime.ts';
import { folderSource } from '../../src/cli/fs-source.ts';
import type { GeneratedSet } from '../../src/convert/presets.ts';
import { generate, type GenerateParams } from '../../src/diffusion/pipeline.ts';
import { loadModelSet } from '../../src/models/load-set.ts';
import { UNET_FP16_VARIANT } from '../../src/models/set-layout.ts';
import { generateSet, TINY_OUT } from '../models/generate-set.ts';

export interface PipelineResult {
  label: string;
  /** Wall time per step (what N steps add over 1). */
  stepMs: number;
  /** The loop's CPU time per step (median): dispatching, not waiting. */
  cpuStepMs: number;
  sessionMs: Record<string, number>;
  readbacksPerStep: number;
  readbackBytesPerStep: number;
}

const FULLSIZE_SET = '.models/fullsize-sd15';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Vertical stripes, a hint with edges everywhere. */
function stripes(size: number) {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) (data.fill((p % size) % 16 < 3 ? 255 : 0, p * 4, p * 4 + 3), (data[p * 4 + 3] = 255));
  return { data, width: size, height: size };
}

/** Before and after, side by side: op-by-op graphs with the latent preview on (paced reads), then fused graphs with the preview off. */
export async function measurePipeline(req: { spec: GeneratedSet; setName: string; size: number; steps: number; runtime: NodeRuntime; fp16: boolean }): Promise<PipelineResult[]> {
  const fused = req.setName === 'tiny' ? TINY_OUT : FULLSIZE_SET;
  const unfused = `.models/bench-gpu/${req.spec.name}-unfused-set`;
  if (!existsSync(`${fused}/model_index.json`)) await generateSet(req.spec, fused);
  if (!existsSync(`${unfused}/model_index.json`)) await generateSet(req.spec, unfused, () => undefined, { fused: false });
  const precision = req.fp16 ? 'fp16' : 'fp32';
  return [
    await measureSet(req, unfused, true, `${precision} UNet, op-by-op graphs, latent preview on`),
    await measureSet(req, fused, false, `${precision} UNet, fused graphs, preview off (no readback in the loop)`),
  ];
}

async function measureSet(req: { size: number; steps: number; runtime: NodeRuntime; fp16: boolean }, dir: string, readEveryStep: boolean, label: string): Promise<PipelineResult> {
  const { models } = await loadModelSet(folderSource(dir), {
    createSession: nodeSession(req.runtime),
    ops: nodeOps(req.runtime),
    controlnets: ['canny'],
    unetFile: req.fp16 ? UNET_FP16_VARIANT : undefined,
  });
  const params: GenerateParams = {
    prompt: 'a photo of a cat',
    negativePrompt: 'blurry',
    steps: req.steps,
    cfgScale: 7.5,
    seed: 1,
    width: req.size,
    height: req.size,
    sampler: 'dpmpp-2m',
    units: [{ model: 'canny', image: stripes(req.size), weight: 1, start: 0, end: 1, mode: 'balanced' }],
    latentPreview: readEveryStep,
  };
  // One step first, so shader compilation is not timed; then 1 and N steps: run() returns once work
  // is queued and the image's readback waits for the queue, so a step's GPU time is the wall
  // time N steps add over 1. The loop's own time per step is the CPU side (dispatch).
  await generate(models, { ...params, steps: 1 });
  const one = await generate(models, { ...params, steps: 1 });
  const { stats } = await generate(models, params);
  return {
    label,
    stepMs: (stats.wallMs - one.stats.wallMs) / (req.steps - 1),
    cpuStepMs: median(stats.steps.map((s) => s.ms)),
    sessionMs: stats.sessionMs,
    readbacksPerStep: stats.steps.reduce((a, s) => a + s.readbacks, 0) / req.steps,
    readbackBytesPerStep: stats.steps.reduce((a, s) => a + s.readbackBytes, 0) / req.steps,
  };
}
