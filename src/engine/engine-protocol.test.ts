// EngineClient and WorkerMessages talking over an in-memory Worker: calls, progress,
// cancellation, typed errors, and a crashed worker. The engine behind the host is a
// small test engine; what is under test is the boundary itself.
import { describe, expect, it } from 'vitest';
import { EngineClient } from './client.ts';
import type { DeviceInfo, Engine, JobControl, SelfTestOptions, SelfTestReport } from './engine.ts';
import { CancelledError, EngineCrashedError, ModelLoadError } from './errors.ts';
import { InMemoryWorker } from '../test/in-memory-worker.ts';

class TestEngine implements Engine {
  async deviceInfo(): Promise<DeviceInfo> {
    return { gpu: null, crossOriginIsolated: false, wasmThreads: 1 };
  }
  async selfTest(options: SelfTestOptions, control: JobControl = {}): Promise<SelfTestReport> {
    if (options.source.kind === 'url' && options.source.url === 'missing') throw new ModelLoadError('unet/model.onnx: 404');
    for (let step = 1; step <= options.latentSize; step++) {
      await new Promise((r) => setTimeout(r, 5));
      if (control.signal?.aborted) throw new CancelledError(`cancelled at step ${step}`);
      control.onProgress?.({ stage: 'step', done: step, total: options.latentSize });
    }
    return { chosen: { file: 'x', provider: 'wasm', precision: 'fp32', notice: null }, runs: [], maxAbsDiffWebGpuVsWasm: null, fp16: null, fp16WebGpuRefusal: null, readbacks: 0 };
  }
  async loadModelSet(): Promise<never> {
    throw new Error('not used here');
  }
  async generate(): Promise<never> {
    throw new Error('not used here');
  }
  async preprocess(): Promise<never> {
    throw new Error('not used here');
  }
  async downloadModelSet(): Promise<never> {
    throw new Error('not used here');
  }
  async deleteModelSet(): Promise<never> {
    throw new Error('not used here');
  }
  async modelSetStatus(): Promise<never> {
    throw new Error('not used here');
  }
  async verifyModelSet(): Promise<never> {
    throw new Error('not used here');
  }
  async importCheckpoint(): Promise<never> {
    throw new Error('not used here');
  }
  async storedModels(): Promise<never> {
    throw new Error('not used here');
  }
  async deleteStoredControlNet(): Promise<never> {
    throw new Error('not used here');
  }
  async importLora(): Promise<never> {
    throw new Error('not used here');
  }
  async deleteLora(): Promise<never> {
    throw new Error('not used here');
  }
  async deleteStoredTaesd(): Promise<never> {
    throw new Error('not used here');
  }
  dispose() {}
}

function setup() {
  const workers: InMemoryWorker[] = [];
  const crashes: Error[] = [];
  const client = new EngineClient(
    () => {
      const w = new InMemoryWorker(new TestEngine());
      workers.push(w);
      return w as unknown as Worker;
    },
    { onCrash: (e) => crashes.push(e) },
  );
  return { client, workers, crashes };
}

describe('engine worker protocol', () => {
  it('answers calls and relays progress', async () => {
    const { client } = setup();
    expect(await client.deviceInfo()).toEqual({ gpu: null, crossOriginIsolated: false, wasmThreads: 1 });
    const seen: number[] = [];
    await client.selfTest({ source: { kind: 'url', url: 'tiny' }, latentSize: 3 }, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rebuilds errors as their typed class', async () => {
    const { client } = setup();
    const err = await client.selfTest({ source: { kind: 'url', url: 'missing' }, latentSize: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toBe('unet/model.onnx: 404');
  });

  it('cancels within one step and stays usable afterwards', async () => {
    const { client } = setup();
    const abort = new AbortController();
    let last = 0;
    const job = client.selfTest(
      { source: { kind: 'url', url: 'tiny' }, latentSize: 50 },
      {
        signal: abort.signal,
        onProgress: (p) => {
          last = p.done;
          if (p.done === 3) abort.abort();
        },
      },
    );
    const err = await job.catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(last).toBeLessThanOrEqual(4);
    expect((await client.selfTest({ source: { kind: 'url', url: 'tiny' }, latentSize: 2 })).runs).toEqual([]);
  });

  it('notices a crashed worker, fails pending calls, and restarts', async () => {
    const { client, workers, crashes } = setup();
    const pending = client.selfTest({ source: { kind: 'url', url: 'tiny' }, latentSize: 50 });
    workers[0]!.crash('out of memory');
    const err = await pending.catch((e) => e);
    expect(err).toBeInstanceOf(EngineCrashedError);
    expect(err.message).toMatch(/out of memory/);
    expect(crashes).toHaveLength(1);
    client.restart();
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
    expect((await client.deviceInfo()).wasmThreads).toBe(1);
  });
});
