// A browser without WebGPU: the studio says so, and generation runs on WASM.
import { expect, test } from '@playwright/test';
import { NO_WEBGPU_LAUNCH } from './support/no-webgpu.ts';

test.use({ launchOptions: NO_WEBGPU_LAUNCH });

test('without WebGPU the studio shows a notice and generates on WASM', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('adapter')).toContainText('No WebGPU adapter');
  await page.getByRole('spinbutton', { name: 'Width' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Height' }).fill('64');
  await page.getByRole('spinbutton', { name: 'Steps' }).fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('list', { name: 'Gallery' }).getByRole('listitem')).toHaveCount(1, { timeout: 120_000 });
  await expect(page.getByRole('status', { name: 'Loaded model set' })).toContainText('on wasm');
});
