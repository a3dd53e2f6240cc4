// Stable Diffusion 1.5 txt2img / img2img with any number of ControlNet units, written
// as the algorithm's numbered steps (after diffusers' StableDiffusionControlNetPipeline).
// Text embeddings, control images, residuals and UNet outputs stay on the device; the
// only copy back per step is the guided noise prediction the scheduler needs.
import type { ClipTokenizer } from './tokenizer.ts';
import type { ControlNetContract, TextEncoderContract, UnetContract, VaeContract } from './contract.ts';
import { timestepFeed } from './contract.ts';
import { residualScales, unitActiveAt, validateUnit, type ControlUnit, type RgbaImage } from './control-units.ts';
import { CancelledError } from './errors.ts';
import { asFloat32, controlImageTensor, latentFeed, tensorToImage, vaeImageTensor } from './image-tensors.ts';
import { TorchGenerator } from './random.ts';
import { createScheduler, type SchedulerName } from './schedulers/index.ts';
import { SessionTimer, type DeviceTensor, type ResidualSource, type Session, type TensorOps } from './session.ts';
import type { TensorData } from './tensor.ts';

export const LATENT_SCALE = 0.18215;
/** SD 1.5's UNet halves the latent 3 times: the spatial divisor of each residual. */
const RESIDUAL_DOWNSCALE = [1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 8];

export interface PipelineModels {
  tokenizer: ClipTokenizer;
  schedulerConfig: Record<string, unknown>;
  textEncoder: { session: Session; contract: TextEncoderContract };
  unet: { session: Session; contract: UnetContract };
  vaeDecoder: { session: Session; contract: VaeContract };
  vaeEncoder: { session: Session; contract: VaeContract } | null;
  controlnets: Map<string, { session: Session; contract: ControlNetContract }>;
  ops: TensorOps;
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
  init?: { image: RgbaImage; strength: number };
}

export interface StepReport {
  step: number;
  total: number;
  timestep: number;
  ms: number;
  /** The latents after this step, for previews. */
  latents: Float32Array;
  readbacks: number;
  readbackBytes: number;
}

export interface GenerationStats {
  steps: Omit<StepReport, 'latents'>[];
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
  /**
   * Per unit, a control tensor already on the device ([hintBatch, 3, H, W], 0–1), e.g. made
   * by a GPU preprocessor; used instead of uploading the unit's image. The pipeline disposes it.
   */
  controlTensors?: (DeviceTensor | null)[];
}

/** The batch a unit's hint tensor needs: 1 when it feeds only the conditional half. */
export function hintBatch(params: GenerateParams, unit: ControlUnit): number {
  const cfg = params.cfgScale > 1;
  return cfg && unit.mode === 'controlnet' ? 1 : cfg ? 2 : 1;
}

export async function generate(models: PipelineModels, params: GenerateParams, control: PipelineControl = {}): Promise<GenerateResult> {
  const t0 = performance.now();
  const { unet, textEncoder, ops } = models;
  const timer = new SessionTimer();
  const held: DeviceTensor[] = [];
  let readbacks = 0;
  let readbackBytes = 0;
  // On WebGPU, runs return once work is queued; a readback waits for the GPU to finish,
  // so it is timed as its own entry and the per-session times don't hide GPU work.
  const read = async (t: DeviceTensor) => {
    const data = await timer.time('readback (waits for the GPU)', () => t.download());
    readbacks++;
    readbackBytes += data.data.byteLength;
    return data;
  };
  const checkCancel = () => {
    if (control.signal?.aborted) throw new CancelledError('Generation cancelled.');
  };
  const run = (s: Session, feeds: Parameters<Session['run']>[0]) => timer.time(s.label, () => s.run(feeds));

  // 0. Check the request against the loaded set.
  checkParams(models, params);
  const cfg = params.cfgScale > 1;
  const batch = cfg ? 2 : 1;
  const [h, w] = [params.height / 8, params.width / 8];
  const latentDims = [1, 4, h, w];

  try {
    // 1. Encode the prompt (and the negative prompt, for classifier-free guidance) in one batch.
    const encode = async (texts: string[]) => {
      const ids = texts.flatMap((t) => models.tokenizer.encode(t));
      const feed: TensorData =
        textEncoder.contract.idsType === 'int64'
          ? { type: 'int64', dims: [texts.length, 77], data: BigInt64Array.from(ids, BigInt) }
          : { type: 'int32', dims: [texts.length, 77], data: Int32Array.from(ids) };
      const out = await run(textEncoder.session, { [textEncoder.contract.ids]: feed });
      for (const [name, t] of Object.entries(out)) if (name !== textEncoder.contract.hidden) t.dispose();
      held.push(out[textEncoder.contract.hidden]!);
      return out[textEncoder.contract.hidden]!;
    };
    const context = await encode(cfg ? [params.negativePrompt, params.prompt] : [params.prompt]);
    const needsCondOnly = cfg && params.units.some((u) => u.mode === 'controlnet');
    const condContext = needsCondOnly ? await encode([params.prompt]) : context;
    // Each graph gets the embeddings in its own precision (an fp16 UNet beside an fp32 text encoder).
    const casts = new Map<string, DeviceTensor>();
    const contextAs = async (t: DeviceTensor, type: 'float32' | 'float16') => {
      if (t.type === type) return t;
      const key = `${t === context ? 'both' : 'cond'}-${type}`;
      if (!casts.has(key)) {
        const cast = await ops.cast(t, type);
        held.push(cast);
        casts.set(key, cast);
      }
      return casts.get(key)!;
    };
    const unetContext = await contextAs(context, unet.contract.dtype);
    checkCancel();

    // 2. Upload each unit's control map once; it is reused at every step.
    const hints = await Promise.all(
      params.units.map(async (unit, k) => {
        const cn = models.controlnets.get(unit.model)!;
        const condOnly = cfg && unit.mode === 'controlnet';
        const tensor = control.controlTensors?.[k] ?? (await ops.upload(controlImageTensor(unit.image, hintBatch(params, unit), cn.contract.dtype)));
        held.push(tensor);
        return { unit, cn, condOnly, tensor, scales: residualScales(unit) };
      }),
    );

    // 3. Timesteps; img2img starts part-way, at 1 − strength of the schedule.
    const scheduler = createScheduler(params.sampler, models.schedulerConfig);
    scheduler.setTimesteps(params.steps);
    let timesteps = scheduler.timesteps;
    if (params.init) {
      const initSteps = Math.min(Math.floor(params.steps * params.init.strength), params.steps);
      timesteps = timesteps.slice(Math.max(params.steps - initSteps, 0));
    }

    // 4. Initial latents from one torch-compatible generator stream (step noise follows from it).
    const generator = new TorchGenerator(params.seed);
    let latents: Float32Array;
    if (params.init && timesteps.length > 0) {
      const encoded = await encodeImage(models, params.init.image, run, read);
      latents = scheduler.addNoise(encoded, generator.randn(latentDims), timesteps[0]!);
    } else {
      latents = generator.randn(latentDims).map((v) => v * scheduler.initNoiseSigma);
    }

    // Zero residuals for steps where no unit runs (the UNet's residual inputs are required).
    let zeroResiduals: DeviceTensor[] | null = null;
    const zeros = async () => {
      zeroResiduals ??= await Promise.all(
        unet.session.inputs
          .filter((m) => unet.contract.residuals!.includes(m.name))
          .sort((a, b) => unet.contract.residuals!.indexOf(a.name) - unet.contract.residuals!.indexOf(b.name))
          .map((m, i) => {
            const dims = [batch, m.shape[1] as number, h / RESIDUAL_DOWNSCALE[i]!, w / RESIDUAL_DOWNSCALE[i]!];
            return ops.upload(latentFeed(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims, unet.contract.dtype));
          }),
      );
      held.push(...zeroResiduals);
      return zeroResiduals;
    };

    // 5. Denoising loop.
    const stepReports: Omit<StepReport, 'latents'>[] = [];
    let skipped = 0;
    for (let i = 0; i < timesteps.length; i++) {
      checkCancel();
      const stepStart = performance.now();
      const [rb0, rbBytes0] = [readbacks, readbackBytes];
      const t = timesteps[i]!;
      const scaled = scheduler.scaleModelInput(latents, t);
      const modelInput = batch === 2 ? concatBatch(scaled, scaled) : scaled;
      const sample = latentFeed(modelInput, [batch, 4, h, w], unet.contract.dtype);
      const stepTemps: DeviceTensor[] = [];

      // 5a. ControlNets: every active unit runs; their residuals are summed.
      const sources: ResidualSource[] = [];
      for (const hint of hints) {
        if (!unitActiveAt(hint.unit, i, timesteps.length)) {
          skipped++;
          continue;
        }
        const c = hint.cn.contract;
        const b = hint.condOnly ? 1 : batch;
        const feeds: Parameters<Session['run']>[0] = {
          [c.sample]: latentFeed(hint.condOnly ? scaled : modelInput, [b, 4, h, w], c.dtype),
          [c.timestep.name]: timestepFeed(c.timestep, t, b),
          [c.context]: await contextAs(hint.condOnly ? condContext : context, c.dtype),
          [c.cond]: hint.tensor,
        };
        // The graph's own conditioning_scale carries the weight when there is one; otherwise the sum does.
        if (c.scale) feeds[c.scale] = { type: 'float32', dims: [], data: Float32Array.of(1) };
        const out = await run(hint.cn.session, feeds);
        const residuals = c.outputs.map((name) => out[name]!);
        stepTemps.push(...residuals);
        sources.push({ residuals, scales: hint.scales, condOnly: hint.condOnly });
      }
      let residualFeeds: Record<string, DeviceTensor> = {};
      if (unet.contract.residuals) {
        const summed = sources.length ? await timer.time('residual sum', () => ops.sumResiduals(sources, unet.contract.dtype, batch)) : await zeros();
        if (sources.length) stepTemps.push(...summed);
        residualFeeds = Object.fromEntries(unet.contract.residuals.map((name, k) => [name, summed[k]!]));
      }
      checkCancel();

      // 5b. UNet noise prediction for both halves in one batch, then guidance on the device.
      const unetOut = await run(unet.session, {
        [unet.contract.sample]: sample,
        [unet.contract.timestep.name]: timestepFeed(unet.contract.timestep, t, batch),
        [unet.contract.context]: unetContext,
        ...residualFeeds,
      });
      const prediction = unetOut[unet.contract.output]!;
      stepTemps.push(prediction);
      const guided = cfg ? await timer.time('guidance', () => ops.guidance(prediction, params.cfgScale)) : prediction;
      if (cfg) stepTemps.push(guided);
      const eps = asFloat32(await read(guided));
      for (const tensor of stepTemps) tensor.dispose();
      if (!eps.every(Number.isFinite)) throw new Error(`The UNet produced NaN or infinite values at step ${i + 1} (often fp16 overflow). Try the fp32 UNet or another sampler.`);

      // 5c. Scheduler step on the CPU (math only); ancestral samplers draw from the same stream.
      latents = scheduler.step(eps, t, latents, () => generator.randn(latentDims));
      const report = { step: i + 1, total: timesteps.length, timestep: t, ms: performance.now() - stepStart, readbacks: readbacks - rb0, readbackBytes: readbackBytes - rbBytes0 };
      stepReports.push(report);
      control.onStep?.({ ...report, latents });
    }
    checkCancel();

    // 6. Decode the latents with the VAE.
    const dec = models.vaeDecoder;
    const decoded = await run(dec.session, { [dec.contract.input]: latentFeed(latents.map((v) => v / LATENT_SCALE), latentDims, dec.contract.dtype) });
    const pixels = asFloat32(await read(decoded[dec.contract.output]!));
    for (const tensor of Object.values(decoded)) tensor.dispose();

    // 7. To RGBA.
    return {
      image: tensorToImage(pixels, params.width, params.height),
      stats: {
        steps: stepReports,
        sessionMs: Object.fromEntries(timer.ms),
        sessionRuns: Object.fromEntries(timer.runs),
        controlnetRunsSkipped: skipped,
        readbacks,
        readbackBytes,
        wallMs: performance.now() - t0,
      },
    };
  } finally {
    for (const tensor of held) tensor.dispose();
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
  if (params.init && !models.vaeEncoder) throw new Error('img2img needs a VAE encoder, and this model set has none.');
  if (params.init && !(params.init.strength > 0 && params.init.strength <= 1)) throw new Error(`Denoising strength must be in (0, 1] (got ${params.init.strength}).`);
}

async function encodeImage(models: PipelineModels, image: RgbaImage, run: (s: Session, f: Parameters<Session['run']>[0]) => Promise<Record<string, DeviceTensor>>, read: (t: DeviceTensor) => Promise<TensorData>): Promise<Float32Array> {
  const enc = models.vaeEncoder!;
  const out = await run(enc.session, { [enc.contract.input]: vaeImageTensor(image, enc.contract.dtype) });
  const latent = asFloat32(await read(out[enc.contract.output]!));
  for (const t of Object.values(out)) t.dispose();
  // An 8-channel output holds mean and log-variance: take the mean.
  const size = latent.length / (out[enc.contract.output]!.dims[1] === 8 ? 2 : 1);
  return latent.slice(0, size).map((v) => v * LATENT_SCALE);
}

function concatBatch(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
