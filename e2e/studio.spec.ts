// The studio as a person uses it: draw, upload, preview, stack units, generate, cancel,
// reload, download, live mode — by role and label, on WebGPU (SwiftShader) with the tiny set.
// One page for the whole file (serial): the worker's shared studio page (support/shared-page.ts),
// whose WebGPU pipelines the engine spec compiled for the same graphs and size. The studio's own
// state there is fresh: the specs before this one call the engine, or leave the UI as they found it.
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/shared-page.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodePngImage, readPngText } from '../src/image/png.ts';
import { canny } from '../src/preprocess/canny.ts';
import { fitToSize, hwc3, resizeToResolution } from '../src/preprocess/image-ops.ts';
import { maskToRgba } from '../src/preprocess/run.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LCM_LORA } from '../src/models/manifest.ts';
import { writeTinyLora } from '../src/test/tiny-lora.ts';

const BIRD = resolve(import.meta.dirname, '../../shared/data/images/bird.png');

test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(async ({ studioPage }) => {
  page = studioPage;
  page.on('pageerror', (e) => console.log('PAGEERROR', e.message, e.stack));
  await expect(page.getByTestId('adapter')).toBeVisible();
  // On this software GPU the studio picks the CPU by default; these tests are about WebGPU.
  await page.getByRole('combobox', { name: 'Engine' }).selectOption('webgpu');
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a bird on a branch');
  await page.getByRole('spinbutton', { name: 'Width' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Height' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Steps' }).fill('2');
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('1234');
});

const unit = (n: number) => page.getByRole('group', { name: `ControlNet unit ${n}` });
const canvas = () => page.getByLabel('Canvas', { exact: true });
const galleryItems = () => page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');

/** A mouse drag across the canvas, from and to fractions of its box. */
async function drag(from: [number, number], to: [number, number]) {
  const box = (await canvas().boundingBox())!;
  const at = (f: [number, number]) => [box.x + box.width * f[0], box.y + box.height * f[1]] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(at(from)[0] + ((at(to)[0] - at(from)[0]) * i) / 8, at(from)[1] + ((at(to)[1] - at(from)[1]) * i) / 8);
  await page.mouse.up();
}

async function pngOf(img: Locator): Promise<Uint8Array> {
  const src = (await img.getAttribute('src'))!;
  return new Uint8Array(await page.evaluate(async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())], src));
}

const shot = () => canvas().screenshot();
/** The canvas once it has stopped changing (Konva redraws on animation frames): two equal shots in a row. */
async function settledShot(): Promise<Buffer> {
  let last = await shot();
  await expect
    .poll(
      async () => {
        const next = await shot();
        const same = next.equals(last);
        last = next;
        return same;
      },
      { timeout: 5000 },
    )
    .toBe(true);
  return last;
}
/** Konva redraws on the next frame, so the canvas is compared until it settles. */
const expectCanvas = (expected: Buffer) => expect.poll(async () => (await shot()).equals(expected), { timeout: 5000 }).toBe(true);

async function generateAndWait() {
  const before = await galleryItems().count();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryItems()).toHaveCount(before + 1, { timeout: 150_000 });
}

test('9. undo and redo across strokes restore the exact pixels', async () => {
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  await expect(unit(1)).toBeVisible();
  await page.getByRole('button', { name: 'Brush' }).click();
  await drag([0.3, 0.3], [0.7, 0.4]);
  const one = await settledShot();
  await drag([0.3, 0.7], [0.6, 0.2]);
  const two = await settledShot();
  expect(two.equals(one)).toBe(false);
  await page.keyboard.press('Control+z');
  await expectCanvas(one);
  await page.keyboard.press('Control+Shift+z');
  await expectCanvas(two);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expectCanvas(one);
  await page.keyboard.press('Control+y');
  await expectCanvas(two);
});

test('8. dropping a text file on "Upload image" gives a clear error, and nothing else changes', async () => {
  const before = await shot();
  const units = await page.getByRole('group', { name: /ControlNet unit/ }).count();
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['just some notes'], 'notes.txt', { type: 'text/plain' }));
    return dt;
  });
  await page.getByRole('button', { name: 'Upload image' }).dispatchEvent('drop', { dataTransfer });
  await expect(page.getByRole('alert').filter({ hasText: 'notes.txt is not an image' })).toBeVisible();
  await expectCanvas(before);
  expect(await page.getByRole('group', { name: /ControlNet unit/ }).count()).toBe(units);
});

test('1. a drawn scribble with the scribble ControlNet generates into the gallery; progress reaches N of N', async () => {
  await unit(1).getByRole('combobox', { name: 'Preprocessor' }).selectOption('scribble');
  await unit(1).getByRole('combobox', { name: 'Model' }).selectOption('scribble');
  await generateAndWait();
  const bar = page.getByRole('progressbar');
  await expect(bar).toHaveAttribute('value', '2');
  await expect(bar).toHaveAttribute('max', '2');
  await expect(page.getByTestId('progress-text')).toContainText('Step 2 of 2');
});

test('2. bird.png with Canny: the preview shows edges equal to the Canny core', async () => {
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  await page.getByLabel('Image file').setInputFiles(BIRD);
  await unit(2).getByRole('combobox', { name: 'Preprocessor' }).selectOption('canny');
  await expect(unit(2).getByRole('combobox', { name: 'Model' })).toHaveValue('canny');
  await unit(2).getByRole('button', { name: 'Preview' }).click();
  const img = unit(2).getByRole('img', { name: 'Control map preview' });
  await expect(img).toBeVisible();
  const shown = decodePngImage(await pngOf(img));

  const bird = decodePngImage(new Uint8Array(readFileSync(BIRD)));
  const source = resizeToResolution(hwc3(bird), 512);
  const expected = fitToSize(maskToRgba(canny(source, { low: 100, high: 200 }), source.width, source.height), 64, 64, 'crop-and-resize', true);
  expect([shown.width, shown.height]).toEqual([64, 64]);
  let edges = 0;
  let mismatches = 0;
  for (let i = 0; i < expected.data.length; i += 4) {
    if (expected.data[i] === 255) edges++;
    if (shown.data[i] !== expected.data[i]) mismatches++;
  }
  expect(edges).toBeGreaterThan(50);
  expect(mismatches).toBe(0);
});

test('3 and 6. two units at weights 1.0 and 0.5 give an image unlike either alone; its PNG names both', async () => {
  await page.getByRole('spinbutton', { name: 'Steps' }).fill('1');
  await unit(2).getByRole('slider', { name: 'Weight' }).fill('0.5');
  await expect(unit(1).getByRole('slider', { name: 'Weight' })).toHaveValue('1');
  const newest = async () => decodePngImage(await pngOf(galleryItems().first().getByRole('img')));

  await unit(2).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await generateAndWait();
  const scribbleOnly = await newest();
  await unit(2).getByRole('checkbox', { name: 'Enabled' }).check();
  await unit(1).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await generateAndWait();
  const cannyOnly = await newest();
  await unit(1).getByRole('checkbox', { name: 'Enabled' }).check();
  await generateAndWait();
  const both = await newest();
  const differs = (a: { data: Uint8ClampedArray }, b: { data: Uint8ClampedArray }) => a.data.some((v, i) => v !== b.data[i]);
  expect(differs(both, scribbleOnly)).toBe(true);
  expect(differs(both, cannyOnly)).toBe(true);

  // 6. Download: the PNG's `parameters` has the prompt, the seed and both ControlNet entries.
  const [download] = await Promise.all([page.waitForEvent('download'), galleryItems().first().getByRole('button', { name: 'Download' }).click()]);
  const params = readPngText(new Uint8Array(readFileSync((await download.path())!))).parameters!;
  expect(params).toContain('a bird on a branch');
  expect(params).toContain('Seed: 1234');
  expect(params).toContain('ControlNet 0: "Module: scribble, Model: scribble, Weight: 1,');
  expect(params).toContain('ControlNet 1: "Module: canny, Model: canny, Weight: 0.5,');
  // For the record (and the closing notes): the whole studio after stacking two units.
  await page.screenshot({ path: test.info().outputPath('studio-two-units.png') });
});

test('4. Cancel stops a 30-step generation within one step; the next Generate works', async () => {
  // One ControlNet keeps SwiftShader's steps shorter.
  await unit(2).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await page.getByRole('spinbutton', { name: 'Steps' }).fill('30');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('progress-text')).toContainText('Step 1 of 30', { timeout: 120_000 });
  // The tiny set has TAESD: the preview is a decoded image at the generation size, not one pixel per latent cell.
  await expect(page.getByRole('img', { name: 'Latent preview' })).toHaveAttribute('data-width', '64');
  const count = await galleryItems().count();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  const atCancel = Number(await page.getByRole('progressbar').getAttribute('value'));
  const message = page.getByRole('status').filter({ hasText: /Cancelled at step \d+ of 30/ });
  await expect(message).toBeVisible({ timeout: 60_000 });
  const stoppedAt = Number(/step (\d+) of 30/.exec((await message.textContent())!)![1]);
  expect(stoppedAt - atCancel).toBeLessThanOrEqual(1);
  expect(await galleryItems().count()).toBe(count);

  await page.getByRole('spinbutton', { name: 'Steps' }).fill('1');
  await generateAndWait();
});

test('7. live mode: LCM is refused on the plain tiny UNet until "Use LCM-LoRA" fetches one; then two quick strokes leave one finished result (TAESD-decoded) for the latest input', async () => {
  await unit(2).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  const gallery = await galleryItems().count();
  // The published LCM-LoRA's address, answered with an LCM-LoRA that fits the tiny set.
  const lcmLora = join(mkdtempSync(join(tmpdir(), 'lcm-')), 'pytorch_lora_weights.safetensors');
  await writeTinyLora(lcmLora, { seed: 2 });
  await page
    .context()
    .route(`https://huggingface.co/${LCM_LORA.repo}/resolve/main/${LCM_LORA.files[0]}`, (route) =>
      route.fulfill({ body: readFileSync(lcmLora), headers: { 'content-type': 'application/octet-stream' } }),
    );
  await page.getByRole('checkbox', { name: 'Live mode' }).check();
  await expect(page.getByRole('alert').filter({ hasText: 'needs LCM weights, and this set is a plain SD 1.5 UNet' })).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Use LCM-LoRA' }).click();
  await expect(page.getByTestId('live-stats')).toContainText('1 finished', { timeout: 150_000 });
  await expect(page.getByTestId('live-stats')).toContainText('decoded with TAESD');
  await drag([0.2, 0.8], [0.8, 0.8]);
  // Wait until a live run for this stroke is under way, then change the input again.
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeEnabled();
  await drag([0.8, 0.2], [0.2, 0.8]);
  const latest = await canvas().getAttribute('data-input-revision');
  const live = page.getByRole('img', { name: 'Live result', exact: true });
  await expect(live).toHaveAttribute('data-revision', latest!, { timeout: 150_000 });
  const stats = await page.getByTestId('live-stats').textContent();
  const [, finished, cancelled] = /(\d+) finished, (\d+) cancelled/.exec(stats!)!.map(Number);
  expect(finished).toBe(2);
  expect(cancelled).toBeGreaterThanOrEqual(1);
  expect(await galleryItems().count()).toBe(gallery);
  await page.getByRole('checkbox', { name: 'Live mode' }).uncheck();
});

test('5. after a reload the prompt, units, strokes and gallery are all still there', async () => {
  await unit(1).getByRole('button', { name: 'Edit on canvas' }).click();
  // Control-map previews are recomputed, not stored: hide the overlay to compare the strokes alone.
  await page.getByRole('slider', { name: 'Overlay opacity' }).fill('0');
  const strokes = await settledShot();
  const gallery = await galleryItems().count();
  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Prompt', exact: true })).toHaveValue('a bird on a branch');
  await expect(page.getByRole('group', { name: /ControlNet unit/ })).toHaveCount(2);
  await expect(unit(2).getByRole('combobox', { name: 'Preprocessor' })).toHaveValue('canny');
  await expect(unit(2).getByRole('slider', { name: 'Weight' })).toHaveValue('0.5');
  await expect(galleryItems()).toHaveCount(gallery);
  await expect(unit(1).getByRole('button', { name: 'Edit on canvas' })).toHaveAttribute('aria-pressed', 'true');
  await expectCanvas(strokes);
});

test('pose editor: dragging a joint of the default figure re-renders the map; a unit with start after end says so and Generate explains', async () => {
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  const pose = unit(3);
  await pose.getByRole('combobox', { name: 'Preprocessor' }).selectOption('openpose');
  await pose.getByRole('button', { name: 'Preview' }).click();
  const img = pose.getByRole('img', { name: 'Control map preview' });
  await expect(img).toBeVisible();
  const before = decodePngImage(await pngOf(img));

  // The default figure's left wrist sits at (0.66, 0.55) of the 64×64 canvas, fitted with a 16 px margin.
  const box = (await canvas().boundingBox())!;
  const scale = Math.min((box.width - 32) / 64, (box.height - 32) / 64);
  const [x0, y0] = [box.x + (box.width - 64 * scale) / 2, box.y + (box.height - 64 * scale) / 2];
  await page.mouse.move(x0 + 0.66 * 64 * scale, y0 + 0.55 * 64 * scale);
  await page.mouse.down();
  await page.mouse.move(x0 + 0.8 * 64 * scale, y0 + 0.3 * 64 * scale, { steps: 5 });
  await page.mouse.up();
  await expect.poll(async () => decodePngImage(await pngOf(img)).data.some((v, i) => v !== before.data[i])).toBe(true);
  // Moving a joint is not drawing: the unit's canvas has no stroke to undo.
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();
  await page.getByRole('slider', { name: 'Overlay opacity' }).fill('0.6');

  await pose.getByRole('slider', { name: 'Start' }).fill('0.9');
  await pose.getByRole('slider', { name: 'End' }).fill('0.1');
  await expect(pose.getByRole('alert')).toContainText('Start (0.9) is after End (0.1)');
  await page.screenshot({ path: test.info().outputPath('studio-pose-editor.png') });
  const gallery = await galleryItems().count();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Not generating. ControlNet unit 3: Start (0.9) is after End (0.1)' })).toBeVisible();
  expect(await galleryItems().count()).toBe(gallery);
  await pose.getByRole('button', { name: 'Remove' }).click();
});

test('a crashed worker restarts the engine with a message; units and gallery are untouched and the engine works again', async () => {
  const gallery = await galleryItems().count();
  // A real uncaught error inside the engine's worker, as when it dies (the page only sees its error event).
  const engineWorker = page.workers().find((w) => /engine\.worker/.test(w.url()));
  expect(engineWorker, 'the engine worker').toBeDefined();
  await engineWorker!.evaluate(
    () =>
      void setTimeout(() => {
        throw new Error('simulated crash');
      }),
  );
  await expect(page.getByRole('alert').filter({ hasText: 'simulated crash' })).toContainText('your canvas, units and gallery are kept');
  await expect(page.getByRole('group', { name: /ControlNet unit/ })).toHaveCount(2);
  expect(await galleryItems().count()).toBe(gallery);
  await unit(2).getByRole('button', { name: 'Preview' }).click();
  await expect(unit(2).getByRole('status').filter({ hasText: 'Preprocessing' })).toHaveCount(0, { timeout: 60_000 });
  await expect(unit(2).getByRole('alert')).toHaveCount(0);
  await expect(unit(2).getByRole('img', { name: 'Control map preview' })).toBeVisible();
});

test('a pasted image lands on the selected unit, the Move tool drags it, and undo walks back both', async () => {
  // A unit of its own: a stroke, then the pasted image over it.
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  await page.getByRole('button', { name: 'Brush' }).click();
  await drag([0.2, 0.5], [0.8, 0.5]);
  await page.getByRole('slider', { name: 'Overlay opacity' }).fill('0');
  const strokes = await settledShot();
  const bytes = [...readFileSync(BIRD)];
  await page.evaluate((b) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(b)], 'bird.png', { type: 'image/png' }));
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
  }, bytes);
  await expect.poll(async () => (await shot()).equals(strokes)).toBe(false);
  const placed = await settledShot();

  await page.getByRole('button', { name: 'Move image' }).click();
  const box = (await canvas().boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 20, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.press('b');
  await expect.poll(async () => (await shot()).equals(placed)).toBe(false);

  await page.keyboard.press('Control+z');
  await expectCanvas(placed);
  await page.keyboard.press('Control+z');
  await expectCanvas(strokes);
});
