import { test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapCI, bootstrapOls, permutationTest, quantileSorted, meanCI, summarizeSeeds, formatMeanCI, ols } from "../src/stats";
import { rng } from "../src/random";
import { InputError } from "../src/array";

function close(a: number, b: number, tol: number, what = "") {
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b} ± ${tol}, got ${a}`);
}
const mean = (s: number[]) => s.reduce((a, b) => a + b, 0) / s.length;

test("quantileSorted matches R's quantile(type = 7)", () => {
  // quantile(c(1, 2, 3, 4, 10), c(0, .1, .5, .9, 1)) = 1, 1.4, 3, 7.6, 10
  const v = [1, 2, 3, 4, 10];
  assert.deepEqual([0, 0.1, 0.5, 0.9, 1].map((p) => +quantileSorted(v, p).toFixed(12)), [1, 1.4, 3, 7.6, 10]);
});

test("meanCI uses the t quantile; n = 1 has no spread", () => {
  // [1, 2, 3]: mean 2, sd 1, se 1/√3, t_{0.975, 2} = 4.302653 → half-width 2.484138
  const ci = meanCI([1, 2, 3]);
  assert.equal(ci.mean, 2);
  assert.equal(ci.sd, 1);
  close(ci.halfWidth, 4.302652729911275 / Math.sqrt(3), 1e-9, "half-width");
  close(ci.lo, 2 - ci.halfWidth, 1e-15);
  const one = meanCI([0.7]);
  assert.equal(one.mean, 0.7);
  assert.ok(Number.isNaN(one.sd) && Number.isNaN(one.lo) && Number.isNaN(one.hi));
  assert.equal(formatMeanCI(one), "0.700 (n = 1)");
  assert.equal(formatMeanCI(ci, 2), "2.00 ± 2.48 (95% CI, n = 3)");
  assert.throws(() => meanCI([]), InputError);
  assert.throws(() => meanCI([1, NaN]), /values\[1\] is NaN/);
});

test("meanCI covers the true mean ≈ 95 % of the time for n = 5 normal draws", () => {
  // A z-interval (1.96 instead of t_{0.975,4} = 2.776) would cover only ≈ 88 % here.
  const r = rng(11);
  const reps = 2000;
  let covered = 0;
  for (let k = 0; k < reps; k++) {
    const ci = meanCI(Array.from({ length: 5 }, () => 3 + 2 * r.normal()));
    if (ci.lo <= 3 && 3 <= ci.hi) covered++;
  }
  const cov = covered / reps;
  // 4 binomial standard errors: 4·√(0.95·0.05/2000) ≈ 0.0195
  close(cov, 0.95, 0.0195, "coverage");
});

test("summarizeSeeds sorts by seed and rejects repeats", () => {
  const a = summarizeSeeds([{ seed: 3, value: 0.3 }, { seed: 1, value: 0.1 }, { seed: 2, value: 0.2 }]);
  assert.deepEqual(a.seeds, [1, 2, 3]);
  assert.deepEqual(a.values, [0.1, 0.2, 0.3]);
  close(a.mean, 0.2, 1e-15);
  assert.equal(a.min, 0.1);
  assert.equal(a.max, 0.3);
  const b = summarizeSeeds([{ seed: 2, value: 0.2 }, { seed: 1, value: 0.1 }, { seed: 3, value: 0.3 }]);
  assert.deepEqual(a, b);
  assert.throws(() => summarizeSeeds([{ seed: 1, value: 1 }, { seed: 1, value: 2 }]), /seed 1 appears more than once/);
  assert.throws(() => summarizeSeeds([]), InputError);
});

test("bootstrapCI is deterministic per seed and differs across seeds", () => {
  const data = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.9];
  const a = bootstrapCI(data, mean, { seed: 5, nBoot: 500 });
  const b = bootstrapCI(data, mean, { seed: 5, nBoot: 500 });
  const c = bootstrapCI(data, mean, { seed: 6, nBoot: 500 });
  assert.deepEqual(a, b);
  assert.ok(a.lo !== c.lo || a.hi !== c.hi);
  close(a.estimate, mean(data), 1e-15);
  assert.ok(a.lo < a.estimate && a.estimate < a.hi);
  assert.equal(a.nInvalid, 0);
  assert.throws(() => bootstrapCI(data, mean, { seed: 1.5 }), /integer seed/);
  assert.throws(() => bootstrapCI(data, mean, { seed: 1, nBoot: 0 }), /invalid nBoot/);
  assert.throws(() => bootstrapCI([], mean, { seed: 1 }), /n = 0/);
});

test("bootstrap interval of a mean covers roughly 95 % (n = 30 normal draws)", () => {
  // The percentile bootstrap slightly under-covers at n = 30 (≈ 93 %); we only check it is in
  // a sensible range, with a different data seed and bootstrap seed per replication.
  const r = rng(21);
  const reps = 200;
  let covered = 0;
  for (let k = 0; k < reps; k++) {
    const data = Array.from({ length: 30 }, () => r.normal());
    const ci = bootstrapCI(data, mean, { seed: k, nBoot: 400 });
    if (ci.lo <= 0 && 0 <= ci.hi) covered++;
  }
  const cov = covered / reps;
  assert.ok(cov >= 0.86 && cov <= 0.99, `coverage ${cov}`);
});

test("bootstrapOls uses the same resamples as bootstrapCI and flags degenerate ones", () => {
  const x = [63.91, 76.9, 77.87, 80.69, 81.04];
  const y = [66.48, 71.19, 69.74, 73.42, 75.02];
  const res = bootstrapOls(x, y, { seed: 1, nBoot: 1000 });
  const slopeOnly = bootstrapCI([0, 1, 2, 3, 4], (s) => {
    const xs = s.map((i) => x[i]);
    return xs.every((v) => v === xs[0]) ? NaN : ols(xs, s.map((i) => y[i])).slope;
  }, { seed: 1, nBoot: 1000 });
  assert.deepEqual(res.slope, slopeOnly);
  close(res.slope.estimate, 0.4246, 5e-5);
  close(res.pearson.estimate, 0.901, 5e-4);
  assert.ok(res.pearson.hi <= 1 && res.r2.hi <= 1);
  // P(all 5 draws pick the same point) = 5/5^5 = 1/625, so ≈ 1.6 of 1000 resamples are degenerate.
  assert.ok(res.slope.nInvalid < 10);
  assert.equal(res.slope.nInvalid, res.intercept.nInvalid);
  assert.throws(() => bootstrapOls([1, 2], [1, 2], { seed: 1 }), /n = 2/);
});

test("permutationTest: exact p-values by enumeration", () => {
  // n = 3, y = x: orderings of y give r = 1 (identity), −1 (reversed), ±0.5 (the other four).
  const p = permutationTest([1, 2, 3], [1, 2, 3], { seed: 0 });
  assert.equal(p.exact, true);
  assert.equal(p.nPerm, 6);
  close(p.pValue, 2 / 6, 1e-15, "two-sided");
  close(permutationTest([1, 2, 3], [1, 2, 3], { seed: 0, alternative: "greater" }).pValue, 1 / 6, 1e-15, "greater");
  close(permutationTest([1, 2, 3], [1, 2, 3], { seed: 0, alternative: "less" }).pValue, 1, 1e-15, "less");
  // GRSL video panel (n = 4, Spearman ρ = 1): identity and reversal → p = 2/24.
  const vx = [67.31, 68.66, 70.6, 71.35];
  const vy = [37.49, 41.33, 41.58, 45.1];
  close(permutationTest(vx, vy, { seed: 0, statistic: "spearman" }).pValue, 2 / 24, 1e-15, "video ρ");
  // n = 2: nothing can be learned.
  assert.equal(permutationTest([66.06, 69.86], [23.745, 24.195], { seed: 0 }).pValue, 1);
  assert.throws(() => permutationTest([1, 2, 3], [5, 5, 5], { seed: 0 }), /constant/);
});

test("permutationTest: Monte Carlo agrees with the exact p-value and is seeded", () => {
  const r = rng(8);
  const x = Array.from({ length: 8 }, () => r.normal());
  const y = x.map((v) => 0.5 * v + r.normal());
  const exact = permutationTest(x, y, { seed: 0, nPerm: 50000 }); // 8! = 40320 ≤ 50000 → enumerated
  assert.equal(exact.exact, true);
  const mc = permutationTest(x, y, { seed: 4, nPerm: 5000 });
  assert.equal(mc.exact, false);
  // 4 binomial standard errors of a proportion from 5000 draws.
  const tol = 4 * Math.sqrt((exact.pValue * (1 - exact.pValue)) / 5000) + 1 / 5001;
  close(mc.pValue, exact.pValue, tol, "MC vs exact p");
  assert.deepEqual(permutationTest(x, y, { seed: 4, nPerm: 5000 }), mc);
  assert.notEqual(permutationTest(x, y, { seed: 5, nPerm: 5000 }).pValue, mc.pValue);
});
