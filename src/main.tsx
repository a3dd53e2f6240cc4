import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/studio.css';
import { useEngineStore } from './state/engine-store.ts';
import { decodeImageFile } from './canvas/image-file.ts';
import { useStudio } from './state/studio-store.ts';

// The studio's Engine, store and image decoding, reachable from the console for debugging.
Object.assign(globalThis, { controlnetStudio: { engine: useEngineStore.getState().engine, decodeImageFile, studio: useStudio } });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
