// The pipeline on the tiny set in Node (onnxruntime-node): determinism, ControlNet effects,
// unit scheduling, stacking, img2img, and stats. The same behaviours run on WebGPU in e2e/.
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet } from '../models/load-set.ts';
import { generate, type GenerateParams, type PipelineModels } from './pipeline.ts';
import type { ControlUnit, RgbaImage } from './control-units.ts';
import type { Feed } from './session.ts';
import { TorchGenerator } from './random.ts';
import { PipelineRun } from './pipeline-run.ts';
import { encodeImage } from './pipeline-vae.ts';
import { createScheduler, SCHEDULER_NAMES } from './schedulers/index.ts';

let models: PipelineModels;
let setModels: PipelineModels;
const SIZE = 64;

function pattern(seed: number): RgbaImage {
  const data = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const on = (x + seed * 7) % 16 < 3 || (y * seed) % 23 < 2 ? 255 : 0;
      data.set([on, on, on, 255], (y * SIZE + x) * 4);
    }
  return { data, width: SIZE, height: SIZE };
}
const unit = (model: string, extra: Partial<ControlUnit> = {}): ControlUnit => ({ model, image: pattern(1), weight: 1, start: 0, end: 1, mode: 'balanced', ...extra });
const params = (extra: Partial<GenerateParams> = {}): GenerateParams => ({
  prompt: 'a photo of a cat',
  negativePrompt: 'blurry',
  steps: 4,
  cfgScale: 7.5,
  seed: 42,
  width: SIZE,
  height: SIZE,
  sampler: 'euler-a',
  units: [],
  ...extra,
});
/** Runs `p` with the UNet's float inputs recorded (downloaded) at every step. */
async function recordUnetFeeds(p: GenerateParams): Promise<Map<string, Float32Array>[]> {
  const seen: Map<string, Float32Array>[] = [];
  const unet = models.unet.session;
  const recording = {
    ...unet,
    label: unet.label,
    inputs: unet.inputs,
    outputs: unet.outputs,
    async run(feeds: Record<string, Feed>) {
      const step = new Map<string, Float32Array>();
      for (const [name, feed] of Object.entries(feeds)) {
        const data = 'download' in feed ? await feed.download() : feed;
        if (data.type === 'float32') step.set(name, Float32Array.from(data.data as Float32Array));
      }
      seen.push(step);
      const out = await unet.run(feeds);
      const prediction = await out[models.unet.contract.output]!.download();
      if (prediction.type === 'float32') step.set('out', Float32Array.from(prediction.data as Float32Array));
      return out;
    },
  };
  await generate({ ...models, unet: { ...models.unet, session: recording } }, p);
  return seen;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string) {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1e-5 + 1e-4 * Math.abs(expected[i]!)));
  expect(worst, what).toBeLessThanOrEqual(1);
}

const diff = (a: RgbaImage, b: RgbaImage) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

beforeAll(async () => {
  ({ models } = await loadModelSet(folderSource('public/models/tiny-sd15'), { createSession: nodeSession(), ops: nodeOps() }));
  setModels = models;
});

describe('SD 1.5 pipeline on the tiny set', () => {
  it('gives identical images for the same seed and settings, and different ones for another seed', async () => {
    const a = await generate(models, params());
    const b = await generate(models, params());
    expect(diff(a.image, b.image)).toBe(0);
    const c = await generate(models, params({ seed: 43 }));
    expect(diff(a.image, c.image)).toBeGreaterThan(0);
    expect(a.image.width).toBe(SIZE);
  });

  it('runs the text encoder only when the prompt changes, with the same pixels as encoding afresh', async () => {
    const TEXT = 'text_encoder/model.onnx';
    const first = await generate(models, params({ prompt: 'a red barn' }));
    const again = await generate(models, params({ prompt: 'a red barn', seed: 43 }));
    expect(first.stats.sessionRuns[TEXT]).toBe(1);
    expect(again.stats.sessionRuns[TEXT]).toBeUndefined();
    const uncached = await generate({ ...models, promptCache: undefined }, params({ prompt: 'a red barn', seed: 43 }));
    expect(diff(again.image, uncached.image)).toBe(0);
    const changed = await generate(models, params({ prompt: 'a blue barn' }));
    expect(changed.stats.sessionRuns[TEXT]).toBe(1);
    expect((await generate(models, params({ prompt: 'a blue barn', negativePrompt: 'fog' }))).stats.sessionRuns[TEXT]).toBe(1);
  });

  it('leaves the image exactly unchanged with the zero-init ControlNet', async () => {
    const plain = await generate(models, params());
    const zero = await generate(models, params({ units: [unit('zero-init')] }));
    expect(diff(plain.image, zero.image)).toBe(0);
  });

  it('changes the image with a trained ControlNet, and runs it once per step', async () => {
    const plain = await generate(models, params());
    const canny = await generate(models, params({ units: [unit('canny')] }));
    expect(diff(plain.image, canny.image)).toBeGreaterThan(10);
    expect(canny.stats.sessionRuns['controlnet/canny/model.onnx']).toBe(4);
  });

  it('skips a unit entirely at weight 0 or outside its start/end range', async () => {
    const plain = await generate(models, params());
    for (const u of [unit('canny', { weight: 0 }), unit('canny', { start: 0.9, end: 1 })]) {
      const r = await generate(models, params({ units: [u] }));
      expect(diff(plain.image, r.image)).toBe(0);
      expect(r.stats.sessionRuns['controlnet/canny/model.onnx']).toBeUndefined();
      expect(r.stats.controlnetRunsSkipped).toBe(4);
    }
    const half = await generate(models, params({ units: [unit('canny', { start: 0, end: 0.5 })] }));
    expect(half.stats.sessionRuns['controlnet/canny/model.onnx']).toBe(2);
  });

  it('sums stacked units linearly: two half-weight copies of a unit are that unit at full weight; a zero-init unit adds nothing', async () => {
    const canny = await generate(models, params({ units: [unit('canny')] }));
    const halves = await generate(models, params({ units: [unit('canny', { weight: 0.5 }), unit('canny', { weight: 0.5 })] }));
    expect(diff(halves.image, canny.image)).toBeLessThanOrEqual(1);
    const withZero = await generate(models, params({ units: [unit('canny'), unit('zero-init', { image: pattern(2) })] }));
    expect(diff(withZero.image, canny.image)).toBe(0);
    const both = await generate(models, params({ units: [unit('canny'), unit('scribble', { image: pattern(2), weight: 0.5 })] }));
    expect(diff(both.image, canny.image)).toBeGreaterThan(10);
  });

  it('applies the control modes, worked by hand on the UNet’s residual inputs at the first step', async () => {
    const noCfg = (mode: 'balanced' | 'controlnet') => generate(models, params({ cfgScale: 1, units: [unit('canny', { mode })] }));
    expect(diff((await noCfg('balanced')).image, (await noCfg('controlnet')).image)).toBe(0);
    const firstFeeds = async (mode: 'balanced' | 'prompt' | 'controlnet') => (await recordUnetFeeds(params({ steps: 1, units: [unit('canny', { mode })] })))[0]!;
    const [balanced, prompt, cn] = [await firstFeeds('balanced'), await firstFeeds('prompt'), await firstFeeds('controlnet')];
    const residuals = models.unet.contract.residuals!;
    residuals.forEach((name, k) => {
      const b = balanced.get(name)!;
      // "My prompt is more important": residual k × 0.825^(12 − k), as A1111 scales it.
      expectClose(
        prompt.get(name)!,
        b.map((v) => v * 0.825 ** (12 - k)),
        `${name} (prompt)`,
      );
      // "ControlNet is more important" with CFG: the ControlNet sees the conditional half only; the unconditional half gets nothing.
      const half = b.length / 2;
      expectClose(cn.get(name)!.subarray(0, half), new Float32Array(half), `${name} (controlnet, uncond)`);
      expectClose(cn.get(name)!.subarray(half), b.subarray(half), `${name} (controlnet, cond)`);
    });
  });

  it('reads nothing back inside the loop with the preview off, only the final image; with it on (no TAESD), at most the latents per step', async () => {
    // Without TAESD the preview reads the latents for a projection (TAESD previews: pipeline-taesd.test.ts).
    const models = { ...setModels, taesd: null };
    const off = await generate(models, params({ units: [unit('canny'), unit('scribble')] }));
    expect(off.stats.steps.map((s) => s.readbacks)).toEqual([0, 0, 0, 0]);
    expect(off.stats.readbacks).toBe(1);
    expect(off.stats.readbackBytes).toBe(4 * 3 * 64 * 64);
    const seen: (Float32Array | null)[] = [];
    const on = await generate(models, params({ units: [unit('canny'), unit('scribble')], latentPreview: true }), { onStep: (s) => seen.push(s.latents) });
    expect(on.stats.steps.every((s) => s.readbacks <= 1 && s.readbackBytes === s.readbacks * 4 * 4 * 8 * 8)).toBe(true);
    expect(seen[0]).toHaveLength(4 * 8 * 8);
    expect(on.stats.readbacks).toBe(1 + on.stats.steps.reduce((a, s) => a + s.readbacks, 0));
    // The preview reads what the loop keeps on the device; it changes nothing.
    expect(diff(on.image, off.image)).toBe(0);
  });

  it('starts img2img from the init image: the first UNet input is the image’s sample noised to the first kept step, worked by hand', async () => {
    const base = await generate(models, params());
    const p = params({ init: { image: base.image, strength: 0.5 }, sampler: 'ddim' });
    const feeds = await recordUnetFeeds(p);
    expect(feeds).toHaveLength(2);
    const scheduler = createScheduler('ddim', models.schedulerConfig);
    scheduler.setTimesteps(p.steps);
    const t0 = scheduler.timesteps[2]!;
    // diffusers' draws: the VAE's sample, then the start noise, from one generator.
    const generator = new TorchGenerator(p.seed);
    const encoded = await encodeImage(models, base.image, new PipelineRun(), false, generator);
    const start = scheduler.addNoise(encoded, generator.randn([1, 4, 8, 8]), t0).map((v) => v * scheduler.inputScale(t0));
    const sample = feeds[0]!.get(models.unet.contract.sample)!;
    expectClose(sample.subarray(0, start.length), start, 'uncond half');
    expectClose(sample.subarray(start.length), start, 'cond half');
  });

  it('steps every sampler on the device as its scheduler does on the CPU, given the same predictions and noise (no CFG, a ControlNet on)', async () => {
    for (const sampler of SCHEDULER_NAMES) {
      const p = params({ sampler, cfgScale: 1, units: [unit('canny')] });
      const feeds = await recordUnetFeeds(p);
      const scheduler = createScheduler(sampler, models.schedulerConfig);
      scheduler.setTimesteps(p.steps);
      const t = scheduler.timesteps;
      // The stream after the start latents is each ancestral step's noise, as the pipeline draws it.
      const generator = new TorchGenerator(p.seed);
      generator.randn([1, 4, 8, 8]);
      let x: Float32Array = feeds[0]!.get(models.unet.contract.sample)!.map((v) => v / scheduler.inputScale(t[0]!));
      for (let i = 0; i + 1 < t.length; i++) {
        x = scheduler.step(feeds[i]!.get('out')!, t[i]!, x, () => generator.randn([1, 4, 8, 8]));
        const next = feeds[i + 1]!.get(models.unet.contract.sample)!.map((v) => v / scheduler.inputScale(t[i + 1]!));
        expectClose(next, x, `${sampler} step ${i + 1}`);
      }
    }
  });

  it('explains a bad unit instead of failing inside a session', async () => {
    await expect(generate(models, params({ units: [unit('depth')] }))).rejects.toThrow(/ControlNet unit 1: .*"depth" is not in the loaded set/);
    await expect(generate(models, params({ units: [unit('canny', { start: 0.8, end: 0.2 })] }))).rejects.toThrow(/start \(0.8\) must not be after end/);
    await expect(generate(models, params({ width: 100 }))).rejects.toThrow(/multiples of 64/);
  });

  it("weights prompts A1111's way, worked by hand on the text embeddings: (cat:1.5) scales cat's rows by 1.5, then restores the mean; weight 1 is no brackets; BREAK and a long prompt make chunks", async () => {
    const context = async (prompt: string) => (await recordUnetFeeds(params({ prompt, steps: 1 })))[0]!.get(models.unet.contract.context)!;
    const plain = await context('a photo of a cat');
    expect(Array.from(await context('a photo of a (cat:1)'))).toEqual(Array.from(plain));
    const weighted = await context('a photo of a (cat:1.5)');
    // The conditional half (the unconditional one is the negative prompt's); rows are tokens, BOS first.
    const width = plain.length / 2 / 77;
    const cond = plain.subarray(plain.length / 2);
    // "cat" is the prompt's last word: its tokens are the last ones before the end token (row 0 is the start token).
    const tokens = (text: string) => models.tokenizer.tokenize(text).length;
    const catRows = new Set(Array.from({ length: tokens('cat') }, (_, k) => tokens('a photo of a cat') - k));
    const scaled = cond.map((v, i) => (catRows.has(Math.floor(i / width)) ? v * 1.5 : v));
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    const expected = scaled.map((v) => v * (mean(cond) / mean(scaled)));
    expectClose(weighted.subarray(weighted.length / 2), expected, 'weighted context');
    expectClose(weighted.subarray(0, weighted.length / 2), plain.subarray(0, plain.length / 2), 'negative prompt untouched');
    // BREAK starts a second 77-token chunk; so do tokens past 75.
    expect((await context('a photo BREAK of a cat')).length).toBe(2 * 2 * 77 * width);
    expect((await context(Array.from({ length: 80 }, () => 'cat').join(' '))).length).toBe(2 * 2 * 77 * width);
  });

  it('stops within one step when cancelled', async () => {
    const abort = new AbortController();
    let seen = 0;
    const job = generate(models, params({ steps: 30 }), {
      signal: abort.signal,
      onStep: (s) => {
        seen = s.step;
        if (s.step === 2) abort.abort();
      },
    });
    await expect(job).rejects.toThrow(/cancelled/);
    expect(seen).toBe(2);
  });
});
