// Smoke test: the studio loads cross-origin isolated, reports its WebGPU adapter, and the
// inference worker runs the tiny UNet on WebGPU and on WASM with matching outputs.
import { expect, test } from './support/shared-page.ts';

test('the studio shell loads cross-origin isolated and reports the WebGPU adapter', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  await expect(page.getByRole('heading', { name: 'ControlNet Studio' })).toBeVisible();
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  // Headless Chromium here has SwiftShader's adapter, which lacks shader-f16.
  await expect(page.getByTestId('adapter')).toContainText('WebGPU adapter');
  await expect(page.getByTestId('adapter')).toContainText('swiftshader');
  await expect(page.getByTestId('adapter')).toContainText('no shader-f16');
});

// On the worker's shared page: the UNet's WebGPU pipelines may be compiled already (engine.spec).
test('the worker runs the tiny UNet on WebGPU and WASM, and they agree within 1e-4', async ({ studioPage: page }) => {
  await page.getByRole('button', { name: 'Run GPU self-test' }).click();
  const result = page.getByRole('status', { name: 'Self-test result' });
  await expect(result).toBeVisible({ timeout: 150_000 });

  await expect(result).toContainText('webgpu:');
  await expect(result).toContainText('wasm:');
  await expect(result).toContainText('output 1×4×8×8');
  const diff = Number(await page.getByTestId('gpu-wasm-diff').getAttribute('data-value'));
  expect(diff).toBeGreaterThanOrEqual(0);
  expect(diff).toBeLessThan(1e-4);

  // Without shader-f16 the engine picks the fp32 UNet on WebGPU and says so...
  await expect(result).toContainText('unet/model.onnx (fp32) on webgpu');
  await expect(page.getByTestId('variant-notice')).toContainText('no shader-f16');
  // ...because onnxruntime-web refuses the fp16 graph there, while WASM runs it.
  await expect(page.getByTestId('fp16-refusal')).toContainText('requires f16');
  const fp16Diff = Number(await page.getByTestId('fp16-diff').getAttribute('data-value'));
  expect(fp16Diff).toBeLessThan(1e-2);

  // Closed, the panel gives its room back to the studio (which later specs use on this page).
  await result.getByRole('button', { name: 'Close' }).click();
  await expect(result).toBeHidden();
});
