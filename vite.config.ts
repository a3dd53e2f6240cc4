import { defineConfig, defaultClientConditions, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ISOLATION_HEADERS as isolationHeaders, PRODUCTION_HEADERS } from './scripts/hosting.ts';

// Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, which onnxruntime-web
// needs for multi-threaded WASM: dev, start and preview all send it. The built studio (preview,
// npm start) also sends its Content-Security-Policy; the dev server cannot (its HMR needs inline scripts).

// onnxruntime-web's WASM glue must stay a separate file: its pthread workers start from
// the glue's own URL. Bundled into our worker, each thread would re-run our worker instead.
// So we take ORT's "extern wasm" entry and serve the glue + binary under /ort/.
const ORT_DIST = 'node_modules/onnxruntime-web/dist';
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

function onnxRuntimeFiles(): Plugin {
  return {
    name: 'onnxruntime-web-files',
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const file = ORT_FILES.find((f) => req.url?.split('?')[0] === `/${f}`);
        if (!file) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        createReadStream(join(ORT_DIST, file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(join(ORT_DIST, file)) });
    },
  };
}

const conditions = ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions];

export default defineConfig({
  plugins: [react(), onnxRuntimeFiles()],
  resolve: { conditions },
  server: { host: '127.0.0.1', port: 5173, headers: isolationHeaders },
  preview: { host: '127.0.0.1', port: 4173, headers: PRODUCTION_HEADERS },
  worker: { format: 'es', plugins: () => [onnxRuntimeFiles()] },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
});
