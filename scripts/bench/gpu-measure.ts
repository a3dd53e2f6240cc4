// One graph on onnxruntime-node's WebGPU EP, measured: session creation, the first run
// (shader compilation), then `runs` runs back to back with every input already on the GPU.
// run() CPU ms is how long each call takes to return (the dispatch); GPU ms per run is the
// wall time of all runs plus one final readback (which waits for the queue), divided by runs.
// Kernels per run come from onnxruntime's profile of one more run in a profiling session.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSession, nodeOps, type NodeRuntime } from '../../src/cli/node-runtime.ts';
import { float32ToFloat16 } from '../../src/diffusion/float16.ts';
import type { DeviceTensor } from '../../src/diffusion/session.ts';
import { elementCount, type TensorData, type ValueMeta } from '../../src/diffusion/tensor.ts';
import type { GraphVariant } from './gpu-graphs.ts';

export interface GraphMeasurement {
  label: string;
  variant: GraphVariant;
  layout: 'NHWC' | 'NCHW';
  createMs: number;
  firstRunMs: number;
  gpuMs: number;
  cpuMs: number;
  kernels: number;
  readbacksPerRun: number;
}
export type GraphResult = GraphMeasurement | { label: string; error: string };

interface MeasureRequest {
  label: string;
  path: string;
  layout: 'NHWC' | 'NCHW';
  runs: number;
  dims: Record<string, number>;
  runtime: NodeRuntime;
  variant: GraphVariant;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Concrete dims: a symbolic name from `dims`, "height/8" as height ÷ 8. */
function concreteDims(meta: ValueMeta, dims: Record<string, number>): number[] {
  return meta.shape.map((d) => {
    if (typeof d === 'number') return d;
    const [base, divisor] = d.split('/');
    if (dims[base!] === undefined) throw new Error(`${meta.name}: no value for dim "${d}"`);
    return dims[base!]! / Number(divisor ?? 1);
  });
}

/** Smooth values (t = 500 for timesteps, 1 for a scale), uploaded once: the runs read them from the GPU. */
async function gpuFeeds(session: NodeSession, dims: Record<string, number>, runtime: NodeRuntime): Promise<Record<string, DeviceTensor>> {
  const ops = nodeOps(runtime);
  const feeds: Record<string, DeviceTensor> = {};
  for (const meta of session.inputs) {
    const shape = concreteDims(meta, dims);
    const count = elementCount(shape);
    let data: TensorData;
    if (meta.type === 'int64') data = { type: 'int64', dims: shape, data: new BigInt64Array(count).fill(500n) };
    else {
      const values = Float32Array.from({ length: count }, (_, i) => (shape.length === 0 ? 1 : Math.sin(i * 0.37) * 0.5));
      data = meta.type === 'float16' ? { type: 'float16', dims: shape, data: float32ToFloat16(values) } : { type: 'float32', dims: shape, data: values };
    }
    feeds[meta.name] = await ops.upload(data);
  }
  return feeds;
}

const epOptions = (layout: 'NHWC' | 'NCHW') => ({ executionProviders: [{ name: 'webgpu', preferredLayout: layout } as unknown as string] });

export async function measureGraph(req: MeasureRequest): Promise<GraphMeasurement> {
  const t0 = performance.now();
  const session = await NodeSession.create(req.path, req.label, req.runtime, epOptions(req.layout));
  const createMs = performance.now() - t0;
  const feeds = await gpuFeeds(session, req.dims, req.runtime);
  const firstOutput = session.outputs[0]!.name;

  const t1 = performance.now();
  const first = await session.run(feeds);
  await first[firstOutput]!.download();
  const firstRunMs = performance.now() - t1;
  for (const t of Object.values(first)) t.dispose();

  const readbacksBefore = req.runtime.readbacks.count;
  const cpu: number[] = [];
  const started = performance.now();
  let last: Record<string, DeviceTensor> = {};
  for (let r = 0; r < req.runs; r++) {
    for (const t of Object.values(last)) t.dispose();
    const c0 = performance.now();
    last = await session.run(feeds);
    cpu.push(performance.now() - c0);
  }
  const readbacksPerRun = (req.runtime.readbacks.count - readbacksBefore) / req.runs;
  await last[firstOutput]!.download();
  const gpuMs = (performance.now() - started) / req.runs;
  for (const t of [...Object.values(last), ...Object.values(feeds)]) t.dispose();
  await session.session.release();

  return { label: req.label, variant: req.variant, layout: req.layout, createMs, firstRunMs, gpuMs, cpuMs: median(cpu), kernels: await kernelsPerRun(req), readbacksPerRun };
}

/** GPU kernels one run dispatches, from onnxruntime's profile (its second run, after warm-up). */
async function kernelsPerRun(req: MeasureRequest): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gpu-profile-'));
  try {
    const session = await NodeSession.create(req.path, req.label, req.runtime, { ...epOptions(req.layout), enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    const feeds = await gpuFeeds(session, req.dims, req.runtime);
    for (let r = 0; r < 2; r++) for (const t of Object.values(await session.run(feeds))) t.dispose();
    session.session.endProfiling();
    await session.session.release();
    for (const t of Object.values(feeds)) t.dispose();
    const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as { cat: string; name: string; ts: number; dur: number; args?: { provider?: string } }[];
    const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
    const lastRun = runs[runs.length - 1]!;
    return events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.provider === 'WebGpuExecutionProvider' && e.ts >= lastRun.ts && e.ts <= lastRun.ts + lastRun.dur).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
