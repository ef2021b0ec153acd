// Calibrated layer-wise alignment (shuffled-pairs null, permutation p-values, max-over-layers
// null for the best layer) and the logistic-regression linear probe.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { calibratedByLayer, linearProbe, measure, shuffledPairsControl } from "../src/probes";
import { normalArray, rng } from "../src/random";
import type { Matrix } from "../src/array";

before(async () => {
  await initBackend();
});

const gaussian = (n: number, d: number, seed: number): Matrix => ({ data: normalArray(n * d, rng(seed)), rows: n, cols: d });
const noisyCopy = (m: Matrix, noise: number, seed: number): Matrix => {
  const e = normalArray(m.data.length, rng(seed));
  return { data: Float32Array.from(m.data, (v, i) => v + noise * e[i]), rows: m.rows, cols: m.cols };
};

test("calibratedByLayer: per-layer observed = measure, null = shuffledPairsControl, p-values and the max-over-layers null", () => {
  const n = 60, d = 8;
  const base = gaussian(n, d, 1);
  // Layer 0: unrelated; layer 1: weakly paired; layer 2: strongly paired.
  const A = [gaussian(n, d, 2), base, base];
  const B = [gaussian(n, d, 3), noisyCopy(base, 2, 4), noisyCopy(base, 0.1, 5)];
  const trials = 19;
  const c = calibratedByLayer("mutual_knn", A, B, { k: 5, seed: 9, trials });
  assert.equal(c.layers.length, 3);
  c.layers.forEach((x, l) => {
    assert.equal(x.observed, measure("mutual_knn", A[l], B[l], { k: 5 }));
    const ctl = shuffledPairsControl("mutual_knn", A[l], B[l], { k: 5, seed: 9, trials });
    assert.equal(x.nullMean, ctl.mean);
    assert.equal(x.nullSd, ctl.sd);
    assert.ok(Math.abs(x.excess - (x.observed - ctl.mean)) < 1e-15);
    assert.equal(x.p, (1 + ctl.scores.filter((s) => s >= x.observed).length) / (1 + trials));
  });
  assert.equal(c.best.layer, 2);
  assert.equal(c.layers[2].p, 1 / 20, "a strong pairing beats every shuffle: the smallest p-value 1/(trials+1)");
  assert.ok(Math.abs(c.layers[0].excess) < 4 * c.layers[0].nullSd + 1e-12, `no pairing: excess ${c.layers[0].excess} vs null sd ${c.layers[0].nullSd}`);
  // The max-over-layers null is at least every single layer's null.
  assert.ok(c.best.maxNullMean >= Math.max(...c.layers.map((x) => x.nullMean)) - 1e-12);
  assert.equal(c.best.p, 1 / 20);
  assert.throws(() => calibratedByLayer("cka", A, B.slice(0, 2), { seed: 0 }), /differ in depth/);
});

test("linearProbe: separable labels are learned, shuffled labels stay near chance, and the fit is the regularised optimum", () => {
  const n = 120, d = 6;
  const X = gaussian(n, d, 11);
  // Label = which of 3 directions has the largest projection: linearly separable.
  const lab = (m: Matrix, i: number) => ["a", "b", "c"][[0, 1, 2].reduce((best, j) => (m.data[i * d + j] > m.data[i * d + best] ? j : best), 0)];
  const y = Array.from({ length: n }, (_, i) => lab(X, i));
  const T = gaussian(80, d, 12);
  const yt = Array.from({ length: 80 }, (_, i) => lab(T, i));
  const before = tf.memory().numTensors;
  const r = linearProbe(X, y, T, yt, { steps: 400 });
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  assert.deepEqual(r.classes, ["a", "b", "c"]);
  assert.ok(r.accuracy > 0.85, `separable accuracy ${r.accuracy}`);
  assert.ok(Math.abs(r.uniform - 1 / 3) < 1e-12);
  // Labels that do not depend on the features: the test accuracy is about the majority rate.
  const yr = Array.from({ length: n }, (_, i) => ["a", "b"][rng(100 + i).int(2)]);
  const ytr = Array.from({ length: 400 }, (_, i) => ["a", "b"][rng(1000 + i).int(2)]);
  const rr = linearProbe(X, yr, gaussian(400, d, 13), ytr);
  assert.ok(Math.abs(rr.accuracy - 0.5) < 0.1, `random labels: ${rr.accuracy}`);
  // A stronger penalty cannot fit the training rows better.
  const strong = linearProbe(X, y, T, yt, { l2: 1 });
  assert.ok(strong.trainAccuracy <= r.trainAccuracy + 1e-12 && strong.loss > r.loss);
  assert.throws(() => linearProbe(X, y.slice(1), T, yt), /120 rows but 119 labels/);
  assert.throws(() => linearProbe(X, y.map(() => "a"), T, yt), /at least 2 classes/);
});
