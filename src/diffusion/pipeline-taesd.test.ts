// TAESD in the pipeline (tiny set, Node): previews are TAESD images at the generation size,
// read back only when the preview is on; "fast decode" gives TAESD's image of the final latents
// (the same pixels as the last step's preview), and an img2img start encodes through TAESD.
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet, type SetCapabilities } from '../models/load-set.ts';
import type { RgbaImage } from './control-units.ts';
import { generate, type GenerateParams, type PipelineModels, type StepReport } from './pipeline.ts';

let models: PipelineModels;
let capabilities: SetCapabilities;
const params = (extra: Partial<GenerateParams> = {}): GenerateParams => ({
  prompt: 'a cat',
  negativePrompt: '',
  steps: 3,
  cfgScale: 1,
  seed: 5,
  width: 64,
  height: 64,
  sampler: 'euler',
  units: [],
  ...extra,
});
const diff = (a: RgbaImage, b: RgbaImage) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

beforeAll(async () => {
  ({ models, capabilities } = await loadModelSet(folderSource('public/models/tiny-sd15'), { createSession: nodeSession(), ops: nodeOps() }));
});

describe('TAESD in the pipeline', () => {
  it('is loaded from the set, and previews each read step as a TAESD image at the generation size', async () => {
    expect(capabilities.taesd).toEqual({ decoder: true, encoder: true });
    const steps: StepReport[] = [];
    const result = await generate(models, params({ latentPreview: true }), { onStep: (s) => steps.push(s) });
    const previews = steps.filter((s) => s.image);
    expect(previews.length).toBeGreaterThan(0);
    expect(steps.every((s) => s.latents === null)).toBe(true);
    expect([previews[0]!.image!.width, previews[0]!.image!.height]).toEqual([64, 64]);
    // One readback per preview, plus the final decode's.
    expect(result.stats.readbacks).toBe(previews.length + 1);
  });

  it('reads nothing back in the loop with the preview off', async () => {
    const steps: StepReport[] = [];
    await generate(models, params({ latentPreview: false }), { onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.readbacks)).toEqual([0, 0, 0]);
  });

  it('fast decode gives TAESD’s image of the final latents, not the VAE’s', async () => {
    const last: StepReport[] = [];
    const oneStep = params({ steps: 1, latentPreview: true });
    const fast = await generate(models, { ...oneStep, fastDecode: true }, { onStep: (s) => last.push(s) });
    const vae = await generate(models, oneStep);
    expect(diff(fast.image, last[0]!.image!)).toBe(0);
    expect(diff(fast.image, vae.image)).toBeGreaterThan(0);
  });

  it('encodes an img2img start through TAESD with fast decode', async () => {
    const init = { image: (await generate(models, params())).image, strength: 0.5 };
    const viaTaesd = await generate(models, params({ init, fastDecode: true }));
    const viaVae = await generate(models, params({ init }));
    expect(diff(viaTaesd.image, viaVae.image)).toBeGreaterThan(0);
  });
});
