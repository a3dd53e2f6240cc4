// Pipeline benchmark: the tiny set (or --fullsize) on WebGPU and on WASM, in one run.
// Per-step ms per session, pipeline wall time ÷ the sum of session run times, readbacks
// per step, and ControlNet runs skipped by start/end. Writes bench/results/pipeline.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openStudio } from './browser.ts';
import type { GenerationStats } from '../../src/diffusion/pipeline.ts';
import type { Engine } from '../../src/engine/engine.ts';

const fullsize = process.argv.includes('--fullsize');
// The full-size set on SwiftShader/WASM takes minutes per step even at 64×64 latents: one step.
const steps = fullsize ? 1 : 8;
const size = 64;

/** Side by side: WebGPU with graph capture (the default), WebGPU without it, and WASM. */
const RUNS = [
  { name: 'webgpu', provider: 'webgpu', capture: true },
  { name: 'no capture', provider: 'webgpu', capture: false },
  { name: 'wasm', provider: 'wasm', capture: false },
] as const;

interface ProviderFailure {
  provider: string;
  error: string;
}

interface ProviderResult {
  provider: string;
  loadMs: number;
  warmupMs: number;
  stats: GenerationStats;
  unet: string;
}

async function main() {
  const studio = await openStudio(4318, fullsize ? { '/bench-models/': resolve('.models') } : {});
  const setUrl = fullsize ? '/bench-models/fullsize-sd15' : '/models/tiny-sd15';
  const results: ProviderResult[] = [];
  const failures: ProviderFailure[] = [];
  try {
    // The full-size set's fp16 UNet runs on WASM here (SwiftShader has no shader-f16); the rest on the named provider.
    for (const { name, provider, capture } of RUNS) {
      console.log(`${name}: loading ${setUrl} and warming up (shader compilation) …`);
      const r = await studio.page
        .evaluate(
          async ({ url, provider, capture, steps, size, fullsize }) => {
            const engine = (globalThis as unknown as { controlnetStudio: { engine: Engine } }).controlnetStudio.engine;
            const t0 = performance.now();
            const info = await engine.loadModelSet({
              source: { kind: 'url', url },
              provider,
              graphCapture: capture,
              controlnets: ['canny', ...(url.includes('tiny') ? ['scribble'] : [])],
              unetPrecision: fullsize ? 'fp16' : undefined,
            });
            const loadMs = performance.now() - t0;
            const hint = (k: number) => {
              const data = new Uint8ClampedArray(size * size * 4);
              for (let p = 0; p < size * size; p++) (data.fill(((p % size) + k) % 16 < 3 ? 255 : 0, p * 4, p * 4 + 3), (data[p * 4 + 3] = 255));
              return { data, width: size, height: size };
            };
            const units = info.capabilities.controlnets.map((model, i) => ({ model, image: hint(i), weight: 1, start: i === 0 ? 0 : 0.5, end: 1, mode: 'balanced' as const }));
            const params = { prompt: 'a photo of a cat', negativePrompt: 'blurry', steps, cfgScale: 7.5, seed: 1, width: size, height: size, sampler: 'euler-a' as const, units };
            const w0 = performance.now();
            if (!fullsize) await engine.generate({ ...params, steps: 2 }); // both units run, so every shader is compiled
            const warmupMs = performance.now() - w0;
            const { stats } = await engine.generate(params);
            return { loadMs, warmupMs, stats, unet: `${info.unet.file} on ${info.unet.provider}` };
          },
          { url: setUrl, provider, capture, steps, size, fullsize },
        )
        .catch((err: Error) => {
          // A provider that can't run the set (e.g. the 4 GiB wasm32 heap) is reported, not fatal.
          failures.push({ provider: name, error: err.message.split('\n')[0]! });
          return null;
        });
      if (!r) {
        console.log(`${name}: failed: ${failures[failures.length - 1]!.error}`);
        continue;
      }
      results.push({ provider: name, ...r });
      console.log(`${name}: UNet ${r.unet}`);
    }
  } finally {
    await studio.close();
  }

  const rows = results.map(({ provider, stats, loadMs, warmupMs, unet }) => {
    const perStep = (label: string) => (stats.sessionMs[label] ?? 0) / steps;
    const sessionSum = Object.values(stats.sessionMs).reduce((a, b) => a + b, 0);
    return {
      provider,
      unet,
      loadMs: Math.round(loadMs),
      warmupMs: Math.round(warmupMs),
      steps,
      size,
      perStepMs: Object.fromEntries(Object.keys(stats.sessionMs).map((k) => [k, +perStep(k).toFixed(1)])),
      runsPerGeneration: stats.sessionRuns,
      wallMs: Math.round(stats.wallMs),
      sessionSumMs: Math.round(sessionSum),
      wallOverSessions: +(stats.wallMs / sessionSum).toFixed(3),
      readbacksPerStep: stats.steps[0]?.readbacks ?? 0,
      readbackBytesPerStep: stats.steps[0]?.readbackBytes ?? 0,
      readbacksTotal: stats.readbacks,
      controlnetRunsSkipped: stats.controlnetRunsSkipped,
    };
  });
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.perStepMs)))];
  console.log(`\nPipeline benchmark: ${fullsize ? 'full-size' : 'tiny'} set, ${size}×${size}, ${steps} steps, CFG, 2 ControlNet units (one from 50%)\n`);
  console.log(['ms per step (÷ steps)'.padEnd(34), ...rows.map((r) => r.provider.padStart(10))].join(''));
  for (const label of labels) console.log([label.padEnd(34), ...rows.map((r) => String(r.perStepMs[label] ?? '–').padStart(10))].join(''));
  for (const [name, key] of [
    ['wall ms', 'wallMs'],
    ['Σ session ms', 'sessionSumMs'],
    ['wall ÷ Σ sessions (goal ≤ 1.05)', 'wallOverSessions'],
    ['readbacks per step', 'readbacksPerStep'],
    ['readback bytes per step', 'readbackBytesPerStep'],
    ['readbacks per generation', 'readbacksTotal'],
    ['ControlNet runs skipped', 'controlnetRunsSkipped'],
    ['load ms', 'loadMs'],
    ['warm-up (2 steps) ms', 'warmupMs'],
  ] as const) {
    console.log([name.padEnd(34), ...rows.map((r) => String(r[key]).padStart(10))].join(''));
  }
  const gpu = rows.find((r) => r.provider === 'webgpu');
  const plain = rows.find((r) => r.provider === 'no capture');
  const cpu = rows.find((r) => r.provider === 'wasm');
  if (gpu && cpu) console.log(`\nwall time WebGPU ÷ WASM, measured side by side: ${(gpu.wallMs / cpu.wallMs).toFixed(2)}`);
  if (gpu && plain) {
    // A session's ms here is its run() call: with capture that is the CPU's share (replay), without it the dispatch of every kernel.
    const calls = (r: typeof gpu) =>
      Object.entries(r.perStepMs)
        .filter(([k]) => k.startsWith('unet/') || k.startsWith('controlnet/'))
        .reduce((a, [, v]) => a + v, 0);
    console.log(`UNet + ControlNet run() ms per step, captured ÷ not: ${calls(gpu).toFixed(1)} ÷ ${calls(plain).toFixed(1)} = ${(calls(gpu) / calls(plain)).toFixed(2)}`);
  }
  mkdirSync('bench/results', { recursive: true });
  const out = `bench/results/pipeline${fullsize ? '-fullsize' : ''}.json`;
  for (const f of failures) console.log(`${f.provider} could not run the set: ${f.error}`);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), rows, failures }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
