// The headers the studio is served with, stated once: `npm start`/`vite preview` send them, and
// public/_headers (Netlify, Cloudflare Pages) carries the same lines for static hosts.
//  - COOP + COEP make the page cross-origin isolated: SharedArrayBuffer, so onnxruntime-web's WASM runs threaded.
//  - The CSP allows no eval: scripts only from the studio itself, plus 'wasm-unsafe-eval' (compiling
//    WebAssembly, which is not eval); models may come from any https address the person chose
//    (or the manifest lists), so connect-src is https: (and local servers), not one host.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  // Local model servers (http://localhost, http://127.0.0.1) too: people host sets on their own machine.
  "connect-src 'self' https: http://localhost:* http://127.0.0.1:* blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

export const PRODUCTION_HEADERS = { ...ISOLATION_HEADERS, 'Content-Security-Policy': CONTENT_SECURITY_POLICY };

/** public/_headers as Netlify and Cloudflare Pages read it. */
export const headersFile = () => ['/*', ...Object.entries(PRODUCTION_HEADERS).map(([k, v]) => `  ${k}: ${v}`)].join('\n') + '\n';

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(headersFile());
