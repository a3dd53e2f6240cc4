// Browser tests: real WebGPU (SwiftShader) in headless Chromium, against the built studio
// served by `vite preview` with the same COOP/COEP headers as `npm start`.
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, ensureChromium } from './scripts/test-tools.ts';

export const E2E_PORT = 4317;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Each spec compiles its own WebGPU pipelines, which SwiftShader does slowly; 2 cores, so one at a time.
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    launchOptions: {
      executablePath: ensureChromium(),
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    command: `./node_modules/.bin/vite build --logLevel warn && ./node_modules/.bin/vite preview --port ${E2E_PORT} --strictPort`,
    url: `http://127.0.0.1:${E2E_PORT}`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
