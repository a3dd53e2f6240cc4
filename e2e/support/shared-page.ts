// One studio page per Playwright worker, for specs that can share its state. SwiftShader compiles
// each page's WebGPU pipelines anew (tens of seconds for the tiny set), so the engine, smoke,
// preprocess and studio specs reuse this page and its compiled shaders. Specs on it leave the
// studio's UI as they found it (the studio spec starts from it). After a failure Playwright starts
// a new worker, and with it a fresh page.
import { test as base, type Page } from '@playwright/test';
import { openStudio } from './engine-page.ts';

export const test = base.extend<object, { studioPage: Page }>({
  studioPage: [
    async ({ browser }, use) => {
      // The studio spec's window size: it compares canvas screenshots taken before and after a reload.
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await openStudio(page);
      await use(page);
      await page.close();
    },
    { scope: 'worker' },
  ],
});
export { expect } from '@playwright/test';
