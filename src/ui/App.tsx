// The studio: settings on the left, the canvas in the centre, ControlNet units on the
// right, the gallery at the bottom, and the engine's device status on top.
import { useEffect } from 'react';
import { useEngineStore } from '../state/engine-store.ts';
import { connectLiveMode } from '../state/run-controller.ts';
import { CanvasView } from './CanvasView.tsx';
import { Gallery } from './Gallery.tsx';
import { GenerateBar } from './GenerateBar.tsx';
import { ResultView } from './ResultView.tsx';
import { GpuStatus } from './GpuStatus.tsx';
import { SaveStatus } from './SaveStatus.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { UnitsPanel } from './UnitsPanel.tsx';

export function App() {
  const refreshDevice = useEngineStore((s) => s.refreshDevice);
  const peekDefaultSet = useEngineStore((s) => s.peekDefaultSet);
  useEffect(() => {
    void refreshDevice();
    void peekDefaultSet();
    return connectLiveMode();
  }, [refreshDevice, peekDefaultSet]);
  return (
    <div className="studio">
      <header className="studio-header">
        <h1>ControlNet Studio</h1>
        <GpuStatus />
        <SaveStatus />
      </header>
      <aside className="studio-left" aria-label="Generation settings">
        <SettingsPanel />
      </aside>
      <main className="studio-centre" aria-label="Canvas area">
        <GenerateBar />
        <div className="work-area">
          <CanvasView />
          <ResultView />
        </div>
      </main>
      <aside className="studio-right" aria-label="ControlNet units">
        <UnitsPanel />
      </aside>
      <footer className="studio-bottom" aria-label="Gallery area">
        <Gallery />
      </footer>
    </div>
  );
}
