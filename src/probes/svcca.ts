/**
 * SVCCA (Raghu et al. 2017) as in platonic-rep `metrics.py`, made deterministic.
 *
 * Reference: standardise columns `(x − mean) / (std + 1e−8)` (std with n − 1), keep the top
 * `ccaDim` left singular vectors `U` of each matrix (`torch.svd_lowrank`, randomised and unseeded),
 * fit sklearn `CCA(n_components = ccaDim)` on `(U_A, U_B)` and return the mean Pearson correlation
 * of the canonical pairs.
 *
 * Here: the same standardisation; `U` exact (eigenvectors of the smaller Gram matrix) when
 * `min(n, d) ≤ 256`, otherwise a seeded randomised subspace iteration (10 extra columns, 8 power
 * iterations), so the same seed always gives the same number. The canonical correlations of two
 * orthonormal, centred bases are exactly the singular values of `U_Aᵀ U_B`; we return their mean
 * (sklearn's iterative CCA approximates the same quantities; it adds 1e−10 noise, we do not).
 * @module
 */
import { EigenvalueDecomposition, Matrix as MlMatrix, SingularValueDecomposition } from "ml-matrix";
import type { Matrix, MatrixLike } from "../array";
import { InputError } from "../array";
import { rng as makeRng } from "../random";
import { prepareFeats, checkPaired } from "./prepare";

/** Options of {@link svcca}. */
export interface SvccaOptions {
  /** Number of singular directions and canonical pairs. Default 10 (the reference default). */
  ccaDim?: number;
  /** Seed of the randomised SVD used when min(n, d) > 256. Default 0. */
  seed?: number;
  /** L2-normalise rows first. Default `true`. */
  normalize?: boolean;
}

function standardize(m: Matrix): Float64Array {
  const { rows: n, cols: d, data } = m;
  const out = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + j];
    const mean = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j] - mean) ** 2;
    const sd = Math.sqrt(v / (n - 1)) + 1e-8;
    for (let i = 0; i < n; i++) out[i * d + j] = (data[i * d + j] - mean) / sd;
  }
  return out;
}

/** Orthonormalise the columns of `Y [n, l]` in place (modified Gram–Schmidt, two passes). */
function orthonormalize(Y: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += Y[i * l + c] * Y[i * l + p];
        for (let i = 0; i < n; i++) Y[i * l + c] -= dot * Y[i * l + p];
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += Y[i * l + c] ** 2;
      nrm = Math.sqrt(nrm) || 1;
      for (let i = 0; i < n; i++) Y[i * l + c] /= nrm;
    }
  }
}

/** `X [n, d] · W [d, l]` → `[n, l]`. */
function mul(X: Float64Array, n: number, d: number, W: Float64Array, l: number): Float64Array {
  const out = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) {
    const x = X[i * d + t];
    if (x === 0) continue;
    for (let c = 0; c < l; c++) out[i * l + c] += x * W[t * l + c];
  }
  return out;
}

/** `Xᵀ [d, n] · Y [n, l]` → `[d, l]`. */
function mulT(X: Float64Array, n: number, d: number, Y: Float64Array, l: number): Float64Array {
  const out = new Float64Array(d * l);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) {
    const x = X[i * d + t];
    if (x === 0) continue;
    for (let c = 0; c < l; c++) out[t * l + c] += x * Y[i * l + c];
  }
  return out;
}

/** Top-q eigenvectors (columns, descending eigenvalue) of a symmetric `[s, s]` matrix. */
function topEigenvectors(G: Float64Array, s: number, q: number): Float64Array {
  const rows: number[][] = [];
  for (let i = 0; i < s; i++) rows.push(Array.from(G.subarray(i * s, (i + 1) * s)));
  const evd = new EigenvalueDecomposition(new MlMatrix(rows), { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const order = vals.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, q);
  const V = evd.eigenvectorMatrix;
  const out = new Float64Array(s * q);
  order.forEach(([, col], c) => { for (let i = 0; i < s; i++) out[i * q + c] = V.get(i, col); });
  return out;
}

/** Orthonormal basis `[n, q]` of the top-q left singular subspace of `X [n, d]`. */
function leftSingularBasis(X: Float64Array, n: number, d: number, q: number, seed: number): Float64Array {
  let U: Float64Array;
  if (Math.min(n, d) <= 256) {
    if (d <= n) {
      const G = mulT(X, n, d, X, d); // XᵀX [d, d]
      U = mul(X, n, d, topEigenvectors(G, d, q), q);
    } else {
      const Xt = new Float64Array(d * n);
      for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) Xt[t * n + i] = X[i * d + t];
      U = topEigenvectors(mul(X, n, d, Xt, n), n, q); // XXᵀ [n, n]
    }
    orthonormalize(U, n, q);
    return U;
  }
  // Seeded randomised subspace iteration (Halko et al. 2011, Alg. 4.4).
  const l = Math.min(q + 10, n, d);
  const r = makeRng(seed);
  const omega = new Float64Array(d * l);
  for (let i = 0; i < omega.length; i++) omega[i] = r.normal();
  let Y = mul(X, n, d, omega, l);
  orthonormalize(Y, n, l);
  for (let it = 0; it < 8; it++) {
    const Z = mulT(X, n, d, Y, l);
    orthonormalize(Z, d, l);
    Y = mul(X, n, d, Z, l);
    orthonormalize(Y, n, l);
  }
  // Rotate the l-dimensional basis to the singular directions: eigenvectors of (YᵀX)(YᵀX)ᵀ.
  const B = mulT(Y, n, l, X, d); // Yᵀ X as [l, d]
  const BBt = new Float64Array(l * l);
  for (let a = 0; a < l; a++) for (let b = 0; b < l; b++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += B[a * d + t] * B[b * d + t];
    BBt[a * l + b] = s;
  }
  U = mul(Y, n, l, topEigenvectors(BBt, l, q), q);
  orthonormalize(U, n, q);
  return U;
}

/**
 * SVCCA similarity of paired `A [n, dA]` and `B [n, dB]`: mean canonical correlation between
 * the top-`ccaDim` singular subspaces. Range [0, 1]. Deterministic for a given seed.
 */
export function svcca(A: MatrixLike, B: MatrixLike, opts: SvccaOptions = {}): number {
  const a = prepareFeats(A, "A", opts.normalize ?? true);
  const b = prepareFeats(B, "B", opts.normalize ?? true);
  checkPaired(a, b);
  const q = opts.ccaDim ?? 10;
  const n = a.rows;
  const maxQ = Math.min(n - 1, a.cols, b.cols);
  if (!(Number.isInteger(q) && q >= 1 && q <= maxQ)) {
    throw new InputError(`invalid ccaDim; need an integer 1 ≤ ccaDim ≤ min(n − 1, dA, dB) = ${maxQ}, got ${q}`);
  }
  const seed = opts.seed ?? 0;
  const ua = leftSingularBasis(standardize(a), n, a.cols, q, seed);
  const ub = leftSingularBasis(standardize(b), n, b.cols, q, seed + 1);
  const M: number[][] = [];
  for (let x = 0; x < q; x++) {
    const rowx: number[] = [];
    for (let y = 0; y < q; y++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += ua[i * q + x] * ub[i * q + y];
      rowx.push(s);
    }
    M.push(rowx);
  }
  const sv = new SingularValueDecomposition(new MlMatrix(M), { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal;
  return sv.reduce((s, v) => s + Math.min(1, v), 0) / q;
}
