// The seg preprocessor: ADE20K's palette painted exactly, logits upsampled and argmaxed as
// transformers does it (worked by hand on a small case), and the tiny SegFormer stand-in end to end.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePngImage } from '../image/png.ts';
import { sharedPath } from '../test/shared-data.ts';
import { NodeSession } from '../cli/node-runtime.ts';
import { runPreprocess } from './run.ts';
import { ADE20K_PALETTE } from './seg-palette.ts';
import { classesFromLogits, paintSegmentation, segInput, SEG_CLASSES } from './seg.ts';

describe('seg preprocessor', () => {
  it('paints every class in its ADE20K colour (wall grey, sky cyan, … class 149 violet)', () => {
    expect(SEG_CLASSES).toBe(150);
    const classes = Uint8Array.from({ length: 150 }, (_, i) => i);
    const map = paintSegmentation(classes, 15, 10);
    for (let i = 0; i < 150; i++) expect([...map.data.slice(i * 4, i * 4 + 4)], `class ${i}`).toEqual([...ADE20K_PALETTE[i]!, 255]);
    expect(ADE20K_PALETTE[0]).toEqual([120, 120, 120]);
    expect(ADE20K_PALETTE[2]).toEqual([6, 230, 230]);
    expect(ADE20K_PALETTE[149]).toEqual([92, 0, 255]);
    expect(() => paintSegmentation(Uint8Array.of(151), 1, 1)).toThrow(/outside ADE20K's 150 classes/);
  });

  it('upsamples logits bilinearly (half-pixel centres) before the argmax', () => {
    // 2 classes on a 1×2 grid: class 0 wins on the left (logit 1 vs 0), class 1 on the right (0 vs 1).
    const logits = Float32Array.of(1, 0, 0, 1);
    // Upsampled to 4 wide, the source x of output x is (x + 0.5)·2/4 − 0.5 = −0.25 → 0, 0.25, 0.75, 1.25 → 1:
    // class 0 keeps 1 − 0.25 = 0.75 at x = 1 (wins), and 0.25 at x = 2 (loses).
    expect([...classesFromLogits(logits, 2, 1, 2, 4, 1)]).toEqual([0, 0, 1, 1]);
  });

  it('runs the tiny SegFormer stand-in on a photo: 512×512 input, a map of palette colours at the photo’s size', async () => {
    const bird = decodePngImage(new Uint8Array(readFileSync(sharedPath('images', 'bird.png'))));
    expect(segInput(bird).dims).toEqual([1, 3, 512, 512]);
    const runModel = async (path: string, feeds: Record<string, import('../diffusion/tensor.ts').TensorData>) => {
      const s = await NodeSession.create(new Uint8Array(readFileSync(path)), path);
      const out = await s.run(feeds);
      return Object.fromEntries(await Promise.all(Object.entries(out).map(async ([k, t]) => [k, await t.download()] as const)));
    };
    const r = await runPreprocess({ kind: 'seg', modelUrl: 'public/models/tiny-sd15/preprocessors/seg/model.onnx', image: bird, backend: 'cpu' }, { gpu: null, runModel });
    expect([r.map.width, r.map.height]).toEqual([bird.width, bird.height]);
    const colours = new Set(ADE20K_PALETTE.map((c) => c.join()));
    const used = new Set<string>();
    for (let p = 0; p < r.map.data.length; p += 4) used.add([...r.map.data.slice(p, p + 3)].join());
    expect([...used].every((c) => colours.has(c))).toBe(true);
    expect(used.size).toBeGreaterThan(1);
  });
});
