// Sets the way torch.onnx.export leaves them: output dims it was not told to name come out
// symbolic ("Addlatent_sample_dim_1"), which is no mismatch — the first run checks the real
// shape, with the same clear error when it is wrong. A set without a VAE encoder still does
// txt2img and ControlNet; only img2img says it needs one.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../cli/fs-source.ts';
import { folderStore } from '../cli/fs-store.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { ModelGraph } from '../convert/model-graph.ts';
import { TINY } from '../convert/presets.ts';
import { buildVaeEncoder } from '../convert/vae.ts';
import { RandomWeights } from '../convert/weights.ts';
import { writeGraphs } from '../convert/write-set.ts';
import { generate } from '../diffusion/pipeline.ts';
import { loadModelSet } from './load-set.ts';

const copy = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'export-')), 'set');
  cpSync('public/models/tiny-sd15', dir, { recursive: true });
  return dir;
};
const load = (dir: string) => loadModelSet(folderSource(dir), { createSession: nodeSession(), ops: nodeOps() });
const params = { prompt: 'a house', negativePrompt: '', steps: 2, cfgScale: 1, seed: 3, width: 64, height: 64, sampler: 'ddim' as const, units: [] };
const hint = { data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 };

/** Renames an output's dims as torch does when it was not told their names. */
function symbolicOutput(g: ModelGraph, prefix: string): ModelGraph {
  const dims = g.outputs[0]!.type!.tensorType!.shape!.dim!;
  dims.forEach((d, i) => {
    d.dimValue = null;
    d.dimParam = `${prefix}_dim_${i}`;
  });
  return g;
}

describe('sets exported the way torch does', () => {
  it('loads a VAE encoder whose output dims are symbolic, and does img2img with it', async () => {
    const dir = copy();
    const encoder = symbolicOutput(buildVaeEncoder(TINY.arch.vae), 'Addlatent_sample');
    await writeGraphs([{ path: 'vae_encoder/model.onnx', graph: encoder, source: new RandomWeights(13) }], { store: folderStore(dir), root: '', external: false });
    const { models, capabilities } = await load(dir);
    expect(capabilities.img2img).toBe(true);
    const txt = await generate(models, params);
    const img = await generate(models, { ...params, init: { image: txt.image, strength: 0.5 } });
    expect(img.image.width).toBe(64);
  });

  it('checks a symbolic output on the first run: a decoder that gives 4 channels is named, with the shape it gave', async () => {
    const dir = copy();
    // A "decoder" that upsamples the latent 8× and so keeps its 4 channels — reshaped with a
    // computed shape, so nothing before a run can tell the channel count.
    const g = new ModelGraph('vae_decoder', 'float32');
    const latent = g.input('latent_sample', 'float32', ['batch', 4, 'h', 'w']);
    const up = g.op1('Resize', [latent, '', g.floatConst([1, 1, 8, 8], [4], 'float32')], { mode: 'nearest' });
    const dims = g.op1('Shape', [latent]);
    const dim = (i: number, times = 1) => g.op1('Mul', [g.op1('Slice', [dims, g.int64Const([i]), g.int64Const([i + 1])]), g.int64Const([times])]);
    const shape = g.op1('Concat', [dim(0), g.int64Const([-1]), dim(2, 8), dim(3, 8)], { axis: 0 });
    g.output(g.op1('Reshape', [up, shape]), 'sample', 'float32', [0, 0, 0, 0]);
    symbolicOutput(g, 'Resizesample');
    await writeGraphs([{ path: 'vae_decoder/model.onnx', graph: g, source: new RandomWeights(1) }], { store: folderStore(dir), root: '', external: false });
    const { models } = await load(dir);
    await expect(generate(models, params)).rejects.toThrow(
      'vae_decoder/model.onnx does not fit the vae_decoder slot: its output "sample" came out [1, 4, 64, 64] on its first run, not [1, 3, 64, 64].',
    );
  });

  it('a VAE encoder that gives only its mean (4 channels) is used, and the load says img2img cannot sample as diffusers does', async () => {
    const dir = copy();
    // An "encoder" whose latents are the image pooled 8× with a fourth channel: the shape of a mean-only export.
    const g = new ModelGraph('vae_encoder', 'float32');
    const image = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
    const pooled = g.op1('AveragePool', [image], { kernel_shape: [8, 8], strides: [8, 8] });
    const first = g.op1('Slice', [pooled, g.int64Const([0]), g.int64Const([1]), g.int64Const([1])]);
    g.output(g.op1('Concat', [pooled, first], { axis: 1 }), 'latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']);
    await writeGraphs([{ path: 'vae_encoder/model.onnx', graph: g, source: new RandomWeights(1) }], { store: folderStore(dir), root: '', external: false });
    const warnings: string[] = [];
    const { models } = await loadModelSet(folderSource(dir), { createSession: nodeSession(), ops: nodeOps(), onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringContaining('vae_encoder/model.onnx gives only the mean of its latent distribution')]);
    const img = await generate(models, { ...params, init: { image: hint, strength: 0.5 } });
    expect(img.image.width).toBe(64);
    // The tiny set's own encoder gives mean and log-variance: no such warning.
    const own: string[] = [];
    await loadModelSet(folderSource(copy()), { createSession: nodeSession(), ops: nodeOps(), onWarning: (w) => own.push(w) });
    expect(own).toEqual([]);
  });

  it('without a VAE encoder: txt2img and ControlNet work; img2img says it needs the encoder', async () => {
    const dir = copy();
    rmSync(join(dir, 'vae_encoder'), { recursive: true });
    const { models, capabilities } = await load(dir);
    expect(capabilities).toMatchObject({ img2img: false, controlnet: true });
    const txt = await generate(models, { ...params, units: [{ model: 'canny', image: hint, weight: 1, start: 0, end: 1, mode: 'balanced' }] });
    await expect(generate(models, { ...params, init: { image: txt.image, strength: 0.5 } })).rejects.toThrow('img2img needs a VAE encoder, and this model set has none.');
  });
});
