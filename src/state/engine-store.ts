// The engine as the UI sees it: one EngineClient (behind the Engine interface), what
// device it found, and any message the user should see about it.
import { create } from 'zustand';
import { EngineClient } from '../gpu/client.ts';
import type { DeviceInfo, Engine } from '../gpu/engine.ts';

export type EngineStatus = 'starting' | 'ready' | 'crashed';

interface EngineState {
  engine: Engine;
  status: EngineStatus;
  device: DeviceInfo | null;
  message: string | null;
  refreshDevice(): Promise<void>;
  restart(): void;
}

function createWorker(): Worker {
  return new Worker(new URL('../gpu/engine.worker.ts', import.meta.url), { type: 'module', name: 'inference' });
}

export const useEngineStore = create<EngineState>()((set, get) => {
  const client = new EngineClient(createWorker, {
    onCrash: (err) => set({ status: 'crashed', message: err.message }),
    onDeviceLost: (msg) => set({ message: `The GPU device was lost (${msg}). Restarting the engine; your inputs are kept.` }),
  });
  return {
    engine: client,
    status: 'starting',
    device: null,
    message: null,
    async refreshDevice() {
      try {
        const device = await get().engine.deviceInfo();
        set({ device, status: 'ready' });
      } catch (err) {
        set({ status: 'crashed', message: err instanceof Error ? err.message : String(err) });
      }
    },
    restart() {
      client.restart();
      set({ status: 'starting', message: 'The engine was restarted.' });
      void get().refreshDevice();
    },
  };
});
