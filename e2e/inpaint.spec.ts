// Painting over what you have, in the studio on the engine it picks here: img2img from the canvas
// and from a gallery image match the CLI (onnxruntime-node) within 2/255; inpainting keeps every
// pixel outside the blurred mask, and the mask survives a reload; the inpaint ControlNet and an
// outpaint name themselves in the PNG's parameters.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { main as generateCli } from '../src/cli/generate.ts';
import { decodePngImage, readPngText } from '../src/image/png.ts';
import { openStudio } from './support/engine-page.ts';
import { dragOnDocument } from './support/canvas.ts';
import { checkInpainted } from './support/inpaint-checks.ts';

const BIRD = resolve(import.meta.dirname, '../../shared/data/images/bird.png');
const SET = resolve(import.meta.dirname, '../public/models/tiny-sd15');
const SETTINGS = { prompt: 'a bird on a branch', steps: 4, seed: 77, cfg: 7, size: 64 };

test.describe.configure({ mode: 'serial' });

let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await openStudio(page);
  // The engine the studio picks here: the CPU, as this machine's GPU is a software one (the same
  // generations on WebGPU are checked against the CLI in engine.spec.ts).
  await expect(page.getByTestId('engine')).toContainText('Engine: CPU (WASM)');
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(SETTINGS.prompt);
  await page.getByRole('spinbutton', { name: 'Width' }).fill(String(SETTINGS.size));
  await page.getByRole('spinbutton', { name: 'Height' }).fill(String(SETTINGS.size));
  await page.getByRole('spinbutton', { name: 'Steps' }).fill(String(SETTINGS.steps));
  await page.getByRole('spinbutton', { name: 'Seed' }).fill(String(SETTINGS.seed));
  await page.getByRole('spinbutton', { name: 'CFG scale' }).fill(String(SETTINGS.cfg));
});
test.afterAll(() => page.close());

const unit = (n: number) => page.getByRole('group', { name: `ControlNet unit ${n}` });
const galleryItems = () => page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'inpaint-e2e-')), name);

async function pngOf(img: Locator): Promise<Uint8Array> {
  const src = (await img.getAttribute('src'))!;
  return new Uint8Array(await page.evaluate(async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())], src));
}
const newestPng = () => pngOf(galleryItems().first().getByRole('img'));

async function generateAndWait() {
  const before = await galleryItems().count();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryItems()).toHaveCount(before + 1, { timeout: 150_000 });
}

/** The CLI's image for the studio's settings, starting from `init` (a PNG file). */
async function cliImage(init: string, strength: number) {
  const out = tmp('cli.png');
  const s = SETTINGS;
  await generateCli([
    '--models',
    SET,
    '--prompt',
    s.prompt,
    '--init',
    init,
    '--strength',
    String(strength),
    '--resize-mode',
    'just-resize',
    '--steps',
    String(s.steps),
    '--cfg',
    String(s.cfg),
    '--seed',
    String(s.seed),
    '--width',
    String(s.size),
    '--height',
    String(s.size),
    '--sampler',
    'euler-a',
    '--out',
    out,
  ]);
  return decodePngImage(new Uint8Array(readFileSync(out)));
}

const maxDiff = (a: { data: Uint8ClampedArray }, b: { data: Uint8ClampedArray }) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

test('img2img from the canvas: the studio’s image equals the CLI’s --init run within 2/255, and its PNG names the denoising strength', async () => {
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  await page.getByLabel('Image file').setInputFiles(BIRD);
  await unit(1).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: "Unit 1's canvas" });
  await page.getByRole('slider', { name: 'Denoising strength' }).fill('0.5');
  await generateAndWait();
  const png = await newestPng();
  const studio = decodePngImage(png);
  const cli = await cliImage(BIRD, 0.5);
  console.log(`img2img from the canvas: studio vs CLI max difference ${maxDiff(studio, cli)}/255`);
  expect([studio.width, studio.height]).toEqual([64, 64]);
  expect(maxDiff(studio, cli)).toBeLessThanOrEqual(2);
  expect(readPngText(png).parameters).toContain('Denoising strength: 0.5');
});

/** The gallery image "Use as input" put on unit 2's canvas, as a file: the later tests' input. */
let inputPng: string;

test('gallery "Use as input": the image goes on a canvas of its own and the next run starts from it, as the CLI does from the PNG', async () => {
  inputPng = tmp('gallery.png');
  writeFileSync(inputPng, await newestPng());
  await galleryItems().first().getByRole('button', { name: 'Use as input' }).click();
  await expect(unit(2)).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Start from' }).locator('option:checked')).toHaveText("Unit 2's canvas");
  await expect(unit(2).getByRole('checkbox', { name: 'Enabled' })).not.toBeChecked();
  await page.getByRole('slider', { name: 'Denoising strength' }).fill('0.75');
  await generateAndWait();
  const studio = decodePngImage(await newestPng());
  const cli = await cliImage(inputPng, 0.75);
  console.log(`img2img from a gallery image: studio vs CLI max difference ${maxDiff(studio, cli)}/255`);
  expect(maxDiff(studio, cli)).toBeLessThanOrEqual(2);
});

test('inpainting with the plain tiny set: outside the blurred mask every pixel is the input’s, inside it changes; after a reload the mask is there and gives the same image', async () => {
  const input = decodePngImage(new Uint8Array(readFileSync(inputPng)));
  // A 16-px mask stroke down x = 48 (the input canvas is the 64 × 64 gallery image): it covers x 40–56, top to bottom.
  await page.getByRole('button', { name: 'Mask', exact: true }).click();
  await page.getByRole('slider', { name: 'Brush size' }).fill('16');
  await dragOnDocument(page, { width: 64, height: 64 }, [48, 1], [48, 63]);
  await page.getByRole('spinbutton', { name: 'Mask blur' }).fill('4');
  await generateAndWait();
  const png = await newestPng();
  const result = decodePngImage(png);
  // Blur 4 reaches 10 px (A1111's 21-tap kernel): x < 30 is untouched; 2 px more for the stroke's antialiasing.
  const changed = checkInpainted(result, input, 28, [42, 54]);
  console.log(`inpainting: ${changed} of ${13 * 64} pixels under the mask changed; every pixel left of x = 28 is the input's`);
  expect(changed).toBeGreaterThan(13 * 64 * 0.5);
  const params = readPngText(png).parameters!;
  expect(params).toContain('Mask blur: 4, Inpaint area: Whole picture, Masked content: original');
  await page.screenshot({ path: test.info().outputPath('masked-regeneration.png') });

  await expect(page.getByText('All changes saved')).toBeVisible();
  await page.reload();
  await page.waitForFunction(() => !!globalThis.controlnetStudio?.engine);
  await expect(page.getByRole('combobox', { name: 'Start from' })).not.toHaveValue('');
  await generateAndWait();
  expect(maxDiff(decodePngImage(await newestPng()), result)).toBe(0);
});

test('ControlNet inpaint and outpainting: the canvas grows 64 px to the right, the new strip is filled and inpainted with an inpaint_only unit; the PNG says so', async () => {
  await unit(1).getByRole('checkbox', { name: 'Enabled' }).check();
  await unit(1).getByRole('combobox', { name: 'Preprocessor' }).selectOption('inpaint_only');
  await expect(unit(1).getByRole('combobox', { name: 'Model' })).toHaveValue('inpaint');
  await page.getByRole('button', { name: 'Clear mask' }).click();
  await page.getByRole('combobox', { name: 'Masked content' }).selectOption('fill');
  await page.getByRole('combobox', { name: 'Outpaint side' }).selectOption('right');
  await page.getByRole('spinbutton', { name: 'Outpaint pixels' }).fill('64');
  await page.getByRole('button', { name: 'Extend canvas' }).click();
  await expect(page.getByRole('spinbutton', { name: 'Width' })).toHaveValue('128');
  await generateAndWait();
  const png = await newestPng();
  const result = decodePngImage(png);
  expect([result.width, result.height]).toEqual([128, 64]);
  // The old picture, left of the strip's blurred edge (10 px, and 2 for antialiasing), is kept exactly.
  const input = decodePngImage(new Uint8Array(readFileSync(inputPng)));
  checkInpainted(result, input, 52);
  // The new strip is not the white paper it started as.
  let white = 0;
  for (let y = 0; y < 64; y++) for (let x = 76; x < 128; x++) if (result.data[(y * 128 + x) * 4] === 255 && result.data[(y * 128 + x) * 4 + 1] === 255) white++;
  expect(white).toBeLessThan(52 * 64 * 0.5);
  const params = readPngText(png).parameters!;
  expect(params).toContain('Size: 128x64');
  expect(params).toContain('ControlNet 0: "Module: inpaint_only, Model: inpaint, Weight: 1,');
  expect(params).toContain('Masked content: fill');
  await page.screenshot({ path: test.info().outputPath('outpaint.png') });
});
