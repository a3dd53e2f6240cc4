// Which engine runs the models, and why, in words for the header. On a software GPU
// (SwiftShader, llvmpipe, or an adapter marked as a fallback) WebGPU runs shaders on the CPU
// and is many times slower than onnxruntime's WASM engine (`npm run bench` measures it), so
// "Auto" picks WASM there; a person can still choose WebGPU.
import type { DeviceInfo } from '../engine/engine.ts';
import type { ExecutionProvider } from '../models/unet-variant.ts';

export type EngineChoice = 'auto' | 'webgpu' | 'wasm';

export const ENGINE_CHOICE_LABELS: Record<EngineChoice, string> = { auto: 'Auto', webgpu: 'WebGPU', wasm: 'CPU (WASM)' };

export interface ChosenEngine {
  provider: ExecutionProvider;
  reason: string;
}

export function chooseEngine(device: DeviceInfo | null, choice: EngineChoice): ChosenEngine {
  const gpu = device?.gpu ?? null;
  if (!gpu) return { provider: 'wasm', reason: 'there is no WebGPU in this browser' };
  const name = gpu.architecture || gpu.description || gpu.vendor || 'unnamed adapter';
  if (choice === 'wasm') return { provider: 'wasm', reason: 'you chose the CPU' };
  if (choice === 'webgpu') return { provider: 'webgpu', reason: gpu.software ? `you chose WebGPU, on a software GPU (${name}): expect slow steps` : 'you chose WebGPU' };
  if (gpu.software) return { provider: 'wasm', reason: `the GPU is a software one (${name}), where WebGPU is many times slower than the CPU engine. Choose WebGPU to use it anyway` };
  return { provider: 'webgpu', reason: `the GPU (${name}) runs WebGPU` };
}

export const ENGINE_LABELS: Record<ExecutionProvider, string> = { webgpu: 'WebGPU', wasm: 'CPU (WASM)' };
