/**
 * Centered kernel alignment (CKA), its unbiased variant, and CKNNA, with the semantics of
 * platonic-rep `metrics.py` (shared/paper-notes.md §1.3):
 *
 * ```
 * HSIC_b(K, L) = tr(K H L H),  H = I − 11ᵀ/n                    (no 1/(n−1)² factor; it cancels)
 * HSIC_u(K, L) = [Σ(K̃∘L̃ᵀ) + ΣK̃·ΣL̃/((n−1)(n−2)) − 2·Σ(K̃L̃)/(n−2)] / (n(n−3))   (K̃, L̃: zero diagonal)
 * cka          = HSIC(K, L) / (sqrt(HSIC(K, K)·HSIC(L, L)) + 1e−6)
 * ```
 * with `K = AAᵀ` (kernel "ip") or `K_ij = exp(−‖a_i − a_j‖²/(2σ²))` (kernel "rbf").
 *
 * **How it scales.** The n × n Gram matrices are never built in full:
 *  - Kernel "ip", when `n > d`: the *feature-space* form. With column-centred features
 *    `Ac = HA`, `tr(K H L H) = ‖Acᵀ Bc‖²_F`, a `[dA, dB]` product costing O(n·dA·dB).
 *    HSIC_u is unchanged by centring the features (it only sees U-centred kernels), and with
 *    centred features `ΣK̃ = −Σ_i ‖a_i‖²` and `Σ(K̃L̃) = Σ_i ‖a_i‖²‖b_i‖²`, so it too needs only
 *    `‖AcᵀBc‖²_F` and row norms.
 *  - Otherwise (kernel "rbf", or `d ≥ n`): row blocks of K and L side by side, accumulating
 *    ΣK∘L, row sums and the other scalars the formulas need.
 *  - CKNNA only involves entries inside the kNN masks, so it runs on the O(n·k) kNN lists.
 * Every fast form is tested against a naive n × n float64 implementation (test/reference/).
 * @module
 */
import type { Matrix, MatrixLike } from "../array";
import { InputError } from "../array";
import type { KnnLists } from "./knn";
import { knnLists } from "./knn";
import { prepareFeats, checkK, checkPaired, checkUnbiasedRows } from "./prepare";
import type { BlockOptions } from "./similarity";
import { crossProduct, resolveEngine, similarityBlocks } from "./similarity";
import { nativeGemm, nativeSyrk } from "../backend/native";

/** Options of {@link cka} and {@link unbiasedCka}. */
export interface CkaOptions extends BlockOptions {
  /** Kernel: `"ip"` (inner product, default) or `"rbf"`. */
  kernel?: "ip" | "rbf";
  /** Bandwidth σ of the RBF kernel. Default 1.0 (the reference default). */
  rbfSigma?: number;
  /** L2-normalise rows first. Default `true` (the reference protocol). */
  normalize?: boolean;
  /**
   * `"features"` (O(n·d²), kernel "ip" only), `"gram"` (blocked O(n²·d)) or `"auto"` (default:
   * features when kernel is "ip" and `n·(dA+dB)² < n²·(dA+dB)`, i.e. roughly d < n).
   */
  method?: "auto" | "features" | "gram";
}

/** The three HSIC values a CKA score needs. */
interface HsicTriple { kl: number; kk: number; ll: number }

const EPS = 1e-6; // the reference's "+ 1e-6" in the CKA denominator

function ratio(h: HsicTriple): number {
  return h.kl / (Math.sqrt(h.kk * h.ll) + EPS);
}

/** Subtract the column means (float64). */
function centerColumns(m: Matrix): Matrix {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = data[i * cols + j] - mean[j];
  return { data: out, rows, cols };
}

function sumSquares(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

function rowSquaredNorms(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j] ** 2;
    out[i] = s;
  }
  return out;
}

/**
 * Column-centred float32 rows for BLAS (means and the subtraction in float64, then one rounding:
 * the same float32 values as centring in float64 and converting), with the squared row norms of
 * those float32 rows (float64 sums).
 * @param inPlace overwrite `m.data` (a float32 array the caller owns, e.g. the fresh copy from
 *   L2 normalisation) instead of allocating a copy: saves 4·n·d bytes of fresh pages (at n 10k,
 *   d 512: 20 MB per input). The values are the same either way.
 */
function centerColumns32(m: Matrix, inPlace: boolean): { data: Float32Array; rowNorms: Float64Array } {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const out = inPlace && data instanceof Float32Array ? data : new Float32Array(rows * cols);
  const rowNorms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const v = (out[o + j] = data[o + j] - mean[j]);
      s += v * v;
    }
    rowNorms[i] = s;
  }
  return { data: out, rowNorms };
}

/** ‖AᵀA‖²_F from the upper triangle `C [p, p]` that `nativeSyrk` wrote (float64 sum). */
function symmetricSumSquares(c: Float32Array, p: number): number {
  let diag = 0, off = 0;
  for (let i = 0; i < p; i++) {
    const o = i * p;
    diag += c[o + i] * c[o + i];
    for (let j = i + 1; j < p; j++) off += c[o + j] * c[o + j];
  }
  return diag + 2 * off;
}

function sumSquares32(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** ‖XᵀX‖²_F through BLAS: `ssyrk` (half the work) when the addon has it, else `sgemm`. */
function gramSumSquaresNative(x: Float32Array, n: number, p: number): number {
  const c = new Float32Array(p * p);
  if (nativeSyrk(p, n, x, c)) return symmetricSumSquares(c, p);
  nativeGemm(true, false, p, p, n, x, x, c);
  return sumSquares32(c);
}

/**
 * The feature form on the native path: centre once into float32 (no float64 copies), then one
 * `sgemm` for AᵀB and one `ssyrk` each for AᵀA and BᵀB (float32 products, float64 sums).
 */
function hsicFeaturesNative(A: Matrix, B: Matrix, unbiased: boolean, owned: boolean): HsicTriple {
  const n = A.rows, p = A.cols, q = B.cols;
  // A and B may be the same matrix (cka(X, X)): then centre one copy once.
  const ac = centerColumns32(A, owned && A !== B), bc = A === B ? ac : centerColumns32(B, owned);
  const kl = new Float32Array(p * q);
  nativeGemm(true, false, p, q, n, ac.data, bc.data, kl);
  return hsicFromSums(n, sumSquares32(kl), gramSumSquaresNative(ac.data, n, p), gramSumSquaresNative(bc.data, n, q), unbiased, ac.rowNorms, bc.rowNorms);
}

/**
 * HSIC values from ‖AcᵀBc‖², ‖AcᵀAc‖², ‖BcᵀBc‖² (centred features) and, for the unbiased
 * estimator, the squared row norms of the centred rows. With centred features the row sums of K
 * are zero, so for the zero-diagonal K̃: ΣK̃ = −Σ_i K_ii and (K̃1)_i = −K_ii, hence
 * Σ(K̃L̃) = Σ_i K_ii L_ii.
 */
function hsicFromSums(n: number, fKL: number, fKK: number, fLL: number, unbiased: boolean, ka: Float64Array, lb: Float64Array): HsicTriple {
  if (!unbiased) return { kl: fKL, kk: fKK, ll: fLL };
  const hu = (f: number, x: Float64Array, y: Float64Array): number => {
    let dot = 0, sx = 0, sy = 0;
    for (let i = 0; i < n; i++) { dot += x[i] * y[i]; sx += x[i]; sy += y[i]; }
    const t1 = f - dot; // Σ_{i≠j} K_ij L_ij
    return (t1 + (sx * sy) / ((n - 1) * (n - 2)) - (2 * dot) / (n - 2)) / (n * (n - 3));
  };
  return { kl: hu(fKL, ka, lb), kk: hu(fKK, ka, ka), ll: hu(fLL, lb, lb) };
}

/**
 * HSIC values from features (kernel "ip" only).
 * @param owned A and B are private copies (the L2-normalised ones) that may be overwritten.
 */
function hsicFeatures(A: Matrix, B: Matrix, unbiased: boolean, opts: BlockOptions, owned: boolean): HsicTriple {
  const n = A.rows;
  // Every product big enough for BLAS: the float32 path without float64 copies.
  if (resolveEngine(n * Math.min(A.cols, B.cols) ** 2, opts.engine) === "native") return hsicFeaturesNative(A, B, unbiased, owned);
  const ac = centerColumns(A), bc = centerColumns(B);
  // ‖XᵀY‖²_F = Σ_ij (x_i·y_j)² = Σ_ij K_ij L_ij for the centred Gram matrices.
  const fKL = sumSquares(crossProduct(ac, bc, opts));
  const fKK = sumSquares(crossProduct(ac, ac, opts));
  const fLL = sumSquares(crossProduct(bc, bc, opts));
  return unbiased ? hsicFromSums(n, fKL, fKK, fLL, true, rowSquaredNorms(ac), rowSquaredNorms(bc)) : { kl: fKL, kk: fKK, ll: fLL };
}

/** HSIC values from row blocks of the two kernel matrices. */
function hsicGram(A: Matrix, B: Matrix, unbiased: boolean, kernel: "ip" | "rbf", sigma: number, opts: BlockOptions): HsicTriple {
  const n = A.rows;
  const na = rowSquaredNorms(A), nb = rowSquaredNorms(B);
  // Both sources must use the same block height so that the blocks line up row for row.
  const blockRows = opts.blockRows;
  const srcA = similarityBlocks(A, A, { ...opts, blockRows });
  const srcB = similarityBlocks(B, B, { ...opts, blockRows: srcA.blockRows });
  const rK = new Float64Array(n), rL = new Float64Array(n);
  let sKL = 0, sKK = 0, sLL = 0; // Σ over the included (i, j) of K∘L, K∘K, L∘L
  const g = 1 / (2 * sigma * sigma);
  try {
    for (let s = 0; s < n; s += srcA.blockRows) {
      const c = Math.min(srcA.blockRows, n - s);
      const kb = srcA.block(s, c), lb = srcB.block(s, c);
      for (let r = 0; r < c; r++) {
        const i = s + r;
        let rk = 0, rl = 0;
        for (let j = 0; j < n; j++) {
          if (unbiased && j === i) continue; // K̃, L̃ have a zero diagonal
          let kv = kb[r * n + j], lv = lb[r * n + j];
          if (kernel === "rbf") {
            // ‖a_i − a_j‖² = ‖a_i‖² + ‖a_j‖² − 2 a_i·a_j, clamped at 0 like torch.cdist.
            kv = j === i ? 1 : Math.exp(-Math.max(0, na[i] + na[j] - 2 * kv) * g);
            lv = j === i ? 1 : Math.exp(-Math.max(0, nb[i] + nb[j] - 2 * lv) * g);
          }
          sKL += kv * lv; sKK += kv * kv; sLL += lv * lv;
          rk += kv; rl += lv;
        }
        rK[i] = rk; rL[i] = rl;
      }
    }
  } finally {
    srcA.dispose();
    srcB.dispose();
  }
  let tK = 0, tL = 0, dKL = 0, dKK = 0, dLL = 0;
  for (let i = 0; i < n; i++) {
    tK += rK[i]; tL += rL[i];
    dKL += rK[i] * rL[i]; dKK += rK[i] * rK[i]; dLL += rL[i] * rL[i];
  }
  if (!unbiased) {
    // tr(KHLH) = ΣK∘L − (2/n)·Σ_i (K1)_i (L1)_i + (1ᵀK1)(1ᵀL1)/n²   (K, L symmetric)
    const hb = (s: number, d: number, a: number, b: number) => s - (2 / n) * d + (a * b) / (n * n);
    return { kl: hb(sKL, dKL, tK, tL), kk: hb(sKK, dKK, tK, tK), ll: hb(sLL, dLL, tL, tL) };
  }
  // Σ(K̃L̃) = 1ᵀK̃L̃1 = Σ_j (K̃ᵀ1)_j (L̃1)_j = Σ_j rK_j rL_j for symmetric K̃.
  const hu = (s: number, d: number, a: number, b: number) =>
    (s + (a * b) / ((n - 1) * (n - 2)) - (2 * d) / (n - 2)) / (n * (n - 3));
  return { kl: hu(sKL, dKL, tK, tL), kk: hu(sKK, dKK, tK, tK), ll: hu(sLL, dLL, tL, tL) };
}

function ckaImpl(Ain: MatrixLike, Bin: MatrixLike, unbiased: boolean, opts: CkaOptions): number {
  const name = unbiased ? "unbiased_cka" : "cka";
  const A = prepareFeats(Ain, "A", opts.normalize ?? true);
  const B = prepareFeats(Bin, "B", opts.normalize ?? true);
  checkPaired(A, B);
  const n = A.rows;
  if (unbiased) checkUnbiasedRows(n, name);
  else if (n < 2) throw new InputError(`cka needs at least 2 rows; got n = ${n}`);
  const kernel = opts.kernel ?? "ip";
  if (kernel !== "ip" && kernel !== "rbf") throw new InputError(`invalid kernel; expected "ip" or "rbf", got "${String(kernel)}"`);
  const sigma = opts.rbfSigma ?? 1.0;
  if (!(typeof sigma === "number" && Number.isFinite(sigma) && sigma > 0)) throw new InputError(`invalid rbfSigma; need a finite number > 0, got ${sigma}`);
  const method = opts.method ?? "auto";
  if (!["auto", "features", "gram"].includes(method)) throw new InputError(`invalid method; expected "auto", "features" or "gram", got "${String(method)}"`);
  if (method === "features" && kernel !== "ip") throw new InputError(`method "features" needs kernel "ip"; got kernel "${kernel}"`);
  const dSum = A.cols + B.cols;
  const useFeatures = kernel === "ip" && (method === "features" || (method === "auto" && n * dSum * dSum < n * n * dSum));
  // With normalisation on, A and B are fresh copies (l2Normalize): the feature form may centre them in place.
  const h = useFeatures ? hsicFeatures(A, B, unbiased, opts, opts.normalize ?? true) : hsicGram(A, B, unbiased, kernel, sigma, opts);
  return ratio(h);
}

/**
 * Linear (or RBF) CKA with the biased HSIC, the paper's `cka`.
 * @param A `[n, dA]`, B `[n, dB]`: paired rows.
 * @returns HSIC_b(K, L) / (sqrt(HSIC_b(K, K)·HSIC_b(L, L)) + 1e−6); 1 for identical geometry.
 */
export function cka(A: MatrixLike, B: MatrixLike, opts: CkaOptions = {}): number {
  return ckaImpl(A, B, false, opts);
}

/**
 * CKA with the unbiased HSIC estimator (Song et al. 2012, Eq. 5), the paper's `unbiased_cka`.
 * Needs n ≥ 4. Its expected value under shuffled pairs is exactly 0.
 */
export function unbiasedCka(A: MatrixLike, B: MatrixLike, opts: CkaOptions = {}): number {
  return ckaImpl(A, B, true, opts);
}

/**
 * The sparse HSIC_u of `M∘K` and `M∘L` where `M = mask(a) ∘ mask(b)` is the intersection of
 * two kNN masks (an entry (i, j) is in M when j is in both lists of row i). `a` provides the K
 * values, `b` the L values (`a === b` gives sim(K, K), whose mask is mask(a) itself).
 */
function maskedHsicU(a: KnnLists, b: KnnLists): number {
  const { n, k } = a;
  // Entries of M, grouped by row: column, K value, L value.
  const cols: number[] = [], kv: number[] = [], lv: number[] = [];
  const rowStart = new Int32Array(n + 1);
  const where = new Map<number, number>(); // i*n + j → position in the arrays
  for (let i = 0; i < n; i++) {
    rowStart[i] = cols.length;
    for (let r = 0; r < k; r++) {
      const j = a.indices[i * k + r];
      let lval = NaN;
      if (a === b) lval = a.values[i * k + r];
      else for (let s = 0; s < k; s++) if (b.indices[i * k + s] === j) { lval = b.values[i * k + s]; break; }
      if (Number.isNaN(lval)) continue;
      where.set(i * n + j, cols.length);
      cols.push(j); kv.push(a.values[i * k + r]); lv.push(lval);
    }
  }
  rowStart[n] = cols.length;
  // Σ(K̃∘L̃ᵀ) = Σ_ij M_ij K_ij · M_ji L_ji: only reciprocal pairs contribute.
  let t1 = 0, sK = 0, sL = 0;
  const colSumK = new Float64Array(n), rowSumL = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let p = rowStart[i]; p < rowStart[i + 1]; p++) {
      const j = cols[p];
      sK += kv[p]; sL += lv[p];
      colSumK[j] += kv[p];
      rowSumL[i] += lv[p];
      const q = where.get(j * n + i);
      if (q !== undefined) t1 += kv[p] * lv[q];
    }
  }
  // Σ(K̃L̃) = Σ_j (column sum j of M∘K) · (row sum j of M∘L)
  let t3 = 0;
  for (let j = 0; j < n; j++) t3 += colSumK[j] * rowSumL[j];
  return (t1 + (sK * sL) / ((n - 1) * (n - 2)) - (2 * t3) / (n - 2)) / (n * (n - 3));
}

/**
 * CKNNA from kNN lists (with similarities). The reference's default `unbiased=True` variant:
 * self is never a neighbour, HSIC_u of the masked kernels.
 */
export function cknnaFromLists(a: KnnLists, b: KnnLists): number {
  if (a.n !== b.n || a.k !== b.k) throw new InputError(`kNN lists differ in shape: [${a.n}, ${a.k}] vs [${b.n}, ${b.k}]`);
  checkUnbiasedRows(a.n, "cknna");
  checkK(a.k, a.n, 2, "cknna");
  const kl = maskedHsicU(a, b), kk = maskedHsicU(a, a), ll = maskedHsicU(b, b);
  return kl / (Math.sqrt(kk * ll) + EPS);
}

/** Options of {@link cknna}. */
export interface CknnaOptions extends BlockOptions {
  /** L2-normalise rows first. Default `true`. */
  normalize?: boolean;
}

/**
 * CKNNA (Huh et al. 2024): CKA restricted to pairs that are mutual k-nearest neighbours in both
 * kernels. `M = 1[kNN_K] ∘ 1[kNN_L]` (top-k per row, self excluded, not symmetrised);
 * `sim(K, L) = HSIC_u(M∘K, M∘L)`; score = sim(K, L) / (sqrt(sim(K, K)·sim(L, L)) + 1e−6).
 * Needs an explicit k ≥ 2 and n ≥ 4. The result is NaN when sim(K, K)·sim(L, L) < 0, as in the
 * reference (possible for tiny n, since HSIC_u is an unbiased estimate and can be negative).
 * @param k 2 ≤ k < n (paper setting for kNN metrics: 10)
 */
export function cknna(A: MatrixLike, B: MatrixLike, k: number, opts: CknnaOptions = {}): number {
  const a = prepareFeats(A, "A", opts.normalize ?? true);
  const b = prepareFeats(B, "B", opts.normalize ?? true);
  checkPaired(a, b);
  checkUnbiasedRows(a.rows, "cknna");
  checkK(k, a.rows, 2, "cknna");
  return cknnaFromLists(knnLists(a, k, opts), knnLists(b, k, opts));
}
