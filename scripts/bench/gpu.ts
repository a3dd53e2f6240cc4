// GPU benchmark on onnxruntime-node's native WebGPU EP (Dawn: the EP code onnxruntime-web
// runs in the browser), on whatever adapter the machine has: a real GPU, or here SwiftShader's
// Vulkan ICD. Per graph variant it measures session creation, the first run (shader
// compilation), GPU time per run, the CPU time of the run() call with every input already on
// the GPU, and kernels per run (from onnxruntime's profile); then whole denoising steps through
// the studio's pipeline, with readbacks per step. Writes bench/results/gpu.json.
//   npm run bench:gpu                               full-size SD 1.5 shapes at 512² (CFG batch 2)
//   npm run bench:gpu -- --set tiny --size 256      the tiny set, for a software adapter
//   options: --runs N (timed runs per graph), --steps N (pipeline steps), --fp16 (also fp16 graphs)
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FULLSIZE, TINY } from '../../src/convert/presets.ts';
import { nodeRuntime, type NodeRuntime } from '../../src/cli/node-runtime.ts';
import { benchDims, ensureVariant, variantName, type GraphVariant } from './gpu-graphs.ts';
import { measureGraph, type GraphMeasurement, type GraphResult } from './gpu-measure.ts';
import { measurePipeline, type PipelineResult } from './gpu-pipeline.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const setName = option('set', 'fullsize');
const spec = setName === 'tiny' ? TINY : FULLSIZE;
const size = Number(option('size', '512'));
const latent = size / 8;
const runs = Number(option('runs', '10'));
const steps = Number(option('steps', '8'));
const withFp16 = process.argv.includes('--fp16');

/** Side by side: op-by-op vs fused graphs, symbolic vs fixed dims, the EP's NHWC vs NCHW. */
function variants(): { variant: GraphVariant; layout: 'NHWC' | 'NCHW' }[] {
  const rows: { variant: GraphVariant; layout: 'NHWC' | 'NCHW' }[] = [];
  for (const precision of withFp16 ? (['float32', 'float16'] as const) : (['float32'] as const)) {
    for (const kind of ['unet', 'controlnet'] as const) {
      rows.push({ variant: { kind, precision, fused: false, fixed: false }, layout: 'NHWC' });
      rows.push({ variant: { kind, precision, fused: true, fixed: false }, layout: 'NHWC' });
      rows.push({ variant: { kind, precision, fused: true, fixed: true }, layout: 'NHWC' });
      if (kind === 'unet') rows.push({ variant: { kind, precision, fused: true, fixed: true }, layout: 'NCHW' });
    }
  }
  rows.push({ variant: { kind: 'vae_decoder', precision: 'float32', fused: true, fixed: true }, layout: 'NHWC' });
  return rows;
}

const ms = (v: number | null) => (v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

async function main() {
  const vulkan = process.env.BENCH_VULKAN ?? 'as the environment gives it';
  console.log(`bench:gpu · ${spec.name} at ${size}×${size} (latents ${latent}², CFG batch 2) · ${runs} runs per graph · Vulkan: ${vulkan}`);
  const dir = resolve('.models/bench-gpu', spec.name);
  const runtime: NodeRuntime = nodeRuntime('webgpu');
  const graphs: GraphResult[] = [];
  for (const { variant, layout } of variants()) {
    const label = `${variantName(variant)} ${layout}`;
    const path = await ensureVariant(spec, variant, latent, dir);
    const dims = variant.kind === 'vae_decoder' ? { ...benchDims(latent), batch: 1 } : benchDims(latent);
    const result = await measureGraph({ label, path, layout, runs, dims, runtime, variant }).catch((err: Error) => ({ label, error: err.message.split('\n')[0]! }) as GraphResult);
    graphs.push(result);
    console.log(`${label}: ${'error' in result ? `failed: ${result.error}` : `${ms(result.gpuMs)} ms per run, ${result.kernels} kernels`}`);
  }

  console.log(`\npipeline: ${steps} steps at ${size}², one ControlNet, through the studio's pipeline …`);
  const pipeline: PipelineResult[] = await measurePipeline({ spec, setName, size, steps, runtime, fp16: withFp16 });

  console.log(`\n| graph (${size}², batch 2) | create ms | first run ms | GPU ms/run | run() CPU ms | kernels/run | readbacks/run |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const g of graphs) {
    if ('error' in g) console.log(`| ${g.label} | failed: ${g.error} | | | | | |`);
    else console.log(`| ${g.label} | ${ms(g.createMs)} | ${ms(g.firstRunMs)} | ${ms(g.gpuMs)} | ${ms(g.cpuMs)} | ${g.kernels} | ${g.readbacksPerRun} |`);
  }
  const measured = graphs.filter((g): g is GraphMeasurement => !('error' in g));
  const base = measured.find((g) => g.variant.kind === 'unet' && g.variant.precision === 'float32' && !g.variant.fused);
  const best = measured.find((g) => g.variant.kind === 'unet' && g.variant.precision === 'float32' && g.variant.fused && g.variant.fixed && g.layout === 'NHWC');
  if (base && best) {
    console.log(
      `\nUNet fp32: fused + static vs op-by-op + dynamic: GPU ${(best.gpuMs / base.gpuMs).toFixed(2)}×, run() CPU ${(best.cpuMs / base.cpuMs).toFixed(2)}×, kernels ${base.kernels} → ${best.kernels}`,
    );
  }
  console.log(`\n| pipeline (${size}², 1 ControlNet) | ms/step (wall) | CPU ms/step (loop) | readbacks/step | readback KiB/step |`);
  console.log('|---|---|---|---|---|');
  for (const p of pipeline) console.log(`| ${p.label} | ${ms(p.stepMs)} | ${ms(p.cpuStepMs)} | ${p.readbacksPerStep} | ${(p.readbackBytesPerStep / 1024).toFixed(1)} |`);
  if (pipeline.length === 2) console.log(`\nstep ratio, ${pipeline[1]!.label} vs ${pipeline[0]!.label}: ${(pipeline[1]!.stepMs / pipeline[0]!.stepMs).toFixed(2)}×`);

  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/gpu.json', JSON.stringify({ set: spec.name, size, runs, steps, vulkan, graphs, pipeline }, null, 2) + '\n');
  console.log('\nwrote bench/results/gpu.json');
}

await main();
