// The first minutes, on this machine's software GPU (SwiftShader): a size that suits the device
// and why; "Try an example" showing the whole path in one click; progress from the first click
// (loading each graph, compiling shaders, then steps); the newest result large beside the
// canvas with its control map; an estimate before a long run; and drawing never selects text.
import { expect, test } from '@playwright/test';

test('a newcomer on a software GPU: fitted defaults, one-click example, progress from the first click, the result large, an estimate', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await expect(page.getByTestId('adapter')).toContainText('swiftshader');
  await expect(page.getByRole('note', { name: 'Device note' })).toContainText('256×256 to start with: the GPU is a software one');
  await expect(page.getByRole('spinbutton', { name: 'Width' })).toHaveValue('256');

  await page.getByRole('button', { name: 'Example: picture + Canny' }).click();
  const unit = page.getByRole('group', { name: 'ControlNet unit 1' });
  await expect(unit.getByRole('combobox', { name: 'Preprocessor' })).toHaveValue('canny');
  await expect(unit.getByRole('combobox', { name: 'Model' })).toHaveValue('canny');
  await expect(unit.getByRole('img', { name: 'Control map preview' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('textbox', { name: 'Prompt', exact: true })).toHaveValue(/cottage/);

  // Small and short, so the first run stays quick here.
  for (const [name, value] of [['Width', '64'], ['Height', '64'], ['Steps', '1']] as const) await page.getByRole('spinbutton', { name }).fill(value);
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
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('list', { name: 'Gallery' }).getByRole('listitem')).toHaveCount(1, { timeout: 180_000 });
  clearInterval(watch);
  const texts = [...seen];
  console.log(`progress seen: ${texts.join(' | ')}`);
  expect(texts.some((t) => /^Loading .*\(\d+ of \d+ graphs\)$/.test(t))).toBe(true);
  expect(texts.some((t) => t.startsWith('Compiling GPU shaders (first run only)'))).toBe(true);
  expect(texts.some((t) => t.startsWith('Step 1 of 1'))).toBe(true);

  const result = page.getByRole('region', { name: 'Result' });
  await expect(result.getByRole('img', { name: /^Newest result, seed/ })).toBeVisible();
  expect((await result.getByRole('img', { name: /^Newest result/ }).boundingBox())!.width).toBeGreaterThanOrEqual(256);
  await expect(result.getByRole('img', { name: 'Control map of ControlNet 1' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('example-result.png') });

  // A run measured here to take minutes says so before it starts.
  for (const [name, value] of [['Width', '512'], ['Height', '512'], ['Steps', '30']] as const) await page.getByRole('spinbutton', { name }).fill(value);
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
