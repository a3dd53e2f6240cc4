// The first minutes, on this machine's software GPU (SwiftShader): the CPU engine by default and
// why, WebGPU when picked; a size that suits the device and why; "Try an example" showing the whole path in one click; progress from the first click
// (loading each graph, compiling shaders, then steps); the newest result large beside the
// canvas with its control map; an estimate before a long run; and drawing never selects text.
import { expect, test } from '@playwright/test';
import { fillNumbers } from './support/settings.ts';

test('a newcomer on a software GPU: the CPU engine by default and why, fitted defaults, one-click example, an estimate from a probe, progress from the first click, the result large; WebGPU when chosen', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('adapter')).toContainText('swiftshader');
  await expect(page.getByTestId('engine')).toContainText('Engine: CPU (WASM), as the GPU is a software one (swiftshader), where WebGPU is many times slower than the CPU engine.');
  await expect(page.getByRole('combobox', { name: 'Engine' })).toHaveValue('auto');
  await expect(page.getByRole('note', { name: 'Device note' })).toContainText('256×256 to start with: the GPU is a software one');
  await expect(page.getByRole('spinbutton', { name: 'Width' })).toHaveValue('256');

  await page.getByRole('button', { name: 'Example: picture + Canny' }).click();
  const unit = page.getByRole('group', { name: 'ControlNet unit 1' });
  await expect(unit.getByRole('combobox', { name: 'Preprocessor' })).toHaveValue('canny');
  await expect(unit.getByRole('combobox', { name: 'Model' })).toHaveValue('canny');
  await expect(unit.getByRole('img', { name: 'Control map preview' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('textbox', { name: 'Prompt', exact: true })).toHaveValue(/cottage/);

  const seen = new Set<string>();
  let compilingShot = false;
  const watch = setInterval(() => {
    void page
      .getByTestId('progress-text')
      .textContent({ timeout: 100 })
      .then(async (t) => {
        if (!t) return;
        seen.add(t.replace(/\d+(\.\d+)? (ms|s)/g, '…'));
        if (t.includes('Compiling') && !compilingShot) {
          compilingShot = true;
          await page.screenshot({ path: test.info().outputPath('first-run-progress.png') });
        }
      })
      .catch(() => undefined);
  }, 100);
  // Before any step was measured, a long run is estimated from a short probe.
  await fillNumbers(page, { Width: 512, Height: 512, Steps: 150 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^This run will take about [\d.]+ min: [\d.]+ s per step, from a probe step of [\d.]+ s at 512×512 on this device\.$/ })).toBeVisible({
    timeout: 120_000,
  });
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Cancelled/ })).toBeVisible({ timeout: 60_000 });

  // Small and short, so the runs stay quick here.
  await fillNumbers(page, { Width: 64, Height: 64, Steps: 1 });
  const gallery = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(gallery).toHaveCount(1, { timeout: 180_000 });
  const result = page.getByRole('region', { name: 'Result' });
  await expect(result.getByRole('img', { name: /^Newest result, seed/ })).toBeVisible();
  expect((await result.getByRole('img', { name: /^Newest result/ }).boundingBox())!.width).toBeGreaterThanOrEqual(256);
  await expect(result.getByRole('img', { name: 'Control map of ControlNet 1' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('example-result.png') });

  // WebGPU when the person picks it: the set loads again on it, and its first run compiles shaders.
  await page.getByRole('combobox', { name: 'Engine' }).selectOption('webgpu');
  await expect(page.getByTestId('engine')).toContainText('Engine: WebGPU, as you chose WebGPU, on a software GPU (swiftshader): expect slow steps.');
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('on webgpu', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(gallery).toHaveCount(2, { timeout: 180_000 });
  clearInterval(watch);
  const texts = [...seen];
  console.log(`progress seen: ${texts.join(' | ')}`);
  expect(texts.some((t) => /^Loading .*\(\d+ of \d+ graphs\)$/.test(t))).toBe(true);
  expect(texts.some((t) => t.startsWith('Measuring this device’s speed'))).toBe(true);
  expect(texts.some((t) => t.startsWith('Compiling GPU shaders (first run only)'))).toBe(true);
  expect(texts.some((t) => t.startsWith('Step 1 of 1'))).toBe(true);

  // A run measured here to take minutes says so before it starts.
  await fillNumbers(page, { Width: 512, Height: 512, Steps: 30 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^This run will take about [\d.]+ min: [\d.]+ s per step, from [\d.]+ s measured at 64×64 on this device\.$/ })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Cancelled/ })).toBeVisible({ timeout: 60_000 });
});

test('a stroke that starts at the canvas edge and runs over the toolbar and header selects no text', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Add ControlNet unit' }).click();
  const box = (await page.getByLabel('Canvas', { exact: true }).boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 2 + i * 40, box.y + 2 - i * 20);
  await page.mouse.up();
  expect(await page.evaluate(() => document.getSelection()?.toString() ?? '')).toBe('');
});
