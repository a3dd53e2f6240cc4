// The worker-side preprocessor runner on the CPU: input checks, HWC3, and fitting the map
// to the generation size with A1111's resolution and resize-mode rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { runPreprocess, type ModelRunner } from './run.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedPath } from '../test/shared-data.ts';
import type { TensorData } from '../diffusion/tensor.ts';

const bird = decodePngImage(new Uint8Array(readFileSync(sharedPath('images', 'bird.png'))));
const runModel: ModelRunner = async (url, feeds) => {
  const s = await ort.InferenceSession.create(url.replace(/^\//, 'public/'));
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, dims: [...t.dims], data: t.data } as TensorData]));
};

describe('runPreprocess', () => {
  it('fits a Canny map to the generation size, staying binary', async () => {
    for (const resizeMode of ['just-resize', 'crop-and-resize', 'resize-and-fill'] as const) {
      const r = await runPreprocess(
        { kind: 'canny', image: bird, low: 100, high: 200, backend: 'cpu', fit: { width: 512, height: 384, resizeMode, pixelPerfect: true } },
        { gpu: null, runModel: null },
      );
      expect([r.map.width, r.map.height]).toEqual([512, 384]);
      expect(new Set(r.map.data.filter((_, i) => i % 4 === 0))).toEqual(new Set([0, 255]));
    }
  });

  it('composites transparent pixels onto white before edge detection', async () => {
    const data = new Uint8ClampedArray(64 * 64 * 4); // fully transparent black = white after HWC3
    data.fill(0);
    const r = await runPreprocess({ kind: 'canny', image: { data, width: 64, height: 64 }, low: 100, high: 200, backend: 'cpu' }, { gpu: null, runModel: null });
    expect(r.map.data.filter((v, i) => i % 4 === 0 && v).length).toBe(0);
  });

  it('says when a GPU request ran on the CPU', async () => {
    const r = await runPreprocess({ kind: 'scribble', image: bird, backend: 'gpu' }, { gpu: null, runModel: null });
    expect(r.backend).toBe('cpu');
    expect(r.notice).toMatch(/No WebGPU/);
  });

  it('draws pose skeletons at the generation size with keypoints moved by the resize mode', async () => {
    const r = await runPreprocess(
      {
        kind: 'pose',
        image: bird,
        modelUrl: '/models/tiny-sd15/preprocessors/pose/model.onnx',
        minScore: -Infinity,
        backend: 'cpu',
        fit: { width: 256, height: 256, resizeMode: 'crop-and-resize', pixelPerfect: false, resolution: 256 },
      },
      { gpu: null, runModel },
    );
    expect([r.map.width, r.map.height]).toEqual([256, 256]);
    expect(r.keypoints?.[0]).toHaveLength(18);
  });
});
