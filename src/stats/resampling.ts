/**
 * Seeded resampling: the percentile bootstrap and permutation tests for a correlation.
 * All randomness comes from `rng(seed)` in `src/random.ts`, so the same seed gives the same
 * interval and the same p-value on every machine.
 *
 * A caution for small samples: with the 4–5 points of a GRSL panel a percentile bootstrap
 * under-covers (it cannot see beyond the few values it resamples), and many resamples are
 * degenerate (all x equal). Report the t-interval from `ols` next to it and read both as rough.
 *
 * @module
 */
import { InputError } from "../array";
import { rng } from "../random";
import { checkFinite, checkPaired } from "./check";
import { pearsonUnchecked, rank } from "./correlation";
import { checkLevel } from "./distributions";
import { ols } from "./regression";

/** Options for {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Seed of the resampling stream (required: an interval must be reproducible). */
  seed: number;
  /** Number of bootstrap resamples. Default `2000`. */
  nBoot?: number;
  /** Confidence level. Default `0.95`. */
  level?: number;
}

/** A percentile-bootstrap interval, from {@link bootstrapCI}. */
export interface BootstrapCI {
  /** The statistic on the original data. */
  estimate: number;
  /** Lower percentile bound, the (1 − level)/2 quantile of the resampled statistics. */
  lo: number;
  /** Upper percentile bound, the 1 − (1 − level)/2 quantile. */
  hi: number;
  /** Standard deviation of the finite resampled statistics (the bootstrap standard error). */
  se: number;
  level: number;
  /** Resamples drawn. */
  nBoot: number;
  /** Resamples whose statistic was not finite (e.g. a line fit to resampled points that all share one x); they are left out of `lo`, `hi` and `se`. */
  nInvalid: number;
  seed: number;
}

/**
 * Quantile of sorted values with linear interpolation between order statistics (R's default,
 * `quantile(type = 7)`): position h = (n − 1)·p, value = v[⌊h⌋] + (h − ⌊h⌋)(v[⌊h⌋+1] − v[⌊h⌋]).
 * @param sorted ascending values (not checked).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 1)) throw new InputError(`invalid p for quantileSorted; need 0 ≤ p ≤ 1, got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function checkCount(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`invalid ${name}; need an integer ≥ 1, got ${v}`);
  return v;
}

/**
 * Draw `nBoot` bootstrap resamples of the indices `0..n-1` (n draws with replacement each) from
 * `rng(seed)` and pass each to `visit`. Shared by {@link bootstrapCI} and {@link bootstrapOls} so
 * that both see exactly the same resamples for the same seed.
 */
export function forEachResample(n: number, nBoot: number, seed: number, visit: (idx: number[]) => void): void {
  const r = rng(seed);
  for (let b = 0; b < nBoot; b++) {
    const idx = new Array<number>(n);
    for (let i = 0; i < n; i++) idx[i] = r.int(n);
    visit(idx);
  }
}

/** Turn resampled statistics into a percentile interval (non-finite ones are counted, not used). */
export function percentileInterval(estimate: number, values: number[], level: number, seed: number, what: string): BootstrapCI {
  const nBoot = values.length;
  const stats = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (stats.length === 0) {
    throw new InputError(`${what}: all ${nBoot} resamples gave a non-finite statistic (too few distinct points?)`);
  }
  let m = 0;
  for (const s of stats) m += s;
  m /= stats.length;
  let ss = 0;
  for (const s of stats) ss += (s - m) * (s - m);
  const alpha = 1 - level;
  return {
    estimate,
    lo: quantileSorted(stats, alpha / 2),
    hi: quantileSorted(stats, 1 - alpha / 2),
    se: stats.length > 1 ? Math.sqrt(ss / (stats.length - 1)) : NaN,
    level,
    nBoot,
    nInvalid: nBoot - stats.length,
    seed,
  };
}

export function checkBootstrapOptions(opts: BootstrapOptions, what: string): { nBoot: number; level: number; seed: number } {
  if (opts === undefined || !Number.isInteger(opts.seed)) {
    throw new InputError(`${what} needs an integer seed; got ${opts?.seed}`);
  }
  return { nBoot: checkCount("nBoot", opts.nBoot ?? 2000), level: checkLevel(opts.level ?? 0.95), seed: opts.seed };
}

/**
 * Seeded percentile bootstrap: draw `nBoot` resamples of `data` with replacement (n items each,
 * indices from `rng(seed)`), evaluate `statistic` on each, and report the (1 − level)/2 and
 * 1 − (1 − level)/2 quantiles of the finite results.
 *
 * @param data the items (numbers, or records such as `{x, y}` pairs; pairs are resampled together).
 * @param statistic maps a sample to a number; may return NaN for a degenerate resample (counted in `nInvalid`).
 * @example bootstrapCI([1, 2, 3, 4, 10], (s) => s.reduce((a, b) => a + b) / s.length, {seed: 1})
 * @throws InputError for empty data, a missing seed, a bad `nBoot` / `level`, or when every
 *   resample is degenerate.
 */
export function bootstrapCI<T>(data: readonly T[], statistic: (sample: T[]) => number, opts: BootstrapOptions): BootstrapCI {
  const n = data.length;
  if (n === 0) throw new InputError("bootstrapCI needs at least one item; got n = 0");
  const { nBoot, level, seed } = checkBootstrapOptions(opts, "bootstrapCI");
  const values: number[] = [];
  forEachResample(n, nBoot, seed, (idx) => values.push(statistic(idx.map((i) => data[i]))));
  return percentileInterval(statistic(data.slice()), values, level, seed, "bootstrapCI");
}

/** Bootstrap intervals of a line fit, from {@link bootstrapOls}. */
export interface BootstrapOlsResult {
  slope: BootstrapCI;
  intercept: BootstrapCI;
  r2: BootstrapCI;
  pearson: BootstrapCI;
}

/**
 * Case-resampling bootstrap of `ols(x, y)`: resample (x, y) pairs with replacement and report
 * percentile intervals for slope, intercept, R² and Pearson r. All four use the same resamples,
 * the same ones `bootstrapCI` draws for the same seed and n. Resamples whose x values are all
 * equal cannot be fitted (and a constant y leaves R² and r undefined); they are counted in
 * `nInvalid`.
 * @throws InputError on unequal lengths, n < 3 (two points resample to an exact or an impossible
 *   fit, so the bootstrap says nothing), a non-finite value, or constant x.
 */
export function bootstrapOls(x: ArrayLike<number>, y: ArrayLike<number>, opts: BootstrapOptions): BootstrapOlsResult {
  checkPaired(x, y, "bootstrapOls");
  if (x.length < 3) throw new InputError(`bootstrapOls needs n ≥ 3 points; got n = ${x.length}`);
  const full = ols(x, y); // validates finiteness and constant x before resampling
  const { nBoot, level, seed } = checkBootstrapOptions(opts, "bootstrapOls");
  const slope: number[] = [];
  const intercept: number[] = [];
  const r2: number[] = [];
  const r: number[] = [];
  forEachResample(x.length, nBoot, seed, (idx) => {
    const xs = idx.map((i) => x[i]);
    const ys = idx.map((i) => y[i]);
    if (xs.every((v) => v === xs[0])) {
      slope.push(NaN);
      intercept.push(NaN);
      r2.push(NaN);
      r.push(NaN);
      return;
    }
    const f = ols(xs, ys);
    slope.push(f.slope);
    intercept.push(f.intercept);
    r2.push(f.r2);
    r.push(f.pearson);
  });
  return {
    slope: percentileInterval(full.slope, slope, level, seed, "bootstrapOls slope"),
    intercept: percentileInterval(full.intercept, intercept, level, seed, "bootstrapOls intercept"),
    r2: percentileInterval(full.r2, r2, level, seed, "bootstrapOls r2"),
    pearson: percentileInterval(full.pearson, r, level, seed, "bootstrapOls pearson"),
  };
}

/** Options for {@link permutationTest}. */
export interface PermutationTestOptions {
  /** Seed of the permutation stream (used only when the test is not exact). */
  seed: number;
  /** `"pearson"` (default) or `"spearman"`. */
  statistic?: "pearson" | "spearman";
  /** `"two-sided"` (default; |r| ≥ |r_obs|), `"greater"` (r ≥ r_obs) or `"less"`. */
  alternative?: "two-sided" | "greater" | "less";
  /**
   * Random permutations to draw. Default `10000`. When n! ≤ `nPerm`, all n! orderings are
   * enumerated instead and the p-value is exact (n ≤ 7 with the default).
   */
  nPerm?: number;
}

/** The result of {@link permutationTest}. */
export interface PermutationTestResult {
  /** The correlation on the data as given. */
  observed: number;
  /** p-value: the share of orderings of y at least as extreme as the observed one. */
  pValue: number;
  /**
   * A floor on the p-value this test can produce: 1/n! when exact (only the observed ordering
   * counts; for a two-sided Spearman test without ties the reversed ordering counts too, so the
   * real floor there is 2/n!), 1/(nPerm + 1) for Monte Carlo.
   */
  minPValue: number;
  /** True when all n! orderings were enumerated. */
  exact: boolean;
  /** Orderings evaluated (n! when exact). */
  nPerm: number;
  statistic: "pearson" | "spearman";
  alternative: "two-sided" | "greater" | "less";
  n: number;
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/**
 * Permutation test of "no association" for a correlation: shuffle y against x and count how often
 * the correlation is at least as extreme as observed. Exact for small n (all n! orderings),
 * otherwise a seeded Monte Carlo estimate with the +1 correction `(1 + count)/(1 + nPerm)`
 * (Phipson & Smyth 2010), which never reports p = 0.
 *
 * What few points allow: with n = 4 there are only 24 orderings, so even a perfect rank
 * correlation has two-sided p = 2/24 ≈ 0.083 (the reversed ordering is just as extreme) and
 * Pearson's r can reach at best 1/24 ≈ 0.042; with n = 5 the floors are 2/120 ≈ 0.017 and
 * 1/120; with n = 2 every ordering gives |r| = 1, so p = 1 whatever the data.
 * @throws InputError on unequal lengths, n < 2, a non-finite value, or a constant x or y.
 */
export function permutationTest(x: ArrayLike<number>, y: ArrayLike<number>, opts: PermutationTestOptions): PermutationTestResult {
  checkPaired(x, y, "permutationTest");
  const n = x.length;
  if (n < 2) throw new InputError(`permutationTest needs n ≥ 2 paired values; got n = ${n}`);
  checkFinite(x, "x", "permutationTest");
  checkFinite(y, "y", "permutationTest");
  const statistic = opts.statistic ?? "pearson";
  const alternative = opts.alternative ?? "two-sided";
  const nPermOpt = checkCount("nPerm", opts.nPerm ?? 10000);
  if (!["pearson", "spearman"].includes(statistic)) throw new InputError(`invalid statistic; expected "pearson" or "spearman", got "${statistic}"`);
  if (!["two-sided", "greater", "less"].includes(alternative)) throw new InputError(`invalid alternative; expected "two-sided", "greater" or "less", got "${alternative}"`);
  const xs = statistic === "spearman" ? rank(x) : Array.from(x);
  const ys = statistic === "spearman" ? rank(y) : Array.from(y);
  const observed = pearsonUnchecked(xs, ys);
  if (Number.isNaN(observed)) throw new InputError("permutationTest: x or y is constant, so the correlation is undefined");

  // Floating-point sums differ in the last bits between orderings that give the same r;
  // a small tolerance counts such ties as "at least as extreme", as they should be.
  const eps = 1e-12;
  const extreme = (r: number) =>
    alternative === "two-sided" ? Math.abs(r) >= Math.abs(observed) - eps : alternative === "greater" ? r >= observed - eps : r <= observed + eps;

  const nFact = factorial(n);
  const perm = ys.slice();
  if (nFact <= nPermOpt) {
    // Heap's algorithm visits every ordering of `perm` exactly once (including the identity).
    let count = 0;
    const c = new Array<number>(n).fill(0);
    if (extreme(pearsonUnchecked(xs, perm))) count++;
    let i = 1;
    while (i < n) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        const t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        if (extreme(pearsonUnchecked(xs, perm))) count++;
        c[i]++;
        i = 1;
      } else {
        c[i] = 0;
        i++;
      }
    }
    return { observed, pValue: count / nFact, minPValue: 1 / nFact, exact: true, nPerm: nFact, statistic, alternative, n };
  }
  if (!Number.isInteger(opts.seed)) throw new InputError(`permutationTest needs an integer seed for n = ${n}; got ${opts.seed}`);
  const r = rng(opts.seed);
  let count = 0;
  for (let b = 0; b < nPermOpt; b++) {
    // Fisher–Yates in place: each pass continues from the previous ordering, which is still a
    // uniformly random permutation.
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    if (extreme(pearsonUnchecked(xs, perm))) count++;
  }
  return {
    observed,
    pValue: (1 + count) / (1 + nPermOpt),
    minPValue: 1 / (1 + nPermOpt),
    exact: false,
    nPerm: nPermOpt,
    statistic,
    alternative,
    n,
  };
}
