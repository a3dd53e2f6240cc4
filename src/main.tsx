import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/studio.css';
import { EngineClient } from './engine/client.ts';
import { useEngineStore } from './state/engine-store.ts';
import { hydrateStudio } from './state/studio-store.ts';
import { decodeImageFile } from './canvas/image-file.ts';
import { ensureCrossOriginIsolation } from './ui/coi.ts';

// On a host without COOP/COEP headers, a service worker adds them (one reload); nothing else starts until then.
if ((await ensureCrossOriginIsolation()) === 'reloading') await new Promise(() => {});

// The studio's one engine: a client of the inference worker. A crash or a lost device restarts it.
const client = new EngineClient(() => new Worker(new URL('./gpu/engine.worker.ts', import.meta.url), { type: 'module', name: 'inference' }), {
  onCrash: (err) => useEngineStore.getState().restart(err.message),
  onDeviceLost: (msg) => useEngineStore.getState().restart(`The GPU device was lost (${msg}).`),
});
useEngineStore.getState().connect(client, () => client.restart());

// The studio's Engine and image decoding, reachable from the console (and browser tests).
Object.assign(globalThis, { controlnetStudio: { engine: client, decodeImageFile } });

// What the person made comes back from IndexedDB before the studio shows anything.
await hydrateStudio();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
