// One studio page per Playwright worker, for specs that drive the engine and can share its state.
// SwiftShader compiles each page's WebGPU pipelines anew (tens of seconds for the tiny set), so the
// engine and smoke specs reuse this page and its compiled shaders. After a failure Playwright starts
// a new worker, and with it a fresh page.
import { test as base, type Page } from '@playwright/test';
import { openStudio } from './engine-page.ts';

export const test = base.extend<object, { studioPage: Page }>({
  studioPage: [
    async ({ browser }, use) => {
      const page = await browser.newPage();
      await openStudio(page);
      await use(page);
      await page.close();
    },
    { scope: 'worker' },
  ],
});
export { expect } from '@playwright/test';
