import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bootstrapCI,
  clusterBootstrap,
  deming,
  groupByCluster,
  leaveOneClusterOut,
  lineStatistics,
  ols,
  permutationTest,
  type ClusteredPoint,
} from "../src/stats";
import { rng } from "../src/random";
import { InputError } from "../src/array";

function close(a: number, b: number, tol: number, what = "") {
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b} ± ${tol}, got ${a}`);
}

// Reference values below were computed independently with SciPy 1.17 (scipy.odr for Deming,
// scipy.stats.linregress for the held-out fits); see the comments next to each value.
const X1 = [1, 2, 3, 4, 5, 6, 7, 8];
const Y1 = [2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1];
const X2 = [0.2, 0.35, 0.5, 0.41, 0.62, 0.7, 0.55, 0.8, 0.9, 0.3];
const Y2 = [0.1, 0.22, 0.31, 0.2, 0.45, 0.42, 0.5, 0.61, 0.58, 0.25];

test("deming matches the closed form in float64 (numpy) and orthogonal distance regression (scipy.odr)", () => {
  // [x, y, λ, slope, intercept]: numpy's closed form on sample moments. scipy.odr (fit_type 0,
  // sx = 1, sy = √λ), which minimises the weighted orthogonal distances iteratively, agrees with
  // these to its convergence tolerance (slope 1.9994755935544435 for the first row, Δ ≈ 1e-10).
  const refs: [number[], number[], number, number, number][] = [
    [X1, Y1, 1, 1.9994755936575925, 0.02735982854083474],
    [X1, Y1, 4, 1.9987786806420402, 0.030495937110819327],
    [X1, Y1, 0.25, 1.9998036889972854, 0.025883399512215632],
    [X2, Y2, 1, 0.7538784086164899, -0.03781719179258913],
    [X2, Y2, 2, 0.7385478610369325, -0.02964600993268507],
  ];
  for (const [x, y, lambda, slope, intercept] of refs) {
    const f = deming(x, y, { errorRatio: lambda });
    close(f.slope, slope, 1e-12, `slope λ=${lambda}`);
    close(f.intercept, intercept, 1e-12, `intercept λ=${lambda}`);
    // Invariant: the fitted line minimises Σ(y − a − b·x)² / (λ + b²) (the Deming criterion).
    const loss = (b: number, a: number) => x.reduce((s, xi, i) => s + (y[i] - a - b * xi) ** 2, 0) / (lambda + b * b);
    const best = loss(f.slope, f.intercept);
    for (const [db, da] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3], [1e-3, -1e-3 * 4]]) {
      assert.ok(loss(f.slope + db, f.intercept + da) > best, `perturbation (${db}, ${da}) does not increase the criterion`);
    }
  }
});

test("deming's jackknife interval matches the pseudo-value formula; limits of λ give the two OLS lines", () => {
  // Jackknife pseudo-values of the λ = 1 slope on X2/Y2 (numpy): SE 0.1004944234969804.
  const f = deming(X2, Y2, { errorRatio: 1 });
  close(f.slopeSE, 0.1004944234969804, 1e-10, "jackknife SE");
  const t9 = 2.2621571627409915; // t_{0.975, 9}
  close(f.slopeCI[1] - f.slope, t9 * f.slopeSE, 1e-9, "half width");
  // λ → ∞: all error in y, the OLS slope of y on x (0.7158844528153128, scipy linregress).
  close(deming(X2, Y2, { errorRatio: 1e9 }).slope, 0.7158844528153128, 1e-6, "λ→∞");
  // λ → 0: all error in x, the inverse of the OLS slope of x on y.
  close(deming(X2, Y2, { errorRatio: 1e-9 }).slope, 1 / ols(Y2, X2).slope, 1e-6, "λ→0");
  // OLS (λ → ∞) ≤ Deming ≤ inverse x-on-y slope, for positively correlated data.
  assert.ok(ols(X2, Y2).slope < f.slope && f.slope < 1 / ols(Y2, X2).slope);
  // Symmetry: swapping axes and inverting λ inverts the slope.
  close(deming(Y2, X2, { errorRatio: 1 / 2 }).slope, 1 / deming(X2, Y2, { errorRatio: 2 }).slope, 1e-12, "swap");
  // n = 2: the line is exact, no interval.
  const two = deming([0, 1], [1, 3]);
  close(two.slope, 2, 1e-12);
  assert.ok(Number.isNaN(two.slopeSE) && Number.isNaN(two.slopeCI[0]));
  assert.throws(() => deming(X2, Y2, { errorRatio: 0 }), /invalid errorRatio.*got 0/);
  assert.throws(() => deming([1, 2, 3], [1, 1, 1]), /do not co-vary/);
  assert.throws(() => deming([1, 2], [1, NaN]), /y\[1\] is NaN/);
});

test("deming corrects the regression dilution of OLS when x is noisy (simulation)", () => {
  // True line y = 2x; x measured with noise sd 0.5, y with noise sd 0.5 (λ = 1).
  const r = rng(3);
  let olsSum = 0, demSum = 0;
  const reps = 200;
  for (let k = 0; k < reps; k++) {
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = r.normal();
      xs.push(t + 0.5 * r.normal());
      ys.push(2 * t + 0.5 * r.normal());
    }
    olsSum += ols(xs, ys).slope;
    demSum += deming(xs, ys).slope;
  }
  // OLS is biased towards 2 · 1/(1 + 0.25) = 1.6; Deming is consistent for 2.
  close(olsSum / reps, 1.6, 0.06, "OLS mean slope");
  close(demSum / reps, 2, 0.06, "Deming mean slope");
});

const PTS: ClusteredPoint[] = [
  [0.1, 0.05, "a"], [0.3, 0.2, "a"], [0.5, 0.3, "a"],
  [0.2, 0.2, "b"], [0.4, 0.25, "b"], [0.7, 0.5, "b"],
  [0.15, 0.02, "c"], [0.6, 0.45, "c"], [0.9, 0.7, "c"],
  [0.35, 0.3, "d"], [0.8, 0.5, "d"],
].map(([x, y, cluster]) => ({ x: x as number, y: y as number, cluster: cluster as string }));

test("leaveOneClusterOut matches refits done by hand (scipy linregress per held-out run)", () => {
  const r = leaveOneClusterOut(PTS);
  close(r.rmse, 0.06754603680328573, 1e-12, "rmse");
  close(r.mae, 0.05506084049028033, 1e-12, "mae");
  close(r.baselineRmse, 0.21145046820721514, 1e-12, "baseline");
  close(r.skill, 0.8979571822717287, 1e-12, "skill");
  const per = Object.fromEntries(r.perCluster.map((c) => [c.cluster, c.rmse]));
  close(per.a, 0.033086918499685335, 1e-12, "a");
  close(per.d, 0.08019091548680508, 1e-12, "d");
  assert.deepEqual(r.perCluster.map((c) => c.n), [3, 3, 3, 2]);
  // Invariant: relabelling the clusters in another order does not change the pooled error.
  const shuffled = [...PTS].reverse();
  close(leaveOneClusterOut(shuffled).rmse, r.rmse, 1e-12, "order");
  // Deming variant runs and is close to OLS here (strong correlation).
  close(leaveOneClusterOut(PTS, { fit: "deming" }).rmse, r.rmse, 0.03, "deming LORO");
  assert.throws(() => leaveOneClusterOut(PTS.filter((p) => p.cluster === "a" || p.cluster === "b")), /at least 3 clusters; got 2/);
});

test("clusterBootstrap with one item per cluster is exactly the ordinary bootstrap", () => {
  const data = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.9];
  const m = (s: number[]) => s.reduce((a, b) => a + b, 0) / s.length;
  const a = clusterBootstrap(data.map((v) => [v]), m, { seed: 9, nBoot: 400 });
  const b = bootstrapCI(data, m, { seed: 9, nBoot: 400 });
  assert.deepEqual(a, b);
  assert.throws(() => clusterBootstrap([[1]], m, { seed: 1 }), /at least 2 clusters/);
  assert.throws(() => clusterBootstrap([[1], []], m, { seed: 1 }), /cluster 1 is empty/);
});

/** Runs whose checkpoints share a run-level offset: the dependence a GRSL sweep has. */
function clusteredSample(r: ReturnType<typeof rng>, runs: number, perRun: number, slope: number): ClusteredPoint[] {
  const pts: ClusteredPoint[] = [];
  for (let k = 0; k < runs; k++) {
    const u = r.normal(); // run effect on y
    const xRun = r.normal(); // runs differ in where their checkpoints sit
    for (let j = 0; j < perRun; j++) {
      const x = xRun + 0.3 * r.normal();
      pts.push({ x, y: slope * x + u + 0.1 * r.normal(), cluster: `run ${k}` });
    }
  }
  return pts;
}

test("with correlated checkpoints the run-level bootstrap covers the true slope far better than the OLS t-interval", () => {
  const r = rng(17);
  const reps = 80;
  let olsCover = 0, clusterCover = 0;
  for (let k = 0; k < reps; k++) {
    const pts = clusteredSample(r, 8, 6, 0.5);
    const f = ols(pts.map((p) => p.x), pts.map((p) => p.y));
    if (f.slopeCI[0] <= 0.5 && 0.5 <= f.slopeCI[1]) olsCover++;
    const groups = groupByCluster(pts).map((g) => g.points);
    const b = clusterBootstrap(groups, (s) => ols(s.map((p) => p.x), s.map((p) => p.y)).slope, { seed: k, nBoot: 200 });
    if (b.lo <= 0.5 && 0.5 <= b.hi) clusterCover++;
  }
  // The t-interval treats 48 checkpoints as independent; with a run effect as large as the spread
  // of x it under-covers badly (≈ 0.5). The cluster bootstrap with only 8 runs under-covers a
  // little (≈ 0.85–0.9), as percentile bootstraps do with few clusters.
  assert.ok(olsCover / reps < 0.7, `OLS coverage ${olsCover / reps}`);
  assert.ok(clusterCover / reps > 0.8, `cluster coverage ${clusterCover / reps}`);
  assert.ok(clusterCover > olsCover + 10);
});

test("lineStatistics agrees with its parts and is deterministic per seed", () => {
  const a = lineStatistics(PTS, { seed: 4, nBoot: 500 });
  const b = lineStatistics(PTS, { seed: 4, nBoot: 500 });
  assert.deepEqual(a, b);
  assert.equal(a.n, 11);
  assert.equal(a.nClusters, 4);
  assert.deepEqual(a.ols, ols(PTS.map((p) => p.x), PTS.map((p) => p.y)));
  assert.deepEqual(a.spearman, permutationTest(PTS.map((p) => p.x), PTS.map((p) => p.y), { seed: 4, statistic: "spearman" }));
  close(a.spearman.observed, a.ols.spearman, 1e-12, "ρ");
  assert.ok(a.spearman.pValue < 0.01, `p = ${a.spearman.pValue}`);
  assert.ok(a.slopeBootstrap && a.slopeBootstrap.lo < a.ols.slope && a.ols.slope < a.slopeBootstrap.hi);
  assert.ok(a.spearmanBootstrap && a.spearmanBootstrap.hi <= 1);
  assert.deepEqual(a.leaveOneRunOut, leaveOneClusterOut(PTS));
  assert.throws(() => lineStatistics(PTS.slice(0, 2), { seed: 1 }), InputError);
  // Two runs: no leave-one-run-out, but the bootstrap still runs.
  const two = lineStatistics(PTS.filter((p) => p.cluster === "a" || p.cluster === "b"), { seed: 1, nBoot: 200 });
  assert.equal(two.leaveOneRunOut, null);
  assert.ok(two.slopeBootstrap !== null);
});
