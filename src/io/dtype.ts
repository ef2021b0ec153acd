/**
 * Shared dtype plumbing for the `.npy` and `.safetensors` codecs: element sizes, and copying raw
 * little-endian bytes into a fresh typed array (and back).
 *
 * Why copy instead of viewing the file's buffer? `fs.readFileSync` returns a slice of Node's
 * pooled `ArrayBuffer` (shared with unrelated data, see stack-notes §8), and a typed array view
 * also needs its byte offset to be a multiple of the element size, which the file layout does not
 * guarantee. One copy makes the result independent, aligned and safe to keep.
 *
 * @module
 */
import { InputError } from "../array";
import type { AnyTypedArray, DType } from "../array";
import { decodeFloat16, encodeFloat16 } from "./float16";

/** Bytes per element on disk. */
export const ITEM_SIZE: Record<DType, number> = {
  float16: 2,
  float32: 4,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  bool: 1,
};

/**
 * Decode `count` elements of `dtype` from `bytes[offset..]` into a new typed array.
 * float16 becomes a Float32Array, int64 a BigInt64Array, bool a Uint8Array of 0/1.
 * @param littleEndian false for big-endian data (`>f4` in a `.npy` header): bytes are swapped.
 * @param share the caller owns `bytes.buffer` outright (a file read into its own, unpooled
 *   buffer): return a view instead of a copy when the offset is aligned. Halves peak memory for
 *   big embedding files. bool data is then normalised to 0/1 in place.
 */
export function decodeElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: DType,
  littleEndian = true,
  share = false,
): AnyTypedArray {
  if (dtype === "float16") return decodeFloat16(bytes, offset, count, littleEndian);
  const size = ITEM_SIZE[dtype];
  const start = bytes.byteOffset + offset;
  if (share && littleEndian && start % size === 0) {
    // Zero-copy: view the file's own buffer (only when the caller owns it; see `share`).
    return view(bytes.buffer as ArrayBuffer, start, count, dtype);
  }
  // Copy into a fresh, aligned buffer, then fix the byte order in place if needed. (Not
  // `bytes.slice`: on a Node Buffer, slice returns a view into the pool, not a copy.)
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(offset, offset + count * size));
  if (!littleEndian && size > 1) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return view(copy.buffer, 0, count, dtype);
}

/** A typed-array view of `count` elements of `dtype` at `byteOffset` (platform order = little-endian on every platform Node supports). */
function view(buf: ArrayBuffer, byteOffset: number, count: number, dtype: Exclude<DType, "float16">): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(buf, byteOffset, count);
    case "float64":
      return new Float64Array(buf, byteOffset, count);
    case "int8":
      return new Int8Array(buf, byteOffset, count);
    case "int16":
      return new Int16Array(buf, byteOffset, count);
    case "int32":
      return new Int32Array(buf, byteOffset, count);
    case "int64":
      return new BigInt64Array(buf, byteOffset, count);
    case "uint8":
      return new Uint8Array(buf, byteOffset, count);
    case "uint16":
      return new Uint16Array(buf, byteOffset, count);
    case "uint32":
      return new Uint32Array(buf, byteOffset, count);
    case "bool": {
      // Normalise to 0/1 (NumPy only writes 0/1, but a hand-made file might hold other bytes).
      const out = new Uint8Array(buf, byteOffset, count);
      for (let i = 0; i < count; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
  }
}

/** The typed-array class that holds each dtype in memory. */
function expectedClass(dtype: DType): string {
  switch (dtype) {
    case "float16":
    case "float32":
      return "Float32Array";
    case "float64":
      return "Float64Array";
    case "int8":
      return "Int8Array";
    case "int16":
      return "Int16Array";
    case "int32":
      return "Int32Array";
    case "int64":
      return "BigInt64Array";
    case "uint8":
    case "bool":
      return "Uint8Array";
    case "uint16":
      return "Uint16Array";
    case "uint32":
      return "Uint32Array";
  }
}

/**
 * Encode a typed array as little-endian bytes of `dtype`. The array must be of the class that
 * holds `dtype` (float16 → Float32Array, values rounded to half; bool → Uint8Array, nonzero = true).
 * @param name used in error messages.
 */
export function encodeElements(data: AnyTypedArray, dtype: DType, name = "array"): Uint8Array {
  const want = expectedClass(dtype);
  // float16 also accepts Float64Array input: it is rounded to half either way.
  const ok = data.constructor.name === want || (dtype === "float16" && data instanceof Float64Array);
  if (!ok) throw new InputError(`${name}: dtype ${dtype} needs a ${want}; got a ${data.constructor.name}`);
  if (dtype === "float16") return encodeFloat16(data as Float32Array);
  if (dtype === "bool") {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
    return out;
  }
  // A view of exactly the array's bytes (it may itself be a view into a larger buffer).
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
