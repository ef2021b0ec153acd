/**
 * k-nearest-neighbour lists and the kNN alignment metrics of the Platonic Representation
 * Hypothesis code (platonic-rep `metrics.py`, copied into LCO-Embedding
 * `Analysis/kernel_alignment.py`; shared/paper-notes.md §1.3).
 *
 * `S_k(i)` = the k items with the largest similarity `x̂_i · x̂_j`, j ≠ i, ordered from most to
 * least similar. The reference fills the diagonal with −1e8 and argsorts; we skip j = i, which is
 * the same for unit-norm rows.
 *
 * **Tie policy.** Among exactly equal similarities the lower index comes first (ranks earlier and
 * is kept when the k-th place is tied). The reference's `argsort` is not stable, so on exact ties
 * it may pick differently; with real-valued features exact ties are rare.
 *
 * The lists are computed from row blocks of the (upper triangle of the) similarity matrix (see
 * `similarity.ts`), keeping only the top k per row, so memory is O(n·k) plus one block.
 * @module
 */
import type { Matrix, MatrixLike } from "../array";
import { InputError } from "../array";
import { prepareFeats, checkK, checkPaired } from "./prepare";
import type { BlockOptions } from "./similarity";
import { defaultBlockRows, similarityBlocks } from "./similarity";

/**
 * kNN lists of every row: `indices[i*k + r]` is the r-th nearest neighbour of item i (r = 0 is
 * the nearest) and `values[i*k + r]` its similarity.
 */
export interface KnnLists {
  /** Number of items. */
  readonly n: number;
  /** Neighbours per item. */
  readonly k: number;
  /** `[n, k]` row-major neighbour indices. */
  readonly indices: Int32Array;
  /** `[n, k]` row-major similarities matching `indices`. */
  readonly values: Float64Array;
}

/** Options of {@link knnIndices} and the kNN metrics. */
export interface KnnOptions extends BlockOptions {
  /** L2-normalise rows first (cosine similarity). Default `true`, as in the reference protocol. */
  normalize?: boolean;
}

/**
 * Offer candidate `j` with similarity `v` to item i's list (`idx/val[i*k .. i*k+k)`, sorted by
 * value descending). Candidates must arrive in ascending `j`: inserting only when strictly larger
 * than the current k-th value then implements the "lower index first" tie policy.
 */
function offer(
  i: number, v: number, j: number, k: number, filled: Int32Array, idx: Int32Array, val: Float64Array,
): void {
  const o = i * k;
  const f = filled[i];
  if (f === k && !(v > val[o + k - 1])) return;
  // Insertion point p: the first position whose value is < v (equal values stay in index
  // order); shift the tail down by one (dropping the old k-th entry when the list is full).
  let p = f === k ? k - 1 : f;
  while (p > 0 && val[o + p - 1] < v) {
    val[o + p] = val[o + p - 1];
    idx[o + p] = idx[o + p - 1];
    p--;
  }
  val[o + p] = v;
  idx[o + p] = j;
  if (f < k) filled[i] = f + 1;
}

/**
 * kNN lists on already prepared rows (no normalisation, no checks other than k).
 *
 * The similarity matrix is symmetric, so only its upper triangle is computed: row block
 * `s .. s+c−1` is multiplied with columns `s .. n−1` only (half the multiply–adds), and each
 * value `S_ij` (j > i) is offered both to item i (as neighbour j) and to item j (as neighbour i).
 * Items are processed in ascending order, so every list still receives its candidates in
 * ascending index order, as the tie policy needs.
 * @internal shared by the metrics and `measureLayerPairs`.
 */
export function knnLists(feats: Matrix, k: number, opts: BlockOptions = {}): KnnLists {
  const n = feats.rows;
  checkK(k, n);
  const indices = new Int32Array(n * k);
  const values = new Float64Array(n * k);
  const filled = new Int32Array(n);
  // The triangle saving needs several blocks (with one block it is the full square; with B
  // blocks it saves (1 − 1/B)/2), so cap the default block height at n/8 rows, but keep ≥ 512
  // rows so that the per-block column slice stays small next to the matMul (measured: ~10%).
  const blockRows = opts.blockRows ?? Math.min(defaultBlockRows(n, n), Math.max(512, Math.ceil(n / 8)));
  const src = similarityBlocks(feats, feats, { ...opts, blockRows }, true); // each block is scanned before the next
  try {
    for (let s = 0; s < n; s += src.blockRows) {
      const c = Math.min(src.blockRows, n - s);
      const width = n - s;
      const block = src.block(s, c, s, n);
      for (let r = 0; r < c; r++) {
        const i = s + r;
        const o = r * width - s; // block[o + j] = S_ij
        for (let j = i + 1; j < n; j++) {
          const v = block[o + j];
          offer(i, v, j, k, filled, indices, values);
          offer(j, v, i, k, filled, indices, values);
        }
      }
    }
  } finally {
    src.dispose();
  }
  return { n, k, indices, values };
}

/**
 * The k nearest neighbours of every row of `feats` by cosine similarity (dot product when
 * `normalize: false`), excluding the row itself. Ties: lower index first.
 * @param feats `[n, d]`
 * @param k 1 ≤ k < n
 * @returns {@link KnnLists} with `[n, k]` indices and similarities.
 * @example knnIndices([[1,0],[0.9,0.1],[0,1]], 1).indices // Int32Array [1, 0, 1]
 */
export function knnIndices(feats: MatrixLike, k: number, opts: KnnOptions = {}): KnnLists {
  const m = prepareFeats(feats, "feats", opts.normalize ?? true);
  return knnLists(m, checkK(k, m.rows), opts);
}

function checkSameShape(a: KnnLists, b: KnnLists): void {
  if (a.n !== b.n || a.k !== b.k) throw new InputError(`kNN lists differ in shape: [${a.n}, ${a.k}] vs [${b.n}, ${b.k}]`);
}

/** mutual_knn from two kNN lists: mean over items of |S_A(i) ∩ S_B(i)| / k. */
export function mutualKnnFromLists(a: KnnLists, b: KnnLists): number {
  checkSameShape(a, b);
  const { n, k } = a;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let hits = 0;
    // k is small (paper: 10), so a double loop beats building sets.
    for (let r = 0; r < k; r++) {
      const j = a.indices[o + r];
      for (let s = 0; s < k; s++) if (b.indices[o + s] === j) { hits++; break; }
    }
    total += hits / k;
  }
  return total / n;
}

/**
 * cycle_knn from two kNN lists: the fraction of items i that are reached again by going to a
 * B-neighbour j ∈ S_B(i) and then to j's A-neighbours (i ∈ S_A(j)). Reference: `knn_A[knn_B]`.
 */
export function cycleKnnFromLists(a: KnnLists, b: KnnLists): number {
  checkSameShape(a, b);
  const { n, k } = a;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let found = false;
    for (let s = 0; s < k && !found; s++) {
      const j = b.indices[i * k + s];
      for (let r = 0; r < k; r++) if (a.indices[j * k + r] === i) { found = true; break; }
    }
    if (found) hits++;
  }
  return hits / n;
}

/** Length of the longest common subsequence of two index lists (classic DP, O(k²)). */
export function lcsLength(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const m = x.length, n = y.length;
  let prev = new Int32Array(n + 1), cur = new Int32Array(n + 1);
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** Levenshtein distance (insert, delete, substitute: cost 1) between two index lists. */
export function editDistance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const m = x.length, n = y.length;
  let prev = new Int32Array(n + 1), cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const sub = prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/**
 * lcs_knn from two kNN lists: mean over items of LCS(S_A(i), S_B(i)) over the *ordered* lists.
 * As in the reference it is **not** divided by k: the range is [0, k].
 */
export function lcsKnnFromLists(a: KnnLists, b: KnnLists): number {
  checkSameShape(a, b);
  const { n, k } = a;
  let total = 0;
  for (let i = 0; i < n; i++) total += lcsLength(a.indices.subarray(i * k, (i + 1) * k), b.indices.subarray(i * k, (i + 1) * k));
  return total / n;
}

/** edit_distance_knn from two kNN lists: 1 − mean Levenshtein(S_A(i), S_B(i)) / k. Range [0, 1]. */
export function editDistanceKnnFromLists(a: KnnLists, b: KnnLists): number {
  checkSameShape(a, b);
  const { n, k } = a;
  let total = 0;
  for (let i = 0; i < n; i++) total += editDistance(a.indices.subarray(i * k, (i + 1) * k), b.indices.subarray(i * k, (i + 1) * k));
  return 1 - total / n / k;
}

function pairLists(A: MatrixLike, B: MatrixLike, k: number, opts: KnnOptions): [KnnLists, KnnLists] {
  const a = prepareFeats(A, "A", opts.normalize ?? true);
  const b = prepareFeats(B, "B", opts.normalize ?? true);
  checkPaired(a, b);
  checkK(k, a.rows);
  return [knnLists(a, k, opts), knnLists(b, k, opts)];
}

/**
 * Mutual k-NN alignment (the paper's `mutual_knn`): for paired `A [n, dA]`, `B [n, dB]`,
 * `(1/n) Σ_i |S_A(i) ∩ S_B(i)| / k`. 1 = identical neighbourhoods; chance ≈ k/(n−1).
 * @param k neighbours, 1 ≤ k < n (paper: 10)
 */
export function mutualKnn(A: MatrixLike, B: MatrixLike, k: number, opts: KnnOptions = {}): number {
  return mutualKnnFromLists(...pairLists(A, B, k, opts));
}

/** `cycle_knn`: fraction of items i with i ∈ ∪_{j ∈ S_B(i)} S_A(j). See {@link cycleKnnFromLists}. */
export function cycleKnn(A: MatrixLike, B: MatrixLike, k: number, opts: KnnOptions = {}): number {
  return cycleKnnFromLists(...pairLists(A, B, k, opts));
}

/** `lcs_knn`: mean LCS of the ordered kNN lists, range [0, k] (not divided by k, as in the reference). */
export function lcsKnn(A: MatrixLike, B: MatrixLike, k: number, opts: KnnOptions = {}): number {
  return lcsKnnFromLists(...pairLists(A, B, k, opts));
}

/** `edit_distance_knn`: 1 − mean Levenshtein distance of the ordered kNN lists / k. */
export function editDistanceKnn(A: MatrixLike, B: MatrixLike, k: number, opts: KnnOptions = {}): number {
  return editDistanceKnnFromLists(...pairLists(A, B, k, opts));
}

/**
 * kNN lists of B after its rows are permuted (`B'[i] = B[perm[i]]`), derived from B's lists
 * without recomputing similarities: `S_B'(i) = perm⁻¹(S_B(perm[i]))`. Used by the shuffled-pairs
 * control. (Among exact ties the order follows the original indices.)
 */
export function permuteLists(b: KnnLists, perm: ArrayLike<number>): KnnLists {
  const { n, k } = b;
  const inv = new Int32Array(n);
  for (let i = 0; i < n; i++) inv[perm[i]] = i;
  const indices = new Int32Array(n * k), values = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const src = perm[i] * k;
    for (let r = 0; r < k; r++) {
      indices[i * k + r] = inv[b.indices[src + r]];
      values[i * k + r] = b.values[src + r];
    }
  }
  return { n, k, indices, values };
}
