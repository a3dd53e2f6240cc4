// Live-mode benchmark: the tiny set at 64×64 in Chromium's worker (WebGPU), run as live mode
// runs it — the LCM recipe (4 steps, CFG 1) with a LoRA applied at load standing in for the
// LCM-LoRA — with 0, 1 and 2 ControlNets, decoded by the VAE and by TAESD, side by side in one
// run. Per image: images/s and the parts (text encoder, ControlNets, UNet, decoder). Writes
// bench/results/live.json. The full-size set at 512² is out of reach of a software adapter
// (SwiftShader takes minutes per full-size step), so it is not run here.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStudio } from './browser.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { writeTinyLora } from '../../src/test/tiny-lora.ts';

const IMAGES = 6;
const SIZE = 64;

interface LiveRow {
  controlnets: number;
  decoder: 'VAE' | 'TAESD';
  imagesPerSecond: number;
  /** ms per image, by part: text encoder, ControlNets, UNet, decoder, and what is left (scheduler, tensor ops, readback). */
  parts: Record<string, number>;
  wallMs: number;
}

// On WebGPU a session's time is its run() call, the CPU's share: the GPU's work shows where the
// CPU waits for it (the final readback), so the decoders' and ControlNets' real cost is read from
// the side-by-side rows (0 vs 1 vs 2 ControlNets, VAE vs TAESD) as much as from the parts.
// The text encoder runs once per prompt change, so with one prompt it is absent from the parts.

/** Session labels to the parts ("unet/model.onnx" → "UNet", "controlnet/canny/…" → "ControlNets"). */
const PART_NAMES: [RegExp, string][] = [
  [/^text_encoder/, 'text encoder'],
  [/^controlnet/, 'ControlNets'],
  [/^unet/, 'UNet'],
  [/^vae_decoder/, 'VAE decode'],
  [/^taesd_decoder/, 'TAESD decode'],
];

function parts(sessionMs: Record<string, number>, wallMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, ms] of Object.entries(sessionMs)) {
    const part = PART_NAMES.find(([re]) => re.test(label))?.[1] ?? 'tensor ops, GPU waits';
    out[part] = (out[part] ?? 0) + ms;
  }
  out['rest'] = wallMs - Object.values(out).reduce((a, b) => a + b, 0);
  return out;
}

async function main() {
  const loraPath = join(mkdtempSync(join(tmpdir(), 'bench-live-')), 'lcm-stand-in.safetensors');
  await writeTinyLora(loraPath, { seed: 5 });
  const studio = await openStudio(4320);
  let measured: { controlnets: number; fastDecode: boolean; wallMs: number; sessionMs: Record<string, number> }[];
  try {
    measured = await studio.page.evaluate(
      async ({ lora, images, size }) => {
        const engine = (globalThis as unknown as { controlnetStudio: { engine: Engine } }).controlnetStudio.engine;
        const info = await engine.loadModelSet({ source: { kind: 'url', url: '/models/tiny-sd15' }, provider: 'webgpu', controlnets: ['canny', 'scribble'] });
        await engine.importLora({ input: { kind: 'files', files: [{ path: 'lcm-stand-in.safetensors', file: new File([new Uint8Array(lora)], 'lcm-stand-in.safetensors') }] }, lcm: true });
        const hint = (k: number) => {
          const data = new Uint8ClampedArray(size * size * 4);
          for (let p = 0; p < size * size; p++) (data.fill(((p % size) + k) % 16 < 3 ? 255 : 0, p * 4, p * 4 + 3), (data[p * 4 + 3] = 255));
          return { data, width: size, height: size };
        };
        const out = [];
        for (const controlnets of [0, 1, 2]) {
          for (const fastDecode of [false, true]) {
            const units = info.capabilities.controlnets.slice(0, controlnets).map((model, i) => ({ model, image: hint(i), weight: 1, start: 0, end: 1, mode: 'balanced' as const }));
            const params = {
              prompt: 'a photo of a cat',
              negativePrompt: '',
              steps: 4,
              cfgScale: 1,
              seed: 1,
              width: size,
              height: size,
              sampler: 'lcm' as const,
              units,
              fastDecode,
              loras: [{ name: 'lcm-stand-in', unet: 1, text: 1 }],
            };
            await engine.generate(params); // warm: shaders compiled, the LoRA applied
            const sessionMs: Record<string, number> = {};
            const t0 = performance.now();
            for (let i = 0; i < images; i++) {
              // Each image a new stroke: the control maps change, as they do while painting.
              const { stats } = await engine.generate({ ...params, seed: i + 2, units: units.map((u, k) => ({ ...u, image: hint(k + i) })) });
              for (const [label, ms] of Object.entries(stats.sessionMs)) sessionMs[label] = (sessionMs[label] ?? 0) + ms;
            }
            out.push({ controlnets, fastDecode, wallMs: performance.now() - t0, sessionMs });
          }
        }
        return out;
      },
      { lora: [...readFileSync(loraPath)], images: IMAGES, size: SIZE },
    );
  } finally {
    await studio.close();
  }
  const rows: LiveRow[] = measured.map((m) => {
    const perImage = Object.fromEntries(Object.entries(m.sessionMs).map(([k, v]) => [k, v / IMAGES]));
    const p = parts(perImage, m.wallMs / IMAGES);
    return {
      controlnets: m.controlnets,
      decoder: m.fastDecode ? 'TAESD' : 'VAE',
      imagesPerSecond: +((IMAGES * 1000) / m.wallMs).toFixed(2),
      parts: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, +v.toFixed(1)])),
      wallMs: Math.round(m.wallMs),
    };
  });
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.parts)))];
  console.log(`\nLive mode, tiny set, ${SIZE}×${SIZE}, LCM recipe (4 steps, CFG 1), a LoRA applied at load; ${IMAGES} images per row, each with new control maps\n`);
  const head = rows.map((r) => `${r.controlnets} CN ${r.decoder}`.padStart(13));
  console.log(['ms per image'.padEnd(28), ...head].join(''));
  for (const label of labels) console.log([label.padEnd(28), ...rows.map((r) => String(r.parts[label] ?? '–').padStart(13))].join(''));
  console.log(['images/s'.padEnd(28), ...rows.map((r) => String(r.imagesPerSecond).padStart(13))].join(''));
  for (const n of [0, 1, 2]) {
    const vae = rows.find((r) => r.controlnets === n && r.decoder === 'VAE')!;
    const taesd = rows.find((r) => r.controlnets === n && r.decoder === 'TAESD')!;
    console.log(
      `${n} ControlNets: images/s with TAESD ÷ with the VAE, measured side by side: ${(taesd.imagesPerSecond / vae.imagesPerSecond).toFixed(2)}; decode ms TAESD ÷ VAE: ${((taesd.parts['TAESD decode'] ?? 0) / (vae.parts['VAE decode'] ?? 1)).toFixed(2)}`,
    );
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/live.json', JSON.stringify({ date: new Date().toISOString(), size: SIZE, images: IMAGES, rows }, null, 2));
  console.log('wrote bench/results/live.json');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
