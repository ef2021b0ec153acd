/**
 * Deming regression: a straight line when **both** axes are measured with noise.
 *
 * OLS assumes x is exact and puts all the scatter on y. In a GRSL sweep x is itself a measured
 * score (a generative score from a finite evaluation set), so OLS pulls the slope towards 0
 * ("regression dilution"). Deming regression minimises the scatter in both directions, weighted by
 * the ratio of the two error variances
 *
 *   λ = var(error in y) / var(error in x)       (λ = 1: orthogonal regression)
 *
 * With sample moments sxx, syy, sxy (denominator n − 1) the slope has a closed form (Deming 1943;
 * Cornbleet & Gochman 1979):
 *
 *   slope = (syy − λ·sxx + √((syy − λ·sxx)² + 4·λ·sxy²)) / (2·sxy),   intercept = ȳ − slope·x̄
 *
 * λ → ∞ gives the OLS slope of y on x; λ → 0 gives the inverse of the OLS slope of x on y.
 * The interval is the jackknife one of Linnet (1990), the one clinical method-comparison software
 * reports: pseudo-values n·b − (n−1)·b₋ᵢ, their standard error, and a t quantile with n − 1 df.
 *
 * @module
 */
import { InputError } from "../array";
import { centredSums, checkFinite, checkPaired, mean } from "./check";
import { checkLevel, tCritical } from "./distributions";

/** Options of {@link deming}. */
export interface DemingOptions {
  /** λ = var(error in y) / var(error in x); must be > 0. Default `1` (orthogonal regression). */
  errorRatio?: number;
  /** Confidence level of the jackknife intervals. Default `0.95`. */
  level?: number;
}

/** The result of {@link deming}. */
export interface DemingFit {
  n: number;
  slope: number;
  intercept: number;
  /** The error-variance ratio λ used. */
  errorRatio: number;
  /** Jackknife standard error of the slope (`NaN` when n < 3). */
  slopeSE: number;
  /** Jackknife standard error of the intercept (`NaN` when n < 3). */
  interceptSE: number;
  /** `slope ± t_{1−α/2, n−1} · slopeSE` (`[NaN, NaN]` when n < 3). */
  slopeCI: [number, number];
  interceptCI: [number, number];
  level: number;
}

/** Point estimate only (no checks): slope and intercept of the Deming line. */
export function demingLine(x: ArrayLike<number>, y: ArrayLike<number>, errorRatio: number): { slope: number; intercept: number } {
  const { xMean: mx, yMean: my, sxx, syy, sxy } = centredSums(x, y);
  // The common factor 1/(n−1) cancels in the slope formula, so raw sums are enough.
  if (sxy === 0) return { slope: NaN, intercept: NaN };
  const d = syy - errorRatio * sxx;
  const slope = (d + Math.sqrt(d * d + 4 * errorRatio * sxy * sxy)) / (2 * sxy);
  return { slope, intercept: my - slope * mx };
}

/**
 * Fit `y = slope · x + intercept` by Deming regression with the error-variance ratio λ.
 * @param x, y paired values, n ≥ 2, finite; x and y must co-vary (sxy ≠ 0), else the line is undefined.
 * @example deming([1, 2, 3, 4], [1.1, 1.9, 3.2, 3.9]).slope // ≈ 0.98 (λ = 1)
 * @throws InputError on unequal lengths, n < 2, a non-finite value, λ ≤ 0, or sxy = 0.
 */
export function deming(x: ArrayLike<number>, y: ArrayLike<number>, opts: DemingOptions = {}): DemingFit {
  const level = checkLevel(opts.level ?? 0.95);
  const lambda = opts.errorRatio ?? 1;
  if (!(typeof lambda === "number" && Number.isFinite(lambda) && lambda > 0)) {
    throw new InputError(`invalid errorRatio; need var(y error)/var(x error) > 0, got ${lambda}`);
  }
  checkPaired(x, y, "deming");
  const n = x.length;
  if (n < 2) throw new InputError(`deming needs n ≥ 2 points; got n = ${n}`);
  checkFinite(x, "x", "deming");
  checkFinite(y, "y", "deming");
  const { slope, intercept } = demingLine(x, y, lambda);
  if (!Number.isFinite(slope)) throw new InputError("deming: x and y do not co-vary (sxy = 0), so the Deming line is undefined");
  let slopeSE = NaN, interceptSE = NaN;
  if (n >= 3) {
    // Jackknife (Linnet 1990): leave each point out, refit, form pseudo-values.
    const ps: number[] = [], pi: number[] = [];
    const xs = Array.from(x), ys = Array.from(y);
    for (let i = 0; i < n; i++) {
      const xi = xs.filter((_, j) => j !== i);
      const yi = ys.filter((_, j) => j !== i);
      const f = demingLine(xi, yi, lambda);
      ps.push(n * slope - (n - 1) * f.slope);
      pi.push(n * intercept - (n - 1) * f.intercept);
    }
    const se = (v: number[]) => {
      const m = mean(v);
      let s = 0;
      for (const a of v) s += (a - m) * (a - m);
      return Math.sqrt(s / (n - 1) / n);
    };
    slopeSE = se(ps);
    interceptSE = se(pi);
  }
  const t = n >= 3 ? tCritical(level, n - 1) : NaN;
  return {
    n,
    slope,
    intercept,
    errorRatio: lambda,
    slopeSE,
    interceptSE,
    slopeCI: [slope - t * slopeSE, slope + t * slopeSE],
    interceptCI: [intercept - t * interceptSE, intercept + t * interceptSE],
    level,
  };
}
