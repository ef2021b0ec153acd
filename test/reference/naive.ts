/**
 * Naive float64 reference implementations of the probes and retrieval metrics, written straight
 * from the formulas in shared/paper-notes.md §1.2–1.3 and platonic-rep `metrics.py`, with full
 * n × n matrices. They deliberately share **no code** with `src/` (not even the input helpers):
 * they are the independent check the fast, blocked implementations are tested against.
 * Inputs are plain `number[][]`. Slow (O(n³) for HSIC_b); use n ≤ ~300.
 */

export type M = number[][];

export function normalizeRows(X: M): M {
  return X.map((r) => {
    const nrm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    return r.map((v) => v / nrm);
  });
}

export function matmul(A: M, B: M): M {
  const n = A.length, p = B[0].length, q = B.length;
  const out: M = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(p).fill(0);
    for (let t = 0; t < q; t++) {
      const a = A[i][t];
      for (let j = 0; j < p; j++) row[j] += a * B[t][j];
    }
    out.push(row);
  }
  return out;
}

export function transpose(A: M): M {
  return A[0].map((_, j) => A.map((r) => r[j]));
}

/** Gram matrix X Xᵀ. */
export function gram(X: M): M {
  return matmul(X, transpose(X));
}

/** sklearn cosine_similarity + tril(k=-1) + sum / count_nonzero. */
export function anisotropy(X: M): number {
  const C = gram(normalizeRows(X));
  let sum = 0, nz = 0;
  for (let i = 0; i < C.length; i++) for (let j = 0; j < i; j++) {
    sum += C[i][j];
    if (C[i][j] !== 0) nz++;
  }
  return sum / nz;
}

/** compute_nearest_neighbors: (X Xᵀ).fill_diagonal_(-1e8).argsort(descending)[:, :k]; stable (lower index first on ties). */
export function knn(X: M, k: number): number[][] {
  const G = gram(X);
  return G.map((row, i) => {
    const r = row.slice();
    r[i] = -1e8;
    const idx = r.map((_, j) => j);
    idx.sort((a, b) => r[b] - r[a]); // Array.prototype.sort is stable
    return idx.slice(0, k);
  });
}

export function mutualKnn(A: M, B: M, k: number): number {
  const ka = knn(A, k), kb = knn(B, k);
  const n = A.length;
  // the reference's two n × n masks
  const ma = ka.map((l) => { const m = new Array<number>(n).fill(0); l.forEach((j) => (m[j] = 1)); return m; });
  const mb = kb.map((l) => { const m = new Array<number>(n).fill(0); l.forEach((j) => (m[j] = 1)); return m; });
  let acc = 0;
  for (let i = 0; i < n; i++) acc += ma[i].reduce((s, v, j) => s + v * mb[i][j], 0) / k;
  return acc / n;
}

export function cycleKnn(A: M, B: M, k: number): number {
  const ka = knn(A, k), kb = knn(B, k);
  const n = A.length;
  // knn_A[knn_B] → [n, k, k]; accuracy = any entry equals i
  let acc = 0;
  for (let i = 0; i < n; i++) acc += kb[i].some((j) => ka[j].includes(i)) ? 1 : 0;
  return acc / n;
}

function lcs(x: number[], y: number[]): number {
  const dp: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) {
    dp[i][j] = x[i - 1] === y[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  }
  return dp[x.length][y.length];
}

function lev(x: number[], y: number[]): number {
  const dp: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) {
    dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
  }
  return dp[x.length][y.length];
}

export function lcsKnn(A: M, B: M, k: number): number {
  const ka = knn(A, k), kb = knn(B, k);
  return ka.reduce((s, l, i) => s + lcs(l, kb[i]), 0) / A.length;
}

export function editDistanceKnn(A: M, B: M, k: number): number {
  const ka = knn(A, k), kb = knn(B, k);
  return 1 - ka.reduce((s, l, i) => s + lev(l, kb[i]), 0) / A.length / k;
}

/** HSIC_b(K, L) = tr(K H L H), H = I − 11ᵀ/n, with explicit matrix products. */
export function hsicBiased(K: M, L: M): number {
  const n = K.length;
  const H: M = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) - 1 / n));
  const P = matmul(matmul(matmul(K, H), L), H);
  let t = 0;
  for (let i = 0; i < n; i++) t += P[i][i];
  return t;
}

/** HSIC_u exactly as in platonic-rep (Song et al. 2012 Eq. 5), with sum(K̃ ∘ L̃ᵀ) and sum(K̃ L̃). */
export function hsicUnbiased(K: M, L: M): number {
  const m = K.length;
  const Kt = K.map((r, i) => r.map((v, j) => (i === j ? 0 : v)));
  const Lt = L.map((r, i) => r.map((v, j) => (i === j ? 0 : v)));
  let s1 = 0, sK = 0, sL = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    s1 += Kt[i][j] * Lt[j][i];
    sK += Kt[i][j];
    sL += Lt[i][j];
  }
  const KL = matmul(Kt, Lt);
  const s3 = KL.reduce((s, r) => s + r.reduce((a, b) => a + b, 0), 0);
  return (s1 + (sK * sL) / ((m - 1) * (m - 2)) - (2 * s3) / (m - 2)) / (m * (m - 3));
}

function rbfKernel(X: M, sigma: number): M {
  return X.map((a) => X.map((b) => Math.exp(-a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0) / (2 * sigma * sigma))));
}

export function cka(A: M, B: M, unbiased = false, kernel: "ip" | "rbf" = "ip", sigma = 1): number {
  const K = kernel === "ip" ? gram(A) : rbfKernel(A, sigma);
  const L = kernel === "ip" ? gram(B) : rbfKernel(B, sigma);
  const h = unbiased ? hsicUnbiased : hsicBiased;
  return h(K, L) / (Math.sqrt(h(K, K) * h(L, L)) + 1e-6);
}

/** cknna (unbiased=True): topk of K with diagonal −inf, masks, HSIC_u(mask∘K, mask∘L). */
export function cknna(A: M, B: M, k: number): number {
  const K = gram(A), L = gram(B);
  const n = K.length;
  const mask = (G: M): M => G.map((row, i) => {
    const r = row.map((v, j) => (j === i ? -Infinity : v));
    const idx = r.map((_, j) => j).sort((a, b) => r[b] - r[a]).slice(0, k);
    const m = new Array<number>(n).fill(0);
    idx.forEach((j) => (m[j] = 1));
    return m;
  });
  const mK = mask(K), mL = mask(L);
  const sim = (mA: M, mB: M, X: M, Y: M): number => {
    const Mx = mA.map((r, i) => r.map((v, j) => v * mB[i][j]));
    return hsicUnbiased(X.map((r, i) => r.map((v, j) => v * Mx[i][j])), Y.map((r, i) => r.map((v, j) => v * Mx[i][j])));
  };
  const kl = sim(mK, mL, K, L), kk = sim(mK, mK, K, K), ll = sim(mL, mL, L, L);
  return kl / (Math.sqrt(kk * ll) + 1e-6);
}

/** Pessimistic (ties against) 1-based rank of candidate `target` in a full score row. */
export function pessimisticRank(scores: number[], target: number): number {
  // Sort all candidates by score descending; among equal scores the target goes last.
  const order = scores.map((_, j) => j).sort((a, b) => scores[b] - scores[a] || (a === target ? 1 : b === target ? -1 : a - b));
  return order.indexOf(target) + 1;
}

/** One-to-one retrieval, full similarity matrix, both directions. */
export function retrieval(Q: M, C: M, ks: number[], ndcgK: number): { q2c: Record<string, number>; c2q: Record<string, number> } {
  const S = matmul(normalizeRows(Q), transpose(normalizeRows(C)));
  const score = (rows: M): Record<string, number> => {
    const ranks = rows.map((r, i) => pessimisticRank(r, i));
    const n = ranks.length;
    const out: Record<string, number> = {};
    for (const k of ks) out[`recall@${k}`] = ranks.filter((r) => r <= k).length / n;
    out.mrr = ranks.reduce((s, r) => s + 1 / r, 0) / n;
    out[`ndcg@${ndcgK}`] = ranks.reduce((s, r) => s + (r <= ndcgK ? 1 / Math.log2(r + 1) : 0), 0) / n;
    return out;
  };
  return { q2c: score(S), c2q: score(transpose(S)) };
}
