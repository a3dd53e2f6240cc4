// LoRA weight-change benchmark: the full-size fp16 set with a random rank-64 kohya LoRA on every
// attention and feed-forward layer of the UNet, applied at load. Side by side in one run: in Node
// (onnxruntime-node, as `npm run generate` and the Node engine apply LoRAs) the first application
// and a change of the LoRA's weight, each as the weight work (reading, merging and writing the
// touched tensors), the session re-creation, and the time from the change to the end of the next
// denoising step; in Chromium the same weight work with the worker's code and WASM runtime (the
// session cannot be made there on this machine: see inChromium). Writes bench/results/lora.json.
// `-- --chromium-only` skips the Node half.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDevPage } from './browser.ts';
import { externalDataNames } from '../../src/models/set-layout.ts';
import type { ModelIndex } from '../../src/models/set-source.ts';
import { folderSource } from '../../src/cli/fs-source.ts';
import { nodeOps, nodeSession } from '../../src/cli/node-runtime.ts';
import { nodeLoraMerger, resolveLoras } from '../../src/cli/loras.ts';
import { LoadedLoras, type LoraChangeStats } from '../../src/convert/lora/lora-at-load.ts';
import { generate, type GenerateParams } from '../../src/diffusion/pipeline.ts';
import { loadModelSet } from '../../src/models/load-set.ts';
import { nodeReopen } from '../../src/test/node-engine.ts';
import { FULLSIZE } from '../../src/convert/presets.ts';
import { ATTENTION_AND_FF, writeRandomLora } from '../../src/test/tiny-lora.ts';
import { FULLSIZE_OUT, generateSet } from '../models/generate-set.ts';

const SET = FULLSIZE_OUT;
const LORA = resolve('.models/bench-lora-r64.safetensors');
const RANK = 64;
// 64×64 pixels (8×8 latents): the step is not what is measured, the weight change is.
const PARAMS: GenerateParams = { prompt: 'a photo of a cat', negativePrompt: '', steps: 1, cfgScale: 1, seed: 1, width: 64, height: 64, sampler: 'euler', units: [] };
const WEIGHTS = [1, 0.6] as const;

export interface ChangeRow {
  runtime: string;
  change: string;
  weightMs: number;
  sessionMs: number | null;
  /** From the change to the end of the first denoising step after it. */
  toNextStepMs: number | null;
  merged: number;
  reused: number;
}

const row = (runtime: string, change: string, s: LoraChangeStats, toNextStepMs: number): ChangeRow => ({
  runtime,
  change,
  weightMs: Math.round(s.weightMs),
  // null: not measurable in that runtime here (see inChromium).
  sessionMs: Number.isNaN(s.sessionMs) ? null : Math.round(s.sessionMs),
  toNextStepMs: Number.isNaN(toNextStepMs) ? null : Math.round(toNextStepMs),
  merged: s.merged,
  reused: s.reused,
});

const changeName = (i: number) => (i === 0 ? `LoRA applied (weight ${WEIGHTS[0]})` : `weight ${WEIGHTS[i - 1]} → ${WEIGHTS[i]}`);

const readIndex = () => JSON.parse(readFileSync(join(SET, 'model_index.json'), 'utf8')) as ModelIndex;

async function ensureInputs(): Promise<{ fp16Unet: string; layers: number }> {
  if (!existsSync(join(SET, 'model_index.json'))) {
    console.log(`writing the full-size set to ${SET} (once) …`);
    await generateSet(FULLSIZE, SET);
  }
  const fp16Unet = readIndex().controlnet_studio?.unet_fp16;
  if (!fp16Unet) throw new Error(`${SET} has no fp16 UNet; run npm run models:fullsize again.`);
  const layers = await writeRandomLora(LORA, { set: SET, unetGraph: fp16Unet, unetLayers: ATTENTION_AND_FF, rank: RANK, std: 0.002, dtype: 'float16', seed: 64 });
  return { fp16Unet, layers };
}

async function inNode(fp16Unet: string): Promise<ChangeRow[]> {
  console.log('Node: loading the full-size set …');
  const loaded = await loadModelSet(folderSource(SET), { createSession: nodeSession(), ops: nodeOps(), unetFile: fp16Unet, controlnets: [] });
  const loras = new LoadedLoras(nodeLoraMerger());
  const reopen = nodeReopen(loaded);
  const rows: ChangeRow[] = [];
  for (const [i, weight] of WEIGHTS.entries()) {
    const { applied } = await resolveLoras([{ path: LORA, unet: weight, text: weight }], [], []);
    const t0 = performance.now();
    const stats = await loras.apply(loaded.graphs, applied, reopen);
    let stepEnd = 0;
    await generate(loaded.models, PARAMS, { onStep: () => (stepEnd ||= performance.now()) });
    rows.push(row('node', changeName(i), stats, stepEnd - t0));
    console.log(`Node: ${changeName(i)}: weights ${rows.at(-1)!.weightMs} ms, sessions ${rows.at(-1)!.sessionMs} ms`);
  }
  return rows;
}

/**
 * The weight work in Chromium, with the code and runtime the worker uses (the patcher, the merge on
 * onnxruntime-web's WASM kernels, the set's weights read by HTTP Range). Session re-creation is not
 * timed here: a software adapter gets no shader-f16, and neither UNet of the full-size set fits the
 * browser on this machine (the fp16 one runs out of the 4 GiB WASM heap on the CPU, the fp32 one
 * crashes the tab), so the studio cannot load the set here at all.
 */
async function inChromium(fp16Unet: string): Promise<ChangeRow[]> {
  const dev = await openDevPage(4319, { '/bench-models/': resolve('.models') });
  try {
    console.log('Chromium: merging the LoRA into the full-size fp16 UNet in the page …');
    const results = await dev.page.evaluate(
      async ({ unetFile, dataNames, weights }) => {
        const load = <T>(path: string) => import(/* @vite-ignore */ path) as Promise<T>;
        const backend = await load<typeof import('../../src/gpu/backend.ts')>('/src/gpu/backend.ts');
        const { LoraMerger } = await load<typeof import('../../src/convert/lora/lora-merge.ts')>('/src/convert/lora/lora-merge.ts');
        const { GraphLoraPatcher } = await load<typeof import('../../src/convert/lora/lora-patcher.ts')>('/src/convert/lora/lora-patcher.ts');
        const { urlSource } = await load<typeof import('../../src/models/fetch-file.ts')>('/src/models/fetch-file.ts');
        const { readLora } = await load<typeof import('../../src/convert/lora/lora-file.ts')>('/src/convert/lora/lora-file.ts');
        const { httpBytes } = await load<typeof import('../../src/convert/byte-source.ts')>('/src/convert/byte-source.ts');
        backend.configureRuntime(null);
        const merger = new LoraMerger((bytes, label) => backend.ModelSession.create(bytes, 'wasm', label));
        const lora = await readLora(await httpBytes(new URL('/bench-models/bench-lora-r64.safetensors', location.href).href));
        const graph = { source: urlSource('/bench-models/fullsize-sd15'), file: unetFile, label: unetFile, role: 'unet' as const, fp16: true, dataNames };
        const patcher = new GraphLoraPatcher(graph, 'unet', merger);
        const out = [];
        for (const multiplier of weights) {
          const { stats } = await patcher.patch([{ lora, multiplier }]);
          out.push({ parts: ['unet' as const], weightMs: stats.ms, sessionMs: Number.NaN, merged: stats.merged, reused: stats.reused });
        }
        return out;
      },
      { unetFile: fp16Unet, dataNames: externalDataNames(fp16Unet, readIndex()), weights: [...WEIGHTS] },
    );
    return results.map((stats, i) => row('chromium', changeName(i), stats, Number.NaN));
  } finally {
    await dev.close();
  }
}

async function main() {
  const { fp16Unet, layers } = await ensureInputs();
  const rows = process.argv.includes('--chromium-only') ? [] : await inNode(fp16Unet);
  const failures: { runtime: string; error: string }[] = [];
  try {
    rows.push(...(await inChromium(fp16Unet)));
  } catch (err) {
    failures.push({ runtime: 'chromium', error: (err as Error).message.split('\n')[0]! });
  }
  console.log(`\nLoRA at load, full-size fp16 set, random rank-${RANK} LoRA on ${layers} attention and feed-forward layers (goal: weight work ≤ 3000 ms in Node)\n`);
  console.log(['runtime'.padEnd(10), 'change'.padEnd(28), 'weights ms'.padStart(11), 'sessions ms'.padStart(12), 'to next step ms'.padStart(16), 'merged'.padStart(8), 'reused'.padStart(8)].join(''));
  for (const r of rows)
    console.log(
      [
        r.runtime.padEnd(10),
        r.change.padEnd(28),
        String(r.weightMs).padStart(11),
        String(r.sessionMs ?? '–').padStart(12),
        String(r.toNextStepMs ?? '–').padStart(16),
        String(r.merged).padStart(8),
        String(r.reused).padStart(8),
      ].join(''),
    );
  const node = rows.find((r) => r.runtime === 'node' && r.change.startsWith('weight'));
  const browser = rows.find((r) => r.runtime === 'chromium' && r.change.startsWith('weight'));
  if (node && browser) console.log(`\nweight work on a change, Chromium ÷ Node, measured side by side: ${(browser.weightMs / node.weightMs).toFixed(2)}`);
  for (const f of failures) console.log(`${f.runtime} could not run it: ${f.error}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/lora.json', JSON.stringify({ date: new Date().toISOString(), rank: RANK, layers, rows, failures }, null, 2));
  console.log('wrote bench/results/lora.json');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
