/**
 * One entry point for every alignment metric, by the paper's names (platonic-rep
 * `AlignmentMetrics.measure(name, feats_A, feats_B, **kw)`), plus layer-wise helpers, chance
 * levels and the shuffled-pairs control.
 *
 * Protocol (LCO-Embedding `Analysis/kernel_alignment.py` `__main__`): rows are L2-normalised,
 * then the metric is computed; k = 10 for kNN metrics; layer-wise = same layer in both stacks.
 * @module
 */
import type { Matrix, MatrixLike, NdArray } from "../array";
import { InputError } from "../array";
import { permutation, rng as makeRng } from "../random";
import type { CkaOptions } from "./cka";
import { cka, cknnaFromLists, unbiasedCka } from "./cka";
import type { KnnLists } from "./knn";
import {
  cycleKnnFromLists, editDistanceKnnFromLists, knnLists, lcsKnnFromLists, mutualKnnFromLists, permuteLists,
} from "./knn";
import { checkK, checkPaired, checkUnbiasedRows, prepareFeats, toLayerList } from "./prepare";
import { svcca } from "./svcca";

/** The metric names of the paper's code. */
export type MetricName =
  | "mutual_knn" | "cycle_knn" | "lcs_knn" | "edit_distance_knn"
  | "cka" | "unbiased_cka" | "cknna" | "svcca";

/** Every supported metric, in the reference's order of kinds (kNN first). */
export const METRICS: readonly MetricName[] = [
  "mutual_knn", "cycle_knn", "lcs_knn", "edit_distance_knn", "cka", "unbiased_cka", "cknna", "svcca",
];

const KNN_METRICS = new Set<MetricName>(["mutual_knn", "cycle_knn", "lcs_knn", "edit_distance_knn", "cknna"]);

/** Options of {@link measure} (each metric reads the ones it needs). */
export interface MeasureOptions extends CkaOptions {
  /** Neighbours for the kNN metrics and CKNNA. Default 10 (the paper's setting). */
  k?: number;
  /** SVCCA: number of canonical pairs. Default 10. */
  ccaDim?: number;
  /** SVCCA: seed of the randomised SVD (used when min(n, d) > 256). Default 0. */
  seed?: number;
}

function checkMetric(metric: unknown): MetricName {
  if (!(METRICS as readonly unknown[]).includes(metric)) {
    throw new InputError(`unknown metric "${String(metric)}"; expected one of ${METRICS.join(", ")}`);
  }
  return metric as MetricName;
}

/** Whether a metric is computed from kNN lists. */
export function isKnnMetric(metric: MetricName): boolean {
  return KNN_METRICS.has(metric);
}

function combineLists(metric: MetricName, a: KnnLists, b: KnnLists): number {
  switch (metric) {
    case "mutual_knn": return mutualKnnFromLists(a, b);
    case "cycle_knn": return cycleKnnFromLists(a, b);
    case "lcs_knn": return lcsKnnFromLists(a, b);
    case "edit_distance_knn": return editDistanceKnnFromLists(a, b);
    case "cknna": return cknnaFromLists(a, b);
    default: throw new Error(`${metric} is not a kNN metric`);
  }
}

/** Prepared (validated, normalised) kNN lists of one matrix for a kNN metric. */
function listsFor(metric: MetricName, m: Matrix, opts: MeasureOptions): KnnLists {
  const k = opts.k ?? 10;
  if (metric === "cknna") {
    checkUnbiasedRows(m.rows, "cknna");
    checkK(k, m.rows, 2, "cknna");
  } else checkK(k, m.rows, 1, metric);
  return knnLists(m, k, opts);
}

/**
 * Compute one alignment metric between paired features.
 * @param metric one of {@link METRICS}
 * @param A `[n, dA]`, B `[n, dB]`: row i of both describes the same item.
 * @param opts `k` (default 10), `kernel`/`rbfSigma` (CKA), `ccaDim`/`seed` (SVCCA), block options.
 * @returns the score; see each metric's function for its range. Compare with
 *   {@link chanceLevel} or {@link shuffledPairsControl}.
 */
export function measure(metric: MetricName, A: MatrixLike, B: MatrixLike, opts: MeasureOptions = {}): number {
  const name = checkMetric(metric);
  if (isKnnMetric(name)) {
    const a = prepareFeats(A, "A", opts.normalize ?? true);
    const b = prepareFeats(B, "B", opts.normalize ?? true);
    checkPaired(a, b);
    return combineLists(name, listsFor(name, a, opts), listsFor(name, b, opts));
  }
  if (name === "cka") return cka(A, B, opts);
  if (name === "unbiased_cka") return unbiasedCka(A, B, opts);
  return svcca(A, B, opts);
}

/**
 * Layer-wise alignment (the paper's "layer_wise" mode): `measure(metric, A[l], B[l])` for every l.
 * @param A, B layer stacks `[L, n, d]` (NdArray) or L matrices; same L and n.
 * @returns `L` scores.
 */
export function measureByLayer(
  metric: MetricName, A: NdArray | readonly Matrix[], B: NdArray | readonly Matrix[], opts: MeasureOptions = {},
): number[] {
  const la = toLayerList(A, "A"), lb = toLayerList(B, "B");
  if (la.length !== lb.length) throw new InputError(`layer stacks differ in depth: A has ${la.length} layers, B has ${lb.length}`);
  return la.map((a, l) => measure(metric, a, lb[l], opts));
}

/**
 * All pairs of layers (the reference's "exhaust" mode, and platonic-rep's max-over-layer-pairs):
 * `out[i][j] = measure(metric, A[i], B[j])`. kNN lists are computed once per layer.
 * @returns `[LA][LB]` scores.
 */
export function measureLayerPairs(
  metric: MetricName, A: NdArray | readonly Matrix[], B: NdArray | readonly Matrix[], opts: MeasureOptions = {},
): number[][] {
  const name = checkMetric(metric);
  const la = toLayerList(A, "A"), lb = toLayerList(B, "B");
  if (isKnnMetric(name)) {
    const norm = opts.normalize ?? true;
    const pa = la.map((m, l) => prepareFeats(m, `A[${l}]`, norm));
    const pb = lb.map((m, l) => prepareFeats(m, `B[${l}]`, norm));
    if (pa[0].rows !== pb[0].rows) checkPaired(pa[0], pb[0]);
    const ka = pa.map((m) => { checkPaired(m, pa[0], "A layer", "A layer 0"); return listsFor(name, m, opts); });
    const kb = pb.map((m) => { checkPaired(m, pb[0], "B layer", "B layer 0"); return listsFor(name, m, opts); });
    return ka.map((a) => kb.map((b) => combineLists(name, a, b)));
  }
  return la.map((a) => lb.map((b) => measure(name, a, b, opts)));
}

/**
 * The expected score of unrelated pairings, where it has a closed form that depends only on
 * (n, k). "Unrelated" = B's rows randomly permuted against A's (the shuffled-pairs control).
 *  - `mutual_knn`: k/(n−1), exactly. Under a random permutation, B's neighbour list of item i
 *    is a uniformly random k-subset of the other n−1 items, so the expected overlap with A's
 *    list is k·k/(n−1).
 *  - `unbiased_cka`: 0, exactly. HSIC_u only sees U-centred kernels, whose entries sum to 0, so
 *    averaging the numerator over permutations gives 0, and the denominator does not depend
 *    on the pairing.
 *  - everything else: `null` (the expectation depends on the data, e.g. cycle_knn on how often
 *    each item appears in others' lists; biased CKA on the kernels' traces). Use
 *    {@link shuffledPairsControl}.
 * @param n number of paired items; k neighbours (kNN metrics).
 */
export function chanceLevel(metric: MetricName, n: number, k = 10): number | null {
  const name = checkMetric(metric);
  if (name === "mutual_knn") {
    if (!(Number.isInteger(n) && n >= 2)) throw new InputError(`invalid n; need an integer ≥ 2, got ${n}`);
    checkK(k, n, 1, name);
    return k / (n - 1);
  }
  if (name === "unbiased_cka") return 0;
  return null;
}

/** Result of {@link shuffledPairsControl}. */
export interface ShuffledControl {
  metric: MetricName;
  /** Mean score over the trials: the empirical chance level. */
  mean: number;
  /** Sample standard deviation (n − 1) over trials; 0 for one trial. */
  sd: number;
  /** Per-trial scores. */
  scores: number[];
  /** Number of trials. */
  trials: number;
  /** The seed used. */
  seed: number;
}

/**
 * The shuffled-pairs control: score A against B with B's rows randomly permuted (pairing broken,
 * each modality's own geometry kept), `trials` times. Its mean is the empirical chance level of
 * the metric for *these* data; show it next to every aligned score.
 * Permutations come from `rng(seed)`. For kNN metrics B's lists are computed once and permuted
 * (`permuteLists`), which gives the same result as recomputing except for the order of exact ties.
 * @param opts measure options plus `seed` (required) and `trials` (default 10).
 */
export function shuffledPairsControl(
  metric: MetricName, A: MatrixLike, B: MatrixLike, opts: MeasureOptions & { seed: number; trials?: number },
): ShuffledControl {
  const name = checkMetric(metric);
  const trials = opts.trials ?? 10;
  if (!(Number.isInteger(trials) && trials >= 1)) throw new InputError(`invalid trials; need an integer ≥ 1, got ${trials}`);
  if (!Number.isInteger(opts.seed)) throw new InputError(`invalid seed; need an integer, got ${opts.seed}`);
  const r = makeRng(opts.seed);
  const a = prepareFeats(A, "A", opts.normalize ?? true);
  const b = prepareFeats(B, "B", opts.normalize ?? true);
  checkPaired(a, b);
  const n = a.rows;
  const scores: number[] = [];
  // The normalised matrices are passed on with normalize: false (already unit rows).
  const inner = { ...opts, normalize: false };
  if (isKnnMetric(name)) {
    const la = listsFor(name, a, opts), lb = listsFor(name, b, opts);
    for (let t = 0; t < trials; t++) scores.push(combineLists(name, la, permuteLists(lb, permutation(n, r))));
  } else {
    const d = b.cols;
    for (let t = 0; t < trials; t++) {
      const p = permutation(n, r);
      const data = b.data instanceof Float32Array ? new Float32Array(b.data.length) : new Float64Array(b.data.length);
      for (let i = 0; i < n; i++) data.set(b.data.subarray(p[i] * d, (p[i] + 1) * d), i * d);
      scores.push(measure(name, a, { data, rows: n, cols: d }, { ...inner, seed: opts.seed }));
    }
  }
  const mean = scores.reduce((s, v) => s + v, 0) / trials;
  const sd = trials > 1 ? Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / (trials - 1)) : 0;
  return { metric: name, mean, sd, scores, trials, seed: opts.seed };
}

/** One layer of {@link calibratedByLayer}. */
export interface CalibratedLayer {
  /** The metric on the real pairing. */
  observed: number;
  /** Mean and sample standard deviation of the shuffled-pairs null at this layer. */
  nullMean: number;
  nullSd: number;
  /** `observed − nullMean`: the score above what these data give without pairing. */
  excess: number;
  /** Permutation p-value `(1 + #{null ≥ observed}) / (1 + trials)` (one-sided; never 0). */
  p: number;
}

/** Result of {@link calibratedByLayer}. */
export interface CalibratedByLayer {
  metric: MetricName;
  trials: number;
  seed: number;
  layers: CalibratedLayer[];
  /**
   * The best layer (highest observed score, ties → lower index), with a p-value against the null
   * of the *maximum over layers* of each shuffled trial: choosing the best layer after looking is
   * part of the test, so this p-value stays honest.
   */
  best: { layer: number; observed: number; maxNullMean: number; p: number };
}

/**
 * Calibrate a layer-wise alignment score against its shuffled-pairs null: for every layer the
 * observed score, the null mean and spread over `trials` random pairings, the excess over the
 * null and a permutation p-value; and for the best layer a p-value against the max-over-layers
 * null. Raw kernel-alignment scores grow with width and depth even without pairing, so a before /
 * after comparison should read the calibrated values. The same `trials` permutations are used at
 * every layer ({@link shuffledPairsControl} draws them from `rng(seed)` in the same order), which
 * is what makes the max-over-layers null a null of the whole procedure.
 * @param A, B layer stacks `[L, n, d]` or L matrices, paired row by row.
 * @param opts measure options plus `seed` (required) and `trials` (default 20).
 */
export function calibratedByLayer(
  metric: MetricName, A: NdArray | readonly Matrix[], B: NdArray | readonly Matrix[], opts: MeasureOptions & { seed: number; trials?: number },
): CalibratedByLayer {
  const la = toLayerList(A, "A"), lb = toLayerList(B, "B");
  if (la.length !== lb.length) throw new InputError(`layer stacks differ in depth: A has ${la.length} layers, B has ${lb.length}`);
  if (la.length === 0) throw new InputError("calibratedByLayer needs at least one layer");
  const trials = opts.trials ?? 20;
  const nulls: number[][] = [];
  const layers = la.map((a, l) => {
    const observed = measure(metric, a, lb[l], opts);
    const c = shuffledPairsControl(metric, a, lb[l], { ...opts, trials });
    nulls.push(c.scores);
    const above = c.scores.filter((s) => s >= observed).length;
    return { observed, nullMean: c.mean, nullSd: c.sd, excess: observed - c.mean, p: (1 + above) / (1 + trials) };
  });
  let best = 0;
  layers.forEach((x, l) => {
    if (x.observed > layers[best].observed) best = l;
  });
  const maxNull = Array.from({ length: trials }, (_, t) => Math.max(...nulls.map((s) => s[t])));
  const observed = layers[best].observed;
  return {
    metric: checkMetric(metric),
    trials,
    seed: opts.seed,
    layers,
    best: { layer: best, observed, maxNullMean: maxNull.reduce((s, v) => s + v, 0) / trials, p: (1 + maxNull.filter((s) => s >= observed).length) / (1 + trials) },
  };
}
