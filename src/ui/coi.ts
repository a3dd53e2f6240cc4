// Makes the page cross-origin isolated on hosts that cannot send COOP/COEP headers: registers
// public/coi-sw.js (which adds them) and reloads once when it takes control. Where the headers
// are sent (npm start, the _headers file), the page is isolated already and nothing happens.
const RELOADED = 'coi-sw-reloaded';

export async function ensureCrossOriginIsolation(): Promise<'isolated' | 'reloading' | 'unavailable'> {
  if (globalThis.crossOriginIsolated) return 'isolated';
  if (!('serviceWorker' in navigator) || !globalThis.isSecureContext) return 'unavailable';
  const registration = await navigator.serviceWorker.register(`${import.meta.env.BASE_URL}coi-sw.js`);
  // One reload at most: if isolation still fails after it, the studio runs single-threaded instead of looping.
  if (sessionStorage.getItem(RELOADED)) return 'unavailable';
  sessionStorage.setItem(RELOADED, '1');
  if (navigator.serviceWorker.controller) {
    location.reload();
    return 'reloading';
  }
  await new Promise<void>((resolve) => {
    const worker = registration.installing ?? registration.waiting ?? registration.active;
    if (worker?.state === 'activated') return resolve();
    worker?.addEventListener('statechange', () => worker.state === 'activated' && resolve());
  });
  location.reload();
  return 'reloading';
}
