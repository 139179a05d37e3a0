/**
 * Half precision (F16, IEEE 754 binary16) and bfloat16 (BF16) conversions to and from F32, bit for
 * bit what PyTorch 1.13 does on CPU tensors (`t.half()`, `t.to(torch.bfloat16)`, `t.float()`):
 *
 * - F32 → F16 and F32 → BF16 round to nearest, ties to even; too-large values become ±inf.
 * - F16 → F32 and BF16 → F32 are exact.
 *
 * Values are passed as bit patterns (unsigned ints) so NaN payloads survive; the single-value
 * helpers that take or return a JS number go through a scratch Float32Array.
 *
 * Porting note: NaNs follow torch's vectorised CPU kernels, which is what converting a tensor
 * runs: F32 → F16 gives `sign | 0x7e00`, F32 → BF16 gives `0xffff` (the scalar
 * `c10::BFloat16(float)` constructor gives `0x7fc0` instead), and F16 → F32 sets the quiet bit.
 * tools/fixtures/gen_safetensors.py records these from torch, and float16.test.ts checks them.
 */

const scratch = /* @__PURE__ */ new ArrayBuffer(4);
const scratchF32 = /* @__PURE__ */ new Float32Array(scratch);
const scratchU32 = /* @__PURE__ */ new Uint32Array(scratch);

/** F32 bits → F16 bits, round to nearest even. */
export function f32BitsToF16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00; // inf, NaN
  if (exp >= 143) return sign | 0x7c00; // |x| ≥ 2^16 overflows
  if (exp >= 113) {
    // F16 normal range: drop 13 mantissa bits; a carry out of the mantissa bumps the exponent,
    // which is exactly right (up to 0x7c00 = inf for values ≥ 65520).
    let h = ((exp - 112) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  // F16 subnormal (or zero): the result counts units of 2^-24, i.e. (1.mant × 2^(exp-127)) / 2^-24.
  const shift = 126 - exp;
  if (shift > 24) return sign; // below 2^-25: rounds to ±0 (F32 zeros and subnormals land here too)
  const full = mant | 0x800000;
  let h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** F16 bits → F32 bits, exact (NaNs are quieted, as torch does). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | (mant === 0 ? 0x7f800000 : 0x7fc00000 | (mant << 13))) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal: mant × 2^-24. Shift the leading one up to the hidden-bit position.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e -= 1;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** F32 bits → BF16 bits, round to nearest even (NaN → 0xffff, see the porting note above). */
export function f32BitsToBf16Bits(f: number): number {
  if ((f & 0x7fffffff) > 0x7f800000) return 0xffff;
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry may reach inf, as it should.
  // f ≤ 0xff800000 here, so the sum stays below 2^32 and `>>>` sees it unwrapped.
  return (f + 0x7fff + ((f >>> 16) & 1)) >>> 16;
}

/** BF16 bits → F32 bits, exact: BF16 is the top half of an F32. */
export function bf16BitsToF32Bits(b: number): number {
  return (b << 16) >>> 0;
}

/** Rounds `x` to F32, then to the nearest F16, and returns its 16 bits. */
export function float32ToFloat16Bits(x: number): number {
  scratchF32[0] = x;
  return f32BitsToF16Bits(scratchU32[0]);
}

/** The F32 value of the F16 with bits `h` (exact). */
export function float16BitsToFloat32(h: number): number {
  scratchU32[0] = f16BitsToF32Bits(h & 0xffff);
  return scratchF32[0];
}

/** Rounds `x` to F32, then to the nearest BF16, and returns its 16 bits. */
export function float32ToBFloat16Bits(x: number): number {
  scratchF32[0] = x;
  return f32BitsToBf16Bits(scratchU32[0]);
}

/** The F32 value of the BF16 with bits `b` (exact). */
export function bfloat16BitsToFloat32(b: number): number {
  scratchU32[0] = bf16BitsToF32Bits(b & 0xffff);
  return scratchF32[0];
}

/** Narrows every element of `src` to F16 bits. */
export function encodeFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

/** Narrows every element of `src` to BF16 bits. */
export function encodeBFloat16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = f32BitsToBf16Bits(bits[i]);
  return out;
}

/** Widens F16 bits to a new Float32Array (written as bits, so NaN payloads are kept). */
export function decodeFloat16(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = f16BitsToF32Bits(src[i]);
  return out;
}

/** Widens BF16 bits to a new Float32Array. */
export function decodeBFloat16(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = bf16BitsToF32Bits(src[i]);
  return out;
}
