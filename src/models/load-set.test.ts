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

  it('runs txt2img and img2img with a plain UNet and says ControlNet is unavailable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plain-set-'));
    cpSync('public/models/tiny-sd15', dir, { recursive: true });
    await writeGraphs([{ path: 'unet/model.onnx', graph: buildUnet(TINY.arch.unet, 'float32', false), source: new RandomWeights(1) }], { store: folderStore(dir), root: '', external: false });
    const { models, capabilities } = await load(dir);
    expect(capabilities.controlnet).toBe(false);
    expect(capabilities.controlnets).toEqual([]);
    const txt = await generate(models, params);
    const img = await generate(models, { ...params, init: { image: txt.image, strength: 0.6 } });
    expect(img.image.width).toBe(64);
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
    const r = await generate(models, { ...params, units: [{ model: 'canny', image: (await generate(models, params)).image, weight: 1, start: 0, end: 1, mode: 'balanced' }] });
    expect(r.image.data.some((v) => v > 0 && v < 255)).toBe(true);
  });
});
