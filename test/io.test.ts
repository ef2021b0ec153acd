/**
 * I/O tests: `.npy` and `.safetensors` readers/writers against files written by NumPy and by the
 * reference safetensors writer (test/fixtures/io, made by scripts/fixtures/io/make_fixtures.py),
 * against hand-built bytes from the published formats, and round trips for every dtype.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../src/array";
import type { DType, NdArray } from "../src/array";
import {
  encodeNpy,
  encodeSafetensors,
  floatToHalf,
  halfToFloat,
  parseNpy,
  parseSafetensors,
  readArray,
  readNpy,
  readSafetensors,
  writeNpy,
  writeSafetensors,
} from "../src/io";

const FIX = path.join(__dirname, "fixtures", "io");
const fix = (name: string) => path.join(FIX, name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lco-io-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Assert that `fn` throws an InputError whose message matches every pattern. */
function throwsInput(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return true;
  });
}

/** Build a .npy file by hand from the published format (version 1.0). */
function handNpy(header: string, body: Uint8Array, version = 1): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  const h = Buffer.from(header, "latin1");
  const out = new Uint8Array(8 + lenBytes + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, 8 + lenBytes);
  out.set(body, 8 + lenBytes + h.length);
  return out;
}

/** Build a .safetensors file by hand: u64 LE header length, JSON, data. */
function handSafetensors(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const h = Buffer.from(headerText ?? JSON.stringify(header), "utf8");
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test("float16: hand-computed bit patterns decode exactly", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504); // largest finite half
  assert.equal(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(halfToFloat(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(halfToFloat(0x0400), 2 ** -14); // smallest normal
  assert.equal(halfToFloat(0x3555), 0.333251953125); // 2^-2 · (1 + 341/1024)
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.equal(halfToFloat(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

test("float16: encoding rounds to nearest, ties to even, overflow to inf", () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2), 0xc000);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(65520), 0x7c00); // halfway to 2^16 rounds to even → inf
  assert.equal(floatToHalf(65519), 0x7bff);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal → even (0)
  assert.equal(floatToHalf(3 * 2 ** -25), 0x0002); // tie between 1 and 2 subnormal steps → 2
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie → even fraction 0
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie → even fraction 2
  assert.equal(floatToHalf(0.333), 0x3554); // 0.333/0.25 − 1 = 0.332 → 339.97 → 340
  assert.equal(floatToHalf(-0), 0x8000);
  assert.equal(floatToHalf(Infinity), 0x7c00);
  assert.equal(floatToHalf(NaN), 0x7e00);
  // Every one of the 63488 finite half patterns survives decode → encode.
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue; // inf / nan
    assert.equal(floatToHalf(halfToFloat(h)), h, `pattern 0x${h.toString(16)}`);
  }
});

test("npy fixtures from NumPy: every dtype parses to the written values and re-encodes byte-identically", () => {
  const f32 = (xs: number[]) => xs.map(Math.fround);
  const cases: [string, DType, number[], (number | bigint)[]][] = [
    ["f4.npy", "float32", [2, 3], f32([1.5, -2.0, 0.1, 3.25, 1e-3, -0.0])],
    ["f8.npy", "float64", [2, 3], [1.5, -2.0, 0.1, 3.25, 1e-300, Math.PI]],
    ["i1.npy", "int8", [2, 3], [-128, -1, 0, 1, 2, 127]],
    ["i2.npy", "int16", [2, 3], [-32768, -1, 0, 1, 2, 32767]],
    ["i4.npy", "int32", [2, 3], [-2147483648, -1, 0, 1, 2, 2147483647]],
    ["i8.npy", "int64", [2, 3], [-9223372036854775808n, -1n, 0n, 1n, 2n ** 53n + 1n, 9223372036854775807n]],
    ["u1.npy", "uint8", [2, 3], [0, 1, 2, 127, 128, 255]],
    ["u2.npy", "uint16", [2, 3], [0, 1, 2, 32767, 32768, 65535]],
    ["u4.npy", "uint32", [2, 3], [0, 1, 2, 2147483647, 2147483648, 4294967295]],
    ["b1.npy", "bool", [2, 3], [1, 0, 1, 0, 0, 1]],
    ["scalar.npy", "float64", [], [7.5]],
    ["empty.npy", "float32", [0, 3], []],
    ["long.npy", "int32", [3], [1234567, 1234568, 1234569]],
  ];
  for (const [file, dtype, shape, values] of cases) {
    const bytes = fs.readFileSync(fix(file));
    const arr = parseNpy(bytes, file);
    assert.equal(arr.dtype, dtype, file);
    assert.deepEqual(arr.shape, shape, file);
    assert.deepEqual(Array.from(arr.data as ArrayLike<number | bigint>), values, file);
    // Our writer reproduces NumPy's bytes exactly (header layout, padding, growth spaces).
    assert.deepEqual(Buffer.from(encodeNpy(arr)), bytes, `${file} re-encoded`);
  }
  assert.ok(Object.is(readNpy(fix("f4.npy")).data[5], -0), "keeps -0");
  assert.ok(readNpy(fix("i8.npy")).data instanceof BigInt64Array);
  assert.ok(readNpy(fix("b1.npy")).data instanceof Uint8Array);
});

test("npy float16 fixture decodes to hand-computed values, including subnormal, inf and nan", () => {
  const arr = readNpy(fix("f2.npy"));
  assert.equal(arr.dtype, "float16");
  assert.ok(arr.data instanceof Float32Array);
  const v = Array.from(arr.data as Float32Array);
  assert.deepEqual(v.slice(0, 5), [1, -2, 65504, 2 ** -24, Infinity]);
  assert.ok(Number.isNaN(v[5]));
  assert.equal(v[6], 0.3330078125); // 2^-2 · (1 + 340/1024)
  assert.deepEqual(Buffer.from(encodeNpy(arr)), fs.readFileSync(fix("f2.npy")));
});

test("npy: big-endian data is byte-swapped; versions 2.0 and 3.0 parse", () => {
  const be = readNpy(fix("f4_be.npy"));
  assert.equal(be.dtype, "float32");
  assert.deepEqual(Array.from(be.data as Float32Array), [1.5, -2.0, Math.fround(0.1), 4.0]);
  assert.deepEqual(Array.from(readNpy(fix("i8_be.npy")).data as BigInt64Array), [-2n, 3n]);
  for (const f of ["v2.npy", "v3.npy"]) {
    const a = readNpy(fix(f));
    assert.deepEqual(a.shape, [2, 2]);
    assert.deepEqual(Array.from(a.data as Float32Array), [1, 2, 3, 4]);
  }
});

test("npy: a hand-built file from the spec parses (Python 2 'L' suffix, double quotes, no padding)", () => {
  const body = new Uint8Array(new Float64Array([0.5, -1.25]).buffer);
  const a = parseNpy(handNpy(`{"descr": "<f8", "fortran_order": False, "shape": (2L, 1L)}\n`, body));
  assert.deepEqual(a.shape, [2, 1]);
  assert.deepEqual(Array.from(a.data as Float64Array), [0.5, -1.25]);
  // The parser copies out of Node's pooled Buffer: parsing a subarray at an odd offset works and
  // the result does not alias the input.
  const padded = new Uint8Array(3 + 200);
  const file = handNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n`, new Uint8Array(new Float32Array([3, 4]).buffer));
  padded.set(file, 3);
  const b = parseNpy(padded.subarray(3, 3 + file.length));
  assert.deepEqual(Array.from(b.data as Float32Array), [3, 4]);
  padded.fill(0);
  assert.deepEqual(Array.from(b.data as Float32Array), [3, 4]);
});

test("npy: bad files give an InputError naming the file and the problem", () => {
  throwsInput(() => readNpy(fix("fortran.npy")), /fortran\.npy/, /Fortran/);
  throwsInput(() => readNpy(fix("u8.npy")), /u8\.npy/, /unsupported dtype '<u8'/, /int64/);
  throwsInput(() => readNpy(fix("c8.npy")), /unsupported dtype '<c8'/);
  throwsInput(() => readNpy(path.join(tmp, "missing.npy")), /missing\.npy: no such file/);
  throwsInput(() => parseNpy(Buffer.from("hello world, not npy"), "x.npy"), /x\.npy is not a \.npy file/);
  const good = fs.readFileSync(fix("f4.npy"));
  throwsInput(() => parseNpy(good.subarray(0, good.length - 1), "t.npy"), /t\.npy is truncated/, /needs 24 data bytes, the file has 23/);
  throwsInput(() => parseNpy(good.subarray(0, 40), "t.npy"), /truncated/, /header/);
  throwsInput(() => parseNpy(Buffer.concat([good, Buffer.from([0])]), "t.npy"), /corrupt/, /1 more/);
  const badVersion = Uint8Array.from(good);
  badVersion[6] = 9;
  throwsInput(() => parseNpy(badVersion, "v.npy"), /format version 9\.0/);
  throwsInput(() => parseNpy(handNpy("{'descr': '<f4', 'shape': (2,)}\n", new Uint8Array(8))), /no 'fortran_order'/);
  throwsInput(() => parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,\n", new Uint8Array(8))), /cannot parse/);
  throwsInput(() => parseNpy(handNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", new Uint8Array(8))), /structured/);
  throwsInput(() => parseNpy(handNpy("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}\n", new Uint8Array(8))), /unsupported dtype '\|O'/);
});

/** One small array of every dtype, with awkward values (extremes, -0, NaN). */
function everyDtype(): Record<string, NdArray> {
  return {
    f16: { dtype: "float16", shape: [2, 2], data: new Float32Array([1, -2, 0.3330078125, Infinity]) },
    f32: { dtype: "float32", shape: [3], data: new Float32Array([NaN, -0, 3.4e38]) },
    f64: { dtype: "float64", shape: [1, 2], data: new Float64Array([Math.E, -1e-310]) },
    i8: { dtype: "int8", shape: [2], data: new Int8Array([-128, 127]) },
    i16: { dtype: "int16", shape: [2], data: new Int16Array([-32768, 32767]) },
    i32: { dtype: "int32", shape: [2], data: new Int32Array([-2147483648, 2147483647]) },
    i64: { dtype: "int64", shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    u8: { dtype: "uint8", shape: [2], data: new Uint8Array([0, 255]) },
    u16: { dtype: "uint16", shape: [2], data: new Uint16Array([0, 65535]) },
    u32: { dtype: "uint32", shape: [2], data: new Uint32Array([0, 4294967295]) },
    bool: { dtype: "bool", shape: [2, 1], data: new Uint8Array([1, 0]) },
    empty: { dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
  };
}

function assertSameArray(got: NdArray, want: NdArray, label: string): void {
  assert.equal(got.dtype, want.dtype, label);
  assert.deepEqual(got.shape, want.shape, label);
  assert.equal(got.data.constructor, want.data.constructor, label);
  const g = Array.from(got.data as ArrayLike<number | bigint>);
  const w = Array.from(want.data as ArrayLike<number | bigint>);
  assert.equal(g.length, w.length, label);
  // Object.is distinguishes -0 and matches NaN with NaN.
  g.forEach((x, i) => assert.ok(Object.is(x, w[i]), `${label}[${i}]: ${String(x)} !== ${String(w[i])}`));
}

test("npy round trip (file, atomic write) for every dtype", () => {
  for (const [name, arr] of Object.entries(everyDtype())) {
    const file = path.join(tmp, `${name}.npy`);
    writeNpy(file, arr);
    assertSameArray(readNpy(file), arr, name);
    assertSameArray(readArray(file), arr, name);
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith(".tmp")), [], "no temp files left behind");
});

test("big files are viewed without a copy when aligned, copied when not; values are right either way", () => {
  // 64 KiB files are read into their own buffer (not Node's pool), so the reader may view them.
  const n = 8192;
  const f64: NdArray = { dtype: "float64", shape: [n / 8, 8], data: Float64Array.from({ length: n }, (_, i) => i / 7 - 100) };
  const b: NdArray = { dtype: "bool", shape: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0) };
  writeNpy(path.join(tmp, "big.npy"), f64);
  const back = readNpy(path.join(tmp, "big.npy"));
  assertSameArray(back, f64, "big.npy");
  assert.equal(back.data.buffer.byteLength, fs.statSync(path.join(tmp, "big.npy")).size, "a view of the file's buffer");
  // safetensors: a 3-byte U8 tensor first pushes the F32 tensor to an unaligned offset → copy.
  const u8 = new Uint8Array([7, 8, 9]);
  const f32 = Float32Array.from({ length: n }, (_, i) => i * 0.5);
  const data = new Uint8Array(3 + 4 * n);
  data.set(u8, 0);
  data.set(new Uint8Array(f32.buffer), 3);
  const header = { a: { dtype: "U8", shape: [3], data_offsets: [0, 3] }, w: { dtype: "F32", shape: [n], data_offsets: [3, 3 + 4 * n] } };
  fs.writeFileSync(path.join(tmp, "unaligned.safetensors"), handSafetensors(header, data, JSON.stringify(header) + "  "));
  const st = readSafetensors(path.join(tmp, "unaligned.safetensors"));
  assertSameArray(st.tensors.w, { dtype: "float32", shape: [n], data: f32 }, "unaligned w");
  assertSameArray(st.tensors.a, { dtype: "uint8", shape: [3], data: u8 }, "unaligned a");
  writeSafetensors(path.join(tmp, "big.safetensors"), { f64, b });
  const sb = readSafetensors(path.join(tmp, "big.safetensors"));
  assertSameArray(sb.tensors.f64, f64, "big f64");
  assertSameArray(sb.tensors.b, b, "big bool");
});

test("npy writer: a header over 64 KiB switches to format 2.0 and still round-trips", () => {
  const shape = Array.from({ length: 30000 }, () => 1);
  const arr: NdArray = { dtype: "uint8", shape, data: new Uint8Array([42]) };
  const bytes = encodeNpy(arr);
  assert.equal(bytes[6], 2);
  assert.equal((10 + 2 + new DataView(bytes.buffer).getUint32(8, true)) % 64, 0, "data starts on a 64-byte boundary");
  assertSameArray(parseNpy(bytes), arr, "v2");
});

test("npy writer rejects inconsistent arrays", () => {
  throwsInput(() => encodeNpy({ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }), /3 values; shape \[2, 2\] needs 4/);
  throwsInput(() => encodeNpy({ dtype: "int64", shape: [1], data: new Float64Array(1) }), /needs a BigInt64Array/);
});

test("safetensors fixture from the reference writer: values, metadata, and byte-identical re-encoding", () => {
  const bytes = fs.readFileSync(fix("mixed.safetensors"));
  const { tensors, metadata } = readSafetensors(fix("mixed.safetensors"));
  assert.deepEqual(metadata, { format: "np" });
  assert.deepEqual(Object.keys(tensors).sort(), ["bytes", "f64", "half", "i16", "ids", "image", "mask", "text"]);
  assertSameArray(tensors.text, { dtype: "float32", shape: [2, 2], data: new Float32Array([0.5, -1, 2, 0.25]) }, "text");
  assertSameArray(tensors.image, { dtype: "float32", shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) }, "image");
  assertSameArray(tensors.ids, { dtype: "int64", shape: [3], data: new BigInt64Array([-1n, 0n, 7n]) }, "ids");
  assertSameArray(tensors.mask, { dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) }, "mask");
  assertSameArray(tensors.half, { dtype: "float16", shape: [3], data: new Float32Array([1, -2, 0.3330078125]) }, "half");
  assertSameArray(tensors.bytes, { dtype: "uint8", shape: [2], data: new Uint8Array([1, 255]) }, "bytes");
  assertSameArray(tensors.f64, { dtype: "float64", shape: [1], data: new Float64Array([Math.PI]) }, "f64");
  assertSameArray(tensors.i16, { dtype: "int16", shape: [2], data: new Int16Array([-300, 300]) }, "i16");
  assert.deepEqual(Buffer.from(encodeSafetensors(tensors, metadata)), bytes);
  assert.deepEqual(Buffer.from(encodeSafetensors(readSafetensors(fix("one.safetensors")).tensors)), fs.readFileSync(fix("one.safetensors")));
});

test("safetensors: BF16 is decoded from hand-built bytes", () => {
  // bfloat16 = top 16 bits of float32: 0x3F80 = 1, 0xC000 = -2, 0x3EAB ≈ 0.333984375, 0x7F80 = inf.
  const data = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x3eab, 0x7f80]).buffer);
  const { tensors } = parseSafetensors(handSafetensors({ w: { dtype: "BF16", shape: [2, 2], data_offsets: [0, 8] } }, data));
  assert.equal(tensors.w.dtype, "float32");
  assert.deepEqual(Array.from(tensors.w.data as Float32Array), [1, -2, 0.333984375, Infinity]);
});

test("safetensors round trip for every dtype, with metadata; output is deterministic and 8-byte aligned", () => {
  const all = everyDtype();
  const file = path.join(tmp, "all.safetensors");
  writeSafetensors(file, all, { b: "2", a: "1" });
  const back = readSafetensors(file);
  assert.deepEqual(back.metadata, { a: "1", b: "2" });
  for (const [name, arr] of Object.entries(all)) assertSameArray(back.tensors[name], arr, name);
  const bytes = fs.readFileSync(file);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(n % 8, 0, "header padded to 8 bytes");
  // Same input in a different key order → same bytes.
  const reversed = Object.fromEntries(Object.entries(all).reverse());
  assert.deepEqual(Buffer.from(encodeSafetensors(reversed, { a: "1", b: "2" })), bytes);
  // Each tensor starts on a multiple of its item size (the writer orders wide dtypes first).
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; data_offsets: number[] }>;
  const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, U32: 4, F16: 2, I16: 2, U16: 2 };
  for (const [k, v] of Object.entries(header)) if (k !== "__metadata__") assert.equal(v.data_offsets[0] % (size[v.dtype] ?? 1), 0, k);
});

test("safetensors: malformed files give an InputError naming the file and the problem", () => {
  const d8 = new Uint8Array(8);
  const entry = (o: Record<string, unknown> = {}) => ({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8], ...o } });
  const p = (bytes: Uint8Array) => () => parseSafetensors(bytes, "m.safetensors");
  throwsInput(p(new Uint8Array(5)), /m\.safetensors: truncated/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  throwsInput(p(huge), /header length 1099511627776 exceeds/);
  const short = handSafetensors(entry(), d8);
  throwsInput(p(short.subarray(0, 20)), /truncated: header length/);
  throwsInput(p(short.subarray(0, short.length - 1)), /truncated: tensor "x" ends at byte 8/);
  throwsInput(p(handSafetensors(null, d8, "[1, 2]  ")), /does not start with '\{'/);
  throwsInput(p(handSafetensors(null, d8, "{not json")), /corrupt JSON header/);
  throwsInput(p(handSafetensors(entry({ dtype: "F8_E4M3" }), d8)), /tensor "x": unsupported dtype F8_E4M3/);
  throwsInput(p(handSafetensors(entry({ shape: [3] }), d8)), /needs 12 bytes but data_offsets \[0, 8\] span 8/);
  throwsInput(p(handSafetensors(entry({ shape: [-2] }), d8)), /shape must be a list of non-negative integers/);
  throwsInput(p(handSafetensors(entry({ data_offsets: [8, 0] }), d8)), /end before they begin/);
  throwsInput(p(handSafetensors(entry({ data_offsets: [4, 12] }), new Uint8Array(12))), /gap before tensor "x"/);
  throwsInput(p(handSafetensors(entry(), new Uint8Array(9))), /1 trailing bytes/);
  throwsInput(
    p(handSafetensors({ a: { dtype: "U8", shape: [4], data_offsets: [0, 4] }, b: { dtype: "U8", shape: [4], data_offsets: [2, 6] } }, new Uint8Array(6))),
    /overlaps/,
  );
  throwsInput(p(handSafetensors({ __metadata__: { a: 1 }, ...entry() }, d8)), /__metadata__\.a must be a string/);
  throwsInput(() => readSafetensors(path.join(tmp, "nope.safetensors")), /nope\.safetensors: no such file/);
});

test("readArray chooses the reader by extension and picks tensors by name", () => {
  assertSameArray(readArray(fix("one.safetensors")), { dtype: "float32", shape: [2, 3], data: new Float32Array([1, 0, 0, 0, 2, 0]) }, "one");
  assert.deepEqual(readArray(fix("mixed.safetensors"), { tensor: "image" }).shape, [3, 2]);
  throwsInput(() => readArray(fix("mixed.safetensors")), /holds 8 tensors \(bytes, f64, half, i16, ids, image, mask, text\)/);
  throwsInput(() => readArray(fix("mixed.safetensors"), { tensor: "audio" }), /no tensor named "audio"; available: bytes, f64/);
  throwsInput(() => readArray(fix("f4.npy"), { tensor: "x" }), /applies only to \.safetensors/);
  const txt = path.join(tmp, "feats.csv");
  fs.writeFileSync(txt, "1,2\n");
  throwsInput(() => readArray(txt), /unsupported file type "\.csv"; expected \.npy or \.safetensors/);
});
