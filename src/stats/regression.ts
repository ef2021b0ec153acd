/**
 * Ordinary least squares for one predictor, `y = slope · x + intercept`, with the classic
 * standard errors, t-based confidence intervals and confidence / prediction bands.
 *
 * The formulas (any regression textbook, e.g. Montgomery, Peck & Vining, *Introduction to Linear
 * Regression Analysis*, ch. 2), with x̄, ȳ the means and
 *   Sxx = Σ(xᵢ − x̄)²,  Sxy = Σ(xᵢ − x̄)(yᵢ − ȳ),  SSE = Σ(yᵢ − ŷᵢ)²:
 *
 *   slope = Sxy / Sxx,                intercept = ȳ − slope · x̄
 *   s² = SSE / (n − 2)                (residual variance; df = n − 2)
 *   SE(slope) = s / √Sxx,             SE(intercept) = s · √(1/n + x̄²/Sxx)
 *   CI = estimate ± t_{1−α/2, n−2} · SE
 *   R² = 1 − SSE / Syy
 *
 * These are exactly what R's `summary(lm(y ~ x))` and `confint()` print.
 *
 * @module
 */
import { InputError } from "../array";
import { centredSums, checkFinite, checkPaired, mean } from "./check";
import { pearsonUnchecked, rank } from "./correlation";
import { checkLevel, tCritical, tTwoSidedP } from "./distributions";

/** Options for {@link ols}. */
export interface OlsOptions {
  /** Confidence level of `slopeCI` and `interceptCI`. Default `0.95`. */
  level?: number;
}

/**
 * The result of {@link ols}. With n = 2 the line passes through both points exactly: `slope`,
 * `intercept`, `r2` (= 1), `pearson` and `spearman` (= ±1) are defined, but there are no residual
 * degrees of freedom (`df = 0`), so `residualSE`, every `…SE`, every `…CI` bound, `slopeT` and
 * `slopeP` are `NaN`: two points cannot tell us how uncertain the line is.
 */
export interface OlsFit {
  /** Number of points. */
  n: number;
  /** Fitted slope a in `y = a·x + b`. */
  slope: number;
  /** Fitted intercept b (the value of y at x = 0). */
  intercept: number;
  /** Standard error of the slope, `s / √Sxx`. `NaN` when n = 2. */
  slopeSE: number;
  /** Standard error of the intercept, `s · √(1/n + x̄²/Sxx)`. `NaN` when n = 2. */
  interceptSE: number;
  /** `[lo, hi]` t-interval for the slope at `level`. `[NaN, NaN]` when n = 2. */
  slopeCI: [number, number];
  /** `[lo, hi]` t-interval for the intercept at `level`. `[NaN, NaN]` when n = 2. */
  interceptCI: [number, number];
  /** Coefficient of determination `1 − SSE/Syy` (= pearson² for a line). `NaN` if y is constant. */
  r2: number;
  /** Pearson's r of x and y. `NaN` if y is constant. */
  pearson: number;
  /** Spearman's ρ (average ranks for ties). `NaN` if y is constant. */
  spearman: number;
  /** Residual standard error s = √(SSE / (n − 2)). `NaN` when n = 2. */
  residualSE: number;
  /** Residual degrees of freedom, n − 2. */
  df: number;
  /** The confidence level used for the intervals. */
  level: number;
  /** t statistic of the slope against 0, `slope / slopeSE`. `NaN` when n = 2; ±Infinity for an exact fit with n > 2. */
  slopeT: number;
  /** Two-sided p-value of `slopeT` (t distribution, df = n − 2). `NaN` when n = 2. */
  slopeP: number;
  /** Mean of x (needed by the bands). */
  xMean: number;
  /** Mean of y. */
  yMean: number;
  /** Sxx = Σ(xᵢ − x̄)² (needed by the bands). */
  sxx: number;
  /** Residual sum of squares SSE = Σ(yᵢ − ŷᵢ)². */
  sse: number;
}

/**
 * Fit `y = slope · x + intercept` by ordinary least squares, with standard errors and t-based
 * confidence intervals (df = n − 2).
 *
 * @param x predictor values (a `number[]` or a typed array), length n ≥ 2, finite, not all equal.
 * @param y responses, same length.
 * @param opts `level` of the intervals (default 0.95).
 * @example
 * const fit = ols([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
 * fit.slope; // 0.6   fit.intercept; // 2.2   fit.r2; // 0.6
 * @throws InputError when n < 2 (naming n), lengths differ, a value is not finite (naming the
 *   index) or x is constant (the slope is undefined).
 */
export function ols(x: ArrayLike<number>, y: ArrayLike<number>, opts: OlsOptions = {}): OlsFit {
  const level = checkLevel(opts.level ?? 0.95);
  checkPaired(x, y, "ols");
  const n = x.length;
  if (n < 2) throw new InputError(`ols needs n ≥ 2 points to fit a line; got n = ${n}`);
  checkFinite(x, "x", "ols");
  checkFinite(y, "y", "ols");

  const { xMean, yMean, sxx, syy, sxy } = centredSums(x, y);
  if (sxx === 0) {
    throw new InputError(`ols needs at least two distinct x values; all ${n} x values equal ${x[0]}`);
  }
  const slope = sxy / sxx;
  const intercept = yMean - slope * xMean;

  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - (intercept + slope * x[i]);
    sse += r * r;
  }
  const df = n - 2;
  // With n = 2 the fit is exact; SSE is zero up to rounding, and we report it as exactly 0.
  if (df === 0) sse = 0;

  // s, the standard errors and the intervals need df ≥ 1.
  const residualSE = df > 0 ? Math.sqrt(sse / df) : NaN;
  const slopeSE = residualSE / Math.sqrt(sxx);
  const interceptSE = residualSE * Math.sqrt(1 / n + (xMean * xMean) / sxx);
  const t = df > 0 ? tCritical(level, df) : NaN;
  const slopeT = df > 0 ? slope / slopeSE : NaN;

  // R² = 1 − SSE/Syy. With n = 2 (and y not constant) this is exactly 1.
  const r2 = syy === 0 ? NaN : df === 0 ? 1 : Math.max(0, 1 - sse / syy);
  const r = pearsonUnchecked(x, y);
  const rho = pearsonUnchecked(rank(x), rank(y));

  return {
    n,
    slope,
    intercept,
    slopeSE,
    interceptSE,
    slopeCI: [slope - t * slopeSE, slope + t * slopeSE],
    interceptCI: [intercept - t * interceptSE, intercept + t * interceptSE],
    r2,
    pearson: r,
    spearman: rho,
    residualSE,
    df,
    level,
    slopeT,
    slopeP: tTwoSidedP(slopeT, df),
    xMean,
    yMean,
    sxx,
    sse,
  };
}

/** One point of a band: the fitted value at `x` and its interval `[lo, hi]`. */
export interface BandPoint {
  x: number;
  /** ŷ = intercept + slope · x. */
  fit: number;
  lo: number;
  hi: number;
}

/** Options for {@link confidenceBand} and {@link predictionBand}. */
export interface BandOptions {
  /** Confidence level; default: the fit's own `level`. */
  level?: number;
}

function band(fit: OlsFit, xs: ArrayLike<number>, extra: 0 | 1, level: number, fn: string): BandPoint[] {
  checkLevel(level);
  checkFinite(xs, "xs", fn);
  const t = fit.df > 0 ? tCritical(level, fit.df) : NaN;
  return Array.from(xs, (x) => {
    const yHat = fit.intercept + fit.slope * x;
    const dx = x - fit.xMean;
    const half = t * fit.residualSE * Math.sqrt(extra + 1 / fit.n + (dx * dx) / fit.sxx);
    return { x, fit: yHat, lo: yHat - half, hi: yHat + half };
  });
}

/**
 * Pointwise confidence band for the **mean response** at each x:
 * `ŷ ± t_{1−α/2, n−2} · s · √(1/n + (x − x̄)²/Sxx)`.
 * It is narrowest at x̄ and widens away from it (the hourglass drawn around fitted lines).
 * With n = 2, `lo` and `hi` are `NaN`.
 * @param xs where to evaluate, e.g. a grid spanning the data.
 * @returns one {@link BandPoint} per x, in the order given.
 */
export function confidenceBand(fit: OlsFit, xs: ArrayLike<number>, opts: BandOptions = {}): BandPoint[] {
  return band(fit, xs, 0, opts.level ?? fit.level, "confidenceBand");
}

/**
 * Pointwise **prediction** band for a new observation at each x:
 * `ŷ ± t_{1−α/2, n−2} · s · √(1 + 1/n + (x − x̄)²/Sxx)` (the extra 1 is the scatter of one new
 * point around the line). Always wider than {@link confidenceBand}. `NaN` bounds when n = 2.
 */
export function predictionBand(fit: OlsFit, xs: ArrayLike<number>, opts: BandOptions = {}): BandPoint[] {
  return band(fit, xs, 1, opts.level ?? fit.level, "predictionBand");
}

/**
 * `n` evenly spaced values from `lo` to `hi` inclusive (a grid for drawing bands).
 * @throws InputError if n < 2 or a bound is not finite.
 */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (!(Number.isInteger(n) && n >= 2)) throw new InputError(`invalid n for linspace; need an integer ≥ 2, got ${n}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new InputError(`linspace bounds must be finite; got [${lo}, ${hi}]`);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}
