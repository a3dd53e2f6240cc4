// The fixed input buffers a captured session runs on. onnxruntime-web's graph capture records
// a session's GPU work on its first run and replays it afterwards, which removes the CPU's
// per-kernel dispatch cost; the condition is that every run reads the same GPU buffers (and
// writes the same ones: onnxruntime keeps its bound outputs). So each step's data is copied
// into these buffers on the GPU (or written from the CPU), and each output is copied out into
// a buffer of its own, which the caller owns like any other output (a ControlNet used by two
// units runs twice in one step).
import * as ort from 'onnxruntime-web/webgpu';
import type { TensorType, ValueMeta } from '../diffusion/tensor.ts';

const ELEMENT_BYTES: Partial<Record<TensorType, number>> = { float32: 4, float16: 2, int32: 4, int64: 8 };

interface Slot {
  name: string;
  type: TensorType;
  dims: number[];
  bytes: number;
  buffer: GPUBuffer;
  tensor: ort.Tensor;
}

/** A graph's dims with the symbolic names resolved ("height/8" from "height"); null if one is unknown. */
export function concreteShape(meta: ValueMeta, dims: Record<string, number>): number[] | null {
  const out: number[] = [];
  for (const d of meta.shape) {
    if (typeof d === 'number') out.push(d);
    else {
      const [base, divisor] = d.split('/');
      const v = dims[base!];
      if (v === undefined) return null;
      out.push(v / Number(divisor ?? 1));
    }
  }
  return out;
}

export class CapturedIo {
  private readonly inputs: Slot[];
  /** The tensor each input was last filled from: an unchanged input (the prompt, a hint) is not copied again. */
  private readonly lastFeed = new Map<string, unknown>();

  private constructor(
    private readonly device: GPUDevice,
    inputs: Slot[],
    private readonly outputNames: string[],
  ) {
    this.inputs = inputs;
  }

  /** Buffers for every input at `dims`; throws if a dim is not given or a type has no GPU layout. */
  static create(device: GPUDevice, inputs: ValueMeta[], outputs: ValueMeta[], dims: Record<string, number>): CapturedIo {
    const slot = (meta: ValueMeta): Slot => {
      const shape = concreteShape(meta, dims);
      const size = ELEMENT_BYTES[meta.type as TensorType];
      if (!shape || !size) throw new Error(`${meta.name}: shape [${meta.shape.join(', ')}] or type ${meta.type} can't be fixed for capture`);
      const bytes = shape.reduce((a, b) => a * b, 1) * size;
      const buffer = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      const tensor = ort.Tensor.fromGpuBuffer(buffer, { dataType: meta.type as 'float32', dims: shape });
      return { name: meta.name, type: meta.type as TensorType, dims: shape, bytes, buffer, tensor };
    };
    return new CapturedIo(
      device,
      inputs.map(slot),
      outputs.map((o) => o.name),
    );
  }

  /**
   * Fills the input buffers from this run's feeds (GPU tensors by a GPU copy, CPU data by a
   * queue write) and returns the fixed feeds, and the outputs to fetch (onnxruntime binds them).
   */
  bind(feeds: Record<string, ort.Tensor>): { feeds: Record<string, ort.Tensor>; fetches: string[] } {
    const encoder = this.device.createCommandEncoder();
    for (const slot of this.inputs) {
      const feed = feeds[slot.name];
      if (!feed) throw new Error(`input "${slot.name}" was not given`);
      if (feed.dims.join() !== slot.dims.join()) throw new Error(`input "${slot.name}" is [${feed.dims.join(', ')}], but this captured session runs at [${slot.dims.join(', ')}]`);
      if (this.lastFeed.get(slot.name) === feed) continue;
      this.lastFeed.set(slot.name, feed);
      if (feed.location === 'gpu-buffer') encoder.copyBufferToBuffer(feed.gpuBuffer as GPUBuffer, 0, slot.buffer, 0, slot.bytes);
      else {
        const data = feed.data as ArrayBufferView;
        this.device.queue.writeBuffer(slot.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
        // A CPU array may be refilled and passed again: never skip its copy.
        this.lastFeed.delete(slot.name);
      }
    }
    this.device.queue.submit([encoder.finish()]);
    return { feeds: Object.fromEntries(this.inputs.map((s) => [s.name, s.tensor])), fetches: this.outputNames };
  }

  /** Each output copied into a new buffer that the returned tensor owns (disposing it destroys the buffer). */
  takeOutputs(results: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    const encoder = this.device.createCommandEncoder();
    const out: Record<string, ort.Tensor> = {};
    for (const [name, result] of Object.entries(results)) {
      const type = result.type as TensorType;
      const slot = { type, bytes: result.dims.reduce((a, b) => a * b, 1) * (ELEMENT_BYTES[type] ?? 4) };
      const source = result.gpuBuffer as GPUBuffer;
      const copy = this.device.createBuffer({ size: source.size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      encoder.copyBufferToBuffer(source, 0, copy, 0, source.size);
      out[name] = ort.Tensor.fromGpuBuffer(copy, { dataType: type as 'float32', dims: result.dims, dispose: () => copy.destroy(), download: () => this.download(copy, slot) as Promise<Float32Array> });
    }
    this.device.queue.submit([encoder.finish()]);
    // The session's own output tensors are released; the buffers it bound stay its own.
    for (const result of Object.values(results)) result.dispose();
    return out;
  }

  /** A copied output's bytes on the CPU, as onnxruntime-web's getData() asks for them. */
  private async download(buffer: GPUBuffer, slot: { type: TensorType; bytes: number }): Promise<ArrayBufferView> {
    const staging = this.device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const bytes = staging.getMappedRange().slice(0, slot.bytes);
      if (slot.type === 'float16') return new Uint16Array(bytes);
      if (slot.type === 'int64') return new BigInt64Array(bytes);
      if (slot.type === 'int32') return new Int32Array(bytes);
      return new Float32Array(bytes);
    } finally {
      staging.destroy();
    }
  }

  /** The dims each input runs at, for the caller's check. */
  inputDims(name: string): number[] | null {
    return this.inputs.find((s) => s.name === name)?.dims ?? null;
  }

  destroy(): void {
    for (const s of this.inputs) s.buffer.destroy();
  }
}
