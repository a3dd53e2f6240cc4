// Which UNet file runs where. onnxruntime-web refuses fp16 graphs on a WebGPU device
// without shader-f16 ("requires f16 but the device does not support it"), so such a
// device gets the fp32 variant, or WASM when the set has only fp16.

/** Where a graph runs: onnxruntime-web's WebGPU EP, or its CPU (WASM) backend. */
export type ExecutionProvider = 'webgpu' | 'wasm';

export interface UnetVariantChoice {
  file: string;
  provider: ExecutionProvider;
  precision: 'fp16' | 'fp32';
  notice: string | null;
}

export interface VariantInput {
  webgpu: boolean;
  shaderF16: boolean;
  fp32File: string | null;
  fp16File: string | null;
  /** Ask for one precision (e.g. fp16 to save memory); it still runs only where it can. */
  prefer?: 'fp16' | 'fp32';
}

export function chooseUnetVariant(v: VariantInput): UnetVariantChoice {
  if (v.prefer === 'fp16' && v.fp16File) {
    const onGpu = v.webgpu && v.shaderF16;
    return { file: v.fp16File, provider: onGpu ? 'webgpu' : 'wasm', precision: 'fp16', notice: onGpu ? null : 'The fp16 UNet runs on the CPU (WASM) here: this GPU has no shader-f16 support.' };
  }
  if (v.prefer === 'fp32' && v.fp32File) return { file: v.fp32File, provider: v.webgpu ? 'webgpu' : 'wasm', precision: 'fp32', notice: null };
  if (v.webgpu && v.shaderF16 && v.fp16File) return { file: v.fp16File, provider: 'webgpu', precision: 'fp16', notice: null };
  if (v.webgpu && v.fp32File) {
    const notice = v.fp16File ? 'This GPU has no shader-f16 support, so the fp32 UNet runs on WebGPU (more memory, same images).' : null;
    return { file: v.fp32File, provider: 'webgpu', precision: 'fp32', notice };
  }
  if (v.webgpu && v.fp16File) {
    return {
      file: v.fp16File,
      provider: 'wasm',
      precision: 'fp16',
      notice: 'This GPU has no shader-f16 support and the set has only an fp16 UNet, so it runs on the CPU (WASM), which is much slower.',
    };
  }
  const file = v.fp32File ?? v.fp16File;
  if (!file) throw new Error('The model set has no UNet file.');
  return { file, provider: 'wasm', precision: file === v.fp32File ? 'fp32' : 'fp16', notice: 'No WebGPU in this browser: running on the CPU (WASM).' };
}
