// Shared by the benchmarks: build the studio, serve it (COOP/COEP, plus extra folders such
// as the full-size set), and open it in headless Chromium with WebGPU (SwiftShader here).
import { build, preview, type PreviewServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { CHROMIUM_ARGS, ensureChromium } from '../test-tools.ts';

export interface BenchBrowser {
  page: Page;
  url: string;

  close(): Promise<void>;
}

/**
 * Serves `extra` folders under their URL prefixes next to the built app. `bypassCSP` is for a
 * benchmark that loads a library the studio's CSP forbids (OpenCV.js needs eval). `profileDir`
 * opens an ordinary on-disk profile: Playwright's default context is off the record, and its
 * in-memory storage quota is far below what a full-size model set needs.
 */
export async function openStudio(port: number, extra: Record<string, string> = {}, options: { bypassCSP?: boolean; profileDir?: string } = {}): Promise<BenchBrowser> {
  await build({ logLevel: 'warn' });
  const server: PreviewServer = await preview({
    preview: { port, strictPort: true },
    plugins: [
      {
        name: 'bench-extra-folders',
        configurePreviewServer(s) {
          for (const [prefix, dir] of Object.entries(extra)) {
            s.middlewares.use(prefix, (req, res, next) => {
              const file = join(dir, normalize(decodeURIComponent(req.url?.split('?')[0] ?? '')));
              if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) return next();
              res.setHeader('Content-Length', statSync(file).size);
              if (req.method === 'HEAD') return res.end();
              createReadStream(file).pipe(res);
            });
          }
        },
      },
    ],
  });
  const launch = { executablePath: ensureChromium(), args: CHROMIUM_ARGS };
  const context = options.profileDir ? await chromium.launchPersistentContext(options.profileDir, { ...launch, bypassCSP: options.bypassCSP ?? false }) : null;
  const browser: Browser | null = context ? null : await chromium.launch(launch);
  const page = context ? (context.pages()[0] ?? (await context.newPage())) : await browser!.newPage({ bypassCSP: options.bypassCSP ?? false });
  // tsx compiles page.evaluate callbacks with esbuild's keepNames, which calls a __name helper.
  await page.addInitScript('globalThis.__name = (fn) => fn;');
  const url = `http://127.0.0.1:${port}`;
  await page.goto(url);
  await page.getByTestId('adapter').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !!(globalThis as { controlnetStudio?: unknown }).controlnetStudio);
  return {
    page,
    url,
    async close() {
      await (context ?? browser)!.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    },
  };
}
