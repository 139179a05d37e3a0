// F16 / BF16 conversions against PyTorch 1.13 (the `conversions` table of
// fixtures/safetensors/torch.json, written by `/usr/bin/python3 tools/fixtures/gen_safetensors.py`),
// then exhaustively over all 65,536 16-bit patterns against an independent arithmetic definition.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32Bits,
  bfloat16BitsToFloat32,
  decodeBFloat16,
  decodeFloat16,
  encodeBFloat16,
  encodeFloat16,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
} from './float16';

type Conversions = {
  narrow: { f32Bits: number[]; f16Bits: number[]; bf16Bits: number[] };
  widen: { f16Bits: number[]; f32BitsFromF16: number[]; bf16Bits: number[]; f32BitsFromBf16: number[] };
};
const { conversions: torch } = JSON.parse(
  readFileSync(new URL('../../fixtures/safetensors/torch.json', import.meta.url), 'utf8'),
) as { conversions: Conversions };

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;
const f32FromBits = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);
const bitsOf = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));

/** Every input where `convert` disagrees with torch, as readable hex, so a failure lists them all. */
function mismatches(
  inputs: number[],
  expected: number[],
  convert: (x: number) => number,
  inDigits: number,
  outDigits: number,
) {
  return inputs
    .map((x, i) => ({ x, want: expected[i] as number, got: convert(x) }))
    .filter(({ want, got }) => want !== got)
    .map(
      ({ x, want, got }) => `${hex(x, inDigits)}: torch ${hex(want, outDigits)}, ours ${hex(got, outDigits)}`,
    );
}

describe('against PyTorch', () => {
  const { narrow, widen } = torch;

  it('F32 -> F16 rounds like t.half(): ties to even, overflow to inf, subnormals, NaN', () => {
    expect(narrow.f32Bits.length).toBeGreaterThan(50);
    expect(mismatches(narrow.f32Bits, narrow.f16Bits, f32BitsToF16Bits, 8, 4)).toEqual([]);
    expect(Array.from(encodeFloat16(f32FromBits(narrow.f32Bits)))).toEqual(narrow.f16Bits);
  });

  it('F32 -> BF16 rounds like t.to(torch.bfloat16)', () => {
    expect(mismatches(narrow.f32Bits, narrow.bf16Bits, f32BitsToBf16Bits, 8, 4)).toEqual([]);
    expect(Array.from(encodeBFloat16(f32FromBits(narrow.f32Bits)))).toEqual(narrow.bf16Bits);
  });

  it('F16 -> F32 widens like t.float(), NaNs quieted', () => {
    expect(mismatches(widen.f16Bits, widen.f32BitsFromF16, f16BitsToF32Bits, 4, 8)).toEqual([]);
    expect(bitsOf(decodeFloat16(Uint16Array.from(widen.f16Bits)))).toEqual(widen.f32BitsFromF16);
  });

  it('BF16 -> F32 widens like t.float()', () => {
    expect(mismatches(widen.bf16Bits, widen.f32BitsFromBf16, bf16BitsToF32Bits, 4, 8)).toEqual([]);
    expect(bitsOf(decodeBFloat16(Uint16Array.from(widen.bf16Bits)))).toEqual(widen.f32BitsFromBf16);
  });
});

describe('all 65,536 bit patterns', () => {
  const patterns = Array.from({ length: 0x10000 }, (_, h) => h);

  /** IEEE binary16 by its definition, in float64 arithmetic. */
  function f16Value(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    if (exp === 0) return sign * mant * 2 ** -24;
    return sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }

  it('F16 -> F32 equals the binary16 definition', () => {
    const wrong = patterns.filter((h) => !Object.is(float16BitsToFloat32(h), f16Value(h)));
    expect(wrong.map((h) => hex(h, 4))).toEqual([]);
  });

  it('F16 -> F32 -> F16 is the identity (NaN -> sign | 0x7e00)', () => {
    const back = (h: number) => f32BitsToF16Bits(f16BitsToF32Bits(h));
    const expected = (h: number) => (Number.isNaN(f16Value(h)) ? (h & 0x8000) | 0x7e00 : h);
    expect(patterns.filter((h) => back(h) !== expected(h)).map((h) => hex(h, 4))).toEqual([]);
  });

  it('BF16 -> F32 -> BF16 is the identity (NaN -> 0xffff)', () => {
    const isBf16NaN = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
    const back = (b: number) => f32BitsToBf16Bits(bf16BitsToF32Bits(b));
    expect(patterns.filter((b) => back(b) !== (isBf16NaN(b) ? 0xffff : b)).map((b) => hex(b, 4))).toEqual([]);
  });
});

describe('F32 -> F16 picks the nearest F16', () => {
  // A deterministic spread of F32 values over the whole F16 range (and past it): the result must
  // be at least as close as both neighbours, and on a tie it must have an even mantissa.
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const samples = Array.from({ length: 20000 }, () => (random() < 0.5 ? -1 : 1) * 2 ** (random() * 44 - 28));
  samples.push(65519.99, 65520, 2 ** -25, 3 * 2 ** -26, 2 ** -14 - 2 ** -25);

  it('for 20,000 values from 2^-28 to 2^16', () => {
    const bad: string[] = [];
    for (const sample of samples) {
      const x = Math.fround(sample);
      const h = float32ToFloat16Bits(x);
      const value = float16BitsToFloat32(h);
      const magnitude = h & 0x7fff;
      const below = magnitude > 0 ? float16BitsToFloat32((h & 0x8000) | (magnitude - 1)) : 0;
      const above = magnitude < 0x7c00 ? float16BitsToFloat32((h & 0x8000) | (magnitude + 1)) : value;
      const error = Math.abs(value - x);
      const toBelow = Math.abs(below - x);
      const toAbove = Math.abs(above - x);
      const tie = error !== 0 && (error === toBelow || error === toAbove);
      const ok =
        magnitude === 0x7c00
          ? Math.abs(x) >= 65520 // inf is right iff |x| is at least half an F16 ulp past 65504
          : error <= toBelow && error <= toAbove && (!tie || (h & 1) === 0);
      if (!ok) bad.push(`${x} -> ${hex(h, 4)}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('single-value helpers', () => {
  it('convert JS numbers through F32', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float16BitsToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float32ToBFloat16Bits(Math.PI)).toBe(0x4049);
    expect(bfloat16BitsToFloat32(0x4049)).toBe(3.140625);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('round the number to F32 first, like torch, whose input is an F32 tensor', () => {
    // 1 + 2^-11 + 2^-40 is above the F16 tie, but its F32 rounding is the tie itself -> even -> 1.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });
});
