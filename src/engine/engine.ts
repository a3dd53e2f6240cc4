// The Engine interface: implemented inside the worker by the real engine and on the
// main thread by EngineClient, which forwards calls as messages. The UI codes against this.
import type { ArchOverrides } from '../convert/infer-arch.ts';
import type { GenerateParams, GenerationStats } from '../diffusion/pipeline.ts';
import type { RgbaImage } from '../diffusion/control-units.ts';
import type { ImageInput } from '../preprocess/img2img.ts';
import type { SetCapabilities } from '../models/load-set.ts';
import type { ModelSource } from '../models/set-source.ts';
import type { StoredControlNetInfo, StoredLoraInfo, TaesdInfo, UnetShape } from '../models/set-layout.ts';
import type { LoraChangeStats } from '../convert/lora/lora-at-load.ts';
import type { ExecutionProvider, UnetVariantChoice } from '../models/unet-variant.ts';
import type { PreprocessRequest, PreprocessResult } from '../preprocess/run.ts';
import type { RemoteFile, StoredFile } from '../models/download/downloader.ts';

/** The WebGPU adapter the worker found (device.ts fills it in). */
export interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  shaderF16: boolean;
  /** A software rasteriser (SwiftShader, llvmpipe): WebGPU works, but a step takes seconds. */
  software: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export type { LoraChangeStats, ModelSource, StoredControlNetInfo, StoredLoraInfo, UnetVariantChoice };

export interface DeviceInfo {
  /** null when the browser has no WebGPU: everything runs on WASM. */
  gpu: GpuInfo | null;
  crossOriginIsolated: boolean;
  wasmThreads: number;
}

export interface Progress {
  stage: string;
  done: number;
  total: number;
  /** The file (or graph) this progress is about: a download, a converted graph, a loaded session. */
  file?: string;
  /** Transfer speed and time left, for downloads and conversions. */
  bytesPerSecond?: number;
  etaSeconds?: number | null;
  /** Per-step details of a generation: ms for the step, its timestep. */
  stepMs?: number;
  timestep?: number;
  /** The latents after this step, projected to RGB (one pixel per latent cell). */
  preview?: RgbaImage;
}

/** Per-call controls that do not cross the boundary as data. */
export interface JobControl {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface SelfTestOptions {
  /** The set whose UNet is tested. */
  source: ModelSource;
  /** Latent size of the test sample (image size ÷ 8). */
  latentSize: number;
}

export interface ProviderRun {
  provider: ExecutionProvider;
  ms: number;
  outputDims: number[];
}

export interface SelfTestReport {
  chosen: UnetVariantChoice;
  runs: ProviderRun[];
  /** max |WebGPU − WASM| over the fp32 UNet output; null without WebGPU. */
  maxAbsDiffWebGpuVsWasm: number | null;
  /** The fp16 UNet, run where it can run (WASM here when the GPU lacks shader-f16). */
  fp16: { provider: ExecutionProvider; maxAbsDiffVsFp32: number } | null;
  /** Why onnxruntime-web refused the fp16 graph on WebGPU, when it did. */
  fp16WebGpuRefusal: string | null;
  readbacks: number;
}

export interface LoadSetOptions {
  source: ModelSource;
  /** Force a provider (tests compare WebGPU with WASM); default: WebGPU when there is one. */
  provider?: ExecutionProvider;
  /** ControlNets of the set to load; default: all the set lists. ControlNets stored on their own load when a generation uses them. */
  controlnets?: string[];
  /** UNet precision to prefer; default: fp16 where the GPU has shader-f16, else fp32. */
  unetPrecision?: 'fp16' | 'fp32';
  /** Run the UNet and ControlNets at static shapes with graph capture (WebGPU); default on, except on a software GPU where preparing each shape costs more than it saves. The benchmark compares both. */
  graphCapture?: boolean;
}

export interface LoadedSetInfo {
  /** sourceKey() of what was loaded. */
  key: string;
  /** The UNet's widths and text width, which a stored ControlNet must match; null when the set does not say. */
  unetShape: UnetShape | null;
  capabilities: SetCapabilities;
  unet: UnetVariantChoice;
  /** Things the user should know: fp32 fallback, WASM, no ControlNet for this UNet. */
  notices: string[];
}

/** A LoRA of the library, applied at load with a multiplier for the UNet and one for the text encoder. */
export interface LoraRequest {
  name: string;
  unet: number;
  text: number;
}

/**
 * A generation, with the LoRAs it runs with (applied at load; only what changed since the last run
 * is merged again) and the image it starts from (img2img, inpainting), at the image's own size.
 */
export type EngineGenerateParams = GenerateParams & { loras?: LoraRequest[]; input?: ImageInput | null };

export interface GenerateResponse {
  image: RgbaImage;
  stats: GenerationStats;
  /** Every GPU→CPU copy the runtime made during this generation (the pipeline's own reads included). */
  gpuReadbacks: { count: number; bytes: number };
  /** GPU compute pipelines compiled during this generation (0 once its graphs' shaders are compiled; 0 on WASM). */
  pipelinesCompiled: number;
  /** Graphs that ran captured (static shapes, replayed GPU work), and those that could not, with why. */
  captured: string[];
  notCaptured: { graph: string; reason: string }[];
  /** What changing the LoRAs cost before this run (null: they were as before). */
  lora: LoraChangeStats | null;
}

export interface DownloadSetRequest {
  /** The set's folder in the browser's storage. */
  id: string;
  files: RemoteFile[];
}

export interface DownloadSetResult {
  files: number;
  /** Files that were already stored and verified. */
  alreadyCached: number;
  fetchedBytes: number;
  /** Bytes kept from earlier, cut-off downloads and not fetched again. */
  resumedBytes: number;
}

export interface SetStatus {
  files: StoredFile[];
  /** Bytes of this set in the browser's storage (partial downloads included). */
  storedBytes: number;
  /** The browser's own estimate for this origin (all sets, the studio's state too). */
  usage: number | null;
  quota: number | null;
}

export interface VerifyResult {
  checked: number;
  /** Files whose bytes no longer match their hash: deleted, so a download fetches them again. */
  corrupt: string[];
  /** Stored files with no hash to check against (size-checked only). */
  unverifiable: string[];
}

/** Files a person picked or dropped, by their path in the pick ("model.safetensors", or "my-repo/unet/config.json"). */
export interface ImportFile {
  path: string;
  file: Blob;
}

/** Files a person gave, or a Hugging Face repo (with exactly the files to fetch, when a manifest entry lists them). */
export type ImportInput = { kind: 'files'; files: ImportFile[] } | { kind: 'hub'; repo: string; files?: string[] };

export interface ImportRequest {
  input: ImportInput;
  /** A ControlNet's name (units list it under this), or a base model's label. */
  name: string;
  precision: 'fp16' | 'fp32';
  /** What the weights cannot say (attention heads), when the person knows it. */
  overrides?: ArchOverrides;
  /** LoRAs of the library to bake into a base model as it converts ("Bake LoRA"). */
  bakeLoras?: LoraRequest[];
}

/** A LoRA into the library: one file, or a Hugging Face repo (its listed files, or pytorch_lora_weights.safetensors). */
export interface LoraImportRequest {
  input: ImportInput;
  /** The name tags call it; default: the file's name without its extension. */
  name?: string;
  /** It is an LCM-LoRA (the manifest's, or the person says so). */
  lcm: boolean;
}

/** A TAESD stored on its own, used with any set that has none. */
export interface StoredTaesdInfo extends TaesdInfo {
  name: string;
}

export interface ImportResult {
  kind: 'set' | 'controlnet' | 'taesd';
  /** The stored set's id, or the ControlNet's name. */
  id: string;
  label: string;
  notices: string[];
  bytes: number;
  seconds: number;
}

/** A set converted from a checkpoint and stored in the browser. */
export interface StoredSetInfo {
  id: string;
  label: string;
  convertedFrom: string;
  controlnets: string[];
  notices: string[];
}

export interface StoredModels {
  sets: StoredSetInfo[];
  controlnets: StoredControlNetInfo[];
  loras: StoredLoraInfo[];
  taesd: StoredTaesdInfo[];
}

export interface Engine {
  /** What is stored of a set's files: cached, partial, missing or corrupt (sizes only, fast). */
  modelSetStatus(request: DownloadSetRequest): Promise<SetStatus>;
  /** Re-hashes a stored set's files; corrupt ones are deleted. */
  verifyModelSet(request: DownloadSetRequest, control?: JobControl): Promise<VerifyResult>;
  /** Downloads a set into the browser's storage (OPFS): streamed, resumable, verified. */
  downloadModelSet(request: DownloadSetRequest, control?: JobControl): Promise<DownloadSetResult>;
  /** Deletes a downloaded or converted set from the browser's storage. */
  deleteModelSet(id: string): Promise<void>;
  /** Converts a checkpoint (files, or a Hugging Face diffusers repo) into a stored set or a stored ControlNet. */
  importCheckpoint(request: ImportRequest, control?: JobControl): Promise<ImportResult>;
  /** Converted sets and ControlNets in the browser's storage. */
  storedModels(): Promise<StoredModels>;
  deleteStoredControlNet(name: string): Promise<void>;
  /** Adds a LoRA to the library (checked to be an SD 1.5 LoRA first; nothing is written otherwise). */
  importLora(request: LoraImportRequest, control?: JobControl): Promise<StoredLoraInfo>;
  deleteLora(name: string): Promise<void>;
  deleteStoredTaesd(name: string): Promise<void>;
  /** Loads (and contract-checks) a model set; replaces the one loaded before. */
  loadModelSet(options: LoadSetOptions, control?: JobControl): Promise<LoadedSetInfo>;
  /** Runs the pipeline on the loaded set. Cancel with control.signal; it stops within one step. */
  generate(params: EngineGenerateParams, control?: JobControl): Promise<GenerateResponse>;
  /** Turns a source image (or depth) into a control map, on the GPU when asked and possible. */
  preprocess(request: PreprocessRequest, control?: JobControl): Promise<PreprocessResult>;
  deviceInfo(): Promise<DeviceInfo>;
  /** Loads the set's UNet on WebGPU and WASM, runs it once on each, and compares. */
  selfTest(options: SelfTestOptions, control?: JobControl): Promise<SelfTestReport>;
  dispose(): void;
}
