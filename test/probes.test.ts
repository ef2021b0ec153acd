import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { QrDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { rng } from "../src/random";
import { InputError, layers, stackLayers } from "../src/array";
import type { Matrix } from "../src/array";
import { setNativeMatMul } from "../src/backend/native";
import { initBackend } from "../src/backend";
import {
  anisotropy, anisotropyByLayer, measure, measureByLayer, measureLayerPairs, chanceLevel, shuffledPairsControl, METRICS,
  knnIndices, mutualKnn, cycleKnn, lcsKnn, editDistanceKnn, cka, unbiasedCka, cknna, svcca, l2Normalize,
  lcsLength, editDistance,
} from "../src/probes";
import type { MetricName } from "../src/probes";
import * as ref from "./reference/naive";

// ---------------------------------------------------------------------------------------------
// helpers

function gaussian(n: number, d: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal()));
}

/** B = A·W + noise: a paired second "modality" with related but not identical geometry. */
function related(A: number[][], dB: number, noise: number, seed: number): number[][] {
  const r = rng(seed);
  const dA = A[0].length;
  const W = Array.from({ length: dA }, () => Array.from({ length: dB }, () => r.normal() / Math.sqrt(dA)));
  return A.map((a) => Array.from({ length: dB }, (_, j) => a.reduce((s, v, t) => s + v * W[t][j], 0) + noise * r.normal()));
}

function toMat(X: number[][]): Matrix {
  return { data: Float64Array.from(X.flat()), rows: X.length, cols: X[0].length };
}

function randomOrthogonal(d: number, seed: number): number[][] {
  const qr = new QrDecomposition(new MlMatrix(gaussian(d, d, seed)));
  return qr.orthogonalMatrix.to2DArray();
}

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} expected ${b}, got ${a} (|diff| = ${Math.abs(a - b)} > ${tol})`);

// Points on the unit circle at the given angles (degrees): cosine = cos(angle difference).
const circle = (deg: number[]) => deg.map((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]);

// ---------------------------------------------------------------------------------------------
// hand-checkable cases

test("anisotropy of three 2-D vectors, with the count_nonzero rule", () => {
  // [1,0], [1,1], [0,1]: cosines (1,0)(1,1) = 1/√2, (1,0)(0,1) = 0 exactly, (1,1)(0,1) = 1/√2.
  // The exact zero leaves the denominator: (1/√2 + 1/√2) / 2 = 0.70711 (not 1.41421 / 3 = 0.4714).
  close(anisotropy([[1, 0], [1, 1], [0, 1]]), Math.SQRT1_2, 1e-12);
  // [1,0], [0.6,0.8], [-1,0]: cosines 0.6, -1, -0.6 → (0.6 - 1 - 0.6) / 3 = -1/3.
  close(anisotropy([[1, 0], [0.6, 0.8], [-1, 0]]), -1 / 3, 1e-12);
  // scaling rows does not matter (cosine)
  close(anisotropy([[5, 0], [0.3, 0.4], [-2, 0]]), -1 / 3, 1e-12);
});

test("anisotropy of an orthonormal set is 0; of identical rows is 1", () => {
  // exactly orthogonal one-hot rows: every cosine is 0 (reference: 0/0 = NaN; we return 0)
  assert.equal(anisotropy([[1, 0, 0], [0, 2, 0], [0, 0, 3]]), 0);
  // a rotated orthonormal basis: cosines are ~1e-17, not exactly 0
  close(anisotropy(randomOrthogonal(16, 3)), 0, 1e-12);
  close(anisotropy([[1, 2], [2, 4], [3, 6]]), 1, 1e-12);
});

test("mutual_knn and cycle_knn on a 5-point toy with k = 2", () => {
  // A at angles 0, 10, 25, 60, 100 degrees → kNN(k=2) by angular distance:
  //   0:{1,2}  1:{0,2}  2:{1,0}  3:{2,4}  4:{3,2}
  // B at angles 0, 50, 20, 60, 170 →
  //   0:{2,1}  1:{3,2}  2:{0,1}  3:{1,2}  4:{3,1}
  // overlaps 2,1,2,1,1 = 7 → mutual_knn = 7 / (5·2) = 0.7
  const A = circle([0, 10, 25, 60, 100]), B = circle([0, 50, 20, 60, 170]);
  assert.deepEqual(Array.from(knnIndices(A, 2).indices), [1, 2, 0, 2, 1, 0, 2, 4, 3, 2]);
  assert.deepEqual(Array.from(knnIndices(B, 2).indices), [2, 1, 3, 2, 0, 1, 1, 2, 3, 1]);
  close(mutualKnn(A, B, 2), 0.7, 1e-15);
  // cycle: i → j ∈ S_B(i) → is i ∈ S_A(j)?  0→2:{1,0} yes; 1→3:{2,4} no, →2:{1,0} yes;
  // 2→0:{1,2} yes; 3→1:{0,2} no, →2:{1,0} no; 4→3:{2,4} yes.  4/5 = 0.8
  close(cycleKnn(A, B, 2), 0.8, 1e-15);
  // ordered lists: LCS per item = [2? ] : 0:[1,2]/[2,1]→1, 1:[0,2]/[3,2]→1, 2:[1,0]/[0,1]→1,
  // 3:[2,4]/[1,2]→1, 4:[3,2]/[3,1]→1 → lcs_knn = 1
  close(lcsKnn(A, B, 2), 1, 1e-15);
  // Levenshtein: [1,2]→[2,1] = 2, [0,2]→[3,2] = 1, [1,0]→[0,1] = 2, [2,4]→[1,2] = 2, [3,2]→[3,1] = 1
  // → 1 − (8/5)/2 = 0.2
  close(editDistanceKnn(A, B, 2), 0.2, 1e-15);
  assert.equal(lcsLength([1, 2, 3, 4], [2, 4, 3]), 2);
  assert.equal(editDistance([1, 2, 3], [1, 3, 4]), 2);
});

test("kNN tie policy: lower index first among exact ties", () => {
  // item 0 = [1,0]; items 1, 2, 3 all equal [0,1] → from item 0 every other item ties at 0
  const X = [[1, 0], [0, 1], [0, 1], [0, 1]];
  assert.deepEqual(Array.from(knnIndices(X, 2).indices.subarray(0, 2)), [1, 2]);
  // from item 3 the tied items 1, 2 (cos 1) come first, in index order
  assert.deepEqual(Array.from(knnIndices(X, 3).indices.subarray(9, 12)), [1, 2, 0]);
});

test("chance level of mutual_knn is k/(n−1) and matches the shuffled-pairs control", () => {
  assert.equal(chanceLevel("mutual_knn", 800, 10), 10 / 799);
  assert.equal(chanceLevel("unbiased_cka", 100), 0);
  assert.equal(chanceLevel("cka", 100), null);
  assert.equal(chanceLevel("cycle_knn", 100, 10), null);
  const A = gaussian(200, 16, 1), B = related(A, 12, 0.3, 2);
  const ctl = shuffledPairsControl("mutual_knn", A, B, { seed: 7, trials: 40, k: 10 });
  const chance = 10 / 199;
  // the mean of 40 trials is within 5 standard errors of the exact expectation
  close(ctl.mean, chance, 5 * ctl.sd / Math.sqrt(40) + 1e-12, "shuffled mutual_knn");
  assert.ok(measure("mutual_knn", A, B) > ctl.mean + 10 * ctl.sd, "aligned pairs are far above the control");
  // deterministic in the seed
  assert.deepEqual(shuffledPairsControl("mutual_knn", A, B, { seed: 7, trials: 3 }).scores, ctl.scores.slice(0, 3));
  // unbiased CKA of shuffled pairs averages to 0
  const u = shuffledPairsControl("unbiased_cka", A, B, { seed: 3, trials: 30 });
  close(u.mean, 0, 5 * u.sd / Math.sqrt(30), "shuffled unbiased_cka");
});

// ---------------------------------------------------------------------------------------------
// invariants

test("CKA and unbiased CKA: self = 1, invariant to orthogonal maps and isotropic scaling", () => {
  for (const seed of [1, 2]) {
    const X = gaussian(60, 12, seed);
    const Y = related(X, 9, 0.5, seed + 10);
    const Q = randomOrthogonal(12, seed + 20);
    const XQ = ref.matmul(X, Q);
    const X3 = X.map((r) => r.map((v) => 3.5 * v));
    for (const f of [cka, unbiasedCka]) {
      // Exactly h / (h + 1e-6) with h = HSIC(K, K): the reference's epsilon. With unit rows the
      // unbiased HSIC is divided by n(n−3) and is ~0.1, so the score sits ~1e-5 below 1.
      close(f(X, X), 1, 1e-4, `${f.name}(X, X)`);
      const Xn = ref.normalizeRows(X);
      close(f(X, X), ref.cka(Xn, Xn, f === unbiasedCka), 1e-9, `${f.name}(X, X) vs reference`);
      const base = f(X, Y);
      close(f(XQ, Y), base, 1e-10, `${f.name} orthogonal`);
      close(f(X3, Y), base, 1e-12, `${f.name} scaling`);
      // without row normalisation scaling still cancels (up to the 1e-6 in the denominator)
      close(f(X3, Y, { normalize: false }), f(X, Y, { normalize: false }), 1e-5, `${f.name} scaling, raw`);
      close(f(XQ, Y, { normalize: false }), f(X, Y, { normalize: false }), 1e-8, `${f.name} orthogonal, raw`);
    }
    close(cka(X, X, { kernel: "rbf" }), 1, 1e-5, "rbf cka(X, X)");
  }
});

test("kNN metrics of identical features are perfect; cknna(X, X) = 1", () => {
  const X = gaussian(80, 10, 4);
  assert.equal(mutualKnn(X, X, 10), 1);
  assert.equal(cycleKnn(X, X, 10), 1);
  assert.equal(lcsKnn(X, X, 10), 10);
  assert.equal(editDistanceKnn(X, X, 10), 1);
  // cknna(X, X) = h / (h + 1e-6) with a small masked HSIC h (~0.03 here): 1 within 1e-4, and
  // exactly the reference's value
  close(cknna(X, X, 10), 1, 1e-4);
  const Xn = ref.normalizeRows(X);
  close(cknna(X, X, 10), ref.cknna(Xn, Xn, 10), 1e-9);
  close(svcca(X, X, { ccaDim: 5 }), 1, 1e-9);
});

// ---------------------------------------------------------------------------------------------
// agreement with the independent float64 reference

const SIZES: [number, number, number, number][] = [
  // [n, dA, dB, seed]
  [50, 8, 12, 11], [120, 32, 16, 12], [300, 64, 48, 13], [200, 24, 64, 14],
];

test("every metric agrees with the naive float64 reference to 1e-5 (several seeds and sizes)", () => {
  for (const [n, dA, dB, seed] of SIZES) {
    const A = gaussian(n, dA, seed);
    const B = related(A, dB, 0.7, seed + 100);
    const An = ref.normalizeRows(A), Bn = ref.normalizeRows(B);
    const tag = `n=${n} dA=${dA} dB=${dB}`;
    close(anisotropy(A), ref.anisotropy(A), 1e-12, `anisotropy ${tag}`);
    const k = 10;
    close(measure("mutual_knn", A, B, { k }), ref.mutualKnn(An, Bn, k), 1e-12, `mutual_knn ${tag}`);
    close(measure("cycle_knn", A, B, { k }), ref.cycleKnn(An, Bn, k), 1e-12, `cycle_knn ${tag}`);
    close(measure("lcs_knn", A, B, { k }), ref.lcsKnn(An, Bn, k), 1e-12, `lcs_knn ${tag}`);
    close(measure("edit_distance_knn", A, B, { k }), ref.editDistanceKnn(An, Bn, k), 1e-12, `edit_distance_knn ${tag}`);
    close(measure("cka", A, B), ref.cka(An, Bn), 1e-5, `cka ${tag}`);
    close(measure("unbiased_cka", A, B), ref.cka(An, Bn, true), 1e-5, `unbiased_cka ${tag}`);
    close(measure("cknna", A, B, { k }), ref.cknna(An, Bn, k), 1e-5, `cknna ${tag}`);
    if (n <= 120) {
      close(measure("cka", A, B, { kernel: "rbf" }), ref.cka(An, Bn, false, "rbf"), 1e-5, `rbf cka ${tag}`);
      close(measure("unbiased_cka", A, B, { kernel: "rbf", rbfSigma: 0.5 }), ref.cka(An, Bn, true, "rbf", 0.5), 1e-5, `rbf unbiased ${tag}`);
    }
  }
});

test("feature-space and Gram forms of CKA agree (both kernels' fast paths vs each other)", () => {
  for (const [n, dA, dB, seed] of SIZES) {
    const A = gaussian(n, dA, seed), B = related(A, dB, 0.7, seed + 1);
    for (const f of [cka, unbiasedCka]) {
      close(f(A, B, { method: "features" }), f(A, B, { method: "gram" }), 1e-10, `${f.name} n=${n}`);
    }
  }
});

test("blocked and unblocked results are identical (forced small blocks)", () => {
  const A = gaussian(97, 20, 21), B = related(A, 15, 0.5, 22);
  for (const metric of METRICS) {
    const full = measure(metric, A, B, { k: 7 });
    const blocked = measure(metric, A, B, { k: 7, blockRows: 5 });
    assert.equal(blocked, full, `${metric}`);
  }
  assert.equal(cka(A, B, { method: "gram", blockRows: 3 }), cka(A, B, { method: "gram" }));
  assert.equal(unbiasedCka(A, B, { kernel: "rbf", blockRows: 4 }), unbiasedCka(A, B, { kernel: "rbf" }));
  assert.equal(anisotropy(A, { blockRows: 6 }), anisotropy(A));
});

test("layer-wise and all-pairs helpers", () => {
  const n = 40;
  const layersA = [0, 1, 2].map((l) => toMat(gaussian(n, 8, 30 + l)));
  const layersB = [0, 1, 2].map((l) => toMat(related(gaussian(n, 8, 30 + l), 6, 0.3, 40 + l)));
  const stackA = stackLayers(layersA), stackB = stackLayers(layersB);
  const byLayer = measureByLayer("mutual_knn", stackA, stackB, { k: 5 });
  assert.equal(byLayer.length, 3);
  const pairs = measureLayerPairs("mutual_knn", layersA, layersB, { k: 5 });
  for (let l = 0; l < 3; l++) {
    // stackLayers stores float32, so compare with the same float32 layers
    assert.equal(byLayer[l], measure("mutual_knn", layers(stackA)[l], layers(stackB)[l], { k: 5 }));
    for (let m = 0; m < 3; m++) assert.equal(pairs[l][m], measure("mutual_knn", layersA[l], layersB[m], { k: 5 }));
  }
  const cp = measureLayerPairs("cka", layersA, layersB);
  assert.equal(cp.length, 3);
  assert.equal(cp[1][2], cka(layersA[1], layersB[2]));
  assert.deepEqual(anisotropyByLayer(layersA), layersA.map((m) => anisotropy(m)));
  assert.throws(() => measureByLayer("cka", layersA, layersB.slice(0, 2)), (e: Error) => e instanceof InputError && /3 layers, B has 2/.test(e.message));
});

test("svcca is deterministic and in [0, 1]; the randomised path matches the exact one", () => {
  const A = gaussian(300, 280, 5), B = related(A, 270, 1.0, 6);
  const s1 = svcca(A, B, { seed: 1 }), s2 = svcca(A, B, { seed: 1 });
  assert.equal(s1, s2);
  assert.ok(s1 > 0 && s1 <= 1, `svcca ${s1}`);
  // min(n, d) > 256 uses seeded subspace iteration; on a low-rank-plus-noise matrix the top
  // subspace is well separated, so it matches the exact eigen-decomposition path.
  const r = rng(9);
  const lowRank = (seed: number) => {
    const Z = gaussian(300, 5, seed);
    const W = gaussian(5, 270, seed + 1);
    return ref.matmul(Z, W).map((row) => row.map((v) => v + 0.01 * r.normal()));
  };
  const X = lowRank(1), Y = lowRank(1);
  close(svcca(X, Y, { ccaDim: 5 }), 1, 1e-6, "svcca of two noisy copies");
  close(svcca(X, Y, { ccaDim: 5 }), svcca(X.map((row) => row.slice(0, 200)), Y.map((row) => row.slice(0, 200)), { ccaDim: 5 }), 1e-3);
});

// ---------------------------------------------------------------------------------------------
// bad input

test("bad input throws InputError naming the value", () => {
  const A = gaussian(10, 4, 1), B = gaussian(10, 3, 2);
  const isInput = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test((e as Error).message);
  assert.throws(() => measure("mutual_knn", A, B.slice(0, 9)), isInput(/A with 10 rows and B with 9/));
  assert.throws(() => measure("cka", A, B.slice(0, 9)), isInput(/10 rows.*9/));
  assert.throws(() => measure("mutual_knn", A, B, { k: 10 }), isInput(/1 ≤ k < n = 10, got 10/));
  assert.throws(() => measure("mutual_knn", A, B, { k: 0 }), isInput(/got 0/));
  assert.throws(() => mutualKnn(A, B, 2.5), isInput(/got 2.5/));
  assert.throws(() => measure("cknna", A, B, { k: 1 }), isInput(/cknna; need an integer 2 ≤ k < n = 10, got 1/));
  const withNaN = A.map((r) => r.slice());
  withNaN[3][2] = NaN;
  assert.throws(() => measure("cka", withNaN, B), isInput(/non-finite value NaN at row 3, column 2/));
  const withInf = A.map((r) => r.slice());
  withInf[0][1] = Infinity;
  assert.throws(() => anisotropy(withInf), isInput(/Infinity at row 0, column 1/));
  const withZero = A.map((r) => r.slice());
  withZero[7] = [0, 0, 0, 0];
  assert.throws(() => measure("mutual_knn", withZero, B, { k: 2 }), isInput(/A row 7 has zero norm/));
  assert.throws(() => anisotropy(withZero), isInput(/row 7 has zero norm/));
  assert.throws(() => anisotropy([[1, 2]]), isInput(/at least 2 rows.*n = 1/));
  assert.throws(() => unbiasedCka(A.slice(0, 3), B.slice(0, 3)), isInput(/at least 4 rows.*n = 3/));
  assert.throws(() => cknna(A.slice(0, 3), B.slice(0, 3), 2), isInput(/at least 4 rows.*n = 3/));
  assert.throws(() => measure("nope" as MetricName, A, B), isInput(/unknown metric "nope"/));
  assert.throws(() => cka(A, B, { kernel: "cos" as "ip" }), isInput(/invalid kernel.*"cos"/));
  assert.throws(() => cka(A, B, { kernel: "rbf", rbfSigma: 0 }), isInput(/rbfSigma.*got 0/));
  assert.throws(() => measure("mutual_knn", A, B, { k: 2, blockRows: 0 }), isInput(/blockRows.*got 0/));
  assert.throws(() => shuffledPairsControl("cka", A, B, { seed: 1, trials: 0 }), isInput(/trials.*got 0/));
  assert.throws(() => l2Normalize([[1, 2], [0, 0]], "X"), isInput(/X row 1 has zero norm/));
  // One pass checks both: a non-finite value anywhere is reported before an earlier zero row.
  assert.throws(() => l2Normalize([[1, 2], [0, 0], [3, NaN], [0, 0]], "X"), isInput(/X has a non-finite value NaN at row 2, column 1/));
  assert.throws(() => l2Normalize([[1, 2], [0, 0], [3, 4], [0, 0]], "X"), isInput(/X row 1 has zero norm/));
  // float64 rows whose sum of squares overflows are finite input: they give zeros, as before.
  assert.deepEqual(Array.from(l2Normalize([[1e200, 1e200]]).data), [0, 0]);
  // The values are the definition's: x / sqrt(Σ x²) with the sum in float64, rounded once.
  const f32 = { data: Float32Array.from({ length: 35 }, (_, i) => Math.sin(i * 1.3) * (i % 7 === 0 ? 0 : 3)), rows: 5, cols: 7 };
  f32.data[0] = 1;
  const unit = l2Normalize(f32).data;
  for (let i = 0; i < 5; i++) {
    let ss = 0;
    for (let j = 0; j < 7; j++) ss += f32.data[i * 7 + j] ** 2;
    for (let j = 0; j < 7; j++) assert.equal(unit[i * 7 + j], Math.fround(f32.data[i * 7 + j] * (1 / Math.sqrt(ss))));
  }
  assert.throws(() => svcca(A, B, { ccaDim: 4 }), isInput(/ccaDim.*= 3, got 4/));
});

// ---------------------------------------------------------------------------------------------
// the tfjs engine

test("tfjs engine: float32 results agree with float64, blocks do not change them, no tensor leaks", async () => {
  await initBackend();
  // This tests the TF.js engine's own arithmetic (block invariance is a property of the wasm
  // kernels); with the native BLAS path another block shape can take another OpenBLAS kernel.
  const nativeWas = setNativeMatMul(false);
  try {
    const A = gaussian(150, 24, 31), B = related(A, 20, 0.5, 32);
    const tfOpts = { engine: "tfjs" as const };
    for (const metric of ["cka", "unbiased_cka", "cknna", "mutual_knn", "cycle_knn"] as MetricName[]) {
      const js = measure(metric, A, B, { k: 10, engine: "js" });
      const tfv = measure(metric, A, B, { k: 10, ...tfOpts });
      // kNN lists can only differ where two similarities are within float32 rounding (~1e-7)
      close(tfv, js, metric.endsWith("knn") ? 1 / (150 * 10) : 1e-4, `${metric} tfjs vs js`);
      // kNN metrics and the Gram form see bit-identical similarity values whatever the block size;
      // the feature-space CKA sums float32 partial products per chunk, so chunking moves it by ~1e-7.
      const blocked = measure(metric, A, B, { k: 10, ...tfOpts, blockRows: 16 });
      if (metric.includes("cka")) close(blocked, tfv, 1e-6, `${metric} blocked tfjs`);
      else assert.equal(blocked, tfv, `${metric} blocked tfjs`);
    }
    close(cka(A, B, { ...tfOpts, method: "gram" }), cka(A, B, { engine: "js" }), 1e-4, "gram tfjs");
    assert.equal(cka(A, B, { ...tfOpts, method: "gram", blockRows: 7 }), cka(A, B, { ...tfOpts, method: "gram" }), "gram tfjs blocked");
    close(cka(A, B, { ...tfOpts, kernel: "rbf" }), cka(A, B, { engine: "js", kernel: "rbf" }), 1e-4, "rbf tfjs");
    close(anisotropy(A, tfOpts), anisotropy(A), 1e-6, "anisotropy tfjs");
    const before = tf.memory().numTensors;
    for (let t = 0; t < 3; t++) {
      for (const metric of METRICS.filter((m) => m !== "svcca")) measure(metric, A, B, { k: 5, ...tfOpts, blockRows: 40 });
      anisotropy(A, { ...tfOpts, blockRows: 33 });
    }
    assert.equal(tf.memory().numTensors, before, "numTensors is flat across repeated probe calls");
  } finally {
    setNativeMatMul(nativeWas);
  }
});
