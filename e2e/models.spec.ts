// Downloading a model set into the browser's storage (OPFS) from a local server that
// injects faults, resuming a cut file with Range, and loading it again with no network.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openStudio } from './support/engine-page.ts';
import { startModelServer, type ModelServer } from '../src/test/model-server.ts';
import { setFiles } from '../src/models/set-files.ts';
import type { RemoteFile } from '../src/models/download/downloader.ts';

const SET = 'public/models/tiny-sd15';
let server: ModelServer;
test.beforeAll(async () => {
  server = await startModelServer(SET);
});
test.afterAll(() => server.close());

/** The tiny set's files with the sizes and hashes a manifest would carry. */
function manifestFiles(id: string): RemoteFile[] {
  const index = JSON.parse(readFileSync(`${SET}/model_index.json`, 'utf8'));
  return setFiles(index, server.url, id).map((f) => {
    const bytes = readFileSync(`${SET}/${f.path.slice(id.length + 1)}`);
    return { ...f, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
}

test('a cut download resumes with Range, a bad hash is refused, and the cached set loads with zero network requests', async ({ page }) => {
  test.setTimeout(300_000);
  await openStudio(page);
  const files = manifestFiles('tiny');
  const download = () =>
    page.evaluate(
      (req) =>
        globalThis.controlnetStudio.engine.downloadModelSet(req).then(
          (r) => ({ ok: r }),
          (e: Error) => ({ error: e.message }),
        ),
      { id: 'tiny', files },
    );

  // 1. The connection drops part-way through the UNet, and the VAE decoder arrives corrupted.
  server.faults.set('unet/model.onnx', 'cut');
  server.faults.set('vae_decoder/model.onnx', 'corrupt');
  const first = await download();
  expect('error' in first && first.error).toMatch(/connection broke while downloading tiny\/unet\/model.onnx|tiny\/vae_decoder\/model.onnx is corrupt/);
  // Nothing half-written counts: loading the cache fails on the missing files.
  const early = await page.evaluate(() =>
    globalThis.controlnetStudio.engine.loadModelSet({ source: { kind: 'stored', id: 'tiny' } }).then(
      () => 'loaded',
      (e: Error) => e.message,
    ),
  );
  expect(early).not.toBe('loaded');

  // 2. Faults clear; the retry resumes the UNet from the bytes it has, and fetches nothing twice.
  server.faults.clear();
  const before = server.log.length;
  const second = await download();
  expect('ok' in second).toBe(true);
  const retry = server.log.slice(before);
  const unetRetry = retry.find((r) => r.path === 'unet/model.onnx')!;
  expect(unetRetry.range).toMatch(/^bytes=\d+-$/);
  expect(unetRetry.status).toBe(206);
  const unetSize = files.find((f) => f.path === 'tiny/unet/model.onnx')!.size!;
  const resumedAt = Number(/\d+/.exec(unetRetry.range!)![0]);
  console.log(`UNet resume: ${resumedAt} of ${unetSize} bytes kept after the cut; ${unetSize - resumedAt} fetched again`);
  expect(retry.filter((r) => r.path === 'text_encoder/model.onnx')).toHaveLength(0);
  if ('ok' in second) expect(second.ok.resumedBytes).toBe(resumedAt);

  // 3. Reload: the set loads from OPFS and generates, with no request to any server.
  await page.reload();
  await openStudio(page);
  const afterReload = server.log.length;
  const modelRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/models/') || r.url().startsWith(server.url)) modelRequests.push(r.url());
  });
  const result = await page.evaluate(async () => {
    const engine = globalThis.controlnetStudio.engine;
    const info = await engine.loadModelSet({ source: { kind: 'stored', id: 'tiny' }, provider: 'wasm' });
    const r = await engine.generate({ prompt: 'a cat', negativePrompt: '', steps: 2, cfgScale: 7.5, seed: 1, width: 64, height: 64, sampler: 'euler', units: [] });
    return { controlnets: info.capabilities.controlnets, pixels: r.image.data.length };
  });
  expect(result).toEqual({ controlnets: ['canny', 'scribble', 'zero-init', 'inpaint'], pixels: 64 * 64 * 4 });
  expect(modelRequests).toEqual([]);
  expect(server.log.length).toBe(afterReload);

  // 4. Deleting the set frees its storage.
  const freed = await page.evaluate(async () => {
    await globalThis.controlnetStudio.engine.deleteModelSet('tiny');
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('models', { create: true });
    const names: string[] = [];
    for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  });
  expect(freed).toEqual([]);
});

// Loading a local folder (file input, missing model_index.json) is tested in model-manager.spec.ts.
