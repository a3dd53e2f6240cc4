import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/studio.css';
import { useEngineStore } from './state/engine-store.ts';
import { decodeImageFile } from './canvas/image-file.ts';

// The studio's Engine and image decoding, reachable from the console (and browser tests).
Object.assign(globalThis, { controlnetStudio: { engine: useEngineStore.getState().engine, decodeImageFile } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
