/**
 * Anisotropy: the expected cosine similarity of two random items (shared/paper-notes.md §1.2,
 * LCO-Embedding `Analysis/anisotropy.py`, after Xiao et al. 2023).
 *
 * ```
 * A(D) = 2/(N(N−1)) · Σ_{i<j} cos(h_i, h_j)
 * ```
 * Exact reference semantics: `C = cosine_similarity(E, E)`, `T = tril(C, k=−1)`,
 * `A = sum(T) / count_nonzero(T)`, i.e. the mean of the strict lower triangle **leaving out
 * entries that are exactly 0** (they drop out of the denominator). We reproduce that rule.
 * High A (near 1) means all embeddings point the same way (representation degeneration).
 *
 * **Closed form.** With unit rows x̂ᵢ, `Σ_{i≠j} x̂ᵢ·x̂ⱼ = ‖Σᵢ x̂ᵢ‖² − Σᵢ ‖x̂ᵢ‖²`, so when no pair is
 * left out the mean is `(‖Σ x̂ᵢ‖² − n) / (n(n − 1))`: O(n·d) instead of O(n²·d), in float64.
 * The only difference from the pairwise rule is the exact-zero exclusion, and exact zeros come
 * from orthogonal rows with disjoint supports (one-hot, sparse or ReLU features). So `"auto"`
 * uses the closed form when no feature value is exactly 0 — an exactly-zero cosine then needs an
 * exact cancellation, which dense float features do not produce (tested on the fixtures) — and
 * the pairwise rule otherwise.
 *
 * The pairwise rule streams the lower triangle in row blocks (row block i only needs columns < its
 * end), so memory stays at one block even for n = 20,000.
 * @module
 */
import type { Matrix, MatrixLike, NdArray } from "../array";
import { InputError } from "../array";
import { l2Normalize, toLayerList } from "./prepare";
import type { BlockOptions } from "./similarity";

/** Options of {@link anisotropy}. */
export interface AnisotropyOptions extends BlockOptions {
  /**
   * `"closed"`: `(‖Σ x̂ᵢ‖² − Σ‖x̂ᵢ‖²) / (n(n − 1))`, O(n·d), counts every pair; `"pairs"`: the
   * reference's blocked mean over pairs without exact zeros; `"auto"` (default): closed when no
   * feature value is exactly 0, else pairs (see the module comment).
   */
  method?: "auto" | "closed" | "pairs";
}
import { similarityBlocks } from "./similarity";

/**
 * Anisotropy of one modality at one layer.
 * @param feats `[n, d]` embeddings (n ≥ 2); rows are L2-normalised here (cosine similarity).
 * @param opts block options (`blockRows`, `engine`); the result does not depend on them beyond
 *   float32 rounding on the tfjs engine.
 * @returns mean cosine over pairs i > j, leaving out exactly-zero cosines. If *every* pair is
 *   exactly orthogonal (e.g. one-hot rows) the reference computes 0/0 = NaN; we return 0, the
 *   value of the formula A(D).
 * @example anisotropy([[1, 0], [1, 1], [0, 1]]) // (cos45° + 0 + cos45°) → (0.7071 + 0.7071) / 2 = 0.7071
 */
export function anisotropy(feats: MatrixLike, opts: AnisotropyOptions = {}): number {
  const method = opts.method ?? "auto";
  if (!["auto", "closed", "pairs"].includes(method)) throw new InputError(`invalid method; expected "auto", "closed" or "pairs", got "${String(method)}"`);
  const m = l2Normalize(feats, "feats");
  const n = m.rows;
  if (n < 2) throw new InputError(`anisotropy needs at least 2 rows (it averages over pairs); got n = ${n}`);
  if (method === "closed" || (method === "auto" && !m.data.includes(0))) return closedForm(m);
  const src = similarityBlocks(m, m, opts);
  let sum = 0, count = 0;
  try {
    for (let s = 0; s < n; s += src.blockRows) {
      const c = Math.min(src.blockRows, n - s);
      const width = s + c; // row i only needs columns j < i ≤ s + c − 1
      const block = src.block(s, c, 0, width);
      for (let r = 0; r < c; r++) {
        const i = s + r;
        const o = r * width;
        for (let j = 0; j < i; j++) {
          const v = block[o + j];
          if (v !== 0) { sum += v; count++; }
        }
      }
    }
  } finally {
    src.dispose();
  }
  return count === 0 ? 0 : sum / count;
}

/** `(‖Σ x̂ᵢ‖² − Σ‖x̂ᵢ‖²) / (n(n − 1))` on unit rows, in float64. */
function closedForm(m: Matrix): number {
  const { rows: n, cols: d, data } = m;
  const sum = new Float64Array(d);
  let self = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = data[o + j];
      sum[j] += v;
      self += v * v;
    }
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += sum[j] * sum[j];
  return (total - self) / (n * (n - 1));
}

/**
 * Anisotropy of every layer of a stack.
 * @param stack `[L, n, d]` NdArray or L matrices `[n, d]`
 * @returns `L` values, index 0 = token-embedding output.
 */
export function anisotropyByLayer(stack: NdArray | readonly Matrix[], opts: AnisotropyOptions = {}): number[] {
  return toLayerList(stack, "stack").map((m) => anisotropy(m, opts));
}
