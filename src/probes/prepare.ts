/**
 * Input checks and row normalisation shared by every probe and by retrieval.
 * All checks throw {@link InputError} with the bad value in the message.
 * @module
 */
import type { Matrix, MatrixLike, NdArray } from "../array";
import { InputError, assertFinite, checkedRowSquares, layers, toMatrix } from "../array";
import { largeFloat32Array } from "../backend/native";

/** Coerce to a matrix and check it is non-empty. */
function nonEmpty(x: MatrixLike, name: string): Matrix {
  const m = toMatrix(x, name);
  if (m.rows === 0 || m.cols === 0) throw new InputError(`${name} is empty; got shape [${m.rows}, ${m.cols}]`);
  return m;
}

/** Coerce to a matrix and check it is non-empty and finite. */
export function checkFeats(x: MatrixLike, name = "feats"): Matrix {
  const m = nonEmpty(x, name);
  assertFinite(m, name);
  return m;
}

/**
 * Divide every row by its L2 norm (the reference protocol's `F.normalize(x, dim=-1)` before every
 * metric). The result keeps the input's float type (float32 stays float32; norms are computed in
 * float64). Throws on NaN/Inf and on a zero-norm row, naming the row.
 * @param x `[n, d]`
 * @returns a new `[n, d]` matrix whose rows have unit norm.
 */
export function l2Normalize(x: MatrixLike, name = "feats"): Matrix {
  const m = nonEmpty(x, name);
  const { rows, cols, data } = m;
  const squares = checkedRowSquares(m, name);
  const out = data instanceof Float32Array ? largeFloat32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const inv = 1 / Math.sqrt(squares[i]);
    for (let j = 0; j < cols; j++) out[o + j] = data[o + j] * inv;
  }
  return { data: out, rows, cols };
}

/** Validate and (by default) L2-normalise one input of a metric. */
export function prepareFeats(x: MatrixLike, name: string, normalize = true): Matrix {
  return normalize ? l2Normalize(x, name) : checkFeats(x, name);
}

/** Throw unless two paired matrices have the same number of rows. */
export function checkPaired(A: Matrix, B: Matrix, nameA = "A", nameB = "B"): void {
  if (A.rows !== B.rows) {
    throw new InputError(
      `paired inputs need the same number of rows (row i of ${nameA} and ${nameB} is one item); ` +
        `got ${nameA} with ${A.rows} rows and ${nameB} with ${B.rows}`,
    );
  }
}

/** Throw unless `min ≤ k < n` and k is an integer (a kNN list excludes the item itself). */
export function checkK(k: unknown, n: number, min = 1, metric?: string): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < min || k >= n) {
    const forWhat = metric ? ` for ${metric}` : "";
    throw new InputError(`invalid k${forWhat}; need an integer ${min} ≤ k < n = ${n}, got ${String(k)}`);
  }
  return k;
}

/** Throw unless there are at least 4 rows (the unbiased HSIC divides by m(m−3)). */
export function checkUnbiasedRows(n: number, metric: string): void {
  if (n < 4) throw new InputError(`${metric} needs at least 4 rows (its unbiased estimator divides by n(n−3)); got n = ${n}`);
}

/** A layer stack as matrices: accepts `[L, n, d]` NdArray (or `[n, d]` = one layer) or `Matrix[]`. */
export function toLayerList(stack: NdArray | readonly Matrix[] | readonly MatrixLike[], name = "stack"): Matrix[] {
  if (Array.isArray(stack)) {
    if (stack.length === 0) throw new InputError(`${name} has no layers`);
    return (stack as readonly MatrixLike[]).map((m, l) => toMatrix(m, `${name}[${l}]`));
  }
  return layers(stack as NdArray, name);
}
