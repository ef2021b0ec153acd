import { test } from "node:test";
import assert from "node:assert/strict";
import { ols, confidenceBand, predictionBand, linspace, pearson, spearman, rank, tQuantile, tCritical } from "../src/stats";
import { InputError } from "../src/array";

/** |a − b| ≤ tol, with the values in the message. */
function close(a: number, b: number, tol: number, what = "") {
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b} ± ${tol}, got ${a}`);
}

test("t quantiles match published table values", () => {
  // Student t table: t_{0.975, 3} = 3.182, t_{0.975, 48} = 2.0106, t_{0.95, 10} = 1.812.
  close(tQuantile(0.975, 3), 3.182446305, 1e-8, "t(0.975, 3)");
  close(tQuantile(0.975, 48), 2.010635, 1e-5, "t(0.975, 48)");
  close(tCritical(0.9, 10), 1.812461, 1e-5, "t(0.95, 10)");
  close(tCritical(0.95, Infinity), 1.959964, 1e-6, "z(0.975)");
  assert.ok(Number.isNaN(tQuantile(0.975, 0)));
  assert.throws(() => tCritical(95, 3), /invalid level.*got 95/);
});

// Tiny dataset, by hand:
//   x = 1..5, y = 2 4 5 4 5;  x̄ = 3, ȳ = 4
//   dx = −2 −1 0 1 2, dy = −2 0 1 0 1
//   Sxx = 4+1+0+1+4 = 10, Sxy = 4+0+0+0+2 = 6, Syy = 4+0+1+0+1 = 6
//   slope = 6/10 = 0.6, intercept = 4 − 0.6·3 = 2.2
//   ŷ = 2.8 3.4 4.0 4.6 5.2, residuals = −0.8 0.6 1.0 −0.6 −0.2
//   SSE = 0.64+0.36+1+0.36+0.04 = 2.4, s² = 2.4/3 = 0.8
//   SE(slope) = √(0.8/10) = √0.08, SE(intercept) = √(0.8·(1/5 + 9/10)) = √0.88
//   R² = 1 − 2.4/6 = 0.6, r = 6/√60 = 0.774597, ranks of y = 1 2.5 4.5 2.5 4.5
const X = [1, 2, 3, 4, 5];
const Y = [2, 4, 5, 4, 5];

test("ols on a hand-computed dataset", () => {
  const f = ols(X, Y);
  close(f.slope, 0.6, 1e-12, "slope");
  close(f.intercept, 2.2, 1e-12, "intercept");
  close(f.sse, 2.4, 1e-12, "SSE");
  close(f.residualSE, Math.sqrt(0.8), 1e-12, "s");
  close(f.slopeSE, Math.sqrt(0.08), 1e-12, "SE slope");
  close(f.interceptSE, Math.sqrt(0.88), 1e-12, "SE intercept");
  close(f.r2, 0.6, 1e-12, "R²");
  close(f.pearson, 6 / Math.sqrt(60), 1e-12, "r");
  assert.equal(f.df, 3);
  const t = 3.182446305284263; // t_{0.975, 3}
  close(f.slopeCI[0], 0.6 - t * Math.sqrt(0.08), 1e-8, "slope CI lo");
  close(f.slopeCI[1], 0.6 + t * Math.sqrt(0.08), 1e-8, "slope CI hi");
  close(f.interceptCI[0], 2.2 - t * Math.sqrt(0.88), 1e-8, "intercept CI lo");
  // Spearman by hand: ranks x = 1..5, ranks y = 1, 2.5, 4.5, 2.5, 4.5 (ties averaged);
  // centred: x −2 −1 0 1 2, y −2 −0.5 1.5 −0.5 1.5 → Σ = 4+0.5+0−0.5+3 = 7; Σx² = 10; Σy² = 4+0.25+2.25+0.25+2.25 = 9
  close(f.spearman, 7 / Math.sqrt(90), 1e-12, "spearman");
  // A 90 % interval is narrower than the 95 % one.
  const f90 = ols(X, Y, { level: 0.9 });
  assert.ok(f90.slopeCI[1] - f90.slopeCI[0] < f.slopeCI[1] - f.slopeCI[0]);
});

// R's built-in `cars` data (Ezekiel 1930). `summary(lm(dist ~ speed, cars))` prints:
//   (Intercept) -17.5791  6.7584  t = -2.601  p = 0.0123
//   speed         3.9324  0.4155  t =  9.464  p = 1.49e-12
//   Residual standard error: 15.38 on 48 degrees of freedom; Multiple R-squared: 0.6511
// and `confint()`: (Intercept) -31.167850 -3.990340; speed 3.096964 4.767853.
const SPEED = [4, 4, 7, 7, 8, 9, 10, 10, 10, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 16, 16, 17, 17, 17, 18, 18, 18, 18, 19, 19, 19, 20, 20, 20, 20, 20, 22, 23, 24, 24, 24, 24, 25];
const DIST = [2, 10, 4, 22, 16, 10, 18, 26, 34, 17, 28, 14, 20, 24, 28, 26, 34, 34, 46, 26, 36, 60, 80, 20, 26, 54, 32, 40, 32, 40, 50, 42, 56, 76, 84, 36, 46, 68, 32, 48, 52, 56, 64, 66, 54, 70, 92, 93, 120, 85];

test("ols reproduces R's lm() on the cars data", () => {
  const f = ols(SPEED, DIST);
  assert.equal(f.n, 50);
  assert.equal(f.df, 48);
  close(f.intercept, -17.5791, 5e-5, "intercept");
  close(f.interceptSE, 6.7584, 5e-5, "SE intercept");
  close(f.slope, 3.9324, 5e-5, "slope");
  close(f.slopeSE, 0.4155, 5e-5, "SE slope");
  close(f.slopeT, 9.464, 5e-4, "t slope");
  close(f.slopeP / 1e-12, 1.49, 5e-3, "p slope / 1e-12");
  close(f.residualSE, 15.38, 5e-3, "residual SE");
  close(f.r2, 0.6511, 5e-5, "R²");
  close(f.interceptCI[0], -31.16785, 5e-6, "CI lo intercept");
  close(f.interceptCI[1], -3.99034, 5e-6, "CI hi intercept");
  close(f.slopeCI[0], 3.096964, 5e-7, "CI lo slope");
  close(f.slopeCI[1], 4.767853, 5e-7, "CI hi slope");
});

// GRSL panels digitized from the paper's scaling figure (shared/paper-notes.md §4.1), fits in §4.2.
const OCR_X = [63.91, 76.9, 77.87, 80.69, 81.04];
const OCR_Y = [66.48, 71.19, 69.74, 73.42, 75.02];

test("ols reproduces the GRSL OCR, video and audio fits of paper-notes §4.2", () => {
  const ocr = ols(OCR_X, OCR_Y);
  close(ocr.slope, 0.4246, 5e-5, "OCR slope");
  close(ocr.intercept, 38.866, 5e-4, "OCR intercept");
  close(ocr.r2, 0.812, 5e-4, "OCR R²");
  close(ocr.pearson, 0.901, 5e-4, "OCR r");
  close(ocr.spearman, 0.9, 1e-12, "OCR ρ");
  // r² = R² for a line fit (an identity, not a coincidence).
  close(ocr.pearson ** 2, ocr.r2, 1e-12, "r² = R²");

  const video = ols([67.31, 68.66, 70.6, 71.35], [37.49, 41.33, 41.58, 45.1]);
  close(video.slope, 1.5458, 5e-5, "video slope");
  close(video.intercept, -66.025, 5e-4, "video intercept");
  close(video.r2, 0.834, 5e-4, "video R²");
  close(video.pearson, 0.914, 5e-4, "video r");
  assert.equal(video.spearman, 1);
  // With n = 4 the 95 % slope interval includes 0: the trend is not significant at 5 %.
  assert.ok(video.slopeCI[0] < 0 && video.slopeCI[1] > 0);

  const audio = ols([66.06, 69.86], [23.745, 24.195]);
  close(audio.slope, 0.1184, 5e-5, "audio slope");
  close(audio.intercept, 15.922, 5e-4, "audio intercept");
});

test("n = 2: the line is exact, uncertainty is NaN", () => {
  const f = ols([0, 2], [1, 5]);
  assert.equal(f.slope, 2);
  assert.equal(f.intercept, 1);
  assert.equal(f.r2, 1);
  assert.equal(f.pearson, 1);
  assert.equal(f.spearman, 1);
  assert.equal(f.df, 0);
  for (const v of [f.slopeSE, f.interceptSE, f.residualSE, f.slopeP, ...f.slopeCI, ...f.interceptCI]) assert.ok(Number.isNaN(v));
  const b = confidenceBand(f, [1]);
  assert.equal(b[0].fit, 3);
  assert.ok(Number.isNaN(b[0].lo) && Number.isNaN(b[0].hi));
});

test("ols rejects bad input and names the bad value", () => {
  assert.throws(() => ols([1], [2]), (e: unknown) => e instanceof InputError && /n = 1/.test(e.message));
  assert.throws(() => ols([], []), /n = 0/);
  assert.throws(() => ols([1, 2, 3], [1, NaN, 3]), (e: unknown) => e instanceof InputError && /y\[1\] is NaN/.test(e.message));
  assert.throws(() => ols([1, Infinity, 3], [1, 2, 3]), /x\[1\] is Infinity/);
  assert.throws(() => ols([2, 2, 2], [1, 2, 3]), /all 3 x values equal 2/);
  assert.throws(() => ols([1, 2, 3], [1, 2]), /x.length = 3, y.length = 2/);
});

test("confidence and prediction bands", () => {
  const f = ols(X, Y);
  const t = tQuantile(0.975, 3);
  const [atMean, atFive, atZero] = confidenceBand(f, [3, 5, 0]);
  // At x̄ = 3: half-width = t · s · √(1/5) = t · √0.8 · √0.2 = 0.4 t.
  close(atMean.fit, 4, 1e-12);
  close(atMean.hi - atMean.fit, 0.4 * t, 1e-10, "half-width at x̄");
  // At x = 5: √(1/5 + 4/10) = √0.6 → half-width = t · √(0.8 · 0.6) = t √0.48.
  close(atFive.hi - atFive.fit, t * Math.sqrt(0.48), 1e-10, "half-width at x = 5");
  // At x = 0 the mean response is the intercept, so the band equals the intercept's CI.
  close(atZero.lo, f.interceptCI[0], 1e-10, "band at 0 = intercept CI");
  close(atZero.hi, f.interceptCI[1], 1e-10);
  // Prediction band: √(1 + 1/5) at x̄ → half-width t √0.96.
  const [p] = predictionBand(f, [3]);
  close(p.hi - p.fit, t * Math.sqrt(0.8 * 1.2), 1e-10, "prediction half-width at x̄");
  // The band is narrowest at x̄ and symmetric around it.
  const grid = confidenceBand(f, linspace(0, 6, 7));
  const widths = grid.map((b) => b.hi - b.lo);
  assert.equal(widths.indexOf(Math.min(...widths)), 3);
  close(widths[1], widths[5], 1e-12, "symmetry around x̄");
  // A different level is honoured.
  const [p90] = confidenceBand(f, [3], { level: 0.9 });
  close(p90.hi - p90.fit, 0.4 * tQuantile(0.95, 3), 1e-10);
});

test("rank, pearson and spearman", () => {
  assert.deepEqual(rank([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
  assert.deepEqual(rank([3, 1, 2]), [3, 1, 2]);
  assert.deepEqual(rank([5, 5, 5]), [2, 2, 2]);
  // No ties: Spearman = 1 − 6Σd²/(n(n²−1)). x ranks 1..5, y ranks 2 1 4 3 5 → d² = 1+1+1+1+0 = 4 → 1 − 24/120 = 0.8.
  close(spearman([1, 2, 3, 4, 5], [20, 10, 40, 30, 50]), 0.8, 1e-12, "spearman, no ties");
  // Monotone but nonlinear: ρ = 1, r < 1.
  assert.equal(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  assert.ok(pearson([1, 2, 3, 4], [1, 8, 27, 64]) < 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1, 1e-15);
  assert.ok(Number.isNaN(pearson([1, 2, 3], [4, 4, 4])));
  assert.throws(() => pearson([1], [1]), /n = 1/);
  assert.throws(() => spearman([1, 2], [1, NaN]), /y\[1\] is NaN/);
});

test("typed arrays are accepted; results agree with ml-regression and simple-statistics", async () => {
  // Independent implementations as references, on seeded random data with ties in y.
  // ml-regression ships no type declarations at its top level; describe the part we use.
  const mlRegression = "ml-regression";
  const { SimpleLinearRegression } = (await import(mlRegression)) as {
    SimpleLinearRegression: new (x: number[], y: number[]) => { slope: number; intercept: number; score(x: number[], y: number[]): { r2: number } };
  };
  const ss = await import("simple-statistics");
  const { rng } = await import("../src/random");
  const r = rng(3);
  const x = Array.from({ length: 40 }, () => 50 + 10 * r.normal());
  const y = x.map((v) => Math.round(0.5 * v + 3 * r.normal())); // rounding creates ties
  const f = ols(Float64Array.from(x), Float32Array.from(y));
  const ref = new SimpleLinearRegression(x, y);
  close(f.slope, ref.slope, 1e-9, "slope vs ml-regression");
  close(f.intercept, ref.intercept, 1e-7, "intercept vs ml-regression");
  close(f.pearson, ss.sampleCorrelation(x, y), 1e-12, "r vs simple-statistics");
  close(f.r2, ref.score(x, y).r2, 1e-9, "R² vs ml-regression");
  close(spearman(x, y), ss.sampleRankCorrelation(x, y), 1e-12, "ρ vs simple-statistics");
});
