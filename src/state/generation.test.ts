// Generate, Cancel and control maps as the store runs them, against a real engine in process
// (onnxruntime-node behind the real worker protocol) and the tiny set: images land in the
// gallery with A1111 parameters and their control maps, seeds run s, s+1, …, a cancel stops
// within a step and keeps the inputs, and a unit's map is made once and reused.
import 'fake-indexeddb/auto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from '../engine/client.ts';
import { parseParameters } from '../image/parameters.ts';
import { decodePngImage, readPngText } from '../image/png.ts';
import { drawSkeletons } from '../preprocess/pose.ts';
import { InMemoryWorker } from '../test/in-memory-worker.ts';
import { NodeEngine } from '../test/node-engine.ts';
import { defaultSkeleton } from './control-maps.ts';
import { useEngineStore } from './engine-store.ts';
import { runGeneration } from './generation.ts';
import { unitControlMap } from './previews.ts';
import { cancelRun, generateNow } from './run-controller.ts';
import { useStudio } from './studio-store.ts';

const engine = new NodeEngine();
const blobBytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

beforeAll(async () => {
  useEngineStore.getState().connect(new EngineClient(() => new InMemoryWorker(engine) as unknown as Worker));
  await useEngineStore.getState().loadSet({ name: 'tiny-sd15', options: { source: { kind: 'url', url: 'public/models/tiny-sd15' } } });
});

beforeEach(() => {
  useStudio.setState({ units: [], gallery: [], previews: {}, runMessage: null, running: null, progress: null });
  useStudio.getState().setSettings({ prompt: 'a bird on a branch', negativePrompt: 'blurry', width: 64, height: 64, steps: 2, cfgScale: 5, seed: 41, batchCount: 1, sampler: 'euler' });
});

describe('generation from the store', () => {
  it('runs a batch as seeds s and s+1 into the gallery, newest first, each PNG carrying its A1111 parameters', async () => {
    useStudio.getState().setSettings({ batchCount: 2 });
    const stages: string[] = [];
    const unsubscribe = useStudio.subscribe((s) => s.progress && stages.push(`${s.progress.image}/${s.progress.images} ${s.progress.step}/${s.progress.steps}`));
    expect(await runGeneration({ signal: new AbortController().signal })).toBe(2);
    unsubscribe();
    const gallery = useStudio.getState().gallery;
    expect(gallery.map((g) => g.settings.seed)).toEqual([42, 41]);
    const params = parseParameters(readPngText(await blobBytes(gallery[0]!.png)).parameters!);
    expect(params.prompt).toBe('a bird on a branch');
    expect(params.negativePrompt).toBe('blurry');
    expect(params.fields).toMatchObject({ Steps: '2', Sampler: 'Euler', 'CFG scale': '5', Seed: '42', Size: '64x64', Model: 'tiny-sd15' });
    expect(decodePngImage(await blobBytes(gallery[1]!.png)).width).toBe(64);
    expect(stages).toContain('2/2 2/2');
  });

  it('makes a unit’s control map once: Generate reuses the preview, and the gallery keeps the map', async () => {
    useStudio.getState().addUnit(['canny', 'scribble']);
    const unit = useStudio.getState().units[0]!;
    useStudio.getState().updateUnit(unit.id, { preprocessor: 'openpose', model: 'canny' });
    // No source: the default standing figure, drawn as OpenPose's skeleton.
    const preview = await unitControlMap(unit.id);
    expect(preview.map.data).toEqual(drawSkeletons(defaultSkeleton(64, 64), 64, 64));
    expect(useStudio.getState().units[0]!.pose).toEqual(defaultSkeleton(64, 64));
    await runGeneration({ signal: new AbortController().signal });
    const item = useStudio.getState().gallery[0]!;
    expect([...decodePngImage(await blobBytes(item.controlMaps[0]!.png)).data]).toEqual([...preview.map.data]);
    expect(useStudio.getState().previews[unit.id]).toBe(preview);
    expect(parseParameters(readPngText(await blobBytes(item.png)).parameters!).fields['ControlNet 0']).toContain('Module: openpose, Model: canny');
  });

  it('Cancel stops within one step; nothing reaches the gallery and the inputs are unchanged', async () => {
    useStudio.getState().setSettings({ steps: 30 });
    const settings = useStudio.getState().settings;
    const before = engine.generations;
    const stop = useStudio.subscribe((s) => s.progress?.step === 1 && cancelRun());
    await generateNow();
    stop();
    const s = useStudio.getState();
    expect(engine.generations).toBe(before + 1);
    expect(s.runMessage).toEqual({ kind: 'info', text: expect.stringMatching(/^Cancelled at step [12] of 30\. Your inputs are unchanged\.$/) });
    expect(s.gallery).toEqual([]);
    expect(s.settings).toEqual(settings);
    expect(s.running).toBeNull();
  });

  it('refuses a unit whose model the set lacks, naming the unit as the panel numbers it', async () => {
    useStudio.getState().addUnit(['canny']);
    useStudio.getState().updateUnit(useStudio.getState().units[0]!.id, { enabled: false });
    useStudio.getState().addUnit(['canny']);
    useStudio.getState().updateUnit(useStudio.getState().units[1]!.id, { model: 'depth' });
    await generateNow();
    expect(useStudio.getState().runMessage?.text).toBe('Not generating. ControlNet unit 2: Model "depth" is not in the loaded set. Pick one of: canny, scribble, zero-init, inpaint.');
  });
});
