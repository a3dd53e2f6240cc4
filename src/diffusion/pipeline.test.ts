// The pipeline on the tiny set in Node (onnxruntime-node): determinism, ControlNet effects,
// unit scheduling, stacking, img2img, and stats. The same behaviours run on WebGPU in e2e/.
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet } from '../models/load-set.ts';
import { generate, type GenerateParams, type PipelineModels } from './pipeline.ts';
import type { ControlUnit, RgbaImage } from './control-units.ts';

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

  it('applies the control modes: without CFG "ControlNet is more important" is balanced; with CFG it and prompt-first each change the image', async () => {
    const noCfg = (mode: 'balanced' | 'controlnet') => generate(models, params({ cfgScale: 1, units: [unit('canny', { mode })] }));
    expect(diff((await noCfg('balanced')).image, (await noCfg('controlnet')).image)).toBe(0);
    const [balanced, prompt, cn] = await Promise.all(
      (['balanced', 'prompt', 'controlnet'] as const).map((mode) => generate(models, params({ units: [unit('canny', { mode })] }))),
    );
    expect(diff(balanced!.image, prompt!.image)).toBeGreaterThan(0);
    expect(diff(balanced!.image, cn!.image)).toBeGreaterThan(0);
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

  it('runs img2img from an init image with a strength', async () => {
    const base = await generate(models, params());
    const r = await generate(models, params({ init: { image: base.image, strength: 0.5 }, sampler: 'ddim' }));
    expect(r.stats.steps).toHaveLength(2);
    expect(r.image.data.length).toBe(base.image.data.length);
  });

  it('runs every sampler without CFG too', async () => {
    for (const sampler of ['ddim', 'euler', 'dpmpp-2m', 'dpmpp-2m-karras', 'lcm', 'pndm'] as const) {
      const r = await generate(models, params({ sampler, cfgScale: 1, units: [unit('canny')] }));
      expect(r.image.data.some((v) => v > 0 && v < 255)).toBe(true);
    }
  });

  it('explains a bad unit instead of failing inside a session', async () => {
    await expect(generate(models, params({ units: [unit('depth')] }))).rejects.toThrow(/ControlNet unit 1: .*"depth" is not in the loaded set/);
    await expect(generate(models, params({ units: [unit('canny', { start: 0.8, end: 0.2 })] }))).rejects.toThrow(/start \(0.8\) must not be after end/);
    await expect(generate(models, params({ width: 100 }))).rejects.toThrow(/multiples of 64/);
  });

  it("weights prompts A1111's way: weight 1 is no brackets; a long prompt is chunked; emphasis and BREAK change the image", async () => {
    const plain = await generate(models, params());
    expect(diff((await generate(models, params({ prompt: 'a photo of a (cat:1)' }))).image, plain.image)).toBe(0);
    expect(diff((await generate(models, params({ prompt: 'a photo of a (cat:1.5)' }))).image, plain.image)).toBeGreaterThan(0);
    expect(diff((await generate(models, params({ prompt: 'a photo BREAK of a cat' }))).image, plain.image)).toBeGreaterThan(0);
    // 80 tokens: the words past 75 are not cut off (a second chunk), so they change the image.
    const long = Array.from({ length: 75 }, () => 'cat').join(' ');
    const cut = await generate(models, params({ prompt: long }));
    expect(diff((await generate(models, params({ prompt: `${long} on a red chair` }))).image, cut.image)).toBeGreaterThan(0);
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
