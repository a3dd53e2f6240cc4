// The real Engine, living in the inference worker. It owns the one GPUDevice and hands
// it to onnxruntime-web; device loss and stray GPU errors are reported as events.
import { acquireGpu, type GpuContext } from './device.ts';
import { configureRuntime, ReadbackCounter, wasmThreadCount } from './backend.ts';
import type { DeviceInfo, Engine, JobControl, SelfTestOptions, SelfTestReport } from './engine.ts';
import { runSelfTest } from './self-test.ts';

export type EngineEventSink = (event: { type: 'device-lost' | 'gpu-error'; message: string }) => void;

export class WorkerEngine implements Engine {
  private gpu: Promise<GpuContext | null> | null = null;
  private readonly readbacks = new ReadbackCounter();

  constructor(private readonly emit: EngineEventSink) {}

  private ensureGpu(): Promise<GpuContext | null> {
    this.gpu ??= acquireGpu({
      onLost: (message) => this.emit({ type: 'device-lost', message }),
      onUncapturedError: (message) => this.emit({ type: 'gpu-error', message }),
    })
      .catch(() => null)
      .then((ctx) => {
        configureRuntime(ctx?.device ?? null);
        return ctx;
      });
    return this.gpu;
  }

  async deviceInfo(): Promise<DeviceInfo> {
    const ctx = await this.ensureGpu();
    return {
      gpu: ctx?.info ?? null,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      wasmThreads: wasmThreadCount(),
    };
  }

  async selfTest(options: SelfTestOptions, control: JobControl = {}): Promise<SelfTestReport> {
    const ctx = await this.ensureGpu();
    return runSelfTest(ctx?.info ?? null, options, control, this.readbacks);
  }

  dispose(): void {
    void this.gpu?.then((ctx) => ctx?.destroy());
  }
}
