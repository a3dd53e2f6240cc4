import { describe, expect, it } from 'vitest';
import { chooseUnetVariant } from './unet-variant.ts';

const both = { fp32File: 'unet/model.onnx', fp16File: 'unet/model_fp16.onnx' };

describe('chooseUnetVariant', () => {
  it('runs fp16 on WebGPU when the device has shader-f16', () => {
    expect(chooseUnetVariant({ webgpu: true, shaderF16: true, ...both })).toMatchObject({ file: 'unet/model_fp16.onnx', provider: 'webgpu', notice: null });
  });
  it('falls back to the fp32 graph on WebGPU without shader-f16, with a notice', () => {
    const c = chooseUnetVariant({ webgpu: true, shaderF16: false, ...both });
    expect(c).toMatchObject({ file: 'unet/model.onnx', provider: 'webgpu', precision: 'fp32' });
    expect(c.notice).toMatch(/shader-f16/);
  });
  it('runs an fp16-only set on WASM when the GPU lacks shader-f16', () => {
    const c = chooseUnetVariant({ webgpu: true, shaderF16: false, fp32File: null, fp16File: 'unet/model.onnx' });
    expect(c).toMatchObject({ provider: 'wasm', precision: 'fp16' });
    expect(c.notice).toMatch(/WASM/);
  });
  it('honours a requested precision where it can run', () => {
    expect(chooseUnetVariant({ webgpu: true, shaderF16: false, ...both, prefer: 'fp16' })).toMatchObject({ file: 'unet/model_fp16.onnx', provider: 'wasm' });
    expect(chooseUnetVariant({ webgpu: true, shaderF16: true, ...both, prefer: 'fp32' })).toMatchObject({ file: 'unet/model.onnx', provider: 'webgpu' });
  });

  it('runs on WASM without WebGPU', () => {
    expect(chooseUnetVariant({ webgpu: false, shaderF16: false, ...both })).toMatchObject({ file: 'unet/model.onnx', provider: 'wasm' });
  });
});
