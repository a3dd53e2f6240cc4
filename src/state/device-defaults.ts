// Defaults that fit the device. On a software GPU (SwiftShader, llvmpipe) or without WebGPU a
// 512×512 step takes many seconds, so a studio opened for the first time there starts at
// 256×256 and says why; the person can still raise it.
import type { DeviceInfo } from '../engine/engine.ts';
import { isFreshStudio, useStudio } from './studio-store.ts';

export const SLOW_DEVICE_SIZE = 256;

export function slowDeviceReason(device: DeviceInfo): string | null {
  if (!device.gpu) return 'there is no WebGPU here, so the studio runs on the CPU';
  if (device.gpu.software) return `the GPU is a software one (${device.gpu.architecture || device.gpu.description || device.gpu.vendor})`;
  return null;
}

/** Applies the slow-device size once, to a studio that has no saved settings yet. */
export function adaptToDevice(device: DeviceInfo): void {
  const reason = slowDeviceReason(device);
  const studio = useStudio.getState();
  if (!reason || !isFreshStudio() || studio.deviceNote) return;
  const { width, height } = studio.settings;
  if (width <= SLOW_DEVICE_SIZE && height <= SLOW_DEVICE_SIZE) return;
  studio.setSettings({ width: SLOW_DEVICE_SIZE, height: SLOW_DEVICE_SIZE });
  studio.setRun({ deviceNote: `${SLOW_DEVICE_SIZE}×${SLOW_DEVICE_SIZE} to start with: ${reason}, where a 512×512 step takes many seconds. Raise the size if you can wait.` });
}
