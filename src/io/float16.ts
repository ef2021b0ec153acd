/**
 * Half-precision (IEEE 754 binary16) and bfloat16 conversion. JavaScript has no 16-bit float
 * type that all supported Node versions share, so `.npy` `<f2` and safetensors `F16`/`BF16` data
 * are decoded into a `Float32Array` (every half and bfloat16 value is exactly representable in
 * float32, so decoding loses nothing).
 *
 * binary16 layout: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
 *   exponent 0      → subnormal: (-1)^s · 2^-14 · fraction/1024   (0x0001 = 2^-24 ≈ 5.96e-8)
 *   exponent 1..30  → normal:    (-1)^s · 2^(e-15) · (1 + fraction/1024)   (0x3C00 = 1, 0xC000 = -2)
 *   exponent 31     → ±Infinity when fraction = 0 (0x7C00), NaN otherwise (0x7E00)
 * bfloat16 is simply the top 16 bits of a float32 (8 exponent bits, 7 fraction bits).
 *
 * @module
 */

/** Decode one binary16 bit pattern (0..0xFFFF) to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and ±0)
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// Scratch views to reinterpret float32 bits as a uint32 without allocating.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Encode a number as the nearest binary16 bit pattern (round half to even, as NumPy's
 * `astype(np.float16)` does). Values beyond the largest half (65504) round to ±Infinity; NaN
 * becomes the canonical quiet NaN 0x7E00.
 */
export function floatToHalf(x: number): number {
  // Convert straight from float64 (as NumPy does): going through float32 first could round twice.
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  // Smallest normal half is 2^-14; below it we encode a subnormal with step 2^-24.
  if (a < 2 ** -14) {
    const m = roundHalfEven(a / 2 ** -24); // 0..1024; 1024 carries into the smallest normal
    return sign | m;
  }
  let e = Math.floor(Math.log2(a));
  // Math.log2 can be off by one ulp near powers of two; correct so that 2^e ≤ a < 2^(e+1).
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    // Rounding overflowed the fraction: 1.111…1 rounds up to 10.0, so bump the exponent.
    m = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Decode `count` little-endian binary16 values starting at `bytes[offset]`. */
export function decodeFloat16(bytes: Uint8Array, offset: number, count: number, littleEndian = true): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, littleEndian));
  return out;
}

/** Encode values as little-endian binary16 bytes. */
export function encodeFloat16(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, floatToHalf(values[i]), true);
  return out;
}

/** Decode `count` little-endian bfloat16 values (the top half of a float32) at `bytes[offset]`. */
export function decodeBfloat16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  for (let i = 0; i < count; i++) {
    u32[0] = view.getUint16(2 * i, true) << 16;
    out[i] = f32[0];
  }
  return out;
}
