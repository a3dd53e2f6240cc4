// The one place that acquires the WebGPU adapter and device, detects features, raises
// limits, and watches for device loss. The inference worker owns the only device.
import type { GpuInfo } from '../engine/engine.ts';

export type { GpuInfo };

export interface GpuContext {
  device: GPUDevice;
  info: GpuInfo;
  /** Compute pipelines made on the device so far: each is a shader compile, which a cache hit avoids. */
  pipelinesCompiled(): number;
  /** Deliberate teardown: the resulting `lost` event is not reported as a failure. */
  destroy(): void;
}

export interface DeviceEvents {
  /** The device was lost without us asking (driver reset, GPU process crash, OOM). */
  onLost?: (reason: string) => void;
  /** A validation or out-of-memory error that no error scope caught. */
  onUncapturedError?: (message: string) => void;
}

/** Features we ask for when the adapter has them; onnxruntime-web uses shader-f16 for fp16 graphs. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'timestamp-query'];

export async function acquireGpu(events: DeviceEvents = {}): Promise<GpuContext | null> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;

  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  // Model weights need big buffers; the defaults (256 MiB / 128 MiB) are far too small for a UNet.
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
    },
  });

  // Counted at the device, where onnxruntime-web and our WGSL preprocessors both make theirs.
  let pipelines = 0;
  const createAsync = device.createComputePipelineAsync.bind(device);
  const create = device.createComputePipeline.bind(device);
  device.createComputePipelineAsync = (descriptor) => (pipelines++, createAsync(descriptor));
  device.createComputePipeline = (descriptor) => (pipelines++, create(descriptor));

  let deliberate = false;
  void device.lost.then((lost) => {
    if (deliberate || lost.reason === 'destroyed') return;
    events.onLost?.(lost.message || String(lost.reason));
  });
  device.addEventListener('uncapturederror', (ev) => {
    events.onUncapturedError?.((ev as GPUUncapturedErrorEvent).error.message);
  });

  const adapterInfo = adapter.info;
  const software =
    (adapterInfo as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|software|basic render/i.test(`${adapterInfo.vendor} ${adapterInfo.architecture} ${adapterInfo.description}`);
  return {
    device,
    info: {
      vendor: adapterInfo.vendor,
      architecture: adapterInfo.architecture,
      description: adapterInfo.description,
      shaderF16: device.features.has('shader-f16'),
      software,
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    },
    pipelinesCompiled: () => pipelines,
    destroy() {
      deliberate = true;
      device.destroy();
    },
  };
}
