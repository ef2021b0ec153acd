/**
 * Summaries over seeds. Every number the kit reports from several seeds is written as
 * `mean ± half-width`, where half-width = t_{1−α/2, n−1} · sd / √n (a t-interval for the mean).
 * With 3 seeds t_{0.975, 2} = 4.30, so intervals from few seeds are honestly wide.
 *
 * @module
 */
import { InputError } from "../array";
import { checkFinite, mean as meanOf } from "./check";
import { checkLevel, tCritical } from "./distributions";

/** A t-interval for a mean, from {@link meanCI}. */
export interface MeanCI {
  /** Number of values. */
  n: number;
  mean: number;
  /** Sample standard deviation (denominator n − 1). `NaN` when n = 1. */
  sd: number;
  /** Standard error of the mean, sd / √n. `NaN` when n = 1. */
  se: number;
  /** Lower bound mean − halfWidth. `NaN` when n = 1. */
  lo: number;
  /** Upper bound mean + halfWidth. `NaN` when n = 1. */
  hi: number;
  /** t_{1−α/2, n−1} · se. `NaN` when n = 1. */
  halfWidth: number;
  /** Degrees of freedom n − 1. */
  df: number;
  /** Confidence level. */
  level: number;
}

/** Options for {@link meanCI} and {@link summarizeSeeds}. */
export interface MeanCIOptions {
  /** Confidence level; default `0.95`. */
  level?: number;
}

/**
 * Mean with a t-based confidence interval: `mean ± t_{1−α/2, n−1} · sd/√n`.
 * With one value the mean is returned and every spread field is `NaN` (one seed says nothing
 * about seed-to-seed variation).
 * @example meanCI([1, 2, 3]) // {n: 3, mean: 2, sd: 1, se: 0.577, halfWidth: 2.484, lo: -0.484, hi: 4.484, …}
 * @throws InputError for an empty array or a non-finite value (naming the index).
 */
export function meanCI(values: ArrayLike<number>, opts: MeanCIOptions = {}): MeanCI {
  const level = checkLevel(opts.level ?? 0.95);
  const n = values.length;
  if (n === 0) throw new InputError("meanCI needs at least one value; got n = 0");
  checkFinite(values, "values", "meanCI");
  const mean = meanOf(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) * (values[i] - mean);
  const df = n - 1;
  const sd = df > 0 ? Math.sqrt(ss / df) : NaN;
  const se = sd / Math.sqrt(n);
  const halfWidth = df > 0 ? tCritical(level, df) * se : NaN;
  return { n, mean, sd, se, lo: mean - halfWidth, hi: mean + halfWidth, halfWidth, df, level };
}

/** One measurement from one seed. */
export interface SeedRecord {
  seed: number;
  value: number;
}

/** {@link MeanCI} plus the per-seed values, from {@link summarizeSeeds}. */
export interface SeedSummary extends MeanCI {
  /** Seeds in ascending order. */
  seeds: number[];
  /** Values in the same order as `seeds`. */
  values: number[];
  min: number;
  max: number;
}

/**
 * Summarise one metric measured under several seeds: mean ± t-interval, min, max and the values
 * sorted by seed (so the summary does not depend on the order runs finished in).
 * @throws InputError for no records, a repeated seed (naming it; a repeat would count one run
 *   twice) or a non-finite value (naming its seed).
 */
export function summarizeSeeds(records: readonly SeedRecord[], opts: MeanCIOptions = {}): SeedSummary {
  if (records.length === 0) throw new InputError("summarizeSeeds needs at least one {seed, value} record; got 0");
  const sorted = records.slice().sort((a, b) => a.seed - b.seed);
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    if (!Number.isFinite(r.value)) throw new InputError(`summarizeSeeds: seed ${r.seed} has a non-finite value ${r.value}`);
    if (i > 0 && sorted[i - 1].seed === r.seed) throw new InputError(`summarizeSeeds: seed ${r.seed} appears more than once`);
  }
  const values = sorted.map((r) => r.value);
  return {
    ...meanCI(values, opts),
    seeds: sorted.map((r) => r.seed),
    values,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * Format a {@link MeanCI} for tables and notebook output, e.g.
 * `"0.512 ± 0.034 (95% CI, n = 5)"`; one value prints as `"0.512 (n = 1)"`.
 * @param digits decimal places (default 3).
 */
export function formatMeanCI(ci: MeanCI, digits = 3): string {
  if (!(ci.n > 1)) return `${ci.mean.toFixed(digits)} (n = ${ci.n})`;
  const pct = Math.round(ci.level * 1000) / 10;
  return `${ci.mean.toFixed(digits)} ± ${ci.halfWidth.toFixed(digits)} (${pct}% CI, n = ${ci.n})`;
}

/**
 * A compact "mean ± 95 % CI half-width" for table cells, e.g. `"0.512 ± 0.034"`. A value that
 * does not vary over seeds (one seed, or a constant such as a chance level) prints as the mean
 * alone: `"0.050"`, never `"0.050 ± 0.000"`.
 * @param values one value per seed (non-finite values are the caller's to drop).
 * @param digits decimal places (default 3).
 */
export function meanCIText(values: readonly number[], digits = 3): string {
  if (values.length === 0) return "";
  const ci = meanCI(values);
  const constant = values.every((v) => v === values[0]);
  return values.length > 1 && !constant ? `${ci.mean.toFixed(digits)} ± ${ci.halfWidth.toFixed(digits)}` : ci.mean.toFixed(digits);
}
