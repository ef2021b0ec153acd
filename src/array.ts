/**
 * Plain typed-array containers shared by the probes, the I/O readers and the CLI.
 *
 * Glossary: `feats` is a matrix of embeddings `[n, d]` (row i = item i); a layer stack is
 * `[L, n, d]` (the paper's `hidden_states` layout: index 0 = token-embedding output).
 * Row i of two paired matrices always describes the same item in two modalities.
 *
 * @module
 */

/**
 * Bad input (a wrong shape, a NaN, a zero-norm row, k out of range, a corrupt file). The CLI maps
 * it to exit code 2; everything else is a bug (exit 1). The message always names the bad value.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** Element types the kit reads and writes. */
export type DType = "float16" | "float32" | "float64" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "bool";

/** Typed storage for floating-point data. */
export type FloatArray = Float32Array | Float64Array;

/** Typed storage for any supported dtype (int64 as BigInt64Array, float16 decoded to Float32Array). */
export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** An n-dimensional array in row-major (C) order. */
export interface NdArray {
  /** Row-major values; `data.length === shape.reduce(*)`. */
  readonly data: AnyTypedArray;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** The dtype as stored on disk (float16 data is decoded into a Float32Array). */
  readonly dtype: DType;
}

/** A dense row-major matrix `[rows, cols]` of floats. */
export interface Matrix {
  readonly data: FloatArray;
  readonly rows: number;
  readonly cols: number;
}

/** Anything the probes accept as a matrix: a {@link Matrix}, a 2-D {@link NdArray}, or nested arrays. */
export type MatrixLike = Matrix | NdArray | readonly (readonly number[])[];

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Build a matrix, checking that `data.length === rows * cols`. */
export function matrix(data: FloatArray, rows: number, cols: number): Matrix {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0)) {
    throw new InputError(`invalid matrix shape [${rows}, ${cols}]`);
  }
  if (data.length !== rows * cols) {
    throw new InputError(`matrix data has ${data.length} values; shape [${rows}, ${cols}] needs ${rows * cols}`);
  }
  return { data, rows, cols };
}

function isMatrix(x: unknown): x is Matrix {
  return typeof x === "object" && x !== null && "rows" in x && "cols" in x && "data" in x;
}

function isNdArray(x: unknown): x is NdArray {
  return typeof x === "object" && x !== null && "shape" in x && "data" in x;
}

function toFloat(data: AnyTypedArray): FloatArray {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/**
 * Coerce a {@link MatrixLike} to a {@link Matrix} without copying when it already is one.
 * @param name used in error messages, e.g. `"A"`.
 */
export function toMatrix(x: MatrixLike, name = "matrix"): Matrix {
  if (isMatrix(x)) return x;
  if (isNdArray(x)) {
    if (x.shape.length !== 2) throw new InputError(`${name} must be 2-D [n, d]; got shape [${x.shape.join(", ")}]`);
    return matrix(toFloat(x.data), x.shape[0], x.shape[1]);
  }
  if (Array.isArray(x)) {
    const rows = x.length;
    const cols = rows === 0 ? 0 : x[0].length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i];
      if (row.length !== cols) throw new InputError(`${name} row ${i} has ${row.length} values; row 0 has ${cols}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j];
    }
    return { data, rows, cols };
  }
  throw new InputError(`${name} is not a matrix (expected Matrix, 2-D NdArray or number[][])`);
}

/** Row `i` of a matrix as a subarray view (no copy). */
export function row(m: Matrix, i: number): FloatArray {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Nested-array copy of a matrix (for display and JSON). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(row(m, i)));
  return out;
}

/**
 * Split a layer stack `[L, n, d]` into L matrices `[n, d]` (views, no copy).
 * A 2-D input is returned as a single layer.
 */
export function layers(x: NdArray, name = "array"): Matrix[] {
  if (x.shape.length === 2) return [toMatrix(x, name)];
  if (x.shape.length !== 3) throw new InputError(`${name} must be [n, d] or [layers, n, d]; got shape [${x.shape.join(", ")}]`);
  const [L, n, d] = x.shape;
  const data = toFloat(x.data);
  const out: Matrix[] = [];
  for (let l = 0; l < L; l++) out.push({ data: data.subarray(l * n * d, (l + 1) * n * d), rows: n, cols: d });
  return out;
}

/** Stack equally-shaped matrices into a `[L, n, d]` float32 array. */
export function stackLayers(ms: readonly Matrix[]): NdArray {
  if (ms.length === 0) throw new InputError("stackLayers needs at least one matrix");
  const { rows, cols } = ms[0];
  const data = new Float32Array(ms.length * rows * cols);
  ms.forEach((m, l) => {
    if (m.rows !== rows || m.cols !== cols) {
      throw new InputError(`layer ${l} has shape [${m.rows}, ${m.cols}]; layer 0 has [${rows}, ${cols}]`);
    }
    data.set(m.data, l * rows * cols);
  });
  return { data, shape: [ms.length, rows, cols], dtype: "float32" };
}

/**
 * Throw if any value is NaN or ±Inf, naming the first bad row and column.
 * @param name used in the message, e.g. `"A.npy"`.
 * @param firstRow the row number of `m`'s first row in the message (when `m` is a slice of rows).
 */
export function assertFinite(m: Matrix, name = "matrix", firstRow = 0): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new InputError(`${name} has a non-finite value ${data[i]} at row ${firstRow + Math.floor(i / cols)}, column ${i % cols}`);
    }
  }
}

/**
 * The sum of squares of every row, in float64, checked in one pass: throws like
 * {@link assertFinite} on a NaN/Inf anywhere, else like {@link assertNonZeroRows} on the first
 * zero row (the order of those two checks run one after the other). A row's sum is non-finite
 * exactly when it holds a NaN/Inf or overflows float64 (finite input: no error), and 0 exactly
 * when the row is zero (or underflows).
 * @returns `[rows]` sums of squares.
 */
export function checkedRowSquares(m: Matrix, name = "matrix"): Float64Array {
  const { data, rows, cols } = m;
  const out = new Float64Array(rows);
  let zeroRow = -1;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[o + j] * data[o + j];
    if (!Number.isFinite(s)) assertFinite({ data: data.subarray(o, o + cols), rows: 1, cols }, name, i);
    if (s === 0 && zeroRow < 0) zeroRow = i;
    out[i] = s;
  }
  if (zeroRow >= 0) throw new InputError(`${name} row ${zeroRow} has zero norm; cosine similarity is undefined for it`);
  return out;
}

/** Throw if any row has zero L2 norm (cosine is undefined there), naming the row. */
export function assertNonZeroRows(m: Matrix, name = "matrix"): void {
  for (let i = 0; i < m.rows; i++) {
    const r = row(m, i);
    let s = 0;
    for (let j = 0; j < r.length; j++) s += r[j] * r[j];
    if (s === 0) throw new InputError(`${name} row ${i} has zero norm; cosine similarity is undefined for it`);
  }
}
