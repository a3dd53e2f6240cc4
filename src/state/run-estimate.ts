// "This run will take about N min": said before a run expected to take over a minute, from a
// step measured on this device — or, on a slow engine (the CPU, a software GPU) before any
// step was measured, from a short probe: two steps at the run's size, timing the second (the
// first also compiles shaders, which the run then reuses). At another size the time is scaled
// by the pixels; attention grows faster than that, so a probe at the size itself is the honest one.
import type { Engine } from '../engine/engine.ts';
import type { ChosenEngine } from './engine-choice.ts';
import type { StepSpeed } from './run-slice.ts';
import type { Settings } from './settings.ts';

/** Time per step at this size from what was measured here, when a run is expected to take over a minute. */
export function runEstimate(settings: Settings, speed: StepSpeed | null): string | null {
  if (!speed) return null;
  const stepMs = speed.msPerPixelStep * settings.width * settings.height;
  const totalMs = stepMs * settings.steps * settings.batchCount;
  if (totalMs < 60_000) return null;
  const minutes = totalMs / 60_000;
  const from = speed.probe
    ? `a probe step of ${(speed.stepMs / 1000).toFixed(2)} s at ${speed.width}×${speed.height}`
    : `${(speed.stepMs / 1000).toFixed(1)} s measured at ${speed.width}×${speed.height}`;
  return `This run will take about ${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min: ${(stepMs / 1000).toFixed(1)} s per step, from ${from} on this device.`;
}

/** Whether a run on this engine may take minutes, so a speed is worth probing before the first one. */
export const slowEngine = (engine: ChosenEngine, software: boolean) => engine.provider === 'wasm' || software;

/** A two-step run of the loaded set at the run's size, prompt and guidance (no units); its second step's time. */
export async function probeSpeed(engine: Engine, settings: Settings, signal: AbortSignal): Promise<StepSpeed> {
  const times: number[] = [];
  const { width, height } = settings;
  await engine.generate(
    { prompt: settings.prompt, negativePrompt: settings.negativePrompt, steps: 2, cfgScale: settings.cfgScale, seed: 0, width, height, sampler: 'euler', units: [], latentPreview: false },
    { signal, onProgress: (p) => p.stepMs !== undefined && times.push(p.stepMs) },
  );
  const stepMs = times[times.length - 1] ?? 0;
  return { msPerPixelStep: stepMs / (width * height), stepMs, width, height, probe: true };
}
