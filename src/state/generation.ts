// Generate as the person asked: check the units, make their control maps, then run the
// batch (seed, seed+1, …) with progress, latent previews and cancel. Each finished image is
// encoded as a PNG with A1111's `parameters` and goes to the gallery with its control maps.
import type { GenerateResponse, Progress } from '../engine/engine.ts';
import { CancelledError } from '../engine/errors.ts';
import type { ControlUnit, RgbaImage } from '../diffusion/control-units.ts';
import { SCHEDULER_LABELS } from '../diffusion/schedulers/index.ts';
import { encodePngWithText } from '../image/png.ts';
import { formatParameters } from '../image/parameters.ts';
import { fitToSize, RESIZE_MODE_LABELS } from '../preprocess/image-ops.ts';
import { inputParameterFields, type ImageInput } from '../preprocess/img2img.ts';
import { runInput } from './image-input.ts';
import { useEngineStore } from './engine-store.ts';
import { moduleName } from './control-maps.ts';
import { mapTarget, unitControlMap } from './previews.ts';
import type { GalleryItem, Settings } from './settings.ts';
import { planLiveRun } from './live-recipe.ts';
import { generationLoras, type GenerationLoras } from './loras.ts';
import { useModelSets } from './model-sets.ts';
import type { LoraRequest } from '../engine/engine.ts';
import { useStudio } from './studio-store.ts';
import { describeSaveError } from './persistence.ts';
import { checkUnits, CONTROL_MODE_LABELS, InputProblem, type Unit } from './units.ts';

export { InputProblem };

/** Live mode cannot run as set (LCM's recipe on a plain UNet); `offerLcmLora`: "Use LCM-LoRA" would make it run. */
export class LiveProblem extends InputProblem {
  constructor(
    message: string,
    readonly offerLcmLora: boolean,
  ) {
    super(message);
  }
}
import type { RunProgress } from './run-slice.ts';
import { probeSpeed, runEstimate, slowEngine } from './run-estimate.ts';

const pngBlob = (image: RgbaImage, text: Record<string, string> = {}) => new Blob([encodePngWithText(image, text) as Uint8Array<ArrayBuffer>], { type: 'image/png' });

function parametersText(settings: Settings, units: Unit[], model: string, loraHashes: GenerationLoras['hashes'], input: ImageInput | null): string {
  return formatParameters({
    loraHashes,
    extra: input ? inputParameterFields(input) : [],
    prompt: settings.prompt,
    negativePrompt: settings.negativePrompt,
    steps: settings.steps,
    sampler: SCHEDULER_LABELS[settings.sampler],
    cfgScale: settings.cfgScale,
    seed: settings.seed,
    width: settings.width,
    height: settings.height,
    model,
    units: units.map((u) => ({
      module: moduleName(u),
      model: u.model,
      weight: u.weight,
      guidanceStart: u.start,
      guidanceEnd: u.end,
      controlMode: CONTROL_MODE_LABELS[u.controlMode],
      resizeMode: RESIZE_MODE_LABELS[u.resizeMode],
      pixelPerfect: u.pixelPerfect,
    })),
  });
}

/**
 * Control maps for the enabled units, at the generation size (a current preview is reused).
 * An inpaint_only unit's map is the run's input (the run marks its masked pixels).
 */
async function unitMaps(units: Unit[], settings: Settings, input: ImageInput | null, signal: AbortSignal): Promise<{ unit: Unit; map: RgbaImage }[]> {
  const numbers = useStudio.getState().units.map((u) => u.id);
  const out = [];
  for (const unit of units) {
    if (unit.preprocessor === 'inpaint_only') {
      if (!input) throw new InputProblem(`ControlNet unit ${numbers.indexOf(unit.id) + 1} (inpaint_only) takes its hint from the picture a run starts from: choose a canvas under "Start from".`);
      out.push({ unit, map: fitToSize(input.image, settings.width, settings.height, input.resizeMode) });
      continue;
    }
    try {
      out.push({ unit, map: (await unitControlMap(unit.id, mapTarget(settings), signal)).map });
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      throw new InputProblem(`ControlNet unit ${numbers.indexOf(unit.id) + 1} (${moduleName(unit)}): ${(err as Error).message}`);
    }
  }
  return out;
}

function progressOf(p: Progress, image: number, images: number, stepTimes: number[]): RunProgress {
  const mean = stepTimes.length ? stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length : null;
  const remaining = p.total - p.done + (images - image) * p.total;
  // Preparing (a new size or set of ControlNets is recorded for replay once) shows like compiling: no steps yet.
  const phase = p.stage === 'compiling' || p.stage === 'preparing' ? 'compiling' : 'denoising';
  const detail = p.stage === 'preparing' ? (p.file ?? 'Preparing') : phase === 'compiling' ? 'Compiling GPU shaders (first run only)' : p.done === 0 ? 'Starting' : 'Denoising';
  return { phase, detail, image, images, step: p.done, steps: p.total, stepMs: p.stepMs ?? null, etaMs: mean === null ? null : remaining * mean };
}

/** The set, loaded now if need be, with each graph's loading shown as the run's progress. */
async function loadedSet(images: number) {
  const stop = useEngineStore.subscribe((s) => {
    const p = s.set?.state === 'loading' ? s.set.progress : null;
    if (p) useStudio.getState().setRun({ progress: { phase: 'loading', detail: `Loading ${p.file}`, image: 1, images, step: p.done, steps: p.total, stepMs: null, etaMs: null } });
  });
  try {
    return await useEngineStore.getState().ensureSet();
  } finally {
    stop();
  }
}

/** Says how long the run will take when that is over a minute (probing the speed first on a slow engine). */
async function sayEstimate(signal: AbortSignal): Promise<void> {
  const engines = useEngineStore.getState();
  const software = engines.device?.gpu?.software ?? false;
  if (!useStudio.getState().speed && slowEngine(engines.engineInUse(), software)) {
    useStudio.getState().setRun({ progress: { phase: 'compiling', detail: 'Measuring this device’s speed (two steps)', image: 1, images: 1, step: 0, steps: 0, stepMs: null, etaMs: null } });
    useStudio.getState().setRun({ speed: await probeSpeed(engines.engine, useStudio.getState().settings, signal) });
  }
  const studio = useStudio.getState();
  const estimate = runEstimate(studio.settings, studio.speed);
  if (estimate) studio.setRun({ runMessage: { kind: 'info', text: estimate } });
}

export interface RunOptions {
  signal: AbortSignal;
  live?: boolean;
  /** `fastDecode`: the image was decoded by TAESD. */
  onImage?: (image: RgbaImage, response: GenerateResponse, fastDecode: boolean) => void;
}

/** Runs the current settings and units; resolves with how many images finished. */
/** The settings a run uses: the person's, or live mode's recipe for this set (with its LCM-LoRA and decoder). */
function runSettings(settings: Settings, live: boolean, capabilities: Parameters<typeof planLiveRun>[1]): { settings: Settings; loras: LoraRequest[]; fastDecode: boolean } {
  if (!live) return { settings, loras: [], fastDecode: false };
  const plan = planLiveRun(settings.live, capabilities, useModelSets.getState().stored.loras);
  if (!plan.ok) throw new LiveProblem(plan.problem, plan.offerLcmLora);
  if (plan.notes.length) useStudio.getState().setRun({ runMessage: { kind: 'info', text: plan.notes.join(' ') } });
  return { settings: { ...settings, sampler: plan.sampler, steps: plan.steps, cfgScale: plan.cfgScale, batchCount: 1 }, loras: plan.loras, fastDecode: plan.fastDecode };
}

export async function runGeneration({ signal, live = false, onImage }: RunOptions): Promise<number> {
  const studio = useStudio.getState();
  const info = await loadedSet(live ? 1 : studio.settings.batchCount);
  if (!live) await sayEstimate(signal);
  const { settings, loras: liveLoras, fastDecode } = runSettings(studio.settings, live, info.capabilities);
  const loras = generationLoras(settings.prompt, settings.loras, useModelSets.getState().stored.loras);
  const engine = useEngineStore.getState().engine;
  // Checked over all units so messages use the numbers the panel shows (disabled ones pass).
  // The set's ControlNets and the stored ones that fit it (the engine loads those when a unit uses them).
  checkUnits(studio.units, useEngineStore.getState().controlnets ?? info.capabilities.controlnets);
  const units = studio.units.filter((u) => u.enabled);
  if (units.length && !info.capabilities.controlnet)
    throw new InputProblem(`Not generating: this set's UNet takes no ControlNet residuals. Disable the units or load a set with a ControlNet-ready UNet.`);
  const input = await runInput(settings.input, studio.units);
  const maps = await unitMaps(units, settings, input, signal);
  const controlUnits: ControlUnit[] = maps.map(({ unit, map }) => ({
    model: unit.model,
    image: map,
    weight: unit.weight,
    start: unit.start,
    end: unit.end,
    mode: unit.controlMode,
    fromInput: unit.preprocessor === 'inpaint_only',
  }));
  const model = useEngineStore.getState().set?.request.name ?? 'model set';

  let finished = 0;
  for (let i = 0; i < settings.batchCount; i++) {
    const run = { ...settings, seed: (settings.seed + i) >>> 0 };
    const stepTimes: number[] = [];
    const response = await engine.generate(
      {
        prompt: loras.prompt,
        negativePrompt: run.negativePrompt,
        steps: run.steps,
        cfgScale: run.cfgScale,
        seed: run.seed,
        width: run.width,
        height: run.height,
        sampler: run.sampler,
        units: controlUnits,
        latentPreview: run.latentPreview,
        loras: [...loras.loras, ...liveLoras],
        fastDecode,
        input,
      },
      {
        signal,
        onProgress: (p) => {
          if (p.stepMs !== undefined) stepTimes.push(p.stepMs);
          useStudio.getState().setRun({ progress: progressOf(p, i + 1, settings.batchCount, stepTimes), ...(p.preview ? { latentPreview: p.preview } : {}) });
        },
      },
    );
    finished++;
    if (stepTimes.length) {
      // The median: a first run's first step also compiles shaders.
      const stepMs = [...stepTimes].sort((a, b) => a - b)[Math.floor(stepTimes.length / 2)]!;
      useStudio.getState().setRun({ speed: { msPerPixelStep: stepMs / (run.width * run.height), stepMs, width: run.width, height: run.height } });
    }
    onImage?.(response.image, response, fastDecode);
    if (live) continue;
    const parameters = parametersText(run, units, model, loras.hashes, input);
    const item: GalleryItem = {
      id: `img-${Date.now().toString(36)}-${i}`,
      createdAt: Date.now(),
      png: pngBlob(response.image, { parameters }),
      // "Only masked" gives the input's own size, not the generation size.
      width: response.image.width,
      height: response.image.height,
      settings: run,
      units: units.map((u) => ({ ...u, source: { past: [], present: u.source.present, future: [] } })),
      controlMaps: maps.map(({ map }, unitIndex) => ({ unitIndex, png: pngBlob(map) })),
      parameters,
      model,
    };
    // Shown only once stored; when storage is full, say so in those words (what was saved before stays).
    await useStudio
      .getState()
      .addToGallery(item)
      .catch((err: unknown) => {
        throw new InputProblem(`Image ${i + 1} was made but could not be kept: ${describeSaveError(err)}`);
      });
  }
  return finished;
}
