import { describe, expect, it } from 'vitest';
import { planMemory } from './memory-plan.ts';
import { externalDataNames, type SetSource } from './set-source.ts';

const GiB = 1024 ** 3;
const source = (sizes: Record<string, number>): SetSource => ({
  read: async () => new Uint8Array(0),
  has: async (p) => p in sizes,
  size: async (p) => sizes[p] ?? null,
});
const graphs = (sizes: Record<string, number>, files: string[]) => files.map((file) => ({ source: source(sizes), file, label: file, dataNames: externalDataNames(file) }));

describe('memory plan', () => {
  it('adds external data to each session and passes an fp16 SD 1.5 set', async () => {
    const plan = await planMemory(
      graphs({ 'unet/model.onnx': 1e6, 'unet/model.onnx_data': 1.7 * GiB, 'text_encoder/model.onnx': 0.25 * GiB }, ['unet/model.onnx', 'text_encoder/model.onnx']),
      4 * GiB,
    );
    expect(plan.perSession['unet/model.onnx']).toBe(1e6 + 1.7 * GiB);
    expect(plan.errors).toEqual([]);
  });

  it('refuses an fp32 UNet over 4 GiB and a graph over 2 GiB without external data, before loading', async () => {
    const plan = await planMemory(graphs({ 'unet/model.onnx': 1e6, 'unet/model.onnx_data': 4.2 * GiB, 'vae_decoder/model.onnx': 2.1 * GiB }, ['unet/model.onnx', 'vae_decoder/model.onnx']), null);
    expect(plan.errors[0]).toMatch(/unet\/model.onnx needs 4.20 GiB, more than the browser's 4 GiB WebAssembly memory: use an fp16 export/);
    expect(plan.errors[1]).toMatch(/vae_decoder\/model.onnx is 2.10 GiB, over protobuf's 2 GiB limit/);
  });

  it('warns when the whole set exceeds 4 GiB', async () => {
    const plan = await planMemory(graphs({ 'a/model.onnx': 0, 'a/model.onnx_data': 2.5 * GiB, 'b/model.onnx': 1.9 * GiB }, ['a/model.onnx', 'b/model.onnx']), null);
    expect(plan.errors).toEqual([]);
    expect(plan.warnings[0]).toMatch(/total 4.40 GiB/);
  });
});
