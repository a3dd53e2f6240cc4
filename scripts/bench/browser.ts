// Shared by the benchmarks: build the studio, serve it (COOP/COEP, plus extra folders such
// as the full-size set), and open it in headless Chromium with WebGPU (SwiftShader here).
import { build, createServer, preview, type Connect, type Plugin, type PreviewServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { CHROMIUM_ARGS, ensureChromium } from '../test-tools.ts';

export interface BenchBrowser {
  page: Page;
  url: string;

  close(): Promise<void>;
}

/** Serves each folder of `extra` under its URL prefix, with byte ranges (LoRAs applied at load read single weights). */
function extraFolders(extra: Record<string, string>): Plugin {
  const serve = (middlewares: Connect.Server) => {
    for (const [prefix, dir] of Object.entries(extra)) {
      middlewares.use(prefix, (req, res, next) => {
        const file = join(dir, normalize(decodeURIComponent(req.url?.split('?')[0] ?? '')));
        if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) return next();
        const size = statSync(file).size;
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        const [start, end] = range ? [Number(range[1]), Math.min(Number(range[2]), size - 1)] : [0, size - 1];
        if (range) res.statusCode = 206;
        if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
        res.setHeader('Content-Length', end - start + 1);
        if (req.method === 'HEAD') return res.end();
        createReadStream(file, { start, end }).pipe(res);
      });
    }
  };
  return { name: 'bench-extra-folders', configureServer: (s) => serve(s.middlewares), configurePreviewServer: (s) => serve(s.middlewares) };
}

const launchOptions = () => ({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });

/**
 * The studio's own modules in a page of the Vite dev server, for a benchmark that times one part
 * of the engine on its own, with the runtime the worker uses (imported in the page with import()).
 */
export async function openDevPage(port: number, extra: Record<string, string> = {}): Promise<BenchBrowser> {
  const server: ViteDevServer = await createServer({ logLevel: 'warn', server: { port, strictPort: true }, plugins: [extraFolders(extra)] });
  await server.listen();
  const browser = await chromium.launch(launchOptions());
  const page = await browser.newPage();
  await page.addInitScript('globalThis.__name = (fn) => fn;');
  const url = `http://127.0.0.1:${port}`;
  // A page without Vite's client (which reloads when it optimises a dependency late): modules come in by import().
  await page.goto(`${url}/ort/ort-wasm-simd-threaded.asyncify.mjs`);
  return {
    page,
    url,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Serves `extra` folders under their URL prefixes next to the built app. `bypassCSP` is for a
 * benchmark that loads a library the studio's CSP forbids (OpenCV.js needs eval). `profileDir`
 * opens an ordinary on-disk profile: Playwright's default context is off the record, and its
 * in-memory storage quota is far below what a full-size model set needs.
 */
export async function openStudio(port: number, extra: Record<string, string> = {}, options: { bypassCSP?: boolean; profileDir?: string } = {}): Promise<BenchBrowser> {
  await build({ logLevel: 'warn' });
  const server: PreviewServer = await preview({ preview: { port, strictPort: true }, plugins: [extraFolders(extra)] });
  const launch = launchOptions();
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
