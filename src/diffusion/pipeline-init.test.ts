// Where the denoising starts, checked by hand against diffusers' draws: img2img encodes with
// latent_dist.sample(generator) (ε = torch.randn of the seed, from ../shared/data/reference),
// then noises with the next draw; legacy inpainting keeps every pixel outside the mask.
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet } from '../models/load-set.ts';
import { cropToInputBox, generateFromInput, prepareInput } from '../preprocess/img2img.ts';
import { sharedJson } from '../test/shared-data.ts';
import type { RgbaImage } from './control-units.ts';
import { vaeImageTensor } from './image-tensors.ts';
import { generate, type GenerateParams, type PipelineModels } from './pipeline.ts';
import { latentMask, startLatents } from './pipeline-init.ts';
import { PipelineRun } from './pipeline-run.ts';
import { encodeImage, LATENT_SCALE } from './pipeline-vae.ts';
import { TorchGenerator } from './random.ts';
import { createScheduler } from './schedulers/index.ts';

let models: PipelineModels;
const SIZE = 64;
const picture = (): RgbaImage => {
  const data = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let p = 0; p < SIZE * SIZE; p++) data.set([(p * 7) % 256, (p * 13) % 256, (p >> 6) * 4, 255], p * 4);
  return { data, width: SIZE, height: SIZE };
};
const params = (extra: Partial<GenerateParams> = {}): GenerateParams => ({
  prompt: 'a house',
  negativePrompt: '',
  steps: 4,
  cfgScale: 7,
  seed: 42,
  width: SIZE,
  height: SIZE,
  sampler: 'euler-a',
  units: [],
  ...extra,
});
const randn42 = () => sharedJson<{ seed: number; shape: number[]; first16: number[] }[]>('reference', 'torch_randn.json').find((c) => c.seed === 42 && c.shape.join() === '1,4,8,8')!;

/** The encoder's mean and log-variance for the picture, straight from its session. */
async function moments(): Promise<Float32Array> {
  const enc = models.vaeEncoder!;
  const out = await enc.session.run({ [enc.contract.input]: vaeImageTensor(picture(), enc.contract.dtype) });
  return (await out[enc.contract.output]!.download()).data as Float32Array;
}

beforeAll(async () => {
  ({ models } = await loadModelSet(folderSource('public/models/tiny-sd15'), { createSession: nodeSession(), ops: nodeOps() }));
});

describe('img2img start', () => {
  it('samples the VAE’s distribution with the seed’s torch.randn: (mean + exp(½·logvar)·ε) × 0.18215', async () => {
    const m = await moments();
    const half = m.length / 2;
    const encoded = await encodeImage(models, picture(), new PipelineRun(), false, new TorchGenerator(42));
    randn42().first16.forEach((eps, i) => expect(encoded[i]).toBeCloseTo((m[i]! + Math.exp(0.5 * m[half + i]!) * eps) * LATENT_SCALE, 5));
  });

  it('noises the sample with the next draw at the first kept timestep, as StableDiffusionImg2ImgPipeline', async () => {
    const scheduler = createScheduler('ddim', models.schedulerConfig);
    scheduler.setTimesteps(10);
    const timesteps = scheduler.timesteps.slice(4);
    const run = new PipelineRun();
    const start = await startLatents(models, { image: picture(), strength: 0.6 }, run, { scheduler, timesteps, generator: new TorchGenerator(42), dims: [1, 4, 8, 8], fast: false });
    const generator = new TorchGenerator(42);
    const expected = scheduler.addNoise(await encodeImage(models, picture(), run, false, generator), generator.randn([1, 4, 8, 8]), timesteps[0]!);
    expect(Array.from(start.latents)).toEqual(Array.from(expected));
    expect(start.inpaint).toBeNull();
  });

  it('refuses a strength too small for one step, in words', async () => {
    await expect(generate(models, params({ init: { image: picture(), strength: 0.2 } }))).rejects.toThrow(/Denoising strength 0.2 with 4 steps runs no step/);
  });
});

describe('legacy inpainting with a 4-channel UNet', () => {
  const mask = () => {
    const data = new Uint8Array(SIZE * SIZE);
    for (let p = 0; p < data.length; p++) data[p] = p % SIZE >= 32 && Math.floor(p / SIZE) >= 16 ? 255 : 0;
    return { data, width: SIZE, height: SIZE };
  };

  it('takes the mask to latent size as diffusers: binarised at ½, nearest', () => {
    const m = latentMask(mask(), 8, 8);
    expect(Array.from(m.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(m.subarray(16, 24))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it.each(['whole', 'masked'] as const)('inpaint area %s: every pixel outside the blurred mask is the input’s, and the masked part changes', async (area) => {
    const input = { image: picture(), strength: 0.75, resizeMode: 'just-resize' as const, mask: mask(), inpaint: { maskBlur: 4, content: 'original' as const, area, padding: 8 } };
    const result = await generateFromInput(models, { ...params(), input });
    let changed = 0;
    for (let p = 0; p < SIZE * SIZE; p++) {
      const [x, y] = [p % SIZE, Math.floor(p / SIZE)];
      // Blur 4: 21 taps, so the mask reaches 10 px out from its edge (x ≥ 22, y ≥ 6).
      const outside = x < 22 || y < 6;
      for (let c = 0; c < 4; c++) if (outside) expect(result.image.data[p * 4 + c], `pixel ${x},${y}`).toBe(input.image.data[p * 4 + c]);
      if (x >= 42 && y >= 26 && result.image.data[p * 4] !== input.image.data[p * 4]) changed++;
    }
    expect(changed).toBeGreaterThan(300);
  });

  it('with only masked, a ControlNet unit’s map is cropped to the generated box, as the ControlNet extension crops it', async () => {
    // Vertical stripes 4 px wide every 16 px: cropped and scaled up, they are another map than uncropped.
    const stripes = { data: new Uint8ClampedArray(SIZE * SIZE * 4).map((_, i) => (i % 4 === 3 || (Math.floor(i / 4) % SIZE) % 16 < 4 ? 255 : 0)), width: SIZE, height: SIZE };
    const input = { image: picture(), strength: 0.75, resizeMode: 'just-resize' as const, mask: mask(), inpaint: { maskBlur: 0, content: 'original' as const, area: 'masked' as const, padding: 0 } };
    const unitWith = (image: RgbaImage) => ({ model: 'canny', image, weight: 1, start: 0, end: 1, mode: 'balanced' as const });
    const viaInput = await generateFromInput(models, { ...params(), units: [unitWith(stripes)], input });
    // By hand: the prepared crop, the unit's map cropped to the same box, then pasted back.
    const prepared = prepareInput(input, SIZE, SIZE);
    const run = async (map: RgbaImage) => prepared.finish((await generate(models, { ...params(), init: prepared.init, units: [unitWith(map)] })).image);
    expect(Array.from(viaInput.image.data)).toEqual(Array.from((await run(cropToInputBox(stripes, prepared.crop!))).data));
    expect(Array.from(viaInput.image.data)).not.toEqual(Array.from((await run(stripes)).data));
  });

  it('masked content changes the start: latent nothing and latent noise differ from original', async () => {
    const run = (content: 'original' | 'noise' | 'nothing') =>
      generateFromInput(models, {
        ...params({ sampler: 'ddim' }),
        input: { image: picture(), strength: 0.5, resizeMode: 'just-resize', mask: mask(), inpaint: { maskBlur: 0, content, area: 'whole', padding: 0 } },
      });
    const [original, noise, nothing] = [await run('original'), await run('noise'), await run('nothing')];
    const differs = (a: RgbaImage, b: RgbaImage) => a.data.some((v, i) => v !== b.data[i]);
    expect(differs(original.image, noise.image)).toBe(true);
    expect(differs(original.image, nothing.image)).toBe(true);
    expect(differs(noise.image, nothing.image)).toBe(true);
  });
});
