// Loading model sets in Node: a set whose UNet has no residual inputs still does txt2img
// and img2img, reports ControlNet as unavailable, and explains itself when given units.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet } from './load-set.ts';
import { generate } from '../diffusion/pipeline.ts';
import { buildUnet } from '../convert/unet.ts';
import { TINY } from '../convert/presets.ts';
import { RandomWeights } from '../convert/weights.ts';
import { writeGraphs } from '../convert/write-set.ts';
import { folderStore } from '../cli/fs-store.ts';

const load = (dir: string) => loadModelSet(folderSource(dir), { createSession: nodeSession(), ops: nodeOps() });
const params = { prompt: 'a house', negativePrompt: '', steps: 3, cfgScale: 5, seed: 3, width: 64, height: 64, sampler: 'ddim' as const, units: [] };

describe('model sets', () => {
  it('loads the tiny set with its ControlNets', async () => {
    const { capabilities } = await load('public/models/tiny-sd15');
    expect(capabilities).toEqual({
      controlnet: true,
      img2img: true,
      inpainting: false,
      lcm: null,
      taesd: { decoder: true, encoder: true },
      controlnets: ['canny', 'scribble', 'zero-init', 'inpaint'],
      unetPrecision: 'fp32',
    });
  });

  it('runs txt2img and img2img with a plain UNet and says ControlNet is unavailable; with the same weights it gives what a ControlNet-ready UNet gives with no unit', async () => {
    const withUnet = async (residuals: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'plain-set-'));
      cpSync('public/models/tiny-sd15', dir, { recursive: true });
      await writeGraphs([{ path: 'unet/model.onnx', graph: buildUnet(TINY.arch.unet, 'float32', residuals), source: new RandomWeights(1) }], { store: folderStore(dir), root: '', external: false });
      return load(dir);
    };
    const { models, capabilities } = await withUnet(false);
    expect(capabilities.controlnet).toBe(false);
    expect(capabilities.controlnets).toEqual([]);
    const txt = await generate(models, params);
    // Zero residuals add nothing: the ready UNet with the same weights gives the very same pixels.
    const ready = await withUnet(true);
    expect(Array.from((await generate(ready.models, params)).image.data)).toEqual(Array.from(txt.image.data));
    // img2img starts from the image: two different starts give two different images.
    const img = await generate(models, { ...params, init: { image: txt.image, strength: 0.6 } });
    const other = await generate(models, { ...params, init: { image: { ...txt.image, data: txt.image.data.map((v, i) => (i % 4 === 3 ? v : 255 - v)) }, strength: 0.6 } });
    expect(img.image.data.some((v, i) => v !== other.image.data[i])).toBe(true);
    const unit = { model: 'canny', image: txt.image, weight: 1, start: 0, end: 1, mode: 'balanced' as const };
    await expect(generate(models, { ...params, units: [unit] })).rejects.toThrow(/plain UNet without ControlNet residual inputs/);
  });

  it('loads the fp16 UNet variant (WASM/CPU runs fp16 graphs) and generates', async () => {
    const { models, capabilities } = await loadModelSet(folderSource('public/models/tiny-sd15'), {
      createSession: nodeSession(),
      ops: nodeOps(),
      unetFile: 'unet/model_fp16.onnx',
    });
    expect(capabilities.unetPrecision).toBe('fp16');
    // The same weights in fp32 are the reference: fp16 activations round, so the 8-bit images may differ by a few levels.
    const fp32 = (await load('public/models/tiny-sd15')).models;
    const hint = (await generate(fp32, params)).image;
    const unit = { model: 'canny', image: hint, weight: 1, start: 0, end: 1, mode: 'balanced' as const };
    const [half, full] = [await generate(models, { ...params, units: [unit] }), await generate(fp32, { ...params, units: [unit] })];
    const worst = half.image.data.reduce((m, v, i) => Math.max(m, Math.abs(v - full.image.data[i]!)), 0);
    console.log(`fp16 UNet vs fp32: max difference ${worst}/255`);
    expect(worst).toBeLessThanOrEqual(4);
  });
});
