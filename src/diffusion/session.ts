// What the diffusion core needs from a runtime: sessions that take CPU or device tensors
// and return device tensors, plus a few tensor ops that must not leave the device.
// Implemented by src/gpu/backend.ts (onnxruntime-web) and src/cli (onnxruntime-node).
import type { TensorData, TensorType, ValueMeta } from './tensor.ts';

/** A tensor that may live on the GPU. Its holder must dispose() it. */
export interface DeviceTensor {
  readonly dims: number[];
  readonly type: TensorType;
  /** Copies to the CPU; a GPU readback is counted by the runtime. */
  download(): Promise<TensorData>;
  dispose(): void;
}

export type Feed = TensorData | DeviceTensor;

export interface Session {
  /** The file this session was made from, for errors and stats. */
  readonly label: string;
  readonly inputs: ValueMeta[];
  readonly outputs: ValueMeta[];
  run(feeds: Record<string, Feed>): Promise<Record<string, DeviceTensor>>;
}

export interface ResidualSource {
  /** 13 tensors: the 12 down residuals then the mid one, in the UNet's order. */
  residuals: DeviceTensor[];
  /** One multiplier per residual (weight × control-mode scale). */
  scales: number[];
  /** Computed on the conditional half only (ControlNet is more important): pad the uncond half with zeros. */
  condOnly: boolean;
}

/** Device-side tensor arithmetic the denoising loop needs between sessions. */
export interface TensorOps {
  /** Copies CPU data to the device once, for inputs reused every step. */
  upload(data: TensorData): Promise<DeviceTensor>;
  /**
   * Resolves once the device has finished the work submitted so far. Nothing is copied (it is
   * not a readback); off the GPU it resolves at once. Keeps the loop from running ahead of the GPU.
   */
  sync(): Promise<void>;
  /** Σ_k scales_k[i] · residuals_k[i] for each i, as `type`, batch `batch`. */
  sumResiduals(sources: ResidualSource[], type: TensorType, batch: number): Promise<DeviceTensor[]>;
  /** The same values as another float type (fp32 text embeddings for an fp16 UNet). */
  cast(tensor: DeviceTensor, type: TensorType): Promise<DeviceTensor>;
  /** Σ_k coefficients[k]·tensors[k] (float32 tensors of one shape): a scheduler step's weighted sum. */
  weightedSum(tensors: DeviceTensor[], coefficients: number[]): Promise<DeviceTensor>;
  /**
   * float32 [1, 4, h, w] latents × scale, then `extra` [1, k, h, w] (an inpainting UNet's mask and
   * masked-image latents, unscaled) along the channels, repeated `batch` times along the batch axis, as `type`.
   */
  modelInput(latents: DeviceTensor, scale: number, batch: number, type: TensorType, extra?: DeviceTensor): Promise<DeviceTensor>;
  /** mask·latents + (1 − mask)·keep, float32, with `mask` [1, 1, h, w]: legacy inpainting's step. */
  maskBlend(latents: DeviceTensor, keep: DeviceTensor, mask: DeviceTensor): Promise<DeviceTensor>;
  /** uncond + g·(cond − uncond) from a batch-2 prediction, as float32 batch 1. */
  guidance(prediction: DeviceTensor, scale: number): Promise<DeviceTensor>;
  /**
   * Weighted prompt embeddings: `hidden` [N, 77, D] chunks times `weights` (N·77), each chunk's
   * mean restored, then per row the chunks `rows[r]` end to end: float32 [rows, 77·k, D].
   */
  promptContext(hidden: DeviceTensor, weights: Float32Array, rows: number[][]): Promise<DeviceTensor>;
}

/** Counts GPU→CPU copies, so the pipeline can report them per step (every runtime records into one). */
export class ReadbackCounter {
  count = 0;
  bytes = 0;
  record(bytes: number) {
    this.count++;
    this.bytes += bytes;
  }
}

/** Per-session timing, for the stats every generation reports. */
export class SessionTimer {
  readonly ms = new Map<string, number>();
  readonly runs = new Map<string, number>();
  async time<T>(label: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.ms.set(label, (this.ms.get(label) ?? 0) + performance.now() - t0);
      this.runs.set(label, (this.runs.get(label) ?? 0) + 1);
    }
  }
}
