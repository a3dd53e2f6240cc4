// Bringing your own checkpoint through the model manager: an A1111-style single file (with its
// .yaml) and a ControlNet .pth become a stored set and a stored ControlNet, the studio generates
// with them, and after a reload they load from the browser's storage with no model download; an
// inpainting checkpoint imports and inpaints.
// Conversion and OPFS are under test, not the GPU, so this runs in the no-WebGPU browser (WASM).
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { decodePngImage, readPngText } from '../src/image/png.ts';
import { NO_WEBGPU_LAUNCH } from './support/no-webgpu.ts';
import { dragOnDocument } from './support/canvas.ts';
import { fitToSize, hwc3 } from '../src/preprocess/image-ops.ts';
import { fillNumbers } from './support/settings.ts';
import { checkInpainted } from './support/inpaint-checks.ts';

const CHECKPOINTS = resolve(import.meta.dirname, '../../shared/data/checkpoints/tiny-sd15/single-file');
const BIRD = resolve(import.meta.dirname, '../../shared/data/images/bird.png');
const LORAS = resolve(CHECKPOINTS, '../lora');
const TAESD = resolve(CHECKPOINTS, '../taesd');
const INPAINT = resolve(CHECKPOINTS, '../inpaint');

test.use({ launchOptions: NO_WEBGPU_LAUNCH });

test('an A1111 checkpoint and a ControlNet .pth imported in the model manager generate, and load again offline after a reload', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Import checkpoint' });
  await panel.getByLabel('Checkpoint files').setInputFiles([`${CHECKPOINTS}/model.safetensors`, `${CHECKPOINTS}/model.yaml`]);
  await expect(panel.getByLabel('Import name')).toHaveValue('model');
  await panel.getByLabel('Import name').fill('tiny-a1111');
  // The tiny text encoder is 32 wide; its 2 heads cannot be read from the weights.
  await panel.getByText('Architecture (only for unusual checkpoints)').click();
  await panel.getByLabel('Text encoder heads').fill('2');
  await expect(panel.getByLabel('Import precision')).toHaveValue('fp32');
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Imported model set "tiny-a1111"' })).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByRole('list', { name: 'Import notices' })).toContainText('Not used from model.safetensors: 13 tensors');

  // A ControlNet .pth without its .yaml: its heads are not in its weights. With no set of its family loaded, the import asks.
  await panel.getByLabel('Checkpoint files').setInputFiles(`${CHECKPOINTS}/controlnet.pth`);
  await panel.getByLabel('Import name').fill('my-canny');
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('alert').filter({ hasText: /attention head count its weights do not say.*give "UNet heads"/ })).toBeVisible({ timeout: 60_000 });
  // With its base model's set loaded, it takes the set's layout (as the CLI does when converting them together).
  await panel.getByRole('group', { name: 'Converted set tiny-a1111' }).getByRole('button', { name: 'Load' }).click();
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('Loaded tiny-a1111', { timeout: 60_000 });
  await panel.getByLabel('Checkpoint files').setInputFiles(`${CHECKPOINTS}/controlnet.pth`);
  await panel.getByLabel('Import name').fill('my-canny');
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Imported ControlNet "my-canny"' })).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByRole('group', { name: 'Stored ControlNet my-canny' })).toContainText('fp32, from controlnet.pth');

  await fillNumbers(page, { Width: 64, Height: 64, Steps: 2, 'CFG scale': 1, Seed: 7 });
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  const unit = page.getByRole('group', { name: 'ControlNet unit 1' });
  await page.getByLabel('Image file').setInputFiles(BIRD);
  await unit.getByRole('combobox', { name: 'Preprocessor' }).selectOption('canny');
  await unit.getByRole('combobox', { name: 'Model' }).selectOption('my-canny');
  // The upload is stored before the unit takes it; its Canny preview shows once it has.
  await expect(async () => {
    await unit.getByRole('button', { name: 'Preview' }).click();
    await expect(unit.getByRole('img', { name: 'Control map preview' })).toBeVisible({ timeout: 5000 });
  }).toPass({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Generate' }).click();
  const gallery = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
  await expect(gallery).toHaveCount(1, { timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), gallery.first().getByRole('button', { name: 'Download' }).click()]);
  const parameters = readPngText(new Uint8Array(readFileSync((await download.path())!))).parameters!;
  expect(parameters).toContain('Model: tiny-a1111');
  expect(parameters).toMatch(/ControlNet 0: "Module: canny, Model: my-canny/);

  // After a reload: everything comes from the browser's storage.
  await page.reload();
  // Start counting once the page has settled (its start-up reads the bundled tiny set's index).
  await page.waitForLoadState('networkidle');
  const requests: string[] = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await panel.getByRole('group', { name: 'Converted set tiny-a1111' }).getByRole('button', { name: 'Load' }).click();
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('Loaded tiny-a1111', { timeout: 60_000 });
  await expect(unit.getByRole('combobox', { name: 'Model' })).toHaveValue('my-canny');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(gallery).toHaveCount(2, { timeout: 120_000 });
  expect(requests.filter((p) => /\.(onnx|onnx_data|safetensors|pth|json)$/.test(p))).toEqual([]);
});

test('LoRAs and TAESD in the model manager: a kohya LoRA from the library applied by a <lora:> tag equals it baked in at conversion, the PNG names it by hash; TAESD files are stored for any set', async ({
  page,
}) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Import checkpoint' });
  const library = page.getByRole('region', { name: 'LoRA library' });
  await library.getByLabel('LoRA file').setInputFiles(`${LORAS}/kohya.safetensors`);
  await library.getByRole('button', { name: 'Add LoRA' }).click();
  await expect(library.getByRole('status').filter({ hasText: 'Added LoRA "kohya" (192 UNet and 12 text-encoder layers)' })).toBeVisible({ timeout: 30_000 });
  await panel.getByLabel('Checkpoint files').setInputFiles([`${TAESD}/taesd_encoder.safetensors`, `${TAESD}/taesd_decoder.safetensors`]);
  await panel.getByLabel('Import name').fill('taesd');
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('group', { name: 'Stored TAESD taesd' })).toContainText('decoder and encoder', { timeout: 60_000 });

  const convert = async (name: string, bake: boolean) => {
    await panel.getByLabel('Checkpoint files').setInputFiles([`${CHECKPOINTS}/model.safetensors`, `${CHECKPOINTS}/model.yaml`]);
    await panel.getByLabel('Import name').fill(name);
    // The architecture section stays open from the previous conversion.
    const heads = panel.getByLabel('Text encoder heads');
    if (!(await heads.isVisible())) await panel.getByText('Architecture (only for unusual checkpoints)').click();
    await heads.fill('2');
    if (bake) {
      await panel.getByText('Bake LoRA (merge library LoRAs into the converted set)').click();
      await panel.getByRole('checkbox', { name: 'Bake LoRA kohya' }).check();
      await panel.getByRole('spinbutton', { name: 'Baked weight of kohya' }).fill('0.7');
    }
    await panel.getByRole('button', { name: 'Convert', exact: true }).click();
    await expect(panel.getByRole('status').filter({ hasText: `Imported model set "${name}"` })).toBeVisible({ timeout: 60_000 });
    // The finished import lets go of its files before the next one is picked.
    await expect(panel.getByRole('button', { name: 'Convert', exact: true })).toBeDisabled();
  };
  const generate = async (set: string, prompt: string) => {
    await panel
      .getByRole('group', { name: `Converted set ${set}` })
      .getByRole('button', { name: 'Load' })
      .click();
    await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText(`Loaded ${set}`, { timeout: 60_000 });
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(prompt);
    const gallery = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
    const before = await gallery.count();
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(gallery).toHaveCount(before + 1, { timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), gallery.first().getByRole('button', { name: 'Download' }).click()]);
    return new Uint8Array(readFileSync((await download.path())!));
  };
  await convert('tiny-plain', false);
  await convert('tiny-baked', true);
  await fillNumbers(page, { Width: 64, Height: 64, Steps: 2, 'CFG scale': 1, Seed: 7 });
  const atLoad = await generate('tiny-plain', 'a dog <lora:kohya:0.7>');
  const baked = await generate('tiny-baked', 'a dog');
  const parameters = readPngText(atLoad).parameters!;
  expect(parameters.split('\n')[0]).toBe('a dog <lora:kohya:0.7>');
  expect(parameters).toContain(
    `Lora hashes: "kohya: ${createHash('sha256')
      .update(readFileSync(`${LORAS}/kohya.safetensors`))
      .digest('hex')
      .slice(0, 12)}"`,
  );
  const [a, b] = [decodePngImage(atLoad).data, decodePngImage(baked).data];
  expect(a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)).toBeLessThanOrEqual(1);
});

test('an SD 1.5 inpainting checkpoint (9-channel UNet, with its v1-inpainting .yaml) imports, says what it is, and inpaints: outside the blurred mask every pixel is the input’s', async ({ page }) => {
  // Room for the whole canvas: the mask is drawn at document positions.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Import checkpoint' });
  await panel.getByLabel('Checkpoint files').setInputFiles([`${INPAINT}/model.safetensors`, `${INPAINT}/model.yaml`]);
  await panel.getByLabel('Import name').fill('tiny-inpainting');
  await panel.getByText('Architecture (only for unusual checkpoints)').click();
  await panel.getByLabel('Text encoder heads').fill('2');
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Imported model set "tiny-inpainting"' })).toBeVisible({ timeout: 60_000 });
  await panel.getByRole('group', { name: 'Converted set tiny-inpainting' }).getByRole('button', { name: 'Load' }).click();
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('Loaded tiny-inpainting: inpainting UNet (9 channels', { timeout: 60_000 });

  await fillNumbers(page, { Width: 64, Height: 64, Steps: 2, Seed: 7 });
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  await page.getByLabel('Image file').setInputFiles(BIRD);
  await page.getByRole('group', { name: 'ControlNet unit 1' }).getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: "Unit 1's canvas" });
  await page.getByRole('slider', { name: 'Denoising strength' }).fill('1');
  // bird.png is 564 × 846: a 64-px mask stroke down x = 300 covers x 268–332 (x 30.4–37.7 at 64 × 64).
  const bird = decodePngImage(new Uint8Array(readFileSync(BIRD)));
  await page.getByRole('button', { name: 'Mask', exact: true }).click();
  await page.getByRole('slider', { name: 'Brush size' }).fill('64');
  await dragOnDocument(page, bird, [300, 8], [300, bird.height - 8]);
  await page.getByRole('button', { name: 'Generate' }).click();
  const gallery = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
  await expect(gallery).toHaveCount(1, { timeout: 120_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), gallery.first().getByRole('button', { name: 'Download' }).click()]);
  const png = new Uint8Array(readFileSync((await download.path())!));
  const result = decodePngImage(png);
  // The studio fits the input as "Just resize" does; the blurred mask (4 px, then scaled by 1/8.8) starts right of x = 28.
  const input = fitToSize(hwc3(bird), 64, 64, 'just-resize');
  const changed = checkInpainted(result, input, 28, [32, 36]);
  expect(changed).toBeGreaterThan(5 * 64 * 0.5);
  expect(readPngText(png).parameters).toContain('Denoising strength: 1, Mask blur: 4, Inpaint area: Whole picture, Masked content: original');
});

test('a file that is not a checkpoint is refused in words, and nothing is stored', async ({ page }) => {
  await page.goto('/');
  const panel = page.getByRole('region', { name: 'Import checkpoint' });
  await panel.getByLabel('Checkpoint files').setInputFiles({ name: 'lora-detail.safetensors', mimeType: 'application/octet-stream', buffer: loraFile() });
  await panel.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(panel.getByRole('alert')).toContainText('Import failed: lora-detail.safetensors is a LoRA');
  // In the LoRA library, a checkpoint is refused the other way round.
  const library = page.getByRole('region', { name: 'LoRA library' });
  await library.getByLabel('LoRA file').setInputFiles(`${CHECKPOINTS}/controlnet.safetensors`);
  await library.getByRole('button', { name: 'Add LoRA' }).click();
  await expect(library.getByRole('alert')).toContainText('LoRA import failed: controlnet.safetensors is a whole model checkpoint');
  await expect(library.getByRole('group', { name: /^LoRA / })).toHaveCount(0);
  await expect(panel.getByRole('group', { name: /^Converted set|^Stored ControlNet/ })).toHaveCount(0);
});

/** A minimal LoRA file: two low-rank factors and an alpha, as kohya-ss writes them. */
function loraFile(): Buffer {
  const header = JSON.stringify({
    'lora_unet_down_blocks_0_attentions_0_proj_in.alpha': { dtype: 'F16', shape: [], data_offsets: [0, 2] },
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': { dtype: 'F16', shape: [4, 8], data_offsets: [2, 66] },
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight': { dtype: 'F16', shape: [8, 4], data_offsets: [66, 130] },
  });
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, Buffer.from(header), Buffer.alloc(130)]);
}
