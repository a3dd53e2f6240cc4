// npm run convert as a person uses it: a checkpoint read over HTTP Range (never whole), a
// ControlNet added to an existing set, and `npm run generate` on the result.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINTS, caseErrors, referenceCases } from '../test/checkpoint-cases.ts';
import { startModelServer, type ModelServer } from '../test/model-server.ts';
import { decodePngImage, encodePngWithText } from '../image/png.ts';
import { main as convert } from './convert.ts';
import { main as generate } from './generate.ts';
import { writeFileSync } from 'node:fs';

const quiet = () => {};
const ck = (rel: string) => join(CHECKPOINTS(), rel);
let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer(CHECKPOINTS());
});
afterAll(() => server.close());

describe('convert CLI', () => {
  it('writes progress into a pipe as whole lines: one per graph start, every 10% and the end, never a carriage return', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cli-')), 'set');
    let written = '';
    await convert(['--checkpoint', ck('single-file/model.safetensors'), '--out', out, '--text-heads', '2'], (t) => (written += t), false);
    const lines = written.split('\n').filter(Boolean);
    console.log(`progress into a pipe: ${written.length} bytes in ${lines.length} lines`);
    expect(written).not.toContain('\r');
    expect(written.endsWith('\n')).toBe(true);
    const graphs = new Set(lines.map((l) => l.split(' (')[0]));
    expect(graphs).toEqual(new Set(['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx']));
    // At most 11 lines per graph (0%, 10%, …, 100%).
    expect(lines.length).toBeLessThanOrEqual(11 * graphs.size);
  });

  it('reads a remote .safetensors with HTTP Range in 8 MB blocks, each byte fetched about once', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cli-')), 'set');
    server.log.length = 0;
    await convert(['--checkpoint', `${server.url}/single-file/model.safetensors`, '--out', out, '--precision', 'fp32', '--text-heads', '2'], quiet);
    const size = statSync(ck('single-file/model.safetensors')).size;
    const reads = server.log.filter((r) => r.path === 'single-file/model.safetensors');
    expect(reads.every((r) => r.status === 206 && /^bytes=\d+-\d+$/.test(r.range ?? ''))).toBe(true);
    expect(Math.max(...reads.map((r) => r.bytesSent))).toBeLessThanOrEqual(8 * 1024 * 1024);
    // The size probe (1 byte), the header, then two blocks: the whole file, fetched once.
    expect(reads.length).toBeLessThanOrEqual(4);
    expect(reads.reduce((sum, r) => sum + r.bytesSent, 0)).toBeLessThan(size * 1.01);
    const text = referenceCases().find((c) => c.name === 'text_encoder')!;
    expect(Math.max(...(await caseErrors(out, text)))).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('adds a ControlNet to an existing set, which `npm run generate` then uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const set = join(dir, 'set');
    await convert(['--checkpoint', ck('single-file/model.safetensors'), '--out', set, '--text-heads', '2'], quiet);
    const { notices } = await convert(['--controlnet', `canny=${ck('single-file/controlnet.pth')}`, '--out', set], quiet);
    expect(notices).toEqual([]);
    const index = JSON.parse(readFileSync(join(set, 'model_index.json'), 'utf8'));
    expect(index.controlnet_studio).toMatchObject({ controlnets: ['canny'], unet_fp32: null, unet_fp16: 'unet/model.onnx', fp16_graphs: ['text_encoder/model.onnx', 'controlnet/canny/model.onnx'] });
    const unetControlNet = referenceCases().find((c) => c.name === 'unet_controlnet')!;
    expect(Math.max(...(await caseErrors(set, unetControlNet)))).toBeLessThanOrEqual(1e-2);
    // A second ControlNet under the same name would replace the first; it is refused instead.
    await expect(convert(['--controlnet', `canny=${ck('single-file/controlnet.safetensors')}`, '--out', set], quiet)).rejects.toThrow('already has a ControlNet named "canny"');

    const hint = join(dir, 'hint.png');
    writeFileSync(hint, encodePngWithText({ data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 }, {}));
    const png = join(dir, 'out.png');
    await generate(['--models', set, '--prompt', 'a photo of a cat', '--control', `canny=${hint}`, '--steps', '2', '--width', '64', '--height', '64', '--out', png]);
    expect(decodePngImage(new Uint8Array(readFileSync(png))).width).toBe(64);
  }, 60_000);

  it('refuses a base model given as --controlnet, and a ControlNet given as --checkpoint, and writes nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cli-')), 'set');
    await expect(convert(['--checkpoint', ck('single-file/controlnet.pth'), '--out', out], quiet)).rejects.toThrow(/is a ControlNet, not a base model\. Give it with --controlnet/);
    await expect(convert(['--checkpoint', ck('single-file/model.ckpt'), '--controlnet', `x=${ck('single-file/model.ckpt')}`, '--out', out, '--text-heads', '2'], quiet)).rejects.toThrow(
      /is a whole model, not a ControlNet/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
