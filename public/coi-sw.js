// Cross-origin isolation where the host cannot send headers (GitHub Pages and the like): this
// service worker serves the studio's own responses again with COOP, COEP and CORP added, so the
// page becomes cross-origin isolated and onnxruntime-web's WASM can use threads. src/coi.ts
// registers it only when the page is not isolated already, and reloads once it controls the page.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const request = event.request;
  // Cross-origin requests (model downloads) pass through untouched; only the studio's own files are re-served.
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
