// A browser without WebGPU: the studio says so, and generation runs on WASM.
import { expect, test } from '@playwright/test';
import { NO_WEBGPU_LAUNCH } from './support/no-webgpu.ts';

test.use({ launchOptions: NO_WEBGPU_LAUNCH });

test('without WebGPU the studio shows a notice and generates on WASM; batch count 2 makes seeds s and s+1', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('adapter')).toContainText('No WebGPU adapter');
  await page.getByRole('spinbutton', { name: 'Width' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Height' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Steps' }).fill('2');
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('41');
  await page.getByRole('spinbutton', { name: 'Batch count' }).fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  const gallery = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
  await expect(gallery).toHaveCount(2, { timeout: 120_000 });
  // Newest first.
  await expect(gallery.nth(0)).toHaveAccessibleName('Image, seed 42');
  await expect(gallery.nth(1)).toHaveAccessibleName('Image, seed 41');
  await expect(page.getByTestId('progress-text')).toContainText('Image 2 of 2 · Step 2 of 2');
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('on wasm');
});
