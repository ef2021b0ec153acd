/**
 * Cosine-similarity retrieval scores with chance levels: Recall@k, MRR and nDCG@k for paired
 * queries and candidates (row i of Q ↔ row i of C), for qrels with several (graded) relevant
 * candidates per query, and the class-level scores of the model-organism chapters
 * (class-R@1, within-class R@1, attribute top-1).
 *
 * **Ties count against the model.** A candidate whose similarity *equals* the correct one's is
 * ranked above it. So embeddings that are all equal (e.g. layer 0, where every item has the same
 * last-token state) get the worst possible rank, and score at or below chance, never above.
 * Among tied relevant items, lower gain first, then lower index.
 *
 * Similarities come in row blocks from the engine shared with the probes
 * (`src/probes/similarity.ts`), so n = 20,000 never builds the n × n matrix.
 *
 * Chance = the expected score of a uniformly random ranking of the candidates:
 * Recall@k = k/N, MRR = H_N/N (one relevant item; H = harmonic number), nDCG@K =
 * (1/N) Σ_{r ≤ K} 1/log2(r+1) (one relevant item); the qrels versions are in the functions.
 * @module
 */
import type { FloatArray, Matrix, MatrixLike } from "../array";
import { InputError } from "../array";
import { prepareFeats } from "../probes/prepare";
import type { BlockOptions } from "../probes/similarity";
import { forEachSimilarityBlock, similarityBlocks } from "../probes/similarity";
import { nativeRankBlock } from "../backend/native";

/** Scores of one retrieval direction. Keys: `"recall@1"`, `"recall@5"`, …, `"mrr"`, `"ndcg@10"`. */
export interface DirectionScores {
  /** Number of queries scored. */
  n: number;
  /** Metric → mean over queries. */
  scores: Record<string, number>;
  /** Metric → the expected value under a uniformly random ranking (same keys as `scores`). */
  chance: Record<string, number>;
}

/** Both directions of paired retrieval. */
export interface RetrievalScores {
  /** Query i retrieves candidate i among all candidates. */
  queryToCandidate: DirectionScores;
  /** Candidate i retrieves query i among all queries. */
  candidateToQuery: DirectionScores;
}

/** Options of the retrieval functions. */
export interface RetrievalOptions extends BlockOptions {
  /** Cut-offs of Recall@k. Default `[1, 5, 10]`. */
  ks?: number[];
  /** Cut-off of nDCG. Default 10. */
  ndcgK?: number;
  /** L2-normalise rows first (cosine similarity). Default `true`. */
  normalize?: boolean;
}

/** A class-level score with its chance level. */
export interface ClassScore {
  /** Mean over queries. */
  score: number;
  /** Expected score of a random top-1 (class frequencies among the candidates). */
  chance: number;
  /** Number of queries. */
  n: number;
}

function checkCutoffs(opts: RetrievalOptions): { ks: number[]; ndcgK: number } {
  const ks = opts.ks ?? [1, 5, 10];
  for (const k of ks) if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`invalid recall cut-off k; need an integer ≥ 1, got ${k}`);
  const ndcgK = opts.ndcgK ?? 10;
  if (!(Number.isInteger(ndcgK) && ndcgK >= 1)) throw new InputError(`invalid ndcgK; need an integer ≥ 1, got ${ndcgK}`);
  return { ks, ndcgK };
}

function prepPair(Q: MatrixLike, C: MatrixLike, normalize: boolean): [Matrix, Matrix] {
  const q = prepareFeats(Q, "Q", normalize);
  const c = prepareFeats(C, "C", normalize);
  if (q.cols !== c.cols) {
    throw new InputError(`Q and C must live in the same space; got ${q.cols} and ${c.cols} columns`);
  }
  return [q, c];
}

/**
 * Rank (1 = best) of `scores[target]` when ties count against it:
 * `1 + #{j ≠ target : scores[j] ≥ scores[target]}`.
 * @example rankOfTarget([0.5, 0.9, 0.5], 0) // 3: index 1 is higher and index 2 ties
 */
export function rankOfTarget(scores: ArrayLike<number>, target: number, offset = 0, length = scores.length - offset): number {
  const t = scores[offset + target];
  let rank = 1;
  for (let j = 0; j < length; j++) if (j !== target && scores[offset + j] >= t) rank++;
  return rank;
}

/**
 * Rank of C[i] for query Q[i] among all candidates, for every i (one-to-one pairs, ties against).
 * @param Q `[n, d]`, C `[n, d]`
 * @returns `n` ranks in 1..n.
 */
export function targetRanks(Q: MatrixLike, C: MatrixLike, opts: RetrievalOptions = {}): Int32Array {
  const [q, c] = prepPair(Q, C, opts.normalize ?? true);
  if (q.rows !== c.rows) {
    throw new InputError(`one-to-one retrieval needs as many queries as candidates; got ${q.rows} and ${c.rows}`);
  }
  return ranksOf(q, c, opts);
}

/**
 * Ranks in both directions from ONE pass over the row blocks of `S = Q·Cᵀ` (half the products of
 * a second pass over `C·Qᵀ`). Query i's rank counts row i against `S_ii` (as {@link ranksOf}).
 * Candidate j's rank counts column j against `S_jj`, which the pass reaches only at j's block, so
 * the columns are first compared with `S̃_jj` from a cheap prepass over the diagonal blocks
 * (~256/n of the work). BLAS may round one dot product differently in another call shape (measured:
 * ~1 in 100 diagonal values differ by 1–3 ulps), so comparisons within `ε_j` of `S̃_jj` are kept
 * aside and settled at the end against the main pass's own `S_jj`, where `ε_j = 2·d·2⁻²⁴·Σ_t|q_jt·c_jt|`
 * bounds the rounding of any float32 dot product of the pair. Every value counted is a main-pass
 * value compared with a main-pass `S_jj`: exact, ties against the model. If some `S_jj` falls
 * outside its band, or more than `maxPending` comparisons are near-ties (e.g. many equal rows),
 * the candidate direction is recomputed as a second pass over `C·Qᵀ`.
 * @internal exported for the tests.
 * @returns `[queryToCandidate, candidateToQuery]` ranks (1-based, ties against).
 */
export function ranksBothWays(q: Matrix, c: Matrix, opts: BlockOptions, maxPending = Math.max(1 << 20, 16 * q.rows)): [Int32Array, Int32Array] {
  const n = q.rows, d = q.cols;
  const src = similarityBlocks(q, c, opts, true); // each block is scanned before the next
  const q2c = new Int32Array(n), c2q = new Int32Array(n);
  const exact = new Float64Array(n); // main-pass S_jj
  const lo = new Float64Array(n), hi = new Float64Array(n);
  const cap = Math.min(maxPending, n * n);
  const pendI = new Int32Array(cap), pendV = new Float64Array(cap);
  let pending = 0;
  const inC = src.engine === "native" ? nativeRankBlock() : null;
  let settled = true;
  try {
    const dStep = Math.min(src.blockRows, 256);
    for (let s = 0; s < n; s += dStep) {
      const cnt = Math.min(dStep, n - s);
      const b = src.block(s, cnt, s, s + cnt);
      for (let r = 0; r < cnt; r++) {
        const j = s + r;
        let abs = 0;
        for (let t = 0; t < d; t++) abs += Math.abs(q.data[j * d + t] * c.data[j * d + t]);
        const eps = 2 * d * 2 ** -24 * abs + Number.MIN_VALUE;
        lo[j] = b[r * cnt + r] - eps;
        hi[j] = b[r * cnt + r] + eps;
      }
    }
    for (let s = 0; s < n; s += src.blockRows) {
      const cnt = Math.min(src.blockRows, n - s);
      const block = src.block(s, cnt);
      for (let r = 0; r < cnt; r++) {
        const t = (exact[s + r] = block[r * n + s + r]);
        if (!(t >= lo[s + r] && t <= hi[s + r])) settled = false;
      }
      if (inC) {
        // The same loop in C (native/lco_blas.c rankBlock), on the BLAS block as it is.
        const p = inC(block as Float32Array, cnt, n, s, lo, hi, q2c, c2q, pendI, pendV, settled ? pending : 0, settled);
        if (p < 0) settled = false;
        else if (settled) pending = p;
        continue;
      }
      for (let r = 0; r < cnt; r++) {
        const i = s + r, o = r * n;
        const t = block[o + i];
        let above = 0, j = 0;
        if (settled) {
          for (; j < n; j++) {
            const v = block[o + j];
            if (v >= t) above++;
            if (v > hi[j]) c2q[j]++;
            else if (v >= lo[j]) {
              // A near-tie with S̃_jj: settle against the exact S_jj at the end.
              if (pending === cap) { settled = false; j++; break; }
              pendI[pending] = j; pendV[pending] = v; pending++;
            }
          }
        }
        for (; j < n; j++) if (block[o + j] >= t) above++; // the query ranks alone, once the columns gave up
        q2c[i] = above; // includes j = i: 1 + #{j ≠ i : S_ij ≥ S_ii}
      }
    }
  } finally {
    src.dispose();
  }
  if (!settled) return [q2c, ranksOf(c, q, opts)];
  for (let p = 0; p < pending; p++) if (pendV[p] >= exact[pendI[p]]) c2q[pendI[p]]++;
  return [q2c, c2q];
}

function ranksOf(q: Matrix, c: Matrix, opts: BlockOptions): Int32Array {
  const m = c.rows;
  const ranks = new Int32Array(q.rows);
  forEachSimilarityBlock(q, c, (start, count, block) => {
    for (let r = 0; r < count; r++) ranks[start + r] = rankOfTarget(block, start + r, r * m, m);
  }, opts);
  return ranks;
}

const dcgWeight = (rank: number) => 1 / Math.log2(rank + 1);

/**
 * The chance levels of one-to-one retrieval over `nCandidates`: Recall@k = min(k, N)/N,
 * MRR = H_N/N, nDCG@K = (1/N) Σ_{r=1}^{min(K, N)} 1/log2(r+1).
 */
export function retrievalChance(nCandidates: number, opts: { ks?: number[]; ndcgK?: number } = {}): Record<string, number> {
  const { ks, ndcgK } = checkCutoffs(opts);
  const N = nCandidates;
  if (!(Number.isInteger(N) && N >= 1)) throw new InputError(`invalid number of candidates; need an integer ≥ 1, got ${N}`);
  const out: Record<string, number> = {};
  for (const k of ks) out[`recall@${k}`] = Math.min(k, N) / N;
  let h = 0;
  for (let r = 1; r <= N; r++) h += 1 / r;
  out.mrr = h / N;
  let g = 0;
  for (let r = 1; r <= Math.min(ndcgK, N); r++) g += dcgWeight(r);
  out[`ndcg@${ndcgK}`] = g / N;
  return out;
}

/**
 * Scores from ranks of a single relevant item per query.
 * @param ranks 1-based ranks; nCandidates N (for the chance levels).
 */
export function scoresFromRanks(ranks: ArrayLike<number>, nCandidates: number, opts: { ks?: number[]; ndcgK?: number } = {}): DirectionScores {
  const { ks, ndcgK } = checkCutoffs(opts);
  const n = ranks.length;
  const scores: Record<string, number> = {};
  for (const k of ks) {
    let hit = 0;
    for (let i = 0; i < n; i++) if (ranks[i] <= k) hit++;
    scores[`recall@${k}`] = hit / n;
  }
  let mrr = 0, ndcg = 0;
  for (let i = 0; i < n; i++) {
    mrr += 1 / ranks[i];
    if (ranks[i] <= ndcgK) ndcg += dcgWeight(ranks[i]);
  }
  scores.mrr = mrr / n;
  scores[`ndcg@${ndcgK}`] = ndcg / n;
  return { n, scores, chance: retrievalChance(nCandidates, { ks, ndcgK }) };
}

/**
 * Paired retrieval in both directions: query i's correct candidate is candidate i, and back.
 * Cosine similarity (rows L2-normalised). Ties count against the model.
 * @param Q `[n, d]` queries (e.g. images), C `[n, d]` candidates (e.g. captions)
 * @param opts `ks` (default [1, 5, 10]), `ndcgK` (default 10)
 * @returns Recall@k, MRR, nDCG@ndcgK with chance levels, per direction.
 */
export function retrievalScores(Q: MatrixLike, C: MatrixLike, opts: RetrievalOptions = {}): RetrievalScores {
  const cut = checkCutoffs(opts);
  const [q, c] = prepPair(Q, C, opts.normalize ?? true);
  if (q.rows !== c.rows) {
    throw new InputError(`one-to-one retrieval needs as many queries as candidates; got ${q.rows} and ${c.rows}`);
  }
  // Both directions from one pass over Q·Cᵀ; exact ties stay exact (see ranksBothWays).
  const [q2c, c2q] = ranksBothWays(q, c, opts);
  return { queryToCandidate: scoresFromRanks(q2c, c.rows, cut), candidateToQuery: scoresFromRanks(c2q, q.rows, cut) };
}

/** E[1/(position of the first relevant item)] for R relevant items among N, random ranking. */
function chanceMrr(R: number, N: number): number {
  let pGreater = 1; // P(first > r − 1)
  let e = 0;
  for (let r = 1; r <= N - R + 1; r++) {
    const pNext = pGreater * (N - R - (r - 1)) / (N - (r - 1)); // P(first > r)
    e += (pGreater - Math.max(pNext, 0)) / r;
    pGreater = Math.max(pNext, 0);
  }
  return e;
}

/**
 * Retrieval against qrels: query i's relevant candidates are `qrels[i]` (indices into C),
 * with gains `opts.gains[i]` (graded relevance; default 1 each = binary).
 *  - Recall@k = |relevant ∩ top k| / |relevant|
 *  - MRR = 1 / position of the first relevant item
 *  - nDCG@K = Σ_{relevant j at position p ≤ K} g_j / log2(p+1), divided by the ideal DCG
 * Queries with no relevant item are skipped (`n` counts the scored ones). Ties count against the
 * model (tied non-relevant candidates rank first; among tied relevant ones lower gain first).
 * Chance: Recall@k = min(k, N)/N; MRR = E[1/first relevant position] (exact, hypergeometric);
 * nDCG@K = (Σg/N)·Σ_{r ≤ K} 1/log2(r+1) / IDCG, averaged over queries.
 * @param Q `[nQ, d]`, C `[nC, d]`, qrels `nQ` lists of candidate indices.
 */
export function retrievalWithQrels(
  Q: MatrixLike, C: MatrixLike, qrels: readonly (readonly number[])[], opts: RetrievalOptions & { gains?: readonly (readonly number[])[] } = {},
): DirectionScores {
  const { ks, ndcgK } = checkCutoffs(opts);
  const [q, c] = prepPair(Q, C, opts.normalize ?? true);
  const N = c.rows;
  if (qrels.length !== q.rows) throw new InputError(`qrels has ${qrels.length} entries; Q has ${q.rows} rows`);
  const gains = opts.gains;
  if (gains !== undefined && gains.length !== qrels.length) throw new InputError(`gains has ${gains.length} entries; qrels has ${qrels.length}`);
  qrels.forEach((rel, i) => {
    if (gains && gains[i].length !== rel.length) throw new InputError(`gains[${i}] has ${gains[i].length} values; qrels[${i}] has ${rel.length}`);
    const seen = new Set<number>();
    rel.forEach((j, t) => {
      if (!(Number.isInteger(j) && j >= 0 && j < N)) throw new InputError(`qrels[${i}][${t}] = ${j} is not a candidate index in 0..${N - 1}`);
      if (seen.has(j)) throw new InputError(`qrels[${i}] lists candidate ${j} twice`);
      seen.add(j);
      const g = gains ? gains[i][t] : 1;
      if (!(Number.isFinite(g) && g > 0)) throw new InputError(`gains[${i}][${t}] = ${g}; gains must be finite and > 0`);
    });
  });
  const sums: Record<string, number> = {}, chance: Record<string, number> = {};
  const keys = [...ks.map((k) => `recall@${k}`), "mrr", `ndcg@${ndcgK}`];
  for (const key of keys) { sums[key] = 0; chance[key] = 0; }
  const mrrCache = new Map<number, number>();
  let ndcgChanceWeight = 0;
  for (let r = 1; r <= Math.min(ndcgK, N); r++) ndcgChanceWeight += dcgWeight(r);
  let scored = 0;
  forEachSimilarityBlock(q, c, (start, count, block) => {
    for (let r = 0; r < count; r++) {
      const i = start + r;
      const rel = qrels[i];
      const R = rel.length;
      if (R === 0) continue;
      scored++;
      const g = rel.map((_, t) => (gains ? gains[i][t] : 1));
      const s = rel.map((j) => block[r * N + j]);
      // Pessimistic position of each relevant item.
      const pos = rel.map((j, t) => {
        let above = 0;
        for (let x = 0; x < N; x++) if (x !== j && block[r * N + x] >= s[t]) above++;
        // Tied relevant items that rank *after* j under the pessimistic order were counted above;
        // take them back out.
        for (let u = 0; u < R; u++) {
          if (u === t || s[u] !== s[t]) continue;
          const before = g[u] < g[t] || (g[u] === g[t] && rel[u] < j);
          if (!before) above--;
        }
        return 1 + above;
      });
      for (const k of ks) sums[`recall@${k}`] += pos.filter((p) => p <= k).length / R;
      sums.mrr += 1 / Math.min(...pos);
      const sorted = [...g].sort((a, b) => b - a);
      let idcg = 0;
      for (let p = 0; p < Math.min(ndcgK, R); p++) idcg += sorted[p] * dcgWeight(p + 1);
      let dcg = 0;
      pos.forEach((p, t) => { if (p <= ndcgK) dcg += g[t] * dcgWeight(p); });
      sums[`ndcg@${ndcgK}`] += dcg / idcg;
      for (const k of ks) chance[`recall@${k}`] += Math.min(k, N) / N;
      if (!mrrCache.has(R)) mrrCache.set(R, chanceMrr(R, N));
      chance.mrr += mrrCache.get(R)!;
      chance[`ndcg@${ndcgK}`] += (g.reduce((a, b) => a + b, 0) / N) * ndcgChanceWeight / idcg;
    }
  }, opts);
  if (scored === 0) throw new InputError("qrels has no relevant candidate for any query");
  for (const key of keys) { sums[key] /= scored; chance[key] /= scored; }
  return { n: scored, scores: sums, chance };
}

function checkLabels(labels: ArrayLike<unknown>, n: number, name: string): void {
  if (labels.length !== n) throw new InputError(`${name} has ${labels.length} labels; expected ${n} (one per row)`);
}

/**
 * Class-level Recall@1 (also "attribute top-1" when the labels are one attribute): the top-1
 * candidate has the query's class. Ties count against the model: if any candidate tied for the
 * top score has another class, it is a miss.
 * Chance = mean over queries of (#candidates with the query's class) / nC.
 * @param Q `[nQ, d]`, C `[nC, d]`; classOfQ `nQ` labels, classOfC `nC` labels.
 */
export function classRecallAt1(
  Q: MatrixLike, C: MatrixLike, classOfQ: ArrayLike<number | string>, classOfC: ArrayLike<number | string>, opts: RetrievalOptions = {},
): ClassScore {
  const [q, c] = prepPair(Q, C, opts.normalize ?? true);
  checkLabels(classOfQ, q.rows, "classOfQ");
  checkLabels(classOfC, c.rows, "classOfC");
  const N = c.rows;
  const freq = new Map<number | string, number>();
  for (let j = 0; j < N; j++) freq.set(classOfC[j], (freq.get(classOfC[j]) ?? 0) + 1);
  let hits = 0, chance = 0;
  forEachSimilarityBlock(q, c, (start, count, block: FloatArray) => {
    for (let r = 0; r < count; r++) {
      const cls = classOfQ[start + r];
      let best = -Infinity;
      for (let j = 0; j < N; j++) if (block[r * N + j] > best) best = block[r * N + j];
      let ok = true;
      for (let j = 0; j < N && ok; j++) if (block[r * N + j] === best && classOfC[j] !== cls) ok = false;
      if (ok) hits++;
      chance += (freq.get(cls) ?? 0) / N;
    }
  }, opts);
  return { score: hits / q.rows, chance: chance / q.rows, n: q.rows };
}

/**
 * Within-class Recall@1: query i's correct candidate is C[i], ranked only among the candidates
 * of the same class as C[i]. It asks "does the embedding carry more than the class?". Ties count
 * against the model. Chance = mean over queries of 1 / (size of the target's class).
 * @param Q `[n, d]`, C `[n, d]` paired; classOfC `n` labels (class of candidate j).
 */
export function withinClassRecallAt1(
  Q: MatrixLike, C: MatrixLike, classOfC: ArrayLike<number | string>, opts: RetrievalOptions = {},
): ClassScore {
  const [q, c] = prepPair(Q, C, opts.normalize ?? true);
  if (q.rows !== c.rows) throw new InputError(`within-class retrieval needs paired rows; got ${q.rows} queries and ${c.rows} candidates`);
  checkLabels(classOfC, c.rows, "classOfC");
  const N = c.rows;
  const freq = new Map<number | string, number>();
  for (let j = 0; j < N; j++) freq.set(classOfC[j], (freq.get(classOfC[j]) ?? 0) + 1);
  let hits = 0, chance = 0;
  forEachSimilarityBlock(q, c, (start, count, block) => {
    for (let r = 0; r < count; r++) {
      const i = start + r;
      const cls = classOfC[i];
      const t = block[r * N + i];
      let ok = true;
      for (let j = 0; j < N && ok; j++) if (j !== i && classOfC[j] === cls && block[r * N + j] >= t) ok = false;
      if (ok) hits++;
      chance += 1 / freq.get(cls)!;
    }
  }, opts);
  return { score: hits / N, chance: chance / N, n: N };
}
