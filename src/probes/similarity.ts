/**
 * The blocked similarity engine shared by the probes and by retrieval.
 *
 * Every kNN metric, the Gram-matrix form of CKA and every retrieval score needs dot products
 * `A_i · B_j` for all pairs. For n = 20,000 items the full n × n matrix is 400M values (1.6 GB in
 * float32), too much for the wasm heap once a few copies exist. So we never build it: we compute
 * one **row block** `A[s : s+r] · Bᵀ` (r × m values) at a time, hand it to the caller, and forget
 * it. Callers stream what they need out of each block (top-k per row, sums, ranks).
 *
 * Three engines compute a block:
 *  - `"js"`: plain float64 loops. About 1 GFLOP/s, but exact to float64, so small problems
 *    (tests, n ≈ 1000) agree with a float64 reference to ~1e-15.
 *  - `"tfjs"`: `tf.matMul` on the active TF.js backend (wasm: 25–36 GFLOP/s, float32). Bᵀ is
 *    uploaded once, transposed once, and reused for every block, because the wasm matMul is
 *    10–30× slower when asked to transpose (shared/stack-notes.md §4.3).
 *
 *  - `"native"`: the platform's BLAS through the optional addon (`backend/native.ts`; OpenBLAS
 *    ~100–300 GFLOP/s, float32), straight on the input arrays: no upload, no transposes.
 *
 * `"auto"` (the default) uses `"js"` while `rows · cols · d ≤ JS_ENGINE_MAX_WORK`, and above it
 * `"native"` when the addon is active, else `"tfjs"`. The tfjs engine needs `await initBackend()`
 * first (we check, because TF.js would otherwise silently pick its slow pure-JS `cpu` backend).
 * It reads each block synchronously, which the `webgpu` backend cannot do in Node
 * (`backend/webgpu.ts` `canReadSync`): there `"auto"` takes `"js"` instead of `"tfjs"`, and an
 * explicit `"tfjs"` is refused, so probes run while webgpu is active, on the CPU engines.
 *
 * @module
 */
import type * as TF from "@tensorflow/tfjs";
import type { FloatArray, Matrix } from "../array";
import { InputError } from "../array";
import { backendLayer, tfjs, webgpuLayer } from "../backend/lazy";
import { largeFloat32Array, nativeGemm, nativeMatMulActive } from "../backend/native";

/** Which engine computes similarity blocks; see the module comment. */
export type SimilarityEngine = "auto" | "js" | "tfjs" | "native";

/** Options shared by every blocked computation. */
export interface BlockOptions {
  /**
   * Rows per block. Default: as many as fit in {@link DEFAULT_BLOCK_VALUES} values
   * (`floor(2^24 / cols)`, at least 1). Tests force small values to check that blocking does not
   * change results.
   */
  blockRows?: number;
  /** Default `"auto"`. */
  engine?: SimilarityEngine;
}

/**
 * Multiply–adds (`rows · cols · d`) up to which `"auto"` uses the exact float64 JS engine.
 * 3e7 is about 30–60 ms of JS; above it tfjs is faster even with its per-call overhead.
 */
export const JS_ENGINE_MAX_WORK = 3e7;

/** Default block size in values (2^24 = 16.8M values, 64 MB as float32). */
export const DEFAULT_BLOCK_VALUES = 1 << 24;

/** Resolve `"auto"` for a problem of `work` multiply–adds. */
export function resolveEngine(work: number, engine: SimilarityEngine = "auto"): "js" | "tfjs" | "native" {
  if (engine !== "auto" && engine !== "js" && engine !== "tfjs" && engine !== "native") {
    throw new InputError(`invalid engine; expected "auto", "js", "tfjs" or "native", got "${String(engine)}"`);
  }
  const chosen = engine === "auto" ? (work <= JS_ENGINE_MAX_WORK ? "js" : nativeMatMulActive() ? "native" : webgpuLayer().canReadSync() ? "tfjs" : "js") : engine;
  if (chosen === "native" && !nativeMatMulActive()) {
    throw new Error(`the native similarity engine needs the native BLAS addon, which is off (see npm run env)`);
  }
  if (chosen === "tfjs" && backendLayer().backendInfo() === null) {
    throw new Error(
      `the tfjs similarity engine needs a backend: call \`await initBackend()\` first ` +
        `(problem size ${work.toExponential(2)} multiply-adds; engine "${engine}")`,
    );
  }
  if (chosen === "tfjs" && !webgpuLayer().canReadSync()) {
    throw new InputError(`the tfjs similarity engine reads blocks synchronously, which the ${tfjs().getBackend()} backend cannot do here; use engine "auto", "js" or "native"`);
  }
  return chosen;
}

/** Default rows per block for blocks that are `cols` wide. */
export function defaultBlockRows(cols: number, total: number, blockRows?: number): number {
  if (blockRows !== undefined) {
    if (!(Number.isInteger(blockRows) && blockRows >= 1)) {
      throw new InputError(`invalid blockRows; need an integer ≥ 1, got ${blockRows}`);
    }
    return Math.min(blockRows, Math.max(total, 1));
  }
  return Math.max(1, Math.min(Math.max(total, 1), Math.floor(DEFAULT_BLOCK_VALUES / Math.max(cols, 1))));
}

/** Copy (or reuse) data as float32 (for upload to TF.js, or for BLAS). */
function asFloat32(data: FloatArray): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/**
 * A source of row blocks of `A · Bᵀ` (`A [n, d]`, `B [m, d]`). Create with
 * {@link similarityBlocks}; always call `dispose()` (it frees the uploaded Bᵀ tensor).
 */
export interface SimilarityBlocks {
  /** `n` (rows of A). */
  readonly rows: number;
  /** `m` (rows of B). */
  readonly cols: number;
  /** Rows per block to request. */
  readonly blockRows: number;
  /** The engine in use. */
  readonly engine: "js" | "tfjs" | "native";
  /**
   * Rows `start .. start+count-1` of `A · Bᵀ`, restricted to columns `colStart .. colEnd-1`
   * (default: all `m` columns; anisotropy only needs the lower triangle, the symmetric kNN scan
   * the upper one). Row-major `[count, colEnd − colStart]`. The array is owned by the caller.
   */
  block(start: number, count: number, colStart?: number, colEnd?: number): FloatArray;
  /** Free the uploaded tensors. Idempotent. */
  dispose(): void;
}

/**
 * Open a blocked view of `A · Bᵀ`. Both matrices must have the same number of columns.
 * Rows are used as given (normalise them first for cosine similarity).
 * @param reuseBlocks native engine only: every `block()` call writes into one scratch buffer and
 *   returns a view of it, valid until the next call (for scans that finish a block before asking
 *   for the next, like the kNN lists and the retrieval ranks). A fresh 64 MB block per call costs
 *   the kernel a page fault per 4 kB (measured at n 10k: 125k minor faults per `lco retrieval`);
 *   the values are the same either way. Default `false`: each block is the caller's own.
 */
export function similarityBlocks(A: Matrix, B: Matrix, opts: BlockOptions = {}, reuseBlocks = false): SimilarityBlocks {
  if (A.cols !== B.cols) {
    throw new InputError(`similarity needs equal feature sizes; got ${A.cols} and ${B.cols} columns`);
  }
  const n = A.rows, m = B.rows, d = A.cols;
  const engine = resolveEngine(n * m * d, opts.engine);
  const blockRows = defaultBlockRows(m, n, opts.blockRows);
  if (engine === "js") {
    return {
      rows: n, cols: m, blockRows, engine,
      block(start, count, colStart = 0, colEnd = m) {
        const a = A.data, b = B.data;
        const width = colEnd - colStart;
        const out = new Float64Array(count * width);
        for (let r = 0; r < count; r++) {
          const ai = (start + r) * d;
          const o = r * width - colStart;
          for (let j = colStart; j < colEnd; j++) {
            const bj = j * d;
            let s = 0;
            for (let t = 0; t < d; t++) s += a[ai + t] * b[bj + t];
            out[o + j] = s;
          }
        }
        return out;
      },
      dispose() {},
    };
  }
  if (engine === "native") {
    const a32 = asFloat32(A.data), b32 = asFloat32(B.data);
    let scratch: Float32Array | null = null;
    return {
      rows: n, cols: m, blockRows, engine,
      block(start, count, colStart = 0, colEnd = m) {
        const width = colEnd - colStart;
        let out: Float32Array;
        if (reuseBlocks) {
          if (scratch === null || scratch.length < count * width) scratch = largeFloat32Array(count * width);
          out = scratch.subarray(0, count * width); // sgemm with beta 0 overwrites every value
        } else {
          out = largeFloat32Array(count * width);
        }
        // A[start : start+count] · B[colStart : colEnd]ᵀ, both row-major with row stride d.
        nativeGemm(false, true, count, width, d, a32.subarray(start * d, (start + count) * d), b32.subarray(colStart * d, colEnd * d), out);
        return out;
      },
      dispose() {},
    };
  }
  // tfjs: upload B once and transpose it once to [d, m], so each block is an untransposed matMul.
  const tf = tfjs();
  let bt: TF.Tensor2D | null = tf.tidy(() => tf.transpose(tf.tensor2d(asFloat32(B.data), [m, d])) as TF.Tensor2D);
  const a32 = asFloat32(A.data);
  return {
    rows: n, cols: m, blockRows, engine,
    block(start, count, colStart = 0, colEnd = m) {
      if (bt === null) throw new Error("similarity blocks used after dispose()");
      const right = bt;
      const out = tf.tidy(() => {
        const a = tf.tensor2d(a32.subarray(start * d, (start + count) * d), [count, d]);
        const cols = colStart === 0 && colEnd === m ? right : tf.slice(right, [0, colStart], [d, colEnd - colStart]);
        return tf.matMul(a, cols);
      });
      try {
        return out.dataSync() as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose() {
      if (bt !== null) bt.dispose();
      bt = null;
    },
  };
}

/**
 * Visit every row block of `A · Bᵀ` in order. `visit(start, count, block)` gets rows
 * `start .. start+count-1` as a row-major `[count, m]` array.
 */
export function forEachSimilarityBlock(
  A: Matrix,
  B: Matrix,
  visit: (start: number, count: number, block: FloatArray) => void,
  opts: BlockOptions = {},
): void {
  const src = similarityBlocks(A, B, opts);
  try {
    for (let s = 0; s < src.rows; s += src.blockRows) {
      const c = Math.min(src.blockRows, src.rows - s);
      visit(s, c, src.block(s, c));
    }
  } finally {
    src.dispose();
  }
}

/**
 * Cross-product `Xᵀ Y` (`X [n, p]`, `Y [n, q]` → `[p, q]`, float64), accumulated over row chunks
 * so that no more than one chunk is uploaded at a time. Used by the feature-space form of CKA.
 */
export function crossProduct(X: Matrix, Y: Matrix, opts: BlockOptions = {}): Float64Array {
  if (X.rows !== Y.rows) throw new InputError(`crossProduct needs equal row counts; got ${X.rows} and ${Y.rows}`);
  const n = X.rows, p = X.cols, q = Y.cols;
  const out = new Float64Array(p * q);
  const engine = resolveEngine(n * p * q, opts.engine);
  if (engine === "js") {
    const x = X.data, y = Y.data;
    for (let i = 0; i < n; i++) {
      const xi = i * p, yi = i * q;
      for (let a = 0; a < p; a++) {
        const v = x[xi + a];
        if (v === 0) continue;
        const o = a * q;
        for (let b = 0; b < q; b++) out[o + b] += v * y[yi + b];
      }
    }
    return out;
  }
  if (engine === "native") {
    // One BLAS call Xᵀ·Y (float32 accumulation, as the tfjs engine), no transposed copies.
    const c32 = new Float32Array(p * q);
    nativeGemm(true, false, p, q, n, asFloat32(X.data), asFloat32(Y.data), c32);
    out.set(c32);
    return out;
  }
  // Chunks of rows; each chunk of X is transposed in JS while converting to float32 (cheap,
  // O(chunk·p)), so the matMul itself is untransposed.
  const chunk = defaultBlockRows(Math.max(p, q), n, opts.blockRows);
  const tf = tfjs();
  for (let s = 0; s < n; s += chunk) {
    const c = Math.min(chunk, n - s);
    const xt = new Float32Array(p * c);
    for (let r = 0; r < c; r++) for (let a = 0; a < p; a++) xt[a * c + r] = X.data[(s + r) * p + a];
    const yc = asFloat32(Y.data.subarray(s * q, (s + c) * q));
    const t = tf.tidy(() => tf.matMul(tf.tensor2d(xt, [p, c]), tf.tensor2d(yc, [c, q])));
    try {
      const v = t.dataSync();
      for (let i = 0; i < out.length; i++) out[i] += v[i];
    } finally {
      t.dispose();
    }
  }
  return out;
}
