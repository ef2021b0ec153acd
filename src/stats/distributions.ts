/**
 * Quantiles and tail probabilities of the t and normal distributions, from jStat (a well-kept
 * statistics library). Every confidence interval in the kit goes through {@link tQuantile}, so the
 * same numbers appear in notebooks, CLIs and tests.
 *
 * @module
 */
import { InputError } from "../array";

/** The small part of jStat's API the kit uses (jstat ships no TypeScript types). */
interface JStatLike {
  studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
  normal: { inv(p: number, mean: number, std: number): number; cdf(x: number, mean: number, std: number): number };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const jStat = require("jstat") as JStatLike;

/**
 * Check a confidence level and return it.
 * @throws InputError unless `0 < level < 1`, e.g. `invalid level; need 0 < level < 1, got 95`.
 */
export function checkLevel(level: number): number {
  if (!(typeof level === "number" && level > 0 && level < 1)) {
    throw new InputError(`invalid level; need 0 < level < 1 (e.g. 0.95), got ${level}`);
  }
  return level;
}

/**
 * The `p`-quantile of Student's t distribution with `df` degrees of freedom.
 * `tQuantile(0.975, 3)` = 3.182446… (the 95 % two-sided critical value for n = 5 points in a
 * line fit). Returns `NaN` for `df = 0` (no residual degrees of freedom: nothing can be said).
 * @throws InputError if `p ∉ (0, 1)` or `df` is negative or not a number.
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`invalid p for tQuantile; need 0 < p < 1, got ${p}`);
  if (!(df >= 0)) throw new InputError(`invalid df for tQuantile; need df ≥ 0, got ${df}`);
  if (df === 0) return NaN;
  if (!Number.isFinite(df)) return jStat.normal.inv(p, 0, 1);
  return jStat.studentt.inv(p, df);
}

/**
 * The two-sided critical value for a confidence `level`: `tQuantile(1 − (1 − level)/2, df)`.
 * E.g. `tCritical(0.95, 3)` = 3.182…; `tCritical(0.95, Infinity)` = 1.95996… (the normal value).
 */
export function tCritical(level: number, df: number): number {
  checkLevel(level);
  return tQuantile(1 - (1 - level) / 2, df);
}

/** The `p`-quantile of the standard normal distribution (`normalQuantile(0.975)` = 1.95996…). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`invalid p for normalQuantile; need 0 < p < 1, got ${p}`);
  return jStat.normal.inv(p, 0, 1);
}

/**
 * Two-sided p-value of a t statistic: `P(|T| ≥ |t|)` with `df` degrees of freedom.
 * Returns `NaN` when `df = 0` or `t` is not a number.
 */
export function tTwoSidedP(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return 2 * (1 - jStat.studentt.cdf(Math.abs(t), df));
}
