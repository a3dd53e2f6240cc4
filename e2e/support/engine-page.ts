// Helpers for specs that call the studio's Engine (the same interface the UI uses) in the page.
import type { Page } from '@playwright/test';
import type { Engine } from '../../src/gpu/engine.ts';

declare global {
  // eslint-disable-next-line no-var
  var controlnetStudio: { engine: Engine };
}

export async function openStudio(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByTestId('adapter').waitFor();
  await page.waitForFunction(() => !!globalThis.controlnetStudio?.engine);
}
