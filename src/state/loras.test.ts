// LoRAs through the studio's store, against a real engine in process (onnxruntime-node behind the
// worker protocol) and the tiny set: the library imports a file (refusing one that is no LoRA,
// with nothing kept), <lora:name:weight> tags and switched-on library LoRAs change the image,
// the PNG keeps the prompt as typed with A1111's "Lora hashes", and live mode refuses LCM on the
// plain tiny UNet until an LCM-LoRA is in the library, then runs with it applied.
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../engine/client.ts';
import { parseParameters } from '../image/parameters.ts';
import { decodePngImage, readPngText } from '../image/png.ts';
import type { StoredLoraInfo } from '../models/set-layout.ts';
import { InMemoryWorker } from '../test/in-memory-worker.ts';
import { NodeEngine } from '../test/node-engine.ts';
import { TINY_SET, writeTinyLora } from '../test/tiny-lora.ts';
import { useEngineStore } from './engine-store.ts';
import { LiveProblem, runGeneration } from './generation.ts';
import { generationLoras, useLoraLibrary } from './loras.ts';
import { useModelSets } from './model-sets.ts';
import { useStudio } from './studio-store.ts';
import { InputProblem } from './units.ts';

const engine = new NodeEngine();
const dir = mkdtempSync(join(tmpdir(), 'store-lora-'));
const fileOf = (path: string, name: string) => ({ path: name, file: new Blob([readFileSync(path)]) });
const pngOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

beforeAll(async () => {
  useEngineStore.getState().connect(new EngineClient(() => new InMemoryWorker(engine) as unknown as Worker));
  await useEngineStore.getState().loadSet({ name: 'tiny-sd15', options: { source: { kind: 'url', url: TINY_SET } } });
  await writeTinyLora(join(dir, 'style.safetensors'), { seed: 1, text: true });
  await writeTinyLora(join(dir, 'lcm.safetensors'), { seed: 2 });
});

beforeEach(() => {
  useStudio.setState({ units: [], gallery: [], runMessage: null, running: null, progress: null });
  useStudio.getState().setSettings({ prompt: 'a cat', negativePrompt: '', width: 64, height: 64, steps: 2, cfgScale: 5, seed: 9, batchCount: 1, sampler: 'euler', loras: {} });
});

async function generateOne() {
  await runGeneration({ signal: new AbortController().signal });
  const item = useStudio.getState().gallery[0]!;
  const png = await pngOf(item.png);
  return { pixels: decodePngImage(png).data, params: parseParameters(readPngText(png).parameters!) };
}
const maxDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('LoRAs in the studio', () => {
  it('imports a LoRA into the library, and refuses a file that is not one, keeping nothing', async () => {
    writeFileSync(join(dir, 'notes.safetensors'), 'not a safetensors file at all');
    expect(await useLoraLibrary.getState().importFiles([fileOf(join(dir, 'notes.safetensors'), 'notes.safetensors')], { lcm: false })).toBeNull();
    expect(useLoraLibrary.getState().message?.text).toMatch(/LoRA import failed: notes\.safetensors is not a safetensors file/);
    const info = await useLoraLibrary.getState().importFiles([fileOf(join(dir, 'style.safetensors'), 'style.safetensors')], { lcm: false });
    expect(info).toMatchObject({
      name: 'style',
      format: 'kohya',
      lcm: false,
      sha256: createHash('sha256')
        .update(readFileSync(join(dir, 'style.safetensors')))
        .digest('hex'),
    });
    expect(useModelSets.getState().stored.loras.map((l) => l.name)).toEqual(['style']);
  });

  it('applies <lora:…> tags and switched-on library LoRAs; the PNG keeps the prompt as typed and names each LoRA by hash', async () => {
    const plain = await generateOne();
    useStudio.getState().setSettings({ prompt: 'a cat <lora:style:0.8>' });
    const tagged = await generateOne();
    expect(maxDiff(tagged.pixels, plain.pixels)).toBeGreaterThan(4);
    expect(tagged.params.prompt).toBe('a cat <lora:style:0.8>');
    const hash = useModelSets.getState().stored.loras[0]!.sha256.slice(0, 12);
    expect(tagged.params.fields['Lora hashes']).toBe(`style: ${hash}`);
    // The same LoRA switched on in the library at 0.8 is the same generation.
    useStudio.getState().setSettings({ prompt: 'a cat', loras: { style: { enabled: true, weight: 0.8 } } });
    const chosen = await generateOne();
    expect(maxDiff(chosen.pixels, tagged.pixels)).toBe(0);
    expect(chosen.params.fields['Lora hashes']).toBe(`style: ${hash}`);
  });

  it('names a tag’s LoRA that is not in the library, instead of skipping it', () => {
    const library = useModelSets.getState().stored.loras;
    expect(() => generationLoras('<lora:missing:1> a cat', {}, library)).toThrow(InputProblem);
    expect(() => generationLoras('<lora:missing:1> a cat', {}, library)).toThrow(/names LoRA missing, which is not in the LoRA library \(style\)/);
  });

  it('live mode refuses LCM on the plain tiny UNet and offers the LCM-LoRA; with one in the library it runs it', async () => {
    const live = () => runGeneration({ signal: new AbortController().signal, live: true, onImage: (_, r) => responses.push(r) });
    const responses: Parameters<NonNullable<Parameters<typeof runGeneration>[0]['onImage']>>[1][] = [];
    await expect(live()).rejects.toThrow(LiveProblem);
    await expect(live()).rejects.toMatchObject({ offerLcmLora: true });
    const lcm = (await useLoraLibrary.getState().importFiles([fileOf(join(dir, 'lcm.safetensors'), 'lcm.safetensors')], { lcm: true })) as StoredLoraInfo;
    expect(lcm.lcm).toBe(true);
    await live();
    // The LCM-LoRA went onto the UNet (the text encoder opened again too: the last run had "style" on it).
    expect(responses[0]!.lora?.parts).toContain('unet');
    expect(responses[0]!.lora?.merged).toBeGreaterThan(0);
    expect(responses[0]!.stats.steps).toHaveLength(4);
  });
});
