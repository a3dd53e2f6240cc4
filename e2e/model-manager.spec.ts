// The model manager as a person uses it, against a local server that injects faults: each
// fault shows its specific error, nothing half-written counts as cached, and a retry after
// the fault clears succeeds. Then: resume with Range, a wrong model kind refused at load, a
// reload loads from OPFS with zero network requests, Delete frees the storage, and a local folder
// (file input) loads and generates, or is refused without model_index.json. The browser
// has no WebGPU here, so sets load on WASM (what is tested is storage, not the GPU). Each test
// starts from a fresh page and storage, so one failure does not take the others with it.
import { expect, test, type Page } from '@playwright/test';
import { statSync } from 'node:fs';
import { tinySetWithExternalUnet } from '../src/test/external-data-set.ts';
import { NO_WEBGPU_LAUNCH } from './support/no-webgpu.ts';
import { startModelServer, type Fault, type ModelServer } from '../src/test/model-server.ts';

const SET = 'public/models/tiny-sd15';
let server: ModelServer;
let page: Page;

test.use({ launchOptions: NO_WEBGPU_LAUNCH, viewport: { width: 1400, height: 1000 } });
test.beforeAll(async () => {
  server = await startModelServer(SET);
});
test.afterAll(() => server.close());
/** A fresh page (its own storage) with the server's set added. */
test.beforeEach(async ({ page: fresh }) => {
  page = fresh;
  server.faults.clear();
  server.log.length = 0;
  await page.goto('/');
  await addSet(server.url);
});

const entryOf = (url: string) => page.getByRole('group', { name: `Model set ${url.replace('http://', '')}`, exact: true });
const entry = () => entryOf(server.url);
const row = (file: string, from = server.url) => entryOf(from).locator('tr', { hasText: file });
const statusOf = async (file: string) => row(file).getAttribute('data-status');

async function download(from = server.url) {
  const set = entryOf(from);
  await set.getByRole('button', { name: 'Download', exact: true }).click();
  // Done when it says how it went: an error, or what was downloaded.
  await expect(set.getByRole('alert').or(set.getByRole('status').filter({ hasText: /^Downloaded/ }))).toBeVisible({ timeout: 60_000 });
}

async function addSet(url: string) {
  await page.getByRole('textbox', { name: 'Model set address' }).fill(url);
  await page.getByRole('button', { name: 'Add model set', exact: true }).click();
  await expect(entryOf(url)).toBeVisible();
}

test('each injected fault shows its specific error; nothing half-written counts; a retry succeeds', async () => {
  await expect(entry()).toBeVisible();
  await expect(row('text_encoder/model.onnx')).toHaveAttribute('data-status', 'missing');
  const cases: [Fault, RegExp, string[]][] = [
    ['404', /text_encoder\/model.onnx failed: the server answered 404/, ['missing']],
    ['500', /text_encoder\/model.onnx failed: the server answered 500.*Try again later/, ['missing']],
    ['truncate', /connection broke while downloading .*text_encoder\/model.onnx/, ['partial']],
    ['corrupt', /text_encoder\/model.onnx is corrupt: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}. The bad file was deleted/, ['missing']],
  ];
  for (const [fault, message, statuses] of cases) {
    server.faults.set('text_encoder/model.onnx', fault);
    await download();
    await expect(entry().getByRole('alert')).toHaveText(message);
    expect(statuses, `status after the ${fault} fault`).toContain(await statusOf('text_encoder/model.onnx'));
    server.faults.clear();
  }
  // Everything else arrived on the first try and was never fetched again.
  expect(server.log.filter((r) => r.path === 'unet/model.onnx' && r.status === 200)).toHaveLength(1);
  await download();
  await expect(
    entry()
      .getByRole('status')
      .filter({ hasText: /^Downloaded/ }),
  ).toBeVisible();
  await expect(entry().locator('tr[data-status="cached"]')).toHaveCount(await entry().locator('tr').count());
  await entry().getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(
    entry()
      .getByRole('status')
      .filter({ hasText: /^Verified \d+ file/ }),
  ).toBeVisible();
});

test('a cut connection resumes with Range from the verified bytes, and the file is verified', async () => {
  await entry().getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(row('unet/model.onnx')).toHaveAttribute('data-status', 'missing');
  server.faults.set('unet/model.onnx', 'cut');
  await download();
  await expect(entry().getByRole('alert')).toContainText('connection broke while downloading');
  await expect(row('unet/model.onnx')).toHaveAttribute('data-status', 'partial');
  const before = server.log.length;
  await download();
  const retry = server.log.slice(before).filter((r) => r.path === 'unet/model.onnx');
  expect(retry).toHaveLength(1);
  expect(retry[0]!.status).toBe(206);
  const size = statSync(`${SET}/unet/model.onnx`).size;
  const keptBytes = Number(/bytes=(\d+)-/.exec(retry[0]!.range!)![1]);
  expect(retry[0]!.bytesSent).toBe(size - keptBytes);
  console.log(`UI resume: ${keptBytes} of ${size} bytes kept after the cut; ${size - keptBytes} re-fetched (${((100 * (size - keptBytes)) / size).toFixed(1)}%)`);
  await expect(row('unet/model.onnx')).toHaveAttribute('data-status', 'cached');
});

test('a file of the wrong model kind downloads, but Load names the slot and the fix; after the fault clears it loads', async () => {
  await entry().getByRole('button', { name: 'Delete', exact: true }).click();
  server.faults.set('vae_decoder/model.onnx', 'wrong-kind');
  await download();
  await entry().getByRole('button', { name: 'Load', exact: true }).click();
  await expect(entry().getByRole('alert')).toContainText('vae_decoder/model.onnx does not fit the vae_decoder slot', { timeout: 120_000 });
  await expect(entry().getByRole('alert')).toContainText('found (sample: float32[batch, 4, height, width]');
  server.faults.clear();
  await entry().getByRole('button', { name: 'Delete', exact: true }).click();
  await download();
  await entry().getByRole('button', { name: 'Load', exact: true }).click();
  await expect(
    entry()
      .getByRole('status')
      .filter({ hasText: /^Loaded: ControlNets canny, scribble, zero-init, inpaint/ }),
  ).toBeVisible({ timeout: 120_000 });
});

test('after a reload the downloaded set loads with zero network requests; Delete frees its storage', async () => {
  await download();
  await page.reload();
  // Start counting once the page has settled (its start-up reads the bundled set's index).
  await page.waitForLoadState('networkidle');
  const requests: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(server.url) || r.url().includes('/models/')) requests.push(r.url());
  });
  const before = server.log.length;
  await expect(row('unet/model.onnx')).toHaveAttribute('data-status', 'cached');
  await entry().getByRole('button', { name: 'Load', exact: true }).click();
  await expect(
    entry()
      .getByRole('status')
      .filter({ hasText: /^Loaded/ }),
  ).toBeVisible({ timeout: 120_000 });
  expect(requests).toEqual([]);
  expect(server.log.length).toBe(before);

  await entry().getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(entry().locator('tr[data-status="missing"]')).toHaveCount(await entry().locator('tr').count());
  const left = await page.evaluate(async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('models', { create: true });
    const names: string[] = [];
    for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  });
  expect(left).toEqual([]);
});

test('a graph whose external data file is missing is named at load; once the file is there the set loads', async () => {
  // The tiny set with its UNet's weights in unet/model.onnx_data, written by onnx's own writer.
  const ext = await startModelServer(tinySetWithExternalUnet(SET));
  try {
    ext.faults.set('unet/model.onnx_data', '404');
    await addSet(ext.url);
    await expect(row('unet/model.onnx_data', ext.url)).toHaveCount(0);
    await download(ext.url);
    await entryOf(ext.url).getByRole('button', { name: 'Load', exact: true }).click();
    await expect(entryOf(ext.url).getByRole('alert')).toContainText('unet/model.onnx keeps its weights in model.onnx_data, which is missing beside it', { timeout: 120_000 });

    ext.faults.clear();
    await addSet(ext.url);
    await expect(row('unet/model.onnx_data', ext.url)).toHaveAttribute('data-status', 'missing');
    await download(ext.url);
    await entryOf(ext.url).getByRole('button', { name: 'Load', exact: true }).click();
    await expect(
      entryOf(ext.url)
        .getByRole('status')
        .filter({ hasText: /^Loaded/ }),
    ).toBeVisible({ timeout: 120_000 });
  } finally {
    await ext.close();
  }
});

test('a model folder chosen through the file input loads and generates', async () => {
  await page.getByLabel('Load model folder').setInputFiles(SET);
  const loaded = page.getByRole('status', { name: 'Loaded model set' });
  await expect(loaded).toContainText('Loaded tiny-sd15', { timeout: 120_000 });
  await expect(loaded).toContainText('ControlNets: canny, scribble, zero-init');
  const pixels = await page.evaluate(async () => {
    const r = await globalThis.controlnetStudio.engine.generate({ prompt: 'a cat', negativePrompt: '', steps: 1, cfgScale: 1, seed: 1, width: 64, height: 64, sampler: 'ddim', units: [] });
    return r.image.data.length;
  });
  expect(pixels).toBe(64 * 64 * 4);
});

test('a folder without model_index.json is refused with a clear message', async () => {
  await page.getByLabel('Load model folder').setInputFiles(`${SET}/unet`);
  await expect(page.getByRole('alert').filter({ hasText: 'The folder has no model_index.json' })).toBeVisible();
});
