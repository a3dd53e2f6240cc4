import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.ts';

describe('float16', () => {
  it('encodes known values bit-exactly (IEEE 754 binary16)', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // largest finite
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up to +Infinity
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
  });

  it('rounds halfway cases to even', () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('round-trips every finite half value', () => {
    const bits = Uint16Array.from({ length: 0x7c00 }, (_, i) => i);
    expect([...float32ToFloat16(float16ToFloat32(bits))]).toEqual([...bits]);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
  });

  it('casts a Float32Array exactly as value by value, across every exponent and the rounding ties', () => {
    const bits = new Uint32Array(200_000);
    let state = 12345;
    for (let i = 0; i < bits.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      // Every 4th value sits exactly on a rounding tie (the dropped 13 bits are 0x1000).
      bits[i] = i % 4 === 0 ? (state & 0xffffe000) | 0x1000 : state;
    }
    const values = new Float32Array(bits.buffer);
    const expected = Uint16Array.from(values, (v) => toFloat16Bits(v));
    expect(float32ToFloat16(values)).toEqual(expected);
  });
});
