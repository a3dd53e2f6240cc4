// WGSL paths of the preprocessors, on the engine's GPUDevice (borrowed: not owned or
// destroyed here). Each agrees with its CPU core on the same reference cases.
import cannyWgsl from './canny.wgsl?raw';
import normalWgsl from './normal.wgsl?raw';
import { cannyThresholds, TG22, type CannyImage, type CannyOptions } from '../canny.ts';
import { TILE_STRONG, TILE_WEAK, tilesToGrow } from './hysteresis-tiles.ts';
import type { DepthMap, NormalOptions } from '../normal.ts';

const WG = 16;
/** WebGPU's default maxComputeWorkgroupsPerDimension; longer tile lists wrap onto more rows. */
const MAX_GROUPS_X = 65535;
const NO_TILE = 0xffffffff;

export class GpuPreprocessor {
  private cannyKernels: Kernels<'sobel' | 'suppress' | 'grow_tile' | 'finish'> | null = null;
  private normalKernels: Kernels<'reduce_partial' | 'reduce_total' | 'normal'> | null = null;
  /** GPU→CPU copies made, for the stats. */
  readbacks = 0;

  constructor(private readonly device: GPUDevice) {}

  /** One explicit layout for all of a shader's entry points, so one bind group serves every pass. */
  private kernels<K extends string>(code: string, entries: K[], bindings: GPUBufferBindingType[], constants: Record<string, number> = {}): Kernels<K> {
    const module = this.device.createShaderModule({ code });
    const layout = this.device.createBindGroupLayout({ entries: bindings.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })) });
    const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const pipelines = Object.fromEntries(
      entries.map((entryPoint) => [entryPoint, this.device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint, constants } })]),
    ) as Record<K, GPUComputePipeline>;
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

  private async read(src: GPUBuffer, size: number, offset = 0): Promise<ArrayBuffer> {
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(src, offset, staging, 0, size);
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
    this.cannyKernels ??= this.kernels(
      cannyWgsl,
      ['sobel', 'suppress', 'grow_tile', 'finish'],
      ['uniform', 'read-only-storage', 'storage', 'storage', 'storage', 'storage', 'storage', 'read-only-storage'],
      { TG22, TILE_WEAK, TILE_STRONG, NO_TILE, MAX_GROUPS_X },
    );
    const { low, high } = cannyThresholds(opts);
    const ch = image.channels ?? 4;
    // Pack to RGBA8 words (grey goes in the red byte).
    const packed = new Uint32Array(n);
    for (let p = 0; p < n; p++) packed[p] = ch === 1 ? image.data[p]! : image.data[p * ch]! | (image.data[p * ch + 1]! << 8) | (image.data[p * ch + 2]! << 16);
    const S = GPUBufferUsage.STORAGE;
    const params = new Int32Array([width, height, ch === 1 ? 1 : 3, opts.l2 ? 1 : 0, low, high, 0, 0]);
    const [tilesX, tilesY] = [Math.ceil(width / WG), Math.ceil(height / WG)]; // also the workgroups of a whole-image kernel
    const tiles = tilesX * tilesY;
    const buffers = [
      this.buffer(32, GPUBufferUsage.UNIFORM, params),
      this.buffer(n * 4, S, packed),
      this.buffer(n * 8, S),
      this.buffer(n * 4, S),
      this.buffer(n * 4, S),
      this.buffer(tiles * 8, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      this.buffer(n * 4, S | GPUBufferUsage.COPY_SRC),
      this.buffer(Math.ceil(tiles / MAX_GROUPS_X) * Math.min(tiles, MAX_GROUPS_X) * 4, S | GPUBufferUsage.COPY_DST),
    ];
    const [, , , , , tileFlags, edges, work] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    try {
      const { layout, pipelines } = this.cannyKernels;
      const group = this.bindAll(layout, buffers);
      /** One kernel over the whole image (16×16 invocations a workgroup), or over `groups` workgroups. */
      const dispatch = (pass: GPUComputePassEncoder, name: keyof typeof pipelines, groups: [number, number] = [tilesX, tilesY]) => {
        pass.setPipeline(pipelines[name]);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(...groups);
      };
      let enc = this.device.createCommandEncoder();
      let pass = enc.beginComputePass();
      dispatch(pass, 'sobel');
      dispatch(pass, 'suppress');
      pass.end();
      this.device.queue.submit([enc.finish()]);
      // Hysteresis, in rounds over the tiles that can grow (tilesToGrow): a tile dispatch costs
      // about the same whether or not its tile has work, 0.3–0.5 s a round over a whole 512×640
      // image on SwiftShader, so rounds over every tile took 0.5–2.4 s an image. Readbacks: the
      // tile flags once (4 bytes a tile), then which tiles grew each round, where the changed flag was read.
      const flags = new Uint32Array(await this.read(tileFlags, tiles * 4));
      let grew: Uint32Array | null = null;
      let rounds = 0;
      for (;;) {
        const list = tilesToGrow(flags, grew, tilesX, tilesY);
        if (list.length === 0) break;
        // Each round that runs has a tile that grew before it, so n rounds is a hard bound.
        if (++rounds > n) throw new Error('GPU Canny: hysteresis did not converge (a GPU driver fault). Use the CPU path.');
        const [groupsX, groupsY] = [Math.min(list.length, MAX_GROUPS_X), Math.ceil(list.length / MAX_GROUPS_X)];
        const padded = new Uint32Array(groupsX * groupsY).fill(NO_TILE);
        padded.set(list);
        this.device.queue.writeBuffer(work, 0, padded);
        enc = this.device.createCommandEncoder();
        enc.clearBuffer(tileFlags, tiles * 4, tiles * 4);
        pass = enc.beginComputePass();
        dispatch(pass, 'grow_tile', [groupsX, groupsY]);
        pass.end();
        this.device.queue.submit([enc.finish()]);
        grew = new Uint32Array(await this.read(tileFlags, tiles * 4, tiles * 4));
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
