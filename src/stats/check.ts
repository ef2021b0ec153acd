/** Input checks shared by the stats functions (internal; not exported from the barrel). @module */
import { InputError } from "../array";

/**
 * Throw unless every value is a finite number, naming the array and the first bad index,
 * e.g. `y[3] is NaN; ols needs finite numbers`.
 */
export function checkFinite(values: ArrayLike<number>, name: string, fn: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InputError(`${name}[${i}] is ${v}; ${fn} needs finite numbers`);
    }
  }
}

/** Throw unless `x` and `y` have the same length, naming both lengths. */
export function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>, fn: string): void {
  if (x.length !== y.length) {
    throw new InputError(`${fn} needs paired x and y of equal length; got x.length = ${x.length}, y.length = ${y.length}`);
  }
}

/** Arithmetic mean (no checks; callers check first). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * Means and centred sums of squares and products of paired values: x̄, ȳ, Sxx = Σ(xᵢ − x̄)²,
 * Syy, Sxy. Centred first: the one-pass formula Σxy − n·x̄·ȳ loses digits when the means are large
 * (e.g. benchmark scores around 70 with a spread of 5). No checks (callers check their inputs).
 */
export function centredSums(x: ArrayLike<number>, y: ArrayLike<number>): { xMean: number; yMean: number; sxx: number; syy: number; sxy: number } {
  const xMean = mean(x);
  const yMean = mean(y);
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - xMean;
    const dy = y[i] - yMean;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return { xMean, yMean, sxx, syy, sxy };
}
