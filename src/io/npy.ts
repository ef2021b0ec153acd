/**
 * NumPy `.npy` files, read and written by hand (the format is small and fully specified in
 * NEP 1 / `numpy.lib.format`).
 *
 * Layout:
 *   bytes 0..5   magic `\x93NUMPY`
 *   bytes 6, 7   format version major, minor (1.0, 2.0 or 3.0)
 *   then         header length: uint16 LE (v1) or uint32 LE (v2, v3)
 *   then         header: a Python dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`,
 *                padded with spaces and a final `\n` so the data starts on a 64-byte boundary
 *                (latin-1 text in v1/v2, UTF-8 in v3)
 *   then         the raw array data, `prod(shape) × itemsize` bytes
 *
 * Exporting from Python (one line; `hidden_states` is a tuple of `[n, d]` tensors, one per layer):
 *   `np.save("image_layers.npy", torch.stack(hidden_states).float().cpu().numpy())`  → `[layers, n, d]`
 *
 * @module
 */
import * as fs from "node:fs";
import { LARGE_ARRAY_BYTES, largeBytes } from "../backend/native";
import { InputError, sizeOf } from "../array";
import type { DType, NdArray } from "../array";
import { writeFileAtomic } from "./atomic";
import { ITEM_SIZE, decodeElements, encodeElements } from "./dtype";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93 N U M P Y

/** NumPy type codes (kind + item size) → our dtype names. */
const CODE_TO_DTYPE: Record<string, DType> = {
  f2: "float16",
  f4: "float32",
  f8: "float64",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  b1: "bool",
};

/** Our dtype names → the `descr` string NumPy writes on a little-endian machine. */
const DTYPE_TO_DESCR: Record<DType, string> = {
  float16: "<f2",
  float32: "<f4",
  float64: "<f8",
  int8: "|i1",
  int16: "<i2",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  uint16: "<u2",
  uint32: "<u4",
  bool: "|b1",
};

const SUPPORTED = "float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, bool";

/**
 * Parse the bytes of a `.npy` file.
 * @param bytes the whole file.
 * @param name the file name, used in error messages.
 * @returns an {@link NdArray} in C order; float16 is decoded to a Float32Array, int64 is a
 *   BigInt64Array, bool is a Uint8Array of 0/1. Big-endian data is converted.
 * @throws InputError for a file that is not `.npy`, truncated, Fortran-ordered, or of an
 *   unsupported dtype (uint64, complex, strings, objects, structured records).
 */
export function parseNpy(bytes: Uint8Array, name = "<npy bytes>"): NdArray {
  return parseNpyImpl(bytes, name, false);
}

/** {@link parseNpy}; with `share`, arrays may view `bytes.buffer` (see `decodeElements`). */
function parseNpyImpl(bytes: Uint8Array, name: string, share: boolean): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(`${name} is not a .npy file (it does not start with the magic bytes \\x93NUMPY)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new InputError(`${name}: unsupported .npy format version ${major}.${minor}; supported: 1.0, 2.0, 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new InputError(`${name} is truncated: the file ends inside the header length`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lenBytes;
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new InputError(`${name} is truncated: the header says it is ${headerLen} bytes but the file has only ${bytes.length - headerStart} after the length field`);
  }
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLen).toString(major === 3 ? "utf8" : "latin1");
  const header = parseHeader(headerText, name);

  const count = sizeOf(header.shape);
  const itemSize = ITEM_SIZE[header.dtype];
  const need = count * itemSize;
  const have = bytes.length - dataStart;
  if (have < need) {
    throw new InputError(`${name} is truncated: shape [${header.shape.join(", ")}] of ${header.dtype} needs ${need} data bytes, the file has ${have}`);
  }
  if (have > need) {
    throw new InputError(`${name} is corrupt: shape [${header.shape.join(", ")}] of ${header.dtype} needs ${need} data bytes, the file has ${have - need} more`);
  }
  const data = decodeElements(bytes, dataStart, count, header.dtype, header.littleEndian, share);
  return { data, shape: header.shape, dtype: header.dtype };
}

interface NpyHeader {
  dtype: DType;
  littleEndian: boolean;
  shape: number[];
}

function parseHeader(text: string, name: string): NpyHeader {
  let dict: unknown;
  try {
    dict = new PyLiteralParser(text.trim()).parseAll();
  } catch (e) {
    throw new InputError(`${name} is corrupt: cannot parse the .npy header ${JSON.stringify(text.trim())} (${(e as Error).message})`);
  }
  if (!(dict instanceof Map)) throw new InputError(`${name} is corrupt: the .npy header is not a dict: ${JSON.stringify(text.trim())}`);
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!dict.has(key)) throw new InputError(`${name} is corrupt: the .npy header has no '${key}' entry`);
  }
  const descr = dict.get("descr");
  if (typeof descr !== "string") {
    throw new InputError(`${name}: structured (record) dtypes are not supported; save a plain numeric array`);
  }
  const m = /^([<>|=])?([a-zA-Z?])(\d*)$/.exec(descr);
  if (!m) throw new InputError(`${name}: unsupported dtype '${descr}'; supported: ${SUPPORTED}`);
  const order = m[1] ?? "|";
  const code = m[2] + m[3];
  const dtype = CODE_TO_DTYPE[code];
  if (!dtype) {
    const hint = code === "u8" ? " (uint64 does not fit a JS number safely; save with .astype(np.int64))" : "";
    throw new InputError(`${name}: unsupported dtype '${descr}'${hint}; supported: ${SUPPORTED}`);
  }
  const fortran = dict.get("fortran_order");
  if (typeof fortran !== "boolean") throw new InputError(`${name} is corrupt: 'fortran_order' must be True or False`);
  if (fortran) {
    throw new InputError(`${name} is stored in Fortran (column-major) order, which is not supported; re-save it with np.save(path, np.ascontiguousarray(x))`);
  }
  const shape = dict.get("shape");
  if (!Array.isArray(shape) || !shape.every((s) => typeof s === "number" && Number.isSafeInteger(s) && s >= 0)) {
    throw new InputError(`${name} is corrupt: 'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  // '=' means "native order of the writing machine"; NumPy never writes it into files, and every
  // machine NumPy runs on today is little-endian, so we read it as little-endian.
  return { dtype, littleEndian: order !== ">", shape: shape as number[] };
}

/**
 * A parser for the tiny subset of Python literals a `.npy` header uses: dicts, tuples, lists,
 * quoted strings, integers (with an optional Python 2 `L` suffix), True, False and None.
 * Dicts become `Map`s, tuples and lists arrays. Throws a plain Error on anything else.
 */
class PyLiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error(`unexpected text at position ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.dict();
    if (c === "(") return this.seq(")");
    if (c === "[") return this.seq("]");
    if (c === "'" || c === '"') return this.str();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.s.slice(this.i));
    if (!word) throw new Error(`unexpected ${c === undefined ? "end of header" : `'${c}'`} at position ${this.i}`);
    this.i += word[0].length;
    if (word[0] === "True") return true;
    if (word[0] === "False") return false;
    if (word[0] === "None") return null;
    return Number(word[0].replace("L", ""));
  }

  private str(): string {
    const q = this.s[this.i++];
    const end = this.s.indexOf(q, this.i);
    if (end < 0) throw new Error("unterminated string");
    const out = this.s.slice(this.i, end);
    this.i = end + 1;
    return out;
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed, as in Python. */
  private items(close: string, item: () => void): void {
    this.i++; // opening bracket
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return;
      }
      item();
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] !== close) throw new Error(`expected ',' or '${close}' at position ${this.i}`);
    }
  }

  private seq(close: string): unknown[] {
    const out: unknown[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private dict(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    this.items("}", () => {
      const key = this.value();
      if (typeof key !== "string") throw new Error("dict keys must be strings");
      this.ws();
      if (this.s[this.i++] !== ":") throw new Error(`expected ':' at position ${this.i - 1}`);
      out.set(key, this.value());
    });
    return out;
  }
}

/** Python's `repr` of a shape tuple: `()`, `(3,)`, `(3, 4)`. */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Encode an array as `.npy` bytes, byte-for-byte what `np.save` (NumPy ≥ 1.23) writes for a
 * C-ordered little-endian array: version 1.0 (2.0 only if the header outgrows 64 KiB), keys in
 * sorted order, 21 − len(str(shape[0])) spare spaces (NumPy leaves room to grow axis 0 in place),
 * then space padding and `\n` up to a multiple of 64 bytes.
 * @param arr `data.length` must equal the product of `shape`; the typed array must match `dtype`
 *   (float16 → Float32Array, values rounded to the nearest half; int64 → BigInt64Array).
 */
export function encodeNpy(arr: NdArray): Uint8Array {
  checkArray(arr, "array");
  let header = `{'descr': '${DTYPE_TO_DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shapeRepr(arr.shape)}, }`;
  if (arr.shape.length > 0) header += " ".repeat(Math.max(0, 21 - String(arr.shape[0]).length));
  const hlen = header.length + 1; // + the final "\n"
  let version = 1;
  let prefixLen = 10; // magic 6 + version 2 + uint16 length 2
  let padlen = 64 - ((prefixLen + hlen) % 64);
  if (hlen + padlen > 0xffff) {
    version = 2;
    prefixLen = 12;
    padlen = 64 - ((prefixLen + hlen) % 64);
  }
  const headerBytes = Buffer.from(header + " ".repeat(padlen) + "\n", "latin1");
  const body = encodeElements(arr.data, arr.dtype, "array");
  const out = new Uint8Array(prefixLen + headerBytes.length + body.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefixLen);
  out.set(body, prefixLen + headerBytes.length);
  return out;
}

/** Throw unless `arr` is a well-formed NdArray (shape of non-negative integers matching data). */
export function checkArray(arr: NdArray, name: string): void {
  if (!(arr.dtype in ITEM_SIZE)) throw new InputError(`${name}: unsupported dtype ${JSON.stringify(arr.dtype)}; supported: ${SUPPORTED}`);
  if (!arr.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new InputError(`${name}: invalid shape [${arr.shape.join(", ")}]`);
  }
  const n = sizeOf(arr.shape);
  if (arr.data.length !== n) {
    throw new InputError(`${name}: data has ${arr.data.length} values; shape [${arr.shape.join(", ")}] needs ${n}`);
  }
}

/**
 * Read a `.npy` file (see {@link parseNpy} for what comes back).
 * @throws InputError naming the file if it is missing, unreadable or malformed.
 */
export function readNpy(file: string): NdArray {
  const bytes = readBytes(file);
  return parseNpyImpl(bytes, file, ownsBuffer(bytes));
}

/**
 * True when `bytes` spans its whole ArrayBuffer, i.e. it is not a slice of Node's shared pool
 * (small files are read into the pool; big ones get their own buffer). Only then may the
 * returned arrays view the file's memory instead of copying it.
 */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/** Write `arr` to `file` as `.npy` ({@link encodeNpy}), atomically. */
export function writeNpy(file: string, arr: NdArray): void {
  writeFileAtomic(file, encodeNpy(arr));
}

/**
 * Read a whole file, turning "no such file" and friends into an {@link InputError}. A big file is
 * read into {@link largeBytes} (huge-page memory with the native addon), into one buffer of its
 * own either way.
 */
export function readBytes(file: string): Uint8Array {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size < LARGE_ARRAY_BYTES) return fs.readFileSync(fd);
      const out = largeBytes(size);
      let got = 0;
      for (let n = 1; got < size && n > 0; got += n) n = fs.readSync(fd, out, got, size - got, got);
      return got === size ? out : out.subarray(0, got); // the file shrank while we read it
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${file}: no such file`);
    if (code === "EISDIR") throw new InputError(`${file} is a directory, not an array file`);
    if (code === "EACCES") throw new InputError(`${file}: permission denied`);
    throw e;
  }
}
