// The preprocessors' WGSL paths on WebGPU (SwiftShader) against the same reference cases
// as their CPU cores: Canny must match cv2.Canny exactly, normal maps within ±1.
import type { Page } from '@playwright/test';
import { serveSharedData } from './support/engine-page.ts';
import { expect, test } from './support/shared-page.ts';

declare global {
  // eslint-disable-next-line no-var
  var loadRgba: (url: string) => Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
}

// The worker's shared studio page (support/shared-page.ts): these tests call the engine only, so
// they need no fresh page, and skip its start and the runtime's first load.
let page: Page;
test.beforeAll(async ({ studioPage }) => {
  page = studioPage;
  await serveSharedData(page);
});

test('WGSL Canny reproduces every cv2.Canny reference case pixel for pixel, as does the CPU core in the worker', async () => {
  test.setTimeout(600_000);
  const results = await page.evaluate(async () => {
    const { cases } = await (await fetch('/__shared/reference/canny/cases.json')).json();
    const out: { name: string; backend: string; mismatches: number; edges: number; ms: number }[] = [];
    for (const c of cases as { input: string; expected: string; low: number; high: number; grayscale_first?: boolean }[]) {
      const input = await globalThis.loadRgba(`/__shared/reference/canny/${c.input}`);
      const expected = await globalThis.loadRgba(`/__shared/reference/canny/${c.expected}`);
      if (c.grayscale_first) {
        // OpenCV 4.x's Q15 RGB→grey, then the grey image as RGB.
        for (let p = 0; p < input.data.length; p += 4) {
          const g = (input.data[p]! * 9798 + input.data[p + 1]! * 19235 + input.data[p + 2]! * 3735 + 16384) >> 15;
          input.data.fill(g, p, p + 3);
        }
      }
      for (const backend of ['gpu', 'cpu'] as const) {
        if (backend === 'cpu' && out.length > 6) continue; // the CPU core runs every case in Node already
        const r = await globalThis.controlnetStudio.engine.preprocess({ kind: 'canny', image: { ...input, data: input.data.slice() }, low: c.low, high: c.high, backend });
        let mismatches = 0;
        let edges = 0;
        for (let p = 0; p < r.map.data.length; p += 4) {
          if (r.map.data[p] !== expected.data[p]) mismatches++;
          if (r.map.data[p]) edges++;
        }
        out.push({ name: `${c.input} ${c.grayscale_first ? 'grey ' : ''}${c.low}/${c.high}`, backend: r.backend, mismatches, edges, ms: r.ms });
      }
    }
    return out;
  });
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(
    `Canny per image (≈512×640): WGSL median ${median(results.filter((r) => r.backend === 'gpu').map((r) => r.ms)).toFixed(0)} ms, CPU (WebAssembly) median ${median(results.filter((r) => r.backend === 'cpu').map((r) => r.ms)).toFixed(0)} ms`,
  );
  expect(results.filter((r) => r.backend === 'gpu')).toHaveLength(27);
  for (const r of results) expect(r, r.name).toMatchObject({ mismatches: 0 });
});

test('WGSL normal-from-depth matches ControlNet within ±1 and agrees with the CPU core', async () => {
  const results = await page.evaluate(async () => {
    const { cases } = await (await fetch('/__shared/reference/normal/cases.json')).json();
    const out: { name: string; worstVsReference: number; worstVsCpu: number; backend: string }[] = [];
    for (const c of cases as { depth: string; width: number; height: number; a: number; bg_threshold: number; expected_png_rgb_is_xyz: string }[]) {
      const depth = new Float32Array(await (await fetch(`/__shared/reference/normal/${c.depth}`)).arrayBuffer());
      const expected = await globalThis.loadRgba(`/__shared/reference/normal/${c.expected_png_rgb_is_xyz}`);
      const run = (backend: 'gpu' | 'cpu') =>
        globalThis.controlnetStudio.engine.preprocess({ kind: 'normal', depth: { data: depth.slice(), width: c.width, height: c.height }, a: c.a, bgThreshold: c.bg_threshold, backend });
      const [gpu, cpu] = [await run('gpu'), await run('cpu')];
      let worstVsReference = 0;
      let worstVsCpu = 0;
      for (let i = 0; i < gpu.map.data.length; i++) {
        if (i % 4 === 3) continue;
        worstVsReference = Math.max(worstVsReference, Math.abs(gpu.map.data[i]! - expected.data[i]!));
        worstVsCpu = Math.max(worstVsCpu, Math.abs(gpu.map.data[i]! - cpu.map.data[i]!));
      }
      out.push({ name: c.expected_png_rgb_is_xyz, worstVsReference, worstVsCpu, backend: gpu.backend });
    }
    return out;
  });
  expect(results).toHaveLength(4);
  for (const r of results) {
    expect(r.backend, r.name).toBe('gpu');
    expect(r.worstVsReference, r.name).toBeLessThanOrEqual(1);
    expect(r.worstVsCpu, r.name).toBeLessThanOrEqual(1);
  }
});

test('bad preprocessor input gets a clear error and the engine keeps working', async () => {
  const outcome = await page.evaluate(async () => {
    const engine = globalThis.controlnetStudio.engine;
    const empty = await engine.preprocess({ kind: 'canny', image: { data: new Uint8ClampedArray(0), width: 0, height: 0 }, low: 100, high: 200, backend: 'cpu' }).catch((e: Error) => e.message);
    const nan = await engine
      .preprocess({ kind: 'normal', depth: { data: Float32Array.of(0, NaN, 1, 2), width: 2, height: 2 }, a: 6.28, bgThreshold: 0.4, backend: 'gpu' })
      .catch((e: Error) => e.message);
    const ok = await engine.preprocess({ kind: 'canny', image: { data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 }, low: 100, high: 200, backend: 'gpu' });
    return { empty, nan, okSize: ok.map.data.length };
  });
  expect(outcome.empty).toMatch(/image is empty \(0×0\)/);
  expect(outcome.nan).toMatch(/NaN/);
  expect(outcome.okSize).toBe(64 * 64 * 4);
});

test('depth and pose run their models through the engine on WebGPU', async () => {
  const r = await page.evaluate(async () => {
    const engine = globalThis.controlnetStudio.engine;
    const bird = await globalThis.loadRgba('/__shared/images/bird.png');
    const depth = await engine.preprocess({ kind: 'depth', image: bird, modelUrl: '/models/tiny-sd15/preprocessors/depth/model.onnx', resolution: 126, backend: 'gpu' });
    const pose = await engine.preprocess({
      kind: 'pose',
      image: await globalThis.loadRgba('/__shared/images/pose1.png'),
      modelUrl: '/models/tiny-sd15/preprocessors/pose/model.onnx',
      minScore: -Infinity,
      backend: 'gpu',
    });
    const greys = depth.map.data.filter((_, i) => i % 4 === 0);
    const wrongModel = await engine.preprocess({ kind: 'pose', image: bird, modelUrl: '/models/tiny-sd15/preprocessors/depth/model.onnx', backend: 'gpu' }).catch((e: Error) => e.message);
    return {
      depth: {
        backend: depth.backend,
        size: [depth.map.width, depth.map.height],
        birdSize: [bird.width, bird.height],
        max: greys.reduce((a, b) => Math.max(a, b), 0),
        min: greys.reduce((a, b) => Math.min(a, b), 255),
      },
      pose: { backend: pose.backend, joints: pose.keypoints?.[0]?.filter(Boolean).length, lit: pose.map.data.filter((v, i) => i % 4 !== 3 && v > 0).length },
      wrongModel,
    };
  });
  expect(r.depth.backend).toBe('gpu');
  expect(r.depth.size).toEqual(r.depth.birdSize);
  expect(r.depth.max).toBeGreaterThanOrEqual(250);
  expect(r.depth.min).toBeLessThanOrEqual(5);
  expect(r.pose.joints).toBe(18);
  expect(r.pose.lit).toBeGreaterThan(100);
  expect(r.wrongModel).toMatch(/depth\/model.onnx is not the model this preprocessor needs: it takes \(pixel_values\)/);
});

test('image files: a text file is refused, a 20000×20000 PNG is scaled down with a notice', async () => {
  // A valid 1-bit grey PNG of 20000×20000 (its zero rows compress to almost nothing).
  const { deflateSync } = await import('node:zlib');
  const { default: encodeChunks } = await import('png-chunks-encode');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20000, 0);
  ihdr.writeUInt32BE(20000, 4);
  ihdr.set([1, 0, 0, 0, 0], 8);
  const idat = deflateSync(Buffer.alloc(20000 * (1 + 2500)));
  const png = Buffer.from(
    encodeChunks([
      { name: 'IHDR', data: ihdr },
      { name: 'IDAT', data: idat },
      { name: 'IEND', data: new Uint8Array(0) },
    ]),
  );
  const r = await page.evaluate(
    async (pngBytes) => {
      const decode = globalThis.controlnetStudio.decodeImageFile;
      const text = await decode(new File(['just some notes'], 'notes.txt', { type: 'text/plain' })).catch((e: Error) => `${e.name}: ${e.message}`);
      const big = await decode(new File([new Uint8Array(pngBytes)], 'huge.png', { type: 'image/png' })).then(
        (d) => ({ width: d.image.width, height: d.image.height, notice: d.notice }),
        (e: Error) => ({ error: e.message }),
      );
      return { text, big };
    },
    [...png],
  );
  expect(r.text).toBe('ImageInputError: notes.txt is not an image. Use a PNG, JPEG, WebP, GIF or BMP file.');
  expect(r.big).toEqual({ width: 8192, height: 8192, notice: 'huge.png is 20000×20000; it was scaled down to 8192×8192 (the limit is 8192 px a side).' });
});
