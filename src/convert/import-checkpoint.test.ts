// Importing as the studio does, with folders standing in for OPFS: a Hugging Face-style repo
// served over HTTP (only the files needed, the fp16 variant where there is one), files picked
// one by one, a ControlNet stored on its own and loaded beside a set, and a cancelled import
// that leaves nothing behind.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBytes } from '../cli/fs-bytes.ts';
import { folderSource } from '../cli/fs-source.ts';
import { folderStore } from '../cli/fs-store.ts';
import { CLIP_VOCAB } from '../cli/convert.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { CancelledError } from '../diffusion/errors.ts';
import { generate } from '../diffusion/pipeline.ts';
import { loadModelSet } from '../models/load-set.ts';
import { storeSource } from '../models/set-files.ts';
import { CHECKPOINTS, caseErrors, referenceCases } from '../test/checkpoint-cases.ts';
import { startModelServer, type ModelServer } from '../test/model-server.ts';
import { importCheckpoint, listStored, type ImportStores } from './import-checkpoint.ts';

const clipVocab = async () => new Uint8Array(readFileSync(CLIP_VOCAB));
const stores = (): ImportStores & { root: string } => {
  const root = mkdtempSync(join(tmpdir(), 'import-'));
  return {
    root,
    sets: folderStore(join(root, 'models')),
    controlnets: folderStore(join(root, 'controlnets')),
    downloads: folderStore(join(root, 'downloads')),
    loras: folderStore(join(root, 'loras')),
    taesd: folderStore(join(root, 'taesd')),
  };
};
const files = async (...paths: string[]) => new Map(await Promise.all(paths.map(async (p) => [p.split('/').pop()!, await fileBytes(join(CHECKPOINTS(), p))] as const)));

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer(CHECKPOINTS());
});
afterAll(() => server.close());

describe('importing checkpoints', () => {
  it('fetches only what a diffusers repo conversion needs — the fp16 UNet variant, no ControlNet, no fp32 duplicate — then converts it', async () => {
    const s = stores();
    server.log.length = 0;
    const progress: string[] = [];
    const result = await importCheckpoint({ kind: 'hub', repo: `${server.url}/diffusers` }, s, {
      name: 'Tiny from the hub',
      precision: 'fp16',
      clipVocab,
      onConvert: (p) => progress.push(p.graph),
    });
    expect(result.kind).toBe('set');
    const fetched = server.log.filter((r) => r.status === 200 || r.status === 206).map((r) => r.path.replace(/^diffusers\//, ''));
    expect(new Set(fetched)).toEqual(
      new Set([
        'model_index.json',
        'unet/config.json',
        'vae/config.json',
        'text_encoder/config.json',
        'tokenizer/vocab.json',
        'tokenizer/merges.txt',
        'scheduler/scheduler_config.json',
        'text_encoder/model.safetensors',
        'unet/diffusion_pytorch_model.fp16.safetensors',
        'vae/diffusion_pytorch_model.safetensors',
      ]),
    );
    expect(fetched.some((p) => p.startsWith('controlnet/'))).toBe(false);
    // Progress is per graph, in order; the downloads are removed once converted.
    expect([...new Set(progress)]).toEqual(['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx']);
    expect(readdirSync(join(s.root, 'downloads'))).toEqual([]);
    const set = join(s.root, 'models', result.id);
    for (const c of referenceCases().filter((c) => c.graph !== 'controlnet' && c.graph !== 'unet+controlnet')) expect(Math.max(...(await caseErrors(set, c))), c.name).toBeLessThanOrEqual(1e-2);
  }, 60_000);

  it('stores a ControlNet on its own, and a set loads it beside its own and generates with it', async () => {
    const s = stores();
    const base = await importCheckpoint({ kind: 'files', files: await files('single-file/model.safetensors', 'single-file/model.yaml') }, s, {
      name: 'tiny',
      precision: 'fp32',
      overrides: { textHeads: 2 },
      clipVocab,
    });
    // Without its .yaml and without a set of its family, the heads are asked for, not guessed.
    const alone = importCheckpoint({ kind: 'files', files: await files('single-file/controlnet.pth') }, s, { name: 'my canny', precision: 'fp32', clipVocab });
    await expect(alone).rejects.toThrow(/controlnet\.pth is a ControlNet whose attention head count its weights do not say \(widths 32\/32\/32\/64.*give "UNet heads"/);
    // Imported for the set it is used with, it takes the set's layout (8 heads, from the base model's .yaml) and records it.
    const baseShape = (await listStored(s)).sets[0]!.index.controlnet_studio!.unet_shape!;
    expect(baseShape.heads).toEqual([8, 8, 8, 8]);
    const cn = await importCheckpoint({ kind: 'files', files: await files('single-file/controlnet.pth') }, s, { name: 'my canny', precision: 'fp32', clipVocab, overrides: { paired: baseShape } });
    expect([base.kind, base.id, cn.kind, cn.id]).toEqual(['set', 'converted-tiny', 'controlnet', 'my-canny']);
    const listed = await listStored(s);
    expect(listed.sets.map((x) => x.index.controlnet_studio?.label)).toEqual(['tiny']);
    expect(listed.controlnets.map((c) => [c.name, c.precision, c.converted_from, c.unet_shape.heads])).toEqual([['my-canny', 'fp32', 'controlnet.pth', [8, 8, 8, 8]]]);
    // The stored ControlNet gives the reference residuals.
    expect(
      Math.max(
        ...(await caseErrors(
          join(s.root, 'controlnets/my-canny'),
          referenceCases().find((c) => c.name === 'controlnet')!,
          'model.onnx',
        )),
      ),
    ).toBeLessThanOrEqual(1e-4);

    const { models, capabilities } = await loadModelSet(storeSource(s.sets, base.id), {
      createSession: nodeSession(),
      ops: nodeOps(),
      controlnets: ['my-canny'],
      storedControlnets: [{ name: 'my-canny', source: storeSource(s.controlnets, 'my-canny') }],
    });
    expect(capabilities.controlnets).toEqual(['my-canny']);
    const hint = { data: new Uint8ClampedArray(64 * 64 * 4).map((_, i) => (i % 4 === 3 || (i >> 2) % 9 === 0 ? 255 : 0)), width: 64, height: 64 };
    const params = { prompt: 'a bird', negativePrompt: '', steps: 2, cfgScale: 1, seed: 5, width: 64, height: 64, sampler: 'euler' as const };
    const without = await generate(models, { ...params, units: [] });
    const withCn = await generate(models, { ...params, units: [{ model: 'my-canny', image: hint, weight: 1, start: 0, end: 1, mode: 'balanced' }] });
    expect(withCn.image.data).not.toEqual(without.image.data);

    // A ControlNet given other heads by hand is refused at load, with both layouts named.
    await importCheckpoint({ kind: 'files', files: await files('single-file/controlnet.pth') }, s, { name: 'four heads', precision: 'fp32', clipVocab, overrides: { unetHeads: 4 } });
    const load = loadModelSet(storeSource(s.sets, base.id), {
      createSession: nodeSession(),
      ops: nodeOps(),
      controlnets: ['four-heads'],
      storedControlnets: [{ name: 'four-heads', source: storeSource(s.controlnets, 'four-heads') }],
    });
    await expect(load).rejects.toThrow(
      'ControlNet "four-heads" was converted for a UNet with widths 32/32/32/64, 32-wide text, 4/4/4/4 attention heads; this set\'s UNet has widths 32/32/32/64, 32-wide text, 8/8/8/8 attention heads.',
    );
  }, 60_000);

  it('a cancelled import leaves nothing in storage', async () => {
    const s = stores();
    const abort = new AbortController();
    const job = importCheckpoint({ kind: 'files', files: await files('single-file/model.ckpt') }, s, {
      name: 'cut short',
      precision: 'fp16',
      overrides: { textHeads: 2 },
      clipVocab,
      signal: abort.signal,
      onConvert: (p) => p.graph === 'unet/model.onnx' && p.done > 0 && abort.abort(),
    });
    await expect(job).rejects.toBeInstanceOf(CancelledError);
    expect(await s.sets.list('')).toEqual([]);
  });

  it('a set that lacks a part, or a ControlNet it does not have, is named in the error', async () => {
    const s = stores();
    const base = await importCheckpoint({ kind: 'files', files: await files('single-file/model.safetensors') }, s, { name: 'tiny', precision: 'fp32', overrides: { textHeads: 2 }, clipVocab });
    const load = (controlnets: string[]) => loadModelSet(folderSource(join(s.root, 'models', base.id)), { createSession: nodeSession(), ops: nodeOps(), controlnets });
    await expect(load(['nosuch'])).rejects.toThrow('There is no ControlNet named nosuch; this set has none.');
    await s.sets.remove(`${base.id}/text_encoder`);
    await expect(load([])).rejects.toThrow(/The set has no text_encoder\/model.onnx, which every set needs\. It has unet\/model.onnx, vae_decoder\/model.onnx, vae_encoder\/model.onnx\./);
  });
});
