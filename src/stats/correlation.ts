/**
 * Correlation coefficients and ranks.
 *
 * - {@link pearson}: linear correlation r = Sxy / sqrt(Sxx · Syy).
 * - {@link spearman}: Pearson's r on the ranks, with tied values given their average rank (the
 *   standard definition; it equals 1 − 6Σd²/(n(n²−1)) only when there are no ties).
 *
 * @module
 */
import { InputError } from "../array";
import { centredSums, checkFinite, checkPaired, mean } from "./check";

/**
 * Ranks of `values`, 1-based, with ties given the average of the ranks they span.
 * `rank([10, 20, 20, 30])` → `[1, 2.5, 2.5, 4]`. The input is not modified.
 * @throws InputError on a non-finite value, naming its index.
 */
export function rank(values: ArrayLike<number>): number[] {
  checkFinite(values, "values", "rank");
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(n);
  let i = 0;
  while (i < n) {
    // Find the run [i, j) of equal values; all get the mean of ranks i+1 .. j.
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]] = avg;
    i = j;
  }
  return ranks;
}

/**
 * Pearson's correlation r of paired samples `x` and `y` (length n ≥ 2).
 * Returns `NaN` when either sample is constant (r is 0/0 there; we do not invent a value).
 * @throws InputError on unequal lengths, n < 2 or a non-finite value (naming the index).
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "pearson");
  if (x.length < 2) throw new InputError(`pearson needs n ≥ 2 paired values; got n = ${x.length}`);
  checkFinite(x, "x", "pearson");
  checkFinite(y, "y", "pearson");
  return pearsonUnchecked(x, y);
}

/** Pearson's r without input checks (for inner loops of resampling tests). */
export function pearsonUnchecked(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const { sxx, syy, sxy } = centredSums(x, y);
  if (sxx === 0 || syy === 0) return NaN;
  // Clamp: rounding can push |r| a hair above 1 for perfectly collinear data.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's rank correlation ρ: Pearson's r of the average ranks of `x` and `y`.
 * Returns `NaN` when either sample is constant.
 * @throws InputError on unequal lengths, n < 2 or a non-finite value.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "spearman");
  if (x.length < 2) throw new InputError(`spearman needs n ≥ 2 paired values; got n = ${x.length}`);
  checkFinite(x, "x", "spearman");
  checkFinite(y, "y", "spearman");
  return pearsonUnchecked(rank(x), rank(y));
}
