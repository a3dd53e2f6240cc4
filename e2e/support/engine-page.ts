// Helpers for specs that call the studio's Engine (the same interface the UI uses) in the page.
import type { Page } from '@playwright/test';
import type { Engine } from '../../src/engine/engine.ts';
import type { decodeImageFile } from '../../src/canvas/image-file.ts';

declare global {
  // eslint-disable-next-line no-var
  var controlnetStudio: { engine: Engine; decodeImageFile: typeof decodeImageFile };
}

export async function openStudio(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByTestId('adapter').waitFor();
  await page.waitForFunction(() => !!globalThis.controlnetStudio?.engine);
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const SHARED = resolve(import.meta.dirname, '../../../shared/data');

/** Serves ../shared/data to the page under /__shared/ (read-only reference data), on an open page and after reloads. */
export async function serveSharedData(page: Page): Promise<void> {
  await page.route('**/__shared/**', async (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^\/__shared\//, ''));
    if (rel.includes('..')) return route.fulfill({ status: 403 });
    await route.fulfill({ body: readFileSync(resolve(SHARED, rel)), contentType: rel.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
  });
  await page.addInitScript(defineLoadRgba);
  await page.evaluate(defineLoadRgba);
}

/** Decodes PNGs exactly (no colour conversion, no premultiplying) into RGBA, as `loadRgba` in the page. */
function defineLoadRgba(): void {
  (globalThis as unknown as { loadRgba: (url: string) => Promise<{ data: Uint8ClampedArray; width: number; height: number }> }).loadRgba = async (url: string) => {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width, height };
  };
}
