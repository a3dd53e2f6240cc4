// WGSL paths of the preprocessors, on the engine's GPUDevice (borrowed: not owned or
// destroyed here). Each agrees with its CPU core on the same reference cases.
import cannyWgsl from './canny.wgsl?raw';
import normalWgsl from './normal.wgsl?raw';
import { cannyThresholds, TG22, type CannyImage, type CannyOptions } from '../canny.ts';
import type { DepthMap, NormalOptions } from '../normal.ts';

const WG = 16;
/**
 * Tile dispatches per submission before checking whether anything still changes. Each one
 * finishes hysteresis inside every 16×16 tile; only chains that cross tiles need more. Measured
 * on the 27 cv2 reference images (SwiftShader): 1 pass per check 1.1 s an image, 4 passes 2.1 s,
 * 16 passes 8.1 s; a whole-image pass costs more than the flag's readback.
 */
const TILE_PASSES_PER_CHECK = 1;

export class GpuPreprocessor {
  private cannyKernels: Kernels<'sobel' | 'suppress' | 'grow_tile' | 'finish'> | null = null;
  private normalKernels: Kernels<'reduce_partial' | 'reduce_total' | 'normal'> | null = null;
  /** GPU→CPU copies made, for the stats. */
  readbacks = 0;
  /** Changed-flag reads the last Canny's hysteresis needed (one per batch of tile passes). */
  hysteresisChecks = 0;

  constructor(private readonly device: GPUDevice) {}

  /** One explicit layout for all of a shader's entry points, so one bind group serves every pass. */
  private kernels<K extends string>(code: string, entries: K[], bindings: GPUBufferBindingType[], constants: Record<string, number> = {}): Kernels<K> {
    const module = this.device.createShaderModule({ code });
    const layout = this.device.createBindGroupLayout({ entries: bindings.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })) });
    const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const pipelines = Object.fromEntries(entries.map((entryPoint) => [entryPoint, this.device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint, constants } })])) as Record<K, GPUComputePipeline>;
    return { layout, pipelines };
  }

  private bindAll(layout: GPUBindGroupLayout, buffers: GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({ layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  }

  private buffer(size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView): GPUBuffer {
    const buf = this.device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage, mappedAtCreation: !!data });
    if (data) {
      new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      buf.unmap();
    }
    return buf;
  }

  private async read(src: GPUBuffer, size: number): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, staging, 0, size);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      this.readbacks++;
      return staging.getMappedRange().slice(0);
    } finally {
      staging.destroy();
    }
  }

  /** Edge map as 0/255 bytes, read back to the CPU (the preview and the ControlNet's input are made from it). */
  async canny(image: CannyImage, opts: CannyOptions): Promise<Uint8Array> {
    return this.runCanny(image, opts);
  }

  private async runCanny(image: CannyImage, opts: CannyOptions): Promise<Uint8Array> {
    const { width, height } = image;
    const n = width * height;
    this.cannyKernels ??= this.kernels(cannyWgsl, ['sobel', 'suppress', 'grow_tile', 'finish'], ['uniform', 'read-only-storage', 'storage', 'storage', 'storage', 'storage', 'storage'], { TG22 });
    const { low, high } = cannyThresholds(opts);
    const ch = image.channels ?? 4;
    // Pack to RGBA8 words (grey goes in the red byte).
    const packed = new Uint32Array(n);
    for (let p = 0; p < n; p++) packed[p] = ch === 1 ? image.data[p]! : image.data[p * ch]! | (image.data[p * ch + 1]! << 8) | (image.data[p * ch + 2]! << 16);
    const S = GPUBufferUsage.STORAGE;
    const params = new Int32Array([width, height, ch === 1 ? 1 : 3, opts.l2 ? 1 : 0, low, high, 0, 0]);
    const buffers = [
      this.buffer(32, GPUBufferUsage.UNIFORM, params),
      this.buffer(n * 4, S, packed),
      this.buffer(n * 8, S),
      this.buffer(n * 4, S),
      this.buffer(n * 4, S),
      this.buffer(4, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      this.buffer(n * 4, S | GPUBufferUsage.COPY_SRC),
    ];
    const [, , , , , changed, edges] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    try {
      const { layout, pipelines } = this.cannyKernels;
      const group = this.bindAll(layout, buffers);
      const dispatch = (pass: GPUComputePassEncoder, name: keyof typeof pipelines) => {
        pass.setPipeline(pipelines[name]);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(Math.ceil(width / WG), Math.ceil(height / WG));
      };
      let enc = this.device.createCommandEncoder();
      let pass = enc.beginComputePass();
      dispatch(pass, 'sobel');
      dispatch(pass, 'suppress');
      pass.end();
      this.device.queue.submit([enc.finish()]);
      // Hysteresis: tile passes until a whole batch of them changes nothing.
      this.hysteresisChecks = 0;
      for (;;) {
        // Each batch that changes anything makes at least one pixel strong, so n batches is a hard bound.
        if (++this.hysteresisChecks > n) throw new Error('GPU Canny: hysteresis did not converge (a GPU driver fault). Use the CPU path.');
        enc = this.device.createCommandEncoder();
        enc.clearBuffer(changed);
        pass = enc.beginComputePass();
        for (let i = 0; i < TILE_PASSES_PER_CHECK; i++) dispatch(pass, 'grow_tile');
        pass.end();
        this.device.queue.submit([enc.finish()]);
        if (new Uint32Array(await this.read(changed, 4))[0] === 0) break;
      }
      enc = this.device.createCommandEncoder();
      pass = enc.beginComputePass();
      dispatch(pass, 'finish');
      pass.end();
      this.device.queue.submit([enc.finish()]);
      return Uint8Array.from(new Uint32Array(await this.read(edges, n * 4)));
    } finally {
      for (const b of buffers) b.destroy();
    }
  }

  async normal(depth: DepthMap, opts: NormalOptions): Promise<Uint8ClampedArray> {
    const { width, height, data } = depth;
    const n = width * height;
    for (const v of data) if (!Number.isFinite(v)) throw new Error('The depth map contains NaN or infinite values; the depth model failed. Try again or use another depth model.');
    this.normalKernels ??= this.kernels(normalWgsl, ['reduce_partial', 'reduce_total', 'normal'], ['uniform', 'read-only-storage', 'storage', 'storage']);
    const partials = Math.ceil(n / 256);
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 2).set([width, height]);
    new Float32Array(params, 8, 2).set([opts.a, opts.bgThreshold]);
    new Uint32Array(params, 16, 1).set([partials]);
    const S = GPUBufferUsage.STORAGE;
    const buffers = [this.buffer(32, GPUBufferUsage.UNIFORM, new Uint8Array(params)), this.buffer(n * 4, S, data), this.buffer((partials + 1) * 8, S), this.buffer(n * 4, S | GPUBufferUsage.COPY_SRC)];
    try {
      const { layout, pipelines } = this.normalKernels;
      const group = this.bindAll(layout, buffers);
      const enc = this.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (const [name, x, y] of [
        ['reduce_partial', partials, 1],
        ['reduce_total', 1, 1],
        ['normal', Math.ceil(width / WG), Math.ceil(height / WG)],
      ] as const) {
        pass.setPipeline(pipelines[name]);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(x, y);
      }
      pass.end();
      this.device.queue.submit([enc.finish()]);
      return new Uint8ClampedArray(await this.read(buffers[3]!, n * 4));
    } finally {
      for (const b of buffers) b.destroy();
    }
  }
}

interface Kernels<K extends string> {
  layout: GPUBindGroupLayout;
  pipelines: Record<K, GPUComputePipeline>;
}
