import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rng } from "../src/random";
import { InputError } from "../src/array";
import { initBackend } from "../src/backend";
import {
  retrievalScores, retrievalWithQrels, retrievalChance, rankOfTarget, targetRanks, classRecallAt1, withinClassRecallAt1,
} from "../src/retrieval";
import * as ref from "./reference/naive";

function gaussian(n: number, d: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal()));
}
const noisy = (X: number[][], s: number, seed: number) => {
  const r = rng(seed);
  return X.map((row) => row.map((v) => v + s * r.normal()));
};
const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} expected ${b}, got ${a} (|diff| = ${Math.abs(a - b)})`);

// Q = identity, so similarity S[i][j] is the i-th component of unit candidate j:
//   c0 = (0.8, 0.6, 0), c1 = (0.6, 0, 0.8), c2 = (0, 0.6, 0.8)
//   S = [[0.8, 0.6, 0  ],      query 0: target 0.8 is the max          → rank 1
//        [0.6, 0,   0.6],      query 1: target 0 below both            → rank 3
//        [0,   0.8, 0.8]]      query 2: target 0.8 ties with c1        → rank 2 (ties against)
const Q3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const C3 = [[0.8, 0.6, 0], [0.6, 0, 0.8], [0, 0.6, 0.8]];

test("recall, MRR and nDCG on a 3×3 toy (hand-computed)", () => {
  assert.deepEqual(Array.from(targetRanks(Q3, C3)), [1, 3, 2]);
  const r = retrievalScores(Q3, C3, { ks: [1, 2], ndcgK: 10 });
  const q = r.queryToCandidate;
  assert.equal(q.n, 3);
  close(q.scores["recall@1"], 1 / 3, 1e-15);
  close(q.scores["recall@2"], 2 / 3, 1e-15);
  close(q.scores.mrr, (1 + 1 / 3 + 1 / 2) / 3, 1e-15); // 11/18
  close(q.scores["ndcg@10"], (1 + 1 / Math.log2(4) + 1 / Math.log2(3)) / 3, 1e-15); // 0.71031
  // candidate → query reads the columns: c0 [0.8, 0.6, 0] → 1; c1 [0.6, 0, 0.8] → 3; c2 [0, 0.6, 0.8] → 1
  const c = r.candidateToQuery;
  close(c.scores["recall@1"], 2 / 3, 1e-15);
  close(c.scores.mrr, (1 + 1 / 3 + 1) / 3, 1e-15); // 7/9
  // chance over N = 3: recall@1 = 1/3, recall@2 = 2/3, MRR = (1 + 1/2 + 1/3)/3, nDCG = (1 + 1/log2 3 + 1/2)/3
  close(q.chance["recall@1"], 1 / 3, 1e-15);
  close(q.chance["recall@2"], 2 / 3, 1e-15);
  close(q.chance.mrr, 11 / 18, 1e-15);
  close(q.chance["ndcg@10"], (1 + 1 / Math.log2(3) + 0.5) / 3, 1e-15);
  assert.deepEqual(Object.keys(q.scores), Object.keys(q.chance));
  assert.equal(rankOfTarget([0.5, 0.9, 0.5], 0), 3);
  assert.equal(rankOfTarget([0.5, 0.9, 0.4], 0), 2);
});

test("default keys and chance levels", () => {
  const r = retrievalScores(gaussian(20, 4, 1), gaussian(20, 4, 2));
  assert.deepEqual(Object.keys(r.queryToCandidate.scores), ["recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"]);
  const ch = retrievalChance(20);
  close(ch["recall@5"], 5 / 20, 1e-15);
  let h = 0;
  for (let i = 1; i <= 20; i++) h += 1 / i;
  close(ch.mrr, h / 20, 1e-15);
});

test("degenerate (all-equal) embeddings score at or below chance, never above", async () => {
  await initBackend();
  for (const n of [7, 50, 333]) {
    const Q = Array.from({ length: n }, () => [0.3, -1.2, 0.7]);
    const C = Array.from({ length: n }, () => [2, 0.1, 5]);
    for (const engine of ["js", "tfjs"] as const) {
      const r = retrievalScores(Q, C, { engine });
      for (const dir of [r.queryToCandidate, r.candidateToQuery]) {
        for (const key of Object.keys(dir.scores)) {
          assert.ok(dir.scores[key] <= dir.chance[key] + 1e-15, `${engine} n=${n} ${key}: ${dir.scores[key]} > chance ${dir.chance[key]}`);
        }
        assert.equal(dir.scores["recall@1"], 0);
        close(dir.scores.mrr, 1 / n, 1e-15); // every target ranks last
      }
      const cls = Array.from({ length: n }, (_, i) => i % 3);
      const w = withinClassRecallAt1(Q, C, cls, { engine });
      assert.equal(w.score, 0);
      const c1 = classRecallAt1(Q, C, cls, cls, { engine });
      assert.ok(c1.score <= c1.chance, `class-R@1 ${c1.score} > chance ${c1.chance}`);
    }
  }
  // qrels with all-equal scores: relevant items go after every tied non-relevant one
  const Q = [[1, 1], [1, 1]], C = [[1, 1], [1, 1], [1, 1], [1, 1]];
  const q = retrievalWithQrels(Q, C, [[0, 2], [1]]);
  for (const key of Object.keys(q.scores)) assert.ok(q.scores[key] <= q.chance[key] + 1e-15, `qrels ${key}`);
});

test("agreement with the naive full-matrix reference; blocked = unblocked; tfjs ≈ js", async () => {
  await initBackend();
  for (const [n, d, seed] of [[60, 8, 1], [250, 32, 2]] as const) {
    const A = gaussian(n, d, seed), B = noisy(A, 1.5, seed + 10);
    const mine = retrievalScores(A, B, { ks: [1, 5, 10] });
    const theirs = ref.retrieval(A, B, [1, 5, 10], 10);
    for (const key of Object.keys(theirs.q2c)) {
      close(mine.queryToCandidate.scores[key], theirs.q2c[key], 1e-12, `q2c ${key}`);
      close(mine.candidateToQuery.scores[key], theirs.c2q[key], 1e-12, `c2q ${key}`);
    }
    assert.deepEqual(retrievalScores(A, B, { blockRows: 7 }), retrievalScores(A, B));
    const t = retrievalScores(A, B, { engine: "tfjs", blockRows: 50 });
    // float32 can only swap candidates whose similarities are within ~1e-7 of each other
    close(t.queryToCandidate.scores.mrr, mine.queryToCandidate.scores.mrr, 2 / n, "tfjs mrr");
  }
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) retrievalScores(gaussian(40, 6, i), gaussian(40, 6, i + 5), { engine: "tfjs", blockRows: 9 });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
});

test("qrels: graded nDCG with the log2 discount, recall over the relevant set, MRR of the first hit", () => {
  // One query q = e0; candidates' cosine with q: c0 0.9, c1 0.1, c2 0.5, c3 0.7
  //   ranking: c0 (1), c3 (2), c2 (3), c1 (4).  relevant: c2 (gain 3), c1 (gain 1)
  //   recall@1 = 0, recall@3 = 1/2, MRR = 1/3
  //   DCG@10 = 3/log2(4) + 1/log2(5) = 1.5 + 0.430677 ; IDCG = 3/log2(2) + 1/log2(3) = 3 + 0.630930
  const q = [[1, 0]];
  const cos = [0.9, 0.1, 0.5, 0.7];
  const C = cos.map((c) => [c, Math.sqrt(1 - c * c)]);
  const r = retrievalWithQrels(q, C, [[2, 1]], { ks: [1, 3], gains: [[3, 1]] });
  close(r.scores["recall@1"], 0, 1e-15);
  close(r.scores["recall@3"], 0.5, 1e-15);
  close(r.scores.mrr, 1 / 3, 1e-15);
  close(r.scores["ndcg@10"], (1.5 + 1 / Math.log2(5)) / (3 + 1 / Math.log2(3)), 1e-12);
  // chance: recall@k = k/4; MRR with R = 2 of N = 4: P(first = 1) = 1/2, = 2: 1/3, = 3: 1/6
  //   → 1/2 + 1/6 + 1/18 = 13/18;  nDCG = (4/4)·(1 + 1/log2 3 + 1/2 + 1/log2 5) / IDCG
  close(r.chance["recall@1"], 0.25, 1e-15);
  close(r.chance.mrr, 13 / 18, 1e-12);
  close(r.chance["ndcg@10"], (1 + 1 / Math.log2(3) + 0.5 + 1 / Math.log2(5)) / (3 + 1 / Math.log2(3)), 1e-12);
  // binary qrels with one relevant item per query = the one-to-one scores
  const A = gaussian(40, 5, 3), B = noisy(A, 1, 4);
  const one = retrievalScores(A, B).queryToCandidate;
  const viaQrels = retrievalWithQrels(A, B, A.map((_, i) => [i]));
  for (const key of Object.keys(one.scores)) {
    close(viaQrels.scores[key], one.scores[key], 1e-12, key);
    close(viaQrels.chance[key], one.chance[key], 1e-12, `chance ${key}`);
  }
  // queries with no relevant item are skipped
  assert.equal(retrievalWithQrels(A, B, A.map((_, i) => (i < 10 ? [i] : []))).n, 10);
});

test("class-R@1 and within-class R@1 with chance levels", () => {
  // 4 items in 2 classes; queries = candidates rotated so each query's top-1 is its own pair
  // except query 3, whose top-1 is candidate 2 (same class 1) → class-R@1 = 1, R@1 = 3/4.
  const Q = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0.1]];
  const C = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0.9, 1]];
  // query 3 = (0,0,1,0.1): cos with c2 = 1/√1.01 = 0.995; with c3 = (0.9 + 0.1)/(√1.01·√1.81) = 0.739
  const cls = [0, 0, 1, 1];
  const c1 = classRecallAt1(Q, C, cls, cls);
  assert.equal(c1.score, 1);
  close(c1.chance, 0.5, 1e-15); // each class holds 2 of 4 candidates
  const w = withinClassRecallAt1(Q, C, cls);
  close(w.score, 0.75, 1e-15);
  close(w.chance, 0.5, 1e-15); // 1 / class size
  // attribute top-1 with unequal class sizes: chance = mean over queries of freq(class)/N
  const attr = [0, 1, 1, 1];
  close(classRecallAt1(Q, C, attr, attr).chance, (1 / 4 + 3 * (3 / 4)) / 4, 1e-15);
});

test("retrieval bad input throws InputError naming the value", () => {
  const A = gaussian(5, 3, 1);
  const isInput = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test((e as Error).message);
  assert.throws(() => retrievalScores(A, A.slice(0, 4)), isInput(/5 and 4/));
  assert.throws(() => retrievalScores(A, gaussian(5, 2, 2)), isInput(/3 and 2 columns/));
  assert.throws(() => retrievalScores(A, A, { ks: [0] }), isInput(/got 0/));
  const z = A.map((r) => r.slice());
  z[2] = [0, 0, 0];
  assert.throws(() => retrievalScores(z, A), isInput(/Q row 2 has zero norm/));
  const nan = A.map((r) => r.slice());
  nan[1][0] = NaN;
  assert.throws(() => retrievalScores(A, nan), isInput(/C has a non-finite value NaN at row 1/));
  assert.throws(() => retrievalWithQrels(A, A, [[0], [1], [2], [3], [9]]), isInput(/qrels\[4\]\[0\] = 9/));
  assert.throws(() => retrievalWithQrels(A, A, [[0]]), isInput(/qrels has 1 entries; Q has 5/));
  assert.throws(() => retrievalWithQrels(A, A, [[0, 0], [], [], [], []]), isInput(/lists candidate 0 twice/));
  assert.throws(() => retrievalWithQrels(A, A, [[0], [1], [2], [3], [4]], { gains: [[1], [1], [1, 2], [1], [1]] }), isInput(/gains\[2\] has 2 values; qrels\[2\] has 1/));
  assert.throws(() => retrievalWithQrels(A, A, [[0], [1], [2], [3], [4]], { gains: [[1], [1], [0], [1], [1]] }), isInput(/gains\[2\]\[0\] = 0/));
  assert.throws(() => classRecallAt1(A, A, [0, 1], [0, 1, 0, 1, 0]), isInput(/classOfQ has 2 labels; expected 5/));
});
