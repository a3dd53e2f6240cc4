// Stable Diffusion 1.5 txt2img / img2img with any number of ControlNet units, written
// as the algorithm's numbered steps (after diffusers' StableDiffusionControlNetPipeline).
// Everything between sessions stays on the device: text embeddings, control images, residuals,
// the guided noise prediction and the scheduler's step (weighted sums, device-stepper.ts), so
// the denoising loop reads nothing back unless the latent preview is on.
import type { ClipTokenizer } from './tokenizer.ts';
import { DeviceStepper } from './device-stepper.ts';
import { PreviewPacer } from './preview-pacer.ts';
import type { ControlNetContract, TextEncoderContract, UnetContract } from './contract.ts';
import { checkRunDims, timestepFeed } from './contract.ts';
import { residualScales, unitActiveAt, validateUnit, type ControlUnit, type RgbaImage } from './control-units.ts';
import { asFloat32, controlImageTensor, latentFeed } from './image-tensors.ts';
import { encodePrompt, type PromptCache, type PromptEmbeddings } from './pipeline-prompt.ts';
import { decodeLatents, previewImage, type TaesdGraphs, type VaeGraph } from './pipeline-vae.ts';
import { blendUnmasked, disposeInpaint, startLatents, type InitImage, type InpaintState } from './pipeline-init.ts';
import { PipelineRun } from './pipeline-run.ts';
import { TorchGenerator } from './random.ts';
import { SD15_RESIDUAL_DOWNSCALE } from './residuals.ts';
import { createScheduler, type SchedulerName } from './schedulers/index.ts';
import type { Scheduler } from './schedulers/types.ts';
import type { DeviceTensor, Feed, ResidualSource, Session, TensorOps } from './session.ts';
import type { TensorType } from './tensor.ts';

export interface PipelineModels {
  tokenizer: ClipTokenizer;
  schedulerConfig: Record<string, unknown>;
  textEncoder: { session: Session; contract: TextEncoderContract };
  unet: { session: Session; contract: UnetContract };
  vaeDecoder: VaeGraph;
  vaeEncoder: VaeGraph | null;
  /** TAESD, when the set has it (or one stored on its own was loaded beside it). */
  taesd?: TaesdGraphs | null;
  controlnets: Map<string, { session: Session; contract: ControlNetContract }>;
  ops: TensorOps;
  /** The last prompt's text-encoder output, reused while the prompt stays the same (live mode). */
  promptCache?: PromptCache;
}

export interface GenerateParams {
  prompt: string;
  negativePrompt: string;
  steps: number;
  cfgScale: number;
  /** Up to 2^64 − 1; torch uses its low 32 bits. */
  seed: number | bigint;
  width: number;
  height: number;
  sampler: SchedulerName;
  units: ControlUnit[];
  /** img2img: the start image at the generation size; with a mask, inpainting. */
  init?: InitImage;
  /** Read the latents back for a preview, at most every few steps (PreviewPacer); off: no readback in the loop. */
  latentPreview?: boolean;
  /** Decode (and encode an img2img start) with TAESD instead of the VAE: live mode's "Fast decode". */
  fastDecode?: boolean;
}

export interface StepReport {
  step: number;
  total: number;
  timestep: number;
  ms: number;
  /** The latents after this step, when the preview read them back this step (sets without TAESD). */
  latents: Float32Array | null;
  /** This step's preview decoded by TAESD, when the set has it and the preview was due. */
  image: RgbaImage | null;
  readbacks: number;
  readbackBytes: number;
}

export interface GenerationStats {
  steps: Omit<StepReport, 'latents' | 'image'>[];
  sessionMs: Record<string, number>;
  sessionRuns: Record<string, number>;
  controlnetRunsSkipped: number;
  readbacks: number;
  readbackBytes: number;
  wallMs: number;
}

export interface GenerateResult {
  image: RgbaImage;
  stats: GenerationStats;
}

export interface PipelineControl {
  signal?: AbortSignal;
  onStep?: (report: StepReport) => void;
}

/** A preview of the latents: TAESD's image where the set has TAESD, else the latents for a projection. */
async function readPreview(models: PipelineModels, run: PipelineRun, latents: DeviceTensor, size: { width: number; height: number }): Promise<Pick<StepReport, 'latents' | 'image'>> {
  const image = previewImage(models, run, latents, size);
  return image ? { latents: null, image: await image } : { latents: asFloat32(await run.read(latents)), image: null };
}

/** The batch a unit's hint tensor needs: 1 when it feeds only the conditional half. */
export function hintBatch(params: GenerateParams, unit: ControlUnit): number {
  const cfg = params.cfgScale > 1;
  return cfg && unit.mode === 'controlnet' ? 1 : cfg ? 2 : 1;
}

export async function generate(models: PipelineModels, params: GenerateParams, control: PipelineControl = {}): Promise<GenerateResult> {
  // 0. Check the request against the loaded set.
  checkParams(models, params);
  const run = new PipelineRun(control.signal);
  let state: LatentState | null = null;
  try {
    // 1. Encode the prompt (and the negative prompt, for classifier-free guidance).
    const prompt = await encodePrompt(models, params, run);
    run.checkCancel();
    // 2. Each unit's control map goes to the device once; it is reused at every step.
    const hints = await prepareControl(models, params, run);
    // 3. Timesteps and the initial latents (img2img starts part-way, from the encoded image).
    state = await prepareLatents(models, params, run);

    // 4. Denoising loop: ControlNets, UNet, guidance and the scheduler's step, per timestep.
    // Nothing is read back, so the loop could queue every step at once; instead the GPU stays at
    // most one step behind: a step is reported once the device has finished it (a sync, not a
    // readback), so progress is true and Cancel stops within a step.
    const steps: Omit<StepReport, 'latents' | 'image'>[] = [];
    const pacer = new PreviewPacer();
    let skipped = 0;
    let lastDone = performance.now();
    let lastStepMs = 0;
    // `done` resolves with the time the device finished the step: on WASM that is as soon as it
    // was dispatched, on a GPU when its queue drains — not when the next step has been queued.
    let inFlight: { report: Omit<StepReport, 'latents' | 'image' | 'ms'>; preview: Pick<StepReport, 'latents' | 'image'>; done: Promise<number> } | null = null;
    const finish = async (step: NonNullable<typeof inFlight>) => {
      const now = await step.done;
      const report = { ...step.report, ms: now - lastDone };
      [lastDone, lastStepMs] = [now, report.ms];
      steps.push(report);
      control.onStep?.({ ...report, ...step.preview });
    };
    for (let i = 0; i < state.timesteps.length; i++) {
      await run.betweenSteps();
      const [rb0, rbBytes0] = [run.readbacks, run.readbackBytes];
      skipped += await denoiseStep(models, params, run, { prompt, hints, state, i });
      let preview: Pick<StepReport, 'latents' | 'image'> = { latents: null, image: null };
      if (params.latentPreview && pacer.due()) {
        const r0 = performance.now();
        preview = await readPreview(models, run, state.latents, params);
        pacer.record(performance.now() - r0, lastStepMs);
      }
      const report = { step: i + 1, total: state.timesteps.length, timestep: state.timesteps[i]!, readbacks: run.readbacks - rb0, readbackBytes: run.readbackBytes - rbBytes0 };
      const dispatched = { report, preview, done: models.ops.sync().then(() => performance.now()) };
      if (inFlight) await finish(inFlight);
      inFlight = dispatched;
    }
    if (inFlight) await finish(inFlight);
    run.checkCancel();

    // 5. Decode the latents with the VAE (or TAESD, for fast decoding), to RGBA.
    const image = await decodeLatents(models, run, state.latents, params, params.fastDecode ?? false);
    return {
      image,
      stats: {
        steps,
        sessionMs: Object.fromEntries(run.timer.ms),
        sessionRuns: Object.fromEntries(run.timer.runs),
        controlnetRunsSkipped: skipped,
        readbacks: run.readbacks,
        readbackBytes: run.readbackBytes,
        wallMs: performance.now() - run.started,
      },
    };
  } finally {
    state?.latents.dispose();
    state?.stepper.dispose();
    disposeInpaint(state?.inpaint ?? null);
    run.dispose();
  }
}

interface UnitHint {
  unit: ControlUnit;
  cn: { session: Session; contract: ControlNetContract };
  /** Runs on the conditional half only ("ControlNet is more important" with CFG). */
  condOnly: boolean;
  tensor: DeviceTensor;
  scales: number[];
}

async function prepareControl(models: PipelineModels, params: GenerateParams, run: PipelineRun): Promise<UnitHint[]> {
  const cfg = params.cfgScale > 1;
  return Promise.all(
    params.units.map(async (unit) => {
      const cn = models.controlnets.get(unit.model)!;
      const tensor = await models.ops.upload(controlImageTensor(unit.image, hintBatch(params, unit), cn.contract.dtype, unit.inpaintMask));
      return { unit, cn, condOnly: cfg && unit.mode === 'controlnet', tensor: run.hold(tensor), scales: residualScales(unit) };
    }),
  );
}

interface LatentState {
  scheduler: Scheduler;
  timesteps: number[];
  generator: TorchGenerator;
  /** float32 [1, 4, h, w] on the device; replaced at every step. */
  latents: DeviceTensor;
  stepper: DeviceStepper;
  /** Zero residuals for steps where no unit runs (a ControlNet-ready UNet's residual inputs are required); made once. */
  zeros: DeviceTensor[] | null;
  /** Inpainting: a 9-channel UNet's extra channels, or the legacy blend of the unmasked latents. */
  inpaint: InpaintState | null;
}

async function prepareLatents(models: PipelineModels, params: GenerateParams, run: PipelineRun): Promise<LatentState> {
  const scheduler = createScheduler(params.sampler, models.schedulerConfig);
  scheduler.setTimesteps(params.steps);
  let timesteps = scheduler.timesteps;
  // img2img starts part-way, at 1 − strength of the schedule.
  if (params.init) {
    const initSteps = Math.min(Math.floor(params.steps * params.init.strength), params.steps);
    timesteps = timesteps.slice(Math.max(params.steps - initSteps, 0));
  }
  // One torch-compatible generator stream: the start latents' draws first, then each ancestral step's noise.
  const generator = new TorchGenerator(params.seed);
  const dims = latentDims(params);
  const start = await startLatents(models, params.init, run, { scheduler, timesteps, generator, dims, fast: params.fastDecode ?? false });
  const device = await models.ops.upload({ type: 'float32', dims, data: start.latents });
  return { scheduler, timesteps, generator, latents: device, stepper: new DeviceStepper(models.ops), zeros: null, inpaint: start.inpaint };
}

const latentDims = (params: GenerateParams) => [1, 4, params.height / 8, params.width / 8];

async function zeroResiduals(models: PipelineModels, run: PipelineRun, state: LatentState, batch: number, h: number, w: number): Promise<DeviceTensor[]> {
  const { unet, ops } = models;
  const names = unet.contract.residuals!;
  state.zeros ??= await Promise.all(
    names.map((name, i) => {
      const meta = unet.session.inputs.find((m) => m.name === name)!;
      const dims = [batch, meta.shape[1] as number, h / SD15_RESIDUAL_DOWNSCALE[i]!, w / SD15_RESIDUAL_DOWNSCALE[i]!];
      return ops.upload(latentFeed(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims, unet.contract.dtype)).then((t) => run.hold(t));
    }),
  );
  return state.zeros;
}

/** One denoising step at timesteps[i], on the device: the state's latents move on; returns how many units sat it out. */
async function denoiseStep(models: PipelineModels, params: GenerateParams, run: PipelineRun, ctx: { prompt: PromptEmbeddings; hints: UnitHint[]; state: LatentState; i: number }): Promise<number> {
  const { unet, ops } = models;
  const { prompt, hints, state, i } = ctx;
  const batch = params.cfgScale > 1 ? 2 : 1;
  const [h, w] = [params.height / 8, params.width / 8];
  const t = state.timesteps[i]!;
  const temps: DeviceTensor[] = [];
  // The scaled latents as each graph takes them: batch 2 for CFG (1 for a cond-only ControlNet), in its precision.
  const inputs = new Map<string, Promise<DeviceTensor>>();
  const modelInput = (b: number, type: TensorType, extra?: DeviceTensor) => {
    const key = `${b}-${type}-${extra ? 'extra' : ''}`;
    if (!inputs.has(key))
      inputs.set(
        key,
        run.timer.time('model input', () => ops.modelInput(state.latents, state.scheduler.inputScale(t), b, type, extra)).then((x) => (temps.push(x), x)),
      );
    return inputs.get(key)!;
  };
  try {
    // a. ControlNets: every unit active at this step runs; their residuals are summed on the device.
    const sources: ResidualSource[] = [];
    let skippedUnits = 0;
    for (const hint of hints) {
      if (!unitActiveAt(hint.unit, i, state.timesteps.length)) {
        skippedUnits++;
        continue;
      }
      const c = hint.cn.contract;
      const b = hint.condOnly ? 1 : batch;
      const feeds: Record<string, Feed> = {
        [c.sample]: await modelInput(b, c.dtype),
        [c.timestep.name]: timestepFeed(c.timestep, t, b),
        [c.context]: await prompt.as(hint.condOnly ? prompt.condContext : prompt.context, c.dtype),
        [c.cond]: hint.tensor,
      };
      // The graph's own conditioning_scale carries the weight when there is one; otherwise the sum does.
      if (c.scale) feeds[c.scale] = { type: 'float32', dims: [], data: Float32Array.of(1) };
      const out = await run.run(hint.cn.session, feeds);
      const residuals = c.outputs.map((name) => out[name]!);
      temps.push(...residuals);
      sources.push({ residuals, scales: hint.scales, condOnly: hint.condOnly });
    }
    let residualFeeds: Record<string, DeviceTensor> = {};
    if (unet.contract.residuals) {
      const summed = sources.length ? await run.timer.time('residual sum', () => ops.sumResiduals(sources, unet.contract.dtype, batch)) : await zeroResiduals(models, run, state, batch, h, w);
      if (sources.length) temps.push(...summed);
      residualFeeds = Object.fromEntries(unet.contract.residuals.map((name, k) => [name, summed[k]!]));
    }
    run.checkCancel();

    // b. UNet noise prediction for both halves in one batch, then guidance on the device.
    const unetOut = await run.run(unet.session, {
      [unet.contract.sample]: await modelInput(batch, unet.contract.dtype, state.inpaint?.extra ?? undefined),
      [unet.contract.timestep.name]: timestepFeed(unet.contract.timestep, t, batch),
      [unet.contract.context]: await prompt.as(prompt.context, unet.contract.dtype),
      ...residualFeeds,
    });
    const prediction = unetOut[unet.contract.output]!;
    temps.push(prediction);
    if (i === 0) checkRunDims(unet.session.label, 'unet', unet.contract.output, prediction.dims, [batch, 4, h, w]);
    const guided = batch === 2 ? await run.timer.time('guidance', () => ops.guidance(prediction, params.cfgScale)) : prediction.type === 'float32' ? null : await ops.cast(prediction, 'float32');
    const eps = guided ?? prediction;
    if (guided) temps.push(guided);

    // c. The scheduler's step as weighted sums on the device; ancestral samplers draw from the same stream.
    const plan = state.scheduler.plan(t);
    const noise = () => ops.upload({ type: 'float32', dims: latentDims(params), data: state.generator.randn(latentDims(params)) });
    state.latents = await run.timer.time('scheduler step', () => state.stepper.step(plan, state.latents, eps, noise));
    // The stepper took the old latents and the prediction over.
    temps.splice(temps.indexOf(eps), 1);
    const legacy = state.inpaint?.legacy;
    if (legacy) {
      temps.push(state.latents);
      state.latents = await run.timer.time('inpaint blend', () => blendUnmasked(ops, legacy, state.latents, state.scheduler, state.timesteps[i + 1]));
    }
    return skippedUnits;
  } finally {
    for (const tensor of temps) tensor.dispose();
  }
}

function checkParams(models: PipelineModels, params: GenerateParams) {
  if (params.width % 64 !== 0 || params.height % 64 !== 0 || params.width <= 0 || params.height <= 0) {
    throw new Error(`Width and height must be positive multiples of 64 (got ${params.width}×${params.height}).`);
  }
  if (!Number.isInteger(params.steps) || params.steps < 1) throw new Error(`Steps must be a whole number ≥ 1 (got ${params.steps}).`);
  if (params.units.length && !models.unet.contract.residuals) {
    throw new Error('This model set has a plain UNet without ControlNet residual inputs, so ControlNet units cannot be used with it. Disable the units or pick a ControlNet-ready set.');
  }
  const available = [...models.controlnets.keys()];
  params.units.forEach((unit, i) => {
    const problem = validateUnit(unit, available, params.width, params.height);
    if (problem) throw new Error(`ControlNet unit ${i + 1}: ${problem}`);
  });
  if ((params.init || models.unet.contract.inpainting) && !models.vaeEncoder) throw new Error(`${params.init ? 'img2img' : 'An inpainting UNet'} needs a VAE encoder, and this model set has none.`);
  const mask = params.init?.mask;
  if (mask && (mask.width !== params.width || mask.height !== params.height || mask.data.length !== mask.width * mask.height)) {
    throw new Error(`The inpainting mask is ${mask.width}×${mask.height}; it must be the generation size, ${params.width}×${params.height}.`);
  }
  if (params.init && !(params.init.strength > 0 && params.init.strength <= 1)) throw new Error(`Denoising strength must be in (0, 1] (got ${params.init.strength}).`);
  if (params.init && Math.floor(params.steps * params.init.strength) < 1) {
    throw new Error(`Denoising strength ${params.init.strength} with ${params.steps} steps runs no step (strength × steps < 1). Raise the strength or the steps.`);
  }
}
