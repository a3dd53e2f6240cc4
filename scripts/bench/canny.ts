// Canny benchmark at 512² and 1024², in one page and one run: our CPU core (in the
// inference worker), our WGSL path (same worker, same GPU device), and OpenCV.js
// (@techstark/opencv-js, cvtColor RGBA→RGB + Canny on the page). Prints ratios; writes
// bench/results/canny.json. Goal: our CPU path ≤ 1.0× OpenCV.js.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { openStudio } from './browser.ts';

const require = createRequire(import.meta.url);
const opencvDir = dirname(require.resolve('@techstark/opencv-js/dist/opencv.js'));
const REPEATS = 5;

async function main() {
  const studio = await openStudio(4319, { '/bench-lib/': opencvDir }, { bypassCSP: true });
  try {
    await studio.page.addScriptTag({ url: '/bench-lib/opencv.js' });
    await studio.page.waitForFunction(
      () => {
        const cv = (globalThis as { cv?: { Mat?: unknown; onRuntimeInitialized?: () => void } }).cv;
        return !!cv?.Mat;
      },
      null,
      { timeout: 120_000 },
    );
    const rows = await studio.page.evaluate(async (repeats) => {
      type Cv = {
        matFromImageData(d: ImageData): { delete(): void; data: Uint8Array };
        Mat: new () => { delete(): void; data: Uint8Array };
        cvtColor(a: unknown, b: unknown, code: number): void;
        Canny(a: unknown, b: unknown, lo: number, hi: number, ap: number, l2: boolean): void;
        COLOR_RGBA2RGB: number;
      };
      const cv = (globalThis as unknown as { cv: Cv }).cv;
      const engine = (globalThis as unknown as { controlnetStudio: { engine: import('../../src/engine/engine.ts').Engine } }).controlnetStudio.engine;
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const out = [];
      for (const size of [512, 1024]) {
        // A photo-like test image: smooth gradients plus shapes and noise, so edges are plentiful.
        const data = new Uint8ClampedArray(size * size * 4);
        let seed = 7;
        const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size; x++) {
            const inCircle = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2;
            const base = inCircle ? 200 : 60 + (x * 100) / size;
            const p = (y * size + x) * 4;
            data[p] = base + rnd() * 30;
            data[p + 1] = (y * 255) / size;
            data[p + 2] = (x ^ y) & 32 ? 180 : 40;
            data[p + 3] = 255;
          }
        const image = { data, width: size, height: size };
        const times: Record<string, number[]> = { cpu: [], wgsl: [], opencv: [] };
        let cpuEdges = 0;
        let cvEdges = 0;
        for (let r = 0; r < repeats + 1; r++) {
          const cpu = await engine.preprocess({ kind: 'canny', image: { ...image, data: data.slice() }, low: 100, high: 200, backend: 'cpu' });
          const gpu = await engine.preprocess({ kind: 'canny', image: { ...image, data: data.slice() }, low: 100, high: 200, backend: 'gpu' });
          const t0 = performance.now();
          const src = cv.matFromImageData(new ImageData(data.slice(), size, size));
          const rgb = new cv.Mat();
          const edges = new cv.Mat();
          cv.cvtColor(src, rgb, cv.COLOR_RGBA2RGB);
          cv.Canny(rgb, edges, 100, 200, 3, false);
          const cvMs = performance.now() - t0;
          if (r === 0) {
            // First round warms up (shader compilation, JIT); it is not timed. Check agreement once.
            cpuEdges = cpu.map.data.filter((v, i) => i % 4 === 0 && v).length;
            cvEdges = edges.data.filter((v) => v).length;
          } else {
            times.cpu!.push(cpu.ms);
            times.wgsl!.push(gpu.ms);
            times.opencv!.push(cvMs);
          }
          src.delete();
          rgb.delete();
          edges.delete();
        }
        const [cpuMs, wgslMs, cvMs] = [median(times.cpu!), median(times.wgsl!), median(times.opencv!)];
        out.push({ size, cpuMs, wgslMs, opencvMs: cvMs, cpuOverOpencv: cpuMs / cvMs, wgslOverOpencv: wgslMs / cvMs, edgePixelsOurs: cpuEdges, edgePixelsOpencv: cvEdges });
      }
      return out;
    }, REPEATS);
    console.log(`\nCanny (low 100, high 200), median of ${REPEATS} runs after a warm-up, same page and run\n`);
    console.log(['size', 'ours CPU ms', 'ours WGSL ms', 'OpenCV.js ms', 'CPU ÷ OpenCV', 'WGSL ÷ OpenCV', 'edges ours/cv'].map((s) => s.padStart(14)).join(''));
    for (const r of rows) {
      console.log(
        [`${r.size}²`, r.cpuMs.toFixed(1), r.wgslMs.toFixed(1), r.opencvMs.toFixed(1), r.cpuOverOpencv.toFixed(2), r.wgslOverOpencv.toFixed(2), `${r.edgePixelsOurs}/${r.edgePixelsOpencv}`]
          .map((s) => s.padStart(14))
          .join(''),
      );
    }
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(resolve('bench/results/canny.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
    console.log('wrote bench/results/canny.json');
  } finally {
    await studio.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
