// GPU self-test: runs a model set's UNet once on WebGPU and once on WASM with the same
// deterministic inputs and compares the outputs, and shows which UNet variant this
// device gets (fp16 needs shader-f16 on WebGPU).
import { ModelSession, type ExecutionProvider, type ReadbackCounter } from './backend.ts';
import type { GpuInfo } from './device.ts';
import type { JobControl, ProviderRun, SelfTestReport } from '../engine/engine.ts';
import { CancelledError } from '../engine/errors.ts';
import { readGraph } from '../models/load-set.ts';
import { externalDataNames, unetFp16File, unetFp32File } from '../models/set-layout.ts';
import { readModelIndex, type SetSource } from '../models/set-source.ts';
import { chooseUnetVariant } from '../models/unet-variant.ts';
import { float16ToFloat32, float32ToFloat16 } from '../diffusion/float16.ts';
import { elementCount, maxAbsDiff, type TensorData, type ValueMeta } from '../diffusion/tensor.ts';

/** Concrete dims for the builder's symbolic names: batch, height, width, height/N and the prompt's sequence (one 77-token chunk). */
export function resolveDims(meta: ValueMeta, latent: number): number[] {
  return meta.shape.map((d) => {
    if (typeof d === 'number') return d;
    if (d === 'batch' || d === 'timestep_batch') return 1;
    if (d === 'height' || d === 'width') return latent;
    if (d === 'sequence') return 77;
    const m = /^(?:height|width)\/(\d+)$/.exec(d);
    if (m) return latent / Number(m[1]);
    throw new Error(`${meta.name}: unknown dimension "${d}"`);
  });
}

/** Smooth deterministic values for data inputs, zeros for ControlNet residuals, t = 500. */
export function selfTestFeeds(inputs: ValueMeta[], latent: number): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const meta of inputs) {
    const dims = resolveDims(meta, latent);
    if (meta.type === 'int64') {
      feeds[meta.name] = { type: 'int64', dims, data: new BigInt64Array(elementCount(dims)).fill(500n) };
      continue;
    }
    const values = new Float32Array(elementCount(dims));
    if (!meta.name.includes('residual')) for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.37) * 0.8;
    feeds[meta.name] = meta.type === 'float16' ? { type: 'float16', dims, data: float32ToFloat16(values) } : { type: 'float32', dims, data: values };
  }
  return feeds;
}

async function runOnce(graph: Awaited<ReturnType<typeof readGraph>>, provider: ExecutionProvider, label: string, latent: number, readbacks: ReadbackCounter) {
  const session = await ModelSession.create(graph.bytes, provider, label, readbacks, graph.externalData);
  try {
    const t0 = performance.now();
    const outputs = await session.run(selfTestFeeds(session.inputs, latent));
    const [first] = Object.values(outputs);
    if (!first) throw new Error(`${label} produced no output`);
    const data = await first.download();
    const ms = performance.now() - t0;
    for (const t of Object.values(outputs)) t.dispose();
    const values = data.type === 'float16' ? float16ToFloat32(data.data as Uint16Array) : (data.data as Float32Array);
    return { values, run: { provider, ms, outputDims: data.dims } satisfies ProviderRun };
  } finally {
    await session.dispose();
  }
}

export async function runSelfTest(gpu: GpuInfo | null, source: SetSource, latentSize: number, control: JobControl, readbacks: ReadbackCounter): Promise<SelfTestReport> {
  const step = (stage: string, done: number, total: number) => {
    if (control.signal?.aborted) throw new CancelledError('Self-test cancelled.');
    control.onProgress?.({ stage, done, total });
  };
  const index = await readModelIndex(source);
  const fp16File = unetFp16File(index);
  const fp32File = unetFp32File(index);
  if (!fp32File) throw new Error('The self-test compares an fp32 UNet on WebGPU and WASM; this set has only an fp16 UNet.');
  const chosen = chooseUnetVariant({ webgpu: gpu !== null, shaderF16: gpu?.shaderF16 ?? false, fp32File, fp16File });
  const total = (gpu ? 2 : 1) + (fp16File ? 1 : 0);
  step('download', 0, total);
  const fp32 = await readGraph(source, fp32File, externalDataNames(fp32File, index));

  const runs: ProviderRun[] = [];
  const outputs = new Map<ExecutionProvider, Float32Array>();
  for (const provider of gpu ? (['webgpu', 'wasm'] as const) : (['wasm'] as const)) {
    const r = await runOnce(fp32, provider, fp32File, latentSize, readbacks);
    runs.push(r.run);
    outputs.set(provider, r.values);
    step(`unet fp32 on ${provider}`, runs.length, total);
  }
  const gpuOut = outputs.get('webgpu');
  const maxAbsDiffWebGpuVsWasm = gpuOut ? maxAbsDiff(gpuOut, outputs.get('wasm')!) : null;

  let fp16: SelfTestReport['fp16'] = null;
  let fp16WebGpuRefusal: string | null = null;
  if (fp16File) {
    const fp16Bytes = await readGraph(source, fp16File, externalDataNames(fp16File, index));
    if (gpu && !gpu.shaderF16) {
      // Pin the runtime's behaviour that the variant choice relies on.
      try {
        await runOnce(fp16Bytes, 'webgpu', fp16File, latentSize, readbacks);
      } catch (err) {
        fp16WebGpuRefusal = err instanceof Error ? err.message : String(err);
      }
    }
    const provider: ExecutionProvider = gpu?.shaderF16 ? 'webgpu' : 'wasm';
    const r = await runOnce(fp16Bytes, provider, fp16File, latentSize, readbacks);
    runs.push(r.run);
    fp16 = { provider, maxAbsDiffVsFp32: maxAbsDiff(r.values, outputs.get('wasm')!) };
    step(`unet fp16 on ${provider}`, total, total);
  }
  return { chosen, runs, maxAbsDiffWebGpuVsWasm, fp16, fp16WebGpuRefusal, readbacks: readbacks.count };
}
