// Hosting the built studio: it is served with COOP/COEP and a Content-Security-Policy that
// allows no eval, and the studio runs under it with no violation; on a static host that sends
// no headers at all, its service worker makes the page cross-origin isolated anyway.
import { expect, test } from '@playwright/test';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { NO_WEBGPU_LAUNCH } from './support/no-webgpu.ts';
import { fillNumbers } from './support/settings.ts';

test.use({ launchOptions: NO_WEBGPU_LAUNCH });

test('the built studio sends a CSP without unsafe-eval and runs under it without a violation', async ({ page }) => {
  await page.addInitScript(() => {
    (globalThis as { violations?: string[] }).violations = [];
    document.addEventListener('securitypolicyviolation', (e) => (globalThis as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto('/');
  const csp = response!.headers()['content-security-policy']!;
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain("'unsafe-eval'");
  await fillNumbers(page, { Width: 64, Height: 64, Steps: 1, 'CFG scale': 1 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('list', { name: 'Gallery' }).getByRole('listitem')).toHaveCount(1, { timeout: 60_000 });
  expect(await page.evaluate(() => (globalThis as { violations?: string[] }).violations)).toEqual([]);
});

test('on a static host without headers, the service worker makes the page cross-origin isolated', async ({ page }) => {
  const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };
  // A plain file server: no COOP, no COEP, no CSP.
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = join('dist', normalize(path));
    if (!existsSync(file) || statSync(file).isDirectory()) file = join('dist', 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    expect(response!.headers()['cross-origin-embedder-policy']).toBeUndefined();
    // The service worker reloads the page once it controls it; a poll that lands mid-reload reads false.
    await expect.poll(() => page.evaluate(() => globalThis.crossOriginIsolated).catch(() => false), { timeout: 20_000 }).toBe(true);
    await expect(page.getByTestId('adapter')).toBeVisible();
    expect(await page.evaluate(() => globalThis.controlnetStudio.engine.deviceInfo().then((d) => d.crossOriginIsolated))).toBe(true);
  } finally {
    server.close();
  }
});
