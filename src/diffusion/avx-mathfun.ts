// Float32 emulation of avx_mathfun.h's log256_ps and sincos256_ps (Cephes polynomials),
// which torch's AVX2 randn kernel uses instead of libm. torch is built with -mfma and GCC
// contracts each multiply-add into one FMA, so each `mad` below rounds once.
// A float32 product is exact in a double, so a*b + c in doubles rounds (almost always)
// exactly as a hardware FMA does.

const f = Math.fround;
const mad = (a: number, b: number, c: number) => f(a * b + c);

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const SQRTHF = f(0.707106781186547524);

/** log256_ps for one positive, normal float. */
export function logf(value: number): number {
  asFloat[0] = value;
  const exponent = (bits[0]! >>> 23) - 0x7f;
  bits[0] = (bits[0]! & 0x807fffff) | 0x3f000000; // mantissa into [0.5, 1)
  let x = asFloat[0]!;
  let e = f(exponent + 1);
  const small = x < SQRTHF;
  x = f(f(x - 1) + (small ? x : 0));
  if (small) e = f(e - 1);
  const z = f(x * x);
  let y = LOG_P[0]!;
  for (let i = 1; i < LOG_P.length; i++) y = mad(y, x, LOG_P[i]!);
  y = f(f(y * x) * z);
  y = mad(e, LOG_Q1, y);
  y = mad(-z, 0.5, y);
  return mad(e, LOG_Q2, f(x + y));
}

const FOPI = f(1.27323954473516); // 4/π
const DP = [-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);

/** sincos256_ps for one float: [sin, cos]. */
export function sincosf(value: number): [number, number] {
  let x = Math.abs(value);
  let octant = Math.trunc(f(x * FOPI));
  octant = (octant + 1) & ~1;
  const y = octant;
  let sinNegative = value < 0 !== ((octant & 4) !== 0);
  const cosNegative = (~(octant - 2) & 4) !== 0;
  const polyIsSin = (octant & 2) === 0;
  for (const dp of DP) x = mad(y, dp!, x); // extended-precision range reduction
  const z = f(x * x);

  let c = COS_P[0]!;
  c = mad(c, z, COS_P[1]!);
  c = mad(c, z, COS_P[2]!);
  c = f(f(c * z) * z);
  c = f(mad(-z, 0.5, c) + 1);

  let s = SIN_P[0]!;
  s = mad(s, z, SIN_P[1]!);
  s = mad(s, z, SIN_P[2]!);
  s = mad(f(s * z), x, x);

  const sin = polyIsSin ? s : c;
  const cos = polyIsSin ? c : s;
  if (sin === 0) sinNegative = false;
  return [sinNegative ? -sin : sin, cosNegative ? -cos : cos];
}
