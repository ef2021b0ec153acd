/**
 * Statistics for points that come in **clusters**: in a GRSL sweep every kept checkpoint of one
 * training run is a point, and the checkpoints of one run share its seed, data order and
 * initialisation, so they are not independent. Treating 50 checkpoints of 9 runs as 50
 * independent points overstates the evidence. The tools here respect the runs:
 *
 * - {@link clusterBootstrap}: resample whole runs with replacement (all their points together);
 * - {@link leaveOneClusterOut}: fit the line without one run, predict that run's points, repeat;
 * - {@link lineStatistics}: the whole report for one panel — OLS with its t-interval, Spearman ρ
 *   with a permutation p-value, the run-level bootstrap of slope and ρ, Deming regression and the
 *   leave-one-run-out error — computed once, so figures, reports and chapters agree.
 *
 * The OLS t-interval and the point-level permutation p-value both assume exchangeable points;
 * they are shown because they are what a reader expects, and the run-level bootstrap next to them
 * says how much the dependence widens the interval.
 *
 * @module
 */
import { InputError } from "../array";
import { checkFinite } from "./check";
import { pearsonUnchecked, rank } from "./correlation";
import { deming, demingLine, type DemingFit } from "./deming";
import { ols, type OlsFit } from "./regression";
import {
  checkBootstrapOptions,
  forEachResample,
  percentileInterval,
  permutationTest,
  type BootstrapCI,
  type BootstrapOptions,
  type PermutationTestResult,
} from "./resampling";

/** One point of a clustered scatter: x, y and the run (cluster) it belongs to. */
export interface ClusteredPoint {
  x: number;
  y: number;
  /** Cluster label, e.g. `"M/seed 1"`; points with the same label come from one run. */
  cluster: string;
}

/**
 * Group points by cluster, keeping the order in which clusters first appear.
 * @throws InputError when there are no points or a value is not finite (naming the index).
 */
export function groupByCluster<T extends ClusteredPoint>(points: readonly T[]): { cluster: string; points: T[] }[] {
  if (points.length === 0) throw new InputError("no points to group; got an empty list");
  checkFinite(points.map((p) => p.x), "x", "groupByCluster");
  checkFinite(points.map((p) => p.y), "y", "groupByCluster");
  const groups = new Map<string, T[]>();
  for (const p of points) {
    const g = groups.get(p.cluster);
    if (g) g.push(p);
    else groups.set(p.cluster, [p]);
  }
  return [...groups].map(([cluster, pts]) => ({ cluster, points: pts }));
}

/**
 * Cluster (run-level) percentile bootstrap: draw `nBoot` resamples of the clusters with
 * replacement (as many clusters as there are), concatenate their items, and evaluate `statistic`.
 * With one item per cluster this is exactly {@link bootstrapCI} with the same seed.
 *
 * @param clusters the items of each cluster, e.g. the checkpoints of each run.
 * @param statistic maps the concatenated items of a resample to a number (NaN for a degenerate
 *   resample, counted in `nInvalid`).
 * @throws InputError for fewer than 2 clusters, an empty cluster, or a bad seed / nBoot / level.
 */
export function clusterBootstrap<T>(clusters: readonly (readonly T[])[], statistic: (sample: T[]) => number, opts: BootstrapOptions): BootstrapCI {
  const k = clusters.length;
  if (k < 2) throw new InputError(`clusterBootstrap needs at least 2 clusters; got ${k}`);
  clusters.forEach((c, i) => {
    if (c.length === 0) throw new InputError(`cluster ${i} is empty; every cluster needs at least one item`);
  });
  const { nBoot, level, seed } = checkBootstrapOptions(opts, "clusterBootstrap");
  const values: number[] = [];
  forEachResample(k, nBoot, seed, (idx) => values.push(statistic(idx.flatMap((i) => clusters[i]))));
  return percentileInterval(statistic(clusters.flatMap((c) => c)), values, level, seed, "clusterBootstrap");
}

/** Slope of the OLS line of a sample of points, NaN when every x is equal. */
function olsSlope(pts: readonly ClusteredPoint[]): number {
  const x = pts.map((p) => p.x);
  if (x.every((v) => v === x[0])) return NaN;
  return ols(x, pts.map((p) => p.y)).slope;
}

/** Spearman ρ of a sample of points (NaN when x or y is constant). */
function spearmanOf(pts: readonly ClusteredPoint[]): number {
  return pearsonUnchecked(rank(pts.map((p) => p.x)), rank(pts.map((p) => p.y)));
}

/** Options of {@link leaveOneClusterOut}. */
export interface LeaveOneOutOptions {
  /** Line to fit on the other clusters: `"ols"` (default) or `"deming"`. */
  fit?: "ols" | "deming";
  /** λ for Deming (see `deming`). Default 1. */
  errorRatio?: number;
}

/** Prediction error of one held-out cluster. */
export interface HeldOutError {
  cluster: string;
  n: number;
  /** Root mean squared error of the line fitted without this cluster, on its points. */
  rmse: number;
  /** Same for the baseline that predicts the other clusters' mean y. */
  baselineRmse: number;
}

/** The result of {@link leaveOneClusterOut}. */
export interface LeaveOneOutResult {
  /** RMSE over all held-out predictions (every point predicted once, by a line fitted without its run). */
  rmse: number;
  /** Mean absolute error over the same predictions. */
  mae: number;
  /** RMSE of predicting each held-out run by the mean y of the other runs (a line that knows nothing about x). */
  baselineRmse: number;
  /** 1 − (rmse / baselineRmse)²: the share of held-out variance the line explains (≤ 1; negative = worse than the mean). */
  skill: number;
  perCluster: HeldOutError[];
  fit: "ols" | "deming";
}

/**
 * Leave-one-run-out prediction error: for each cluster, fit the line on all other clusters,
 * predict the held-out cluster's y from its x, and pool the errors. It answers "would the line
 * have predicted a run we did not fit on?", which a within-sample R² cannot.
 * @throws InputError for fewer than 3 clusters, or when the other clusters' x are all equal.
 */
export function leaveOneClusterOut(points: readonly ClusteredPoint[], opts: LeaveOneOutOptions = {}): LeaveOneOutResult {
  const groups = groupByCluster(points);
  if (groups.length < 3) throw new InputError(`leaveOneClusterOut needs at least 3 clusters; got ${groups.length}`);
  const kind = opts.fit ?? "ols";
  if (kind !== "ols" && kind !== "deming") throw new InputError(`invalid fit; expected "ols" or "deming", got "${kind}"`);
  let sse = 0, sae = 0, sseBase = 0, count = 0;
  const perCluster: HeldOutError[] = [];
  for (const g of groups) {
    const train = groups.filter((h) => h !== g).flatMap((h) => h.points);
    const x = train.map((p) => p.x);
    const y = train.map((p) => p.y);
    if (x.every((v) => v === x[0])) throw new InputError(`leaveOneClusterOut: without cluster "${g.cluster}" every x equals ${x[0]}; the line is undefined`);
    const line = kind === "ols" ? ols(x, y) : demingLine(x, y, opts.errorRatio ?? 1);
    const yMean = y.reduce((a, b) => a + b, 0) / y.length;
    let s = 0, sb = 0;
    for (const p of g.points) {
      const e = p.y - (line.intercept + line.slope * p.x);
      s += e * e;
      sae += Math.abs(e);
      sb += (p.y - yMean) * (p.y - yMean);
    }
    sse += s;
    sseBase += sb;
    count += g.points.length;
    perCluster.push({ cluster: g.cluster, n: g.points.length, rmse: Math.sqrt(s / g.points.length), baselineRmse: Math.sqrt(sb / g.points.length) });
  }
  const rmse = Math.sqrt(sse / count);
  const baselineRmse = Math.sqrt(sseBase / count);
  return { rmse, mae: sae / count, baselineRmse, skill: baselineRmse > 0 ? 1 - sse / sseBase : NaN, perCluster, fit: kind };
}

/** Options of {@link lineStatistics}. */
export interface LineStatisticsOptions {
  /** Seed of the bootstrap and (for n > 7) the permutation stream. Required. */
  seed: number;
  /** Bootstrap resamples. Default 2000. */
  nBoot?: number;
  /** Random permutations for the Spearman p-value (exact enumeration when n! ≤ nPerm). Default 10000. */
  nPerm?: number;
  /** Confidence level. Default 0.95. */
  level?: number;
  /** λ of the Deming fit. Default 1. */
  errorRatio?: number;
}

/** Everything {@link lineStatistics} reports for one panel. */
export interface LineStatistics {
  /** Points. */
  n: number;
  /** Runs (clusters). */
  nClusters: number;
  /** OLS with its t-interval on the slope (assumes independent points). */
  ols: OlsFit;
  /** Spearman ρ with a permutation p-value (two-sided; assumes exchangeable points). */
  spearman: PermutationTestResult;
  /** Run-level bootstrap of the OLS slope (`null` with fewer than 2 runs). */
  slopeBootstrap: BootstrapCI | null;
  /** Run-level bootstrap of Spearman ρ (`null` with fewer than 2 runs). */
  spearmanBootstrap: BootstrapCI | null;
  /** Deming regression with λ = `errorRatio`, jackknife interval over points. */
  deming: DemingFit;
  /** Leave-one-run-out prediction error of the OLS line (`null` with fewer than 3 runs). */
  leaveOneRunOut: LeaveOneOutResult | null;
}

/**
 * The statistics of one GRSL-style panel, computed once: OLS (t-interval), Spearman ρ with a
 * permutation p-value, run-level bootstrap intervals of the slope and of ρ, Deming regression and
 * the leave-one-run-out prediction error.
 * @param points at least 3 points with ≥ 2 distinct x values.
 * @throws InputError for fewer than 3 points, a non-finite value, constant x or constant y.
 */
export function lineStatistics(points: readonly ClusteredPoint[], opts: LineStatisticsOptions): LineStatistics {
  if (points.length < 3) throw new InputError(`lineStatistics needs at least 3 points; got ${points.length}`);
  const groups = groupByCluster(points);
  const level = opts.level ?? 0.95;
  const x = points.map((p) => p.x);
  const y = points.map((p) => p.y);
  const fit = ols(x, y, { level });
  const boot = { seed: opts.seed, nBoot: opts.nBoot ?? 2000, level };
  const clusters = groups.map((g) => g.points);
  return {
    n: points.length,
    nClusters: groups.length,
    ols: fit,
    spearman: permutationTest(x, y, { seed: opts.seed, statistic: "spearman", nPerm: opts.nPerm ?? 10000 }),
    slopeBootstrap: groups.length >= 2 ? clusterBootstrap(clusters, olsSlope, boot) : null,
    spearmanBootstrap: groups.length >= 2 ? clusterBootstrap(clusters, spearmanOf, boot) : null,
    deming: deming(x, y, { errorRatio: opts.errorRatio ?? 1, level }),
    leaveOneRunOut: groups.length >= 3 ? leaveOneClusterOut(points) : null,
  };
}
