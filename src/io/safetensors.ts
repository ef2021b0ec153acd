/**
 * Hugging Face `.safetensors` files, read and written by hand (there is no maintained npm reader;
 * the format is three parts):
 *   1. an unsigned 64-bit little-endian integer N, the header length;
 *   2. N bytes of UTF-8 JSON: `{"__metadata__": {"k": "v"}, "image": {"dtype": "F32", "shape": [n, d], "data_offsets": [begin, end]}, …}`,
 *      padded with spaces to a multiple of 8 bytes by the reference writer;
 *   3. the raw little-endian tensor data; `data_offsets` count bytes from the start of part 3.
 *
 * Exporting from Python (one line):
 *   `safetensors.numpy.save_file({"image": image_feats, "text": text_feats}, "embeddings.safetensors")`
 *
 * The reader validates everything the reference implementation validates (header length,
 * JSON, dtypes, sizes = prod(shape) × itemsize, offsets inside the file, tensors contiguous with no
 * gaps or overlaps) and throws an {@link InputError} naming the file and the problem.
 *
 * @module
 */
import { InputError, sizeOf } from "../array";
import type { DType, NdArray } from "../array";
import { writeFileAtomic } from "./atomic";
import { ITEM_SIZE, decodeElements, encodeElements } from "./dtype";
import { decodeBfloat16 } from "./float16";
import { checkArray, ownsBuffer, readBytes } from "./npy";

/** Safetensors dtype codes we read → our dtype. BF16 is decoded to float32 (exactly). */
const CODE_TO_DTYPE: Record<string, DType> = {
  F16: "float16",
  BF16: "float32",
  F32: "float32",
  F64: "float64",
  I8: "int8",
  I16: "int16",
  I32: "int32",
  I64: "int64",
  U8: "uint8",
  U16: "uint16",
  U32: "uint32",
  BOOL: "bool",
};

const DTYPE_TO_CODE: Record<DType, string> = {
  float16: "F16",
  float32: "F32",
  float64: "F64",
  int8: "I8",
  int16: "I16",
  int32: "I32",
  int64: "I64",
  uint8: "U8",
  uint16: "U16",
  uint32: "U32",
  bool: "BOOL",
};

/**
 * The reference writer's dtype order (its Rust `Dtype` enum). It lays tensors out by dtype,
 * largest rank first, then by name, so that every tensor starts on a multiple of its item size.
 * Following it makes our files byte-identical to `safetensors.numpy.save_file` output.
 */
const WRITE_RANK: Record<string, number> = { BOOL: 0, U8: 1, I8: 2, I16: 5, U16: 6, F16: 7, BF16: 8, I32: 9, U32: 10, F32: 11, F64: 12, I64: 13 };

/** The reference reader refuses headers above 100 MB; so do we (a corrupt length is usually huge). */
const MAX_HEADER = 100_000_000;

/** What {@link readSafetensors} returns. */
export interface SafetensorsFile {
  /** Tensor name → array (BF16 decoded to a float32 array with dtype `"float32"`). */
  tensors: Record<string, NdArray>;
  /** The optional `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

/**
 * Parse the bytes of a `.safetensors` file.
 * @param name the file name, used in error messages.
 * @throws InputError for a bad header length, invalid JSON, an unknown dtype, a size that does not
 *   match the shape, offsets outside the data or not contiguous, or non-string metadata.
 */
export function parseSafetensors(bytes: Uint8Array, name = "<safetensors bytes>"): SafetensorsFile {
  return parseSafetensorsImpl(bytes, name, false);
}

/** {@link parseSafetensors}; with `share`, tensors may view `bytes.buffer` (see `decodeElements`). */
function parseSafetensorsImpl(bytes: Uint8Array, name: string, share: boolean): SafetensorsFile {
  const bad = (msg: string) => new InputError(`${name}: ${msg}`);
  if (bytes.length < 8) throw bad(`truncated: ${bytes.length} bytes, not even the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(`not a .safetensors file or corrupt: header length ${n64} exceeds the 100 MB limit`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw bad(`truncated: header length ${n} but only ${bytes.length - 8} bytes follow`);
  if (n < 2) throw bad(`not a .safetensors file or corrupt: header length ${n} is too small for a JSON object`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("utf8");
  if (!text.startsWith("{")) throw bad("not a .safetensors file or corrupt: the header does not start with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`corrupt JSON header (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw bad("the header is not a JSON object");

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { key: string; code: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("__metadata__ must be an object of strings");
      for (const [mk, mv] of Object.entries(raw)) {
        if (typeof mv !== "string") throw bad(`__metadata__.${mk} must be a string, got ${JSON.stringify(mv)}`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (typeof raw !== "object" || raw === null) throw bad(`tensor "${key}": entry is not an object`);
    const { dtype: code, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof code !== "string") throw bad(`tensor "${key}": missing dtype`);
    if (!(code in CODE_TO_DTYPE)) {
      throw bad(`tensor "${key}": unsupported dtype ${code}; supported: ${Object.keys(CODE_TO_DTYPE).join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw bad(`tensor "${key}": shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`tensor "${key}": data_offsets must be [begin, end] integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) throw bad(`tensor "${key}": data_offsets [${begin}, ${end}] end before they begin`);
    const itemSize = code === "BF16" ? 2 : ITEM_SIZE[CODE_TO_DTYPE[code]];
    const need = sizeOf(shape as number[]) * itemSize;
    if (end - begin !== need) {
      throw bad(`tensor "${key}": shape [${shape.join(", ")}] of ${code} needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLen) throw bad(`truncated: tensor "${key}" ends at byte ${end} of the data but the file holds only ${dataLen} data bytes`);
    entries.push({ key, code, shape: shape as number[], begin, end });
  }

  // Tensors must tile the data exactly: sorted by offset, each starts where the previous ended,
  // and the last one ends at the end of the file (so no byte is unaccounted for).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      throw bad(e.begin > pos ? `gap before tensor "${e.key}" (data bytes ${pos}..${e.begin} belong to no tensor)` : `tensor "${e.key}" overlaps the previous tensor at data byte ${e.begin}`);
    }
    pos = e.end;
  }
  if (pos !== dataLen) throw bad(`${dataLen - pos} trailing bytes after the last tensor (data ends at ${pos}, file holds ${dataLen})`);

  const tensors: Record<string, NdArray> = {};
  for (const e of entries) {
    const count = sizeOf(e.shape);
    const data = e.code === "BF16" ? decodeBfloat16(bytes, dataStart + e.begin, count) : decodeElements(bytes, dataStart + e.begin, count, CODE_TO_DTYPE[e.code], true, share);
    // defineProperty, not assignment: a tensor named "__proto__" must not change the prototype.
    Object.defineProperty(tensors, e.key, { value: { data, shape: e.shape, dtype: CODE_TO_DTYPE[e.code] }, enumerable: true, writable: true, configurable: true });
  }
  return { tensors, metadata };
}

/**
 * Encode tensors as `.safetensors` bytes. Deterministic: tensors are laid out as the reference
 * writer lays them out (by dtype, widest first, then by name), metadata keys are sorted, the JSON
 * is compact with keys in the order `dtype`, `shape`, `data_offsets`, and the header is padded
 * with spaces to a multiple of 8 bytes. For a file without metadata (or with one metadata key) the
 * bytes equal those of `safetensors.numpy.save_file`.
 * @param tensors name → array; names must be non-empty and not `__metadata__`.
 * @param metadata optional string → string map stored as `__metadata__`.
 */
export function encodeSafetensors(tensors: Record<string, NdArray>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const key of names) {
    if (key === "__metadata__" || key === "") throw new InputError(`invalid tensor name ${JSON.stringify(key)}`);
    checkArray(tensors[key], `tensor "${key}"`);
  }
  names.sort((a, b) => {
    const ra = WRITE_RANK[DTYPE_TO_CODE[tensors[a].dtype]];
    const rb = WRITE_RANK[DTYPE_TO_CODE[tensors[b].dtype]];
    return rb - ra || (a < b ? -1 : a > b ? 1 : 0);
  });
  const bodies = names.map((key) => encodeElements(tensors[key].data, tensors[key].dtype, `tensor "${key}"`));
  // Build the JSON by hand so the key order is fixed (JSON.stringify keeps insertion order, but
  // being explicit documents the format).
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    const keys = Object.keys(metadata).sort();
    for (const k of keys) {
      if (typeof metadata[k] !== "string") throw new InputError(`metadata "${k}" must be a string, got ${JSON.stringify(metadata[k])}`);
    }
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`);
  }
  let offset = 0;
  names.forEach((key, i) => {
    const t = tensors[key];
    const end = offset + bodies[i].length;
    parts.push(`${JSON.stringify(key)}:{"dtype":"${DTYPE_TO_CODE[t.dtype]}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  });
  let header = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const pad = (8 - (header.length % 8)) % 8;
  if (pad > 0) header = Buffer.concat([header, Buffer.from(" ".repeat(pad))]);
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let pos = 8 + header.length;
  for (const b of bodies) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

/**
 * Read a `.safetensors` file (see {@link parseSafetensors}).
 * @throws InputError naming the file if it is missing or malformed.
 */
export function readSafetensors(file: string): SafetensorsFile {
  const bytes = readBytes(file);
  return parseSafetensorsImpl(bytes, file, ownsBuffer(bytes));
}

/** Write tensors (and optional metadata) to `file` ({@link encodeSafetensors}), atomically. */
export function writeSafetensors(file: string, tensors: Record<string, NdArray>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
