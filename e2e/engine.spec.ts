// The inference engine in Chromium on WebGPU (SwiftShader) with the tiny set: the real
// worker, onnxruntime-web and the pipeline, called through the Engine interface.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { main as generateCli } from '../src/cli/generate.ts';
import { decodePngImage, encodePngWithText } from '../src/image/png.ts';
import { expect, test } from './support/shared-page.ts';
import { checkInpainted } from './support/inpaint-checks.ts';

const SET = '/models/tiny-sd15';

/** Runs a generation in the page with a striped 64×64 control map per unit; returns pixels and stats. */
async function run(page: Page, options: { seed?: number; units?: { model: string; weight?: number; start?: number; end?: number; stripe?: number }[]; steps?: number }) {
  return page.evaluate(
    async ({ seed, units, steps }) => {
      const stripes = (k: number) => {
        const data = new Uint8ClampedArray(64 * 64 * 4);
        for (let p = 0; p < 64 * 64; p++) {
          const on = ((p % 64) + k * 5) % 12 < 3 ? 255 : 0;
          data.set([on, on, on, 255], p * 4);
        }
        return { data, width: 64, height: 64 };
      };
      const stages = new Set<string>();
      const r = await globalThis.controlnetStudio.engine.generate(
        {
          prompt: 'a photo of a cat',
          negativePrompt: 'blurry',
          steps,
          cfgScale: 7.5,
          seed,
          width: 64,
          height: 64,
          sampler: 'euler-a',
          units: units.map((u) => ({ model: u.model, image: stripes(u.stripe ?? 1), weight: u.weight ?? 1, start: u.start ?? 0, end: u.end ?? 1, mode: 'balanced' as const })),
        },
        { onProgress: (p) => stages.add(p.stage) },
      );
      return {
        pixels: Array.from(r.image.data),
        stats: r.stats,
        gpuReadbacks: r.gpuReadbacks,
        pipelinesCompiled: r.pipelinesCompiled,
        captured: r.captured,
        notCaptured: r.notCaptured,
        preparing: stages.has('preparing'),
      };
    },
    { seed: options.seed ?? 42, units: options.units ?? [], steps: options.steps ?? 2 },
  );
}
const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

// The worker's shared page (support/shared-page.ts), so SwiftShader compiles the tiny set's pipelines
// once. Not serial: after a failure the next test gets a fresh page (beforeAll runs again) and makes
// the runs it compares with.
test.describe('engine on WebGPU', () => {
  let page: Page;
  type Run = Awaited<ReturnType<typeof run>>;
  let plainRun: Promise<Run> | undefined;
  let cannyRun: Promise<Run> | undefined;
  /** The uncaptured reference runs: no unit, and one canny unit. */
  const plainImage = () => (plainRun ??= run(page, {}));
  const cannyImage = () => (cannyRun ??= run(page, { units: [{ model: 'canny' }] }));

  test.beforeAll(async ({ studioPage }) => {
    plainRun = cannyRun = undefined;
    page = studioPage;
    const info = await page.evaluate((url) => globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'url', url } }), SET);
    expect(info.unet).toMatchObject({ provider: 'webgpu', precision: 'fp32' });
    expect(info.capabilities.controlnets).toEqual(['canny', 'scribble', 'zero-init', 'inpaint']);
  });

  test('same seed and settings give identical images; with the preview off the loop reads nothing back, only the image', async () => {
    const plain = await plainImage();
    const again = await run(page, {});
    expect(maxDiff(plain.pixels, again.pixels)).toBe(0);
    expect(plain.stats.steps.map((s) => s.readbacks)).toEqual([0, 0]);
    expect(plain.stats.readbacks).toBe(1);
    // The runtime's own count agrees: nothing else left the GPU (the scheduler steps on it too).
    expect(plain.gpuReadbacks.count).toBe(1);
    // Its shaders were compiled by the first run.
    expect(again.pipelinesCompiled).toBe(0);
  });

  test('the zero-init ControlNet gives exactly the image without ControlNet; canny changes it', async () => {
    const plain = await plainImage();
    const zero = await run(page, { units: [{ model: 'zero-init' }] });
    expect(maxDiff(zero.pixels, plain.pixels)).toBe(0);
    const canny = await cannyImage();
    expect(maxDiff(canny.pixels, plain.pixels)).toBeGreaterThan(10);
    expect(canny.stats.sessionRuns['controlnet/canny/model.onnx']).toBe(2);
  });

  test('weight 0, or a start/end range that excludes every step, runs the ControlNet 0 times', async () => {
    const plain = await plainImage();
    for (const unit of [
      { model: 'canny', weight: 0 },
      { model: 'canny', start: 0.9, end: 1 },
    ]) {
      const r = await run(page, { units: [unit] });
      expect(maxDiff(r.pixels, plain.pixels)).toBe(0);
      expect(r.stats.sessionRuns['controlnet/canny/model.onnx']).toBeUndefined();
      expect(r.stats.controlnetRunsSkipped).toBe(2);
    }
  });

  test('loading the same set again keeps its compiled shaders: the next run compiles no GPU pipeline', async () => {
    const canny = await cannyImage();
    await page.evaluate((url) => globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'url', url } }), SET);
    const again = await run(page, { units: [{ model: 'canny' }] });
    expect(again.pipelinesCompiled).toBe(0);
    expect(maxDiff(again.pixels, canny.pixels)).toBe(0);
  });

  // Stacked units (an image unlike either unit alone) and Cancel (stops within one step, the next
  // run works) are tested through the studio: e2e/studio.spec.ts, tests 3 and 4.

  test('the UNet and ControlNet run captured at the request’s shapes, giving the image uncaptured runs give; each graph is prepared once per size', async () => {
    const [plain, canny] = [await plainImage(), await cannyImage()];
    // Capture is asked for: on a software GPU (this one) it is off by default, see LoadSetOptions.
    await page.evaluate((url) => globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'url', url }, graphCapture: true }), SET);
    const time = async <T>(f: () => Promise<T>) => {
      const began = Date.now();
      return { r: await f(), ms: Date.now() - began };
    };
    const first = await time(() => run(page, { units: [{ model: 'canny' }] }));
    const again = await time(() => run(page, { units: [{ model: 'canny' }] }));
    const unetOnly = await time(() => run(page, {}));
    console.log(`captured 64×64, 2 steps: first run (prepares) ${first.ms} ms, ${first.r.pipelinesCompiled} pipelines compiled; again ${again.ms} ms, UNet alone (already prepared) ${unetOnly.ms} ms`);
    expect(first.r.notCaptured).toEqual([]);
    expect(first.r.captured.sort()).toEqual(['controlnet/canny/model.onnx', 'unet/model.onnx']);
    expect([first.r.preparing, again.r.preparing, unetOnly.r.preparing]).toEqual([true, false, false]);
    expect(unetOnly.r.captured).toEqual(['unet/model.onnx']);
    // The same pixels as the uncaptured runs of the tests above.
    expect(canny.captured).toEqual([]);
    expect(maxDiff(first.r.pixels, canny.pixels)).toBe(0);
    expect(maxDiff(again.r.pixels, canny.pixels)).toBe(0);
    expect(maxDiff(unetOnly.r.pixels, plain.pixels)).toBe(0);
  });

  test('inpainting on WebGPU (the mask blend and the inpaint ControlNet’s −1 hint run as device graphs) gives the CLI’s image within 2/255, every pixel outside the blurred mask the input’s', async () => {
    const result = await page.evaluate(async () => {
      const image = { data: new Uint8ClampedArray(64 * 64 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 29) % 253)), width: 64, height: 64 };
      const mask = { data: new Uint8Array(64 * 64).map((_, p) => (p % 64 >= 40 ? 255 : 0)), width: 64, height: 64 };
      const r = await globalThis.controlnetStudio.engine.generate({
        prompt: 'a photo of a cat',
        negativePrompt: '',
        steps: 2,
        cfgScale: 7,
        seed: 9,
        width: 64,
        height: 64,
        sampler: 'euler-a',
        units: [{ model: 'inpaint', image, weight: 1, start: 0, end: 1, mode: 'balanced' as const, fromInput: true }],
        input: { image, strength: 1, resizeMode: 'just-resize' as const, mask, inpaint: { maskBlur: 2, content: 'original' as const, area: 'whole' as const, padding: 0 } },
      });
      return { pixels: Array.from(r.image.data), input: Array.from(image.data), mask: Array.from(mask.data) };
    });
    const dir = mkdtempSync(join(tmpdir(), 'engine-inpaint-'));
    const [init, mask, out] = [join(dir, 'init.png'), join(dir, 'mask.png'), join(dir, 'out.png')];
    writeFileSync(init, encodePngWithText({ data: Uint8ClampedArray.from(result.input), width: 64, height: 64 }, {}));
    writeFileSync(mask, encodePngWithText({ data: Uint8ClampedArray.from(result.mask.flatMap((v) => [v, v, v, 255])), width: 64, height: 64 }, {}));
    await generateCli([
      '--models',
      resolve(import.meta.dirname, '../public/models/tiny-sd15'),
      '--prompt',
      'a photo of a cat',
      '--init',
      init,
      '--mask',
      mask,
      '--mask-blur',
      '2',
      '--strength',
      '1',
      '--control',
      `inpaint=${init}`,
      '--preprocess',
      'inpaint_only',
      '--steps',
      '2',
      '--cfg',
      '7',
      '--seed',
      '9',
      '--width',
      '64',
      '--height',
      '64',
      '--sampler',
      'euler-a',
      '--out',
      out,
    ]);
    const cli = decodePngImage(new Uint8Array(readFileSync(out)));
    const diff = maxDiff(result.pixels, Array.from(cli.data));
    console.log(`inpainting, WebGPU vs the CLI: max difference ${diff}/255`);
    expect(diff).toBeLessThanOrEqual(2);
    // Blur 2 reaches 5 px: left of x = 35 the input is kept exactly.
    checkInpainted({ data: result.pixels, width: 64, height: 64 }, { data: result.input, width: 64, height: 64 }, 35);
  });

  test('WebGPU and WASM agree on the same generation', async () => {
    const canny = await cannyImage();
    await page.evaluate((url) => globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'url', url }, provider: 'wasm' }), SET);
    const wasm = await run(page, { units: [{ model: 'canny' }] });
    // `canny` is the same request run on WebGPU above.
    const diff = maxDiff(wasm.pixels, canny.pixels);
    console.log(`max |WebGPU − WASM| over the 8-bit image: ${diff}`);
    expect(diff).toBeLessThanOrEqual(2);
  });

  test('an fp16 UNet on a GPU without shader-f16 runs on WASM beside WebGPU graphs, with the copies between them counted', async () => {
    const r = await page.evaluate(async () => {
      const engine = globalThis.controlnetStudio.engine;
      const info = await engine.loadModelSet({ source: { kind: 'url', url: '/models/tiny-sd15' }, unetPrecision: 'fp16', controlnets: ['canny'] });
      const hint = new Uint8ClampedArray(64 * 64 * 4).fill(255);
      const out = await engine.generate({
        prompt: 'a cat',
        negativePrompt: '',
        steps: 1,
        cfgScale: 7.5,
        seed: 3,
        width: 64,
        height: 64,
        sampler: 'euler',
        units: [{ model: 'canny', image: { data: hint, width: 64, height: 64 }, weight: 1, start: 0, end: 1, mode: 'balanced' }],
      });
      return { unet: info.unet, notices: info.notices, pipelineReadbacks: out.stats.readbacks, gpuReadbacks: out.gpuReadbacks.count, grey: out.image.data.some((v) => v > 0 && v < 255) };
    });
    expect(r.unet).toMatchObject({ file: 'unet/model_fp16.onnx', provider: 'wasm', precision: 'fp16' });
    expect(r.notices.join(' ')).toMatch(/shader-f16/);
    expect(r.grey).toBe(true);
    // The text embeddings and the ControlNet residuals come down from the GPU for the WASM UNet: counted, not hidden.
    expect(r.gpuReadbacks).toBeGreaterThan(r.pipelineReadbacks);
  });
});

test('a corrupt ONNX file, or a UNet in the VAE slot, gives the specific error', async ({ studioPage: page }) => {
  await page.route('**/models/broken/**', async (route) => {
    const path = new URL(route.request().url()).pathname.replace('/models/broken/', '');
    const scenario = new URL(route.request().url()).pathname.split('/')[3];
    const file = path.split('/').slice(1).join('/');
    const real = await page.request.fetch(`/models/tiny-sd15/${file === 'vae_decoder/model.onnx' && scenario === 'swapped' ? 'unet/model.onnx' : file}`);
    let body = await real.body();
    if (scenario === 'corrupt' && file === 'unet/model.onnx') body = body.subarray(0, body.length / 3);
    await route.fulfill({ status: real.status(), body, headers: { 'content-type': 'application/octet-stream' } });
  });
  const load = (url: string) =>
    page.evaluate(
      (u) =>
        globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'url', url: u }, provider: 'wasm', controlnets: [] }).then(
          () => null,
          (e: Error) => ({ name: e.name, message: e.message }),
        ),
      url,
    );
  const corrupt = await load('/models/broken/corrupt');
  expect(corrupt?.name).toBe('ModelLoadError');
  expect(corrupt?.message).toContain('Could not load unet/model.onnx');
  const swapped = await load('/models/broken/swapped');
  expect(swapped?.name).toBe('ModelContractError');
  expect(swapped?.message).toContain('vae_decoder/model.onnx does not fit the vae_decoder slot');
  expect(swapped?.message).toContain('found (sample: float32[batch, 4, height, width]');
  await page.unroute('**/models/broken/**');
});
