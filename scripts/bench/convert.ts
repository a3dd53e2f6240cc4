// Converter benchmark: a full-size SD 1.5 checkpoint (random weights, real shapes, a diffusers
// fp16 folder as the hub has it: 1.7 GB UNet, VAE, text encoder) imported through the model
// manager in Chromium, as a person does it. Reports the tab's memory over its idle level
// (every Chromium process summed, sampled every 100 ms), MB/s, and the converted graphs'
// sizes. Writes bench/results/convert-<precision>.json (fp16, or fp32 with --fp32). The bound: at most 600 MB over idle.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, rmSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { SD15 } from '../../src/convert/architecture.ts';
import type { ModelGraph, ParamRequest } from '../../src/convert/model-graph.ts';
import { safetensorsHeader } from '../../src/convert/safetensors.ts';
import { buildTextEncoder } from '../../src/convert/text-encoder.ts';
import { buildUnet } from '../../src/convert/unet.ts';
import { buildVaeDecoder, buildVaeEncoder } from '../../src/convert/vae.ts';
import { RandomWeights } from '../../src/convert/weights.ts';
import { float32ToFloat16 } from '../../src/diffusion/float16.ts';
import { openStudio } from './browser.ts';

const FOLDER = resolve('.models/fullsize-checkpoint');
/** The set's precision: fp16 (the import's default where the GPU has shader-f16) unless `--fp32`. */
const precision = process.argv.includes('--fp32') ? 'fp32' : 'fp16';
const CONFIGS = resolve('../shared/data/checkpoints/tiny-sd15/diffusers');

/** One safetensors file of `params` in fp16, written tensor by tensor (never the whole file in memory). */
async function writeFp16(path: string, params: ParamRequest[], seed: number): Promise<void> {
  const { header, order } = safetensorsHeader(params.map((p) => ({ key: p.name, dtype: 'float16' as const, shape: p.shape })));
  const byName = new Map(params.map((p) => [p.name, p]));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    for (const [i, key] of order.entries()) {
      // A seed per tensor: values come in the file's order, one tensor at a time.
      const v = float32ToFloat16((await new RandomWeights(seed * 100_000 + i).read(byName.get(key)!)).data as Float32Array);
      writeSync(fd, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}

function writeConfig(part: string, patch: Record<string, unknown>): void {
  const base = JSON.parse(readFileSync(join(CONFIGS, part, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(FOLDER, part, 'config.json'), JSON.stringify({ ...base, ...patch }, null, 2));
}

const paramsOf = (...graphs: ModelGraph[]) => graphs.flatMap((g) => g.params);

async function ensureCheckpoint(): Promise<number> {
  if (!existsSync(join(FOLDER, '.done'))) {
    console.log(`writing a full-size random SD 1.5 checkpoint (diffusers fp16 layout) into ${FOLDER} …`);
    for (const part of ['unet', 'vae', 'text_encoder']) mkdirSync(join(FOLDER, part), { recursive: true });
    const u = SD15.unet;
    writeConfig('unet', { block_out_channels: u.blockChannels, cross_attention_dim: u.contextDim, attention_head_dim: u.heads[0], norm_num_groups: u.groups });
    writeConfig('vae', { block_out_channels: SD15.vae.blockChannels, norm_num_groups: SD15.vae.groups });
    const t = SD15.text;
    writeConfig('text_encoder', { hidden_size: t.hidden, intermediate_size: t.intermediate, num_attention_heads: t.heads, num_hidden_layers: t.layers, vocab_size: t.vocab, torch_dtype: 'float16' });
    await writeFp16(join(FOLDER, 'unet/diffusion_pytorch_model.fp16.safetensors'), paramsOf(buildUnet(u, 'float16')), 1);
    await writeFp16(join(FOLDER, 'vae/diffusion_pytorch_model.fp16.safetensors'), paramsOf(buildVaeDecoder(SD15.vae), buildVaeEncoder(SD15.vae)), 11);
    await writeFp16(join(FOLDER, 'text_encoder/model.fp16.safetensors'), paramsOf(buildTextEncoder(t, 'float16')), 7);
    writeFileSync(join(FOLDER, '.done'), '');
  }
  // A diffusers repo names its parts in model_index.json; the import needs it to take the folder as a whole model.
  writeFileSync(
    join(FOLDER, 'model_index.json'),
    JSON.stringify(
      {
        _class_name: 'StableDiffusionPipeline',
        _diffusers_version: '0.27.2',
        text_encoder: ['transformers', 'CLIPTextModel'],
        unet: ['diffusers', 'UNet2DConditionModel'],
        vae: ['diffusers', 'AutoencoderKL'],
      },
      null,
      2,
    ),
  );
  return ['unet', 'vae', 'text_encoder'].reduce((sum, part) => sum + readdirSync(join(FOLDER, part)).reduce((s, f) => s + statSync(join(FOLDER, part, f)).size, 0), 0);
}

/** Resident memory of this process's descendants (Chromium's browser, renderer, GPU and utility processes), in MB. */
function browserRssMb(root = process.pid): number {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of rows) if (inTree.has(ppid) && !inTree.has(pid)) (inTree.add(pid), (grew = true));
  }
  return rows.filter(([pid]) => pid !== root && inTree.has(pid)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

async function main() {
  const inputBytes = await ensureCheckpoint();
  // An on-disk profile, as a person's browser has (the default off-the-record one keeps storage in memory).
  const profile = mkdtempSync(join(tmpdir(), 'convert-bench-'));
  const studio = await openStudio(4320, {}, { profileDir: profile });
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const idle = browserRssMb();
    const panel = studio.page.getByRole('region', { name: 'Import checkpoint' });
    await panel.getByLabel('Diffusers folder').setInputFiles(FOLDER);
    await panel.getByLabel('Import name').fill('fullsize-random');
    await panel.getByLabel('Import precision').selectOption(precision);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, browserRssMb())), 100);
    const t0 = performance.now();
    await panel.getByRole('button', { name: 'Convert', exact: true }).click();
    const progress = setInterval(() => void panel.textContent().then((t) => console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${t?.replace(/\s+/g, ' ').slice(0, 300)}`)), 30_000);
    // Done, or refused: an error in the panel ends the run with its words.
    const done = panel.getByRole('status').filter({ hasText: 'Imported model set "fullsize-random"' });
    const failed = panel.getByRole('alert');
    await done.or(failed).first().waitFor({ timeout: 1_800_000 });
    if (await failed.isVisible()) throw new Error(`the import failed: ${await failed.textContent()}`);
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    clearInterval(progress);
    const sizes = await studio.page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const out: Record<string, number> = {};
      const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
        for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
          if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
          else if (prefix.includes('fullsize-random')) out[`${prefix}${name}`] = (await (handle as FileSystemFileHandle).getFile()).size;
        }
      };
      await walk(root, '');
      return out;
    });
    const result = { precision, inputMB: inputBytes / 1e6, seconds, mbPerSecond: inputBytes / 1e6 / seconds, idleMB: idle, peakMB: peak, overIdleMB: peak - idle, limitMB: 600, files: sizes };
    console.log(`\nconverted ${(inputBytes / 1e9).toFixed(2)} GB (fp16 diffusers folder → ${precision} set) in ${seconds.toFixed(1)} s: ${result.mbPerSecond.toFixed(1)} MB/s`);
    console.log(`tab memory: idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, ${result.overIdleMB.toFixed(0)} MB over idle (limit 600)`);
    for (const [file, size] of Object.entries(sizes).sort()) console.log(`  ${file}  ${(size / 1e6).toFixed(1)} MB`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/convert-${precision}.json`, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote bench/results/convert-${precision}.json`);
  } finally {
    await studio.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
