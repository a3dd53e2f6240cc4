// The studio shell: settings on the left, the canvas in the centre, ControlNet units on
// the right, the gallery at the bottom, and the engine's device status on top.
import { useEffect } from 'react';
import { useEngineStore } from '../state/engine-store.ts';
import { GpuStatus } from './GpuStatus.tsx';
import { ModelSetPanel } from './ModelSetPanel.tsx';

export function App() {
  const refreshDevice = useEngineStore((s) => s.refreshDevice);
  useEffect(() => void refreshDevice(), [refreshDevice]);
  return (
    <div className="studio">
      <header className="studio-header">
        <h1>ControlNet Studio</h1>
        <GpuStatus />
      </header>
      <aside className="studio-left" aria-label="Generation settings">
        <ModelSetPanel />
      </aside>
      <main className="studio-centre" aria-label="Canvas area" />
      <aside className="studio-right" aria-label="ControlNet units" />
      <footer className="studio-bottom" aria-label="Gallery area" />
    </div>
  );
}
