// Seeded Gaussian noise bit-identical to torch.randn on a CPU generator, so a seed gives
// the same latents (and ancestral-step noise) as diffusers with
// generator=torch.Generator('cpu').manual_seed(seed).
//
// torch (aten/src/ATen/native/cpu/DistributionTemplates.h, 1.13):
// - mt19937 seeded with the seed's low 32 bits;
// - float tensors of ≥ 16 elements: fill with 24-bit uniforms, Box–Muller in float32 over
//   blocks of 16 (u1 = 1 − data[j], u2 = data[j+8]), then, if numel % 16 ≠ 0, redraw the
//   last 16 uniforms and transform them again. This is the AVX2 kernel (normal_fill_AVX2)
//   that x86 builds run, with avx_mathfun's log/sincos, emulated in avx-mathfun.ts;
// - smaller tensors: one double-precision normal at a time from 53-bit uniforms, where
//   each Box–Muller pair's second value is cached for the next draw.

import { logf, sincosf } from './avx-mathfun.ts';

const f = Math.fround;
const TWO_PI = 2 * Math.PI;
const TWO_PI_F = f(TWO_PI);

/** The 32-bit Mersenne Twister (std::mt19937), as at::mt19937 implements it. */
export class Mt19937 {
  private readonly state = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.state[i - 1]! ^ (this.state[i - 1]! >>> 30);
      // 1812433253 * prev + i, mod 2^32, without losing bits to float precision.
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist() {
    const s = this.state;
    for (let i = 0; i < 624; i++) {
      const y = (s[i]! & 0x80000000) | (s[(i + 1) % 624]! & 0x7fffffff);
      s[i] = s[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** A torch.Generator('cpu') stream: successive randn calls continue the same stream, as in diffusers. */
export class TorchGenerator {
  private engine: Mt19937;
  private cachedNormal: number | null = null;

  constructor(seed: number | bigint) {
    this.engine = new Mt19937(Number(BigInt.asUintN(64, BigInt(seed)) & 0xffffffffn));
  }

  /** torch.randn(shape, generator=this) for float32. */
  randn(shape: readonly number[]): Float32Array {
    const size = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size);
    if (size >= 16) {
      for (let i = 0; i < size; i++) out[i] = this.uniformFloat();
      for (let i = 0; i + 16 <= size; i += 16) normalFill16(out, i);
      if (size % 16 !== 0) {
        const start = size - 16;
        for (let i = 0; i < 16; i++) out[start + i] = this.uniformFloat();
        normalFill16(out, start);
      }
    } else {
      for (let i = 0; i < size; i++) out[i] = this.normalDouble();
    }
    return out;
  }

  /** 24 random bits → [0, 1) float. */
  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) / 16777216;
  }

  /** 53 random bits (two 32-bit draws, first one high) → [0, 1) double. */
  private uniformDouble(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  private normalDouble(): number {
    if (this.cachedNormal !== null) {
      const v = this.cachedNormal;
      this.cachedNormal = null;
      return v;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = TWO_PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** Box–Muller over 16 uniforms in place, in float32 as torch's normal_fill_16_AVX2 (std 1, mean 0). */
function normalFill16(data: Float32Array, at: number) {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[at + j]!);
    const u2 = data[at + j + 8]!;
    const radius = f(Math.sqrt(f(-2 * logf(u1))));
    const [sin, cos] = sincosf(f(TWO_PI_F * u2));
    data[at + j] = f(radius * cos);
    data[at + j + 8] = f(radius * sin);
  }
}

/** One-shot torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed)). Seeds go to 2^64 − 1. */
export function torchRandn(seed: number | bigint, shape: number[]): Float32Array {
  return new TorchGenerator(seed).randn(shape);
}
