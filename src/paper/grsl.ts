/**
 * The Generation–Representation Scaling Law (GRSL) from the paper's published points.
 *
 * The paper's GRSL figure (`assets/scaling.png`) plots, for each backbone, a *generation* score x
 * against the *representation* (embedding) score y after text-only contrastive refinement, in
 * three panels (OCR, video, audio), with a dashed least-squares line. The points were digitised
 * (paper-notes §4.1); the x of every Qwen point can be rebuilt as the unweighted mean of the
 * backbone's published generation-benchmark scores, which is what {@link reconstructGenerativeScore}
 * does, so a new backbone can be added from its model card with {@link addModel}.
 *
 * @module
 */
import { confidenceBand, ols, permutationTest } from "../stats";
import { InputError } from "../array";
import type { BandPoint, OlsFit } from "../stats";
import { PROJECT_ROOT } from "../project";
import { loadGrslComponents, loadGrslPoints } from "./data";
import type { GrslComponentRow, GrslPointRow, Provenance } from "./data";

/** The three GRSL panels in the paper's order. */
export const GRSL_PANELS = ["ocr", "video", "audio"] as const;

/** One point of a GRSL panel. */
export interface GrslModelPoint {
  model: string;
  family: string;
  /** Parameter count (bubble size). */
  nParams: number;
  /** x used for plotting and fitting: the digitised x when there is one, else the reconstructed x. */
  x: number;
  /** Representation score (y axis). */
  y: number;
  /** x read off the figure; `null` for a model added by the user. */
  xDigitised: number | null;
  /** Mean of the published component scores; `null` when the components are not recovered. */
  xReconstructed: number | null;
  /** Benchmark → score used for `xReconstructed`; `null` when not recovered. */
  components: Record<string, number> | null;
  /** Provenance of x/y: `digitised` for the paper's points, `inferred` for user-added ones. */
  provenance: Provenance;
}

/** One GRSL panel: axis labels and its points. */
export interface GrslPanel {
  /** `"ocr"`, `"video"`, `"audio"`. */
  name: string;
  xLabel: string;
  yLabel: string;
  points: GrslModelPoint[];
}

/**
 * The generation score of a backbone as the paper builds it: the **unweighted mean** of its
 * published generation-benchmark scores (paper-notes §4.1: 10 of 10 reconstructed points match
 * the digitised x to ≤ 0.015).
 *
 * @param components benchmark → score (0–100), or a plain list of scores; at least one.
 * @returns the mean, e.g. `(79.8 + 93.3 + 82.8 + 51.7) / 4 = 76.90` for Qwen2.5-Omni-3B (OCR).
 * @throws when there are no components or a score is not a finite number (naming it).
 */
export function reconstructGenerativeScore(components: Record<string, number> | readonly number[]): number {
  const entries: [string, number][] = Array.isArray(components)
    ? (components as readonly number[]).map((v, i) => [String(i), v])
    : Object.entries(components as Record<string, number>);
  if (entries.length === 0) throw new InputError("reconstructGenerativeScore needs at least one component score; got none");
  let sum = 0;
  for (const [name, v] of entries) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InputError(`component ${name} must be a finite number, got ${JSON.stringify(v)}`);
    }
    sum += v;
  }
  return sum / entries.length;
}

/**
 * Assemble the panels from loaded rows (pure; see {@link loadGrslPanels} for the file version).
 * @param points rows of `grsl_points.csv`.
 * @param components rows of `grsl_components.csv`.
 * @returns panels in {@link GRSL_PANELS} order (plus any other panel names, in file order).
 */
export function buildGrslPanels(points: readonly GrslPointRow[], components: readonly GrslComponentRow[]): GrslPanel[] {
  const names: string[] = [...GRSL_PANELS.filter((p) => points.some((r) => r.panel === p))];
  for (const r of points) if (!names.includes(r.panel)) names.push(r.panel);
  return names.map((name) => {
    const rows = points.filter((r) => r.panel === name);
    return {
      name,
      xLabel: rows[0].xLabel,
      yLabel: rows[0].yLabel,
      points: rows.map((r) => {
        const comps = components.filter((c) => c.panel === name && c.model === r.model);
        const rec = comps.length > 0 ? Object.fromEntries(comps.map((c) => [c.benchmark, c.score])) : null;
        return {
          model: r.model,
          family: r.family,
          nParams: r.nParams,
          x: r.xDigitised,
          y: r.yDigitised,
          xDigitised: r.xDigitised,
          xReconstructed: rec ? reconstructGenerativeScore(rec) : null,
          components: rec,
          provenance: r.provenance,
        };
      }),
    };
  });
}

/** Load the three GRSL panels from `data/paper/grsl_points.csv` and `grsl_components.csv`. */
export function loadGrslPanels(root: string = PROJECT_ROOT): GrslPanel[] {
  return buildGrslPanels(loadGrslPoints(root), loadGrslComponents(root));
}

/** One panel by name (`"ocr"`, `"video"`, `"audio"`). */
export function grslPanel(name: string, root: string = PROJECT_ROOT): GrslPanel {
  const p = loadGrslPanels(root).find((q) => q.name === name);
  if (!p) throw new InputError(`unknown GRSL panel ${JSON.stringify(name)}; expected one of ${GRSL_PANELS.join(", ")}`);
  return p;
}

/** One row of the reconstruction table. */
export type ReconstructionRow = {
  panel: string;
  model: string;
  xDigitised: number | null;
  /** `null` when the components are not recovered (LLaVA-Next-8B). */
  xReconstructed: number | null;
  /** reconstructed − digitised; `null` when either is missing. */
  difference: number | null;
  /** The formula as text, e.g. `"(79.8+93.3+82.8+51.7)/4"`, or `"components not recovered"`. */
  formula: string;
};

/** Reconstructed − digitised x for every point of the given panels. */
export function reconstructionTable(panels: readonly GrslPanel[]): ReconstructionRow[] {
  return panels.flatMap((p) =>
    p.points.map((q) => ({
      panel: p.name,
      model: q.model,
      xDigitised: q.xDigitised,
      xReconstructed: q.xReconstructed,
      // Rounded to 1e-6 so float noise (e.g. -1.4e-14) does not show up as a "difference".
      difference: q.xDigitised !== null && q.xReconstructed !== null ? Math.round((q.xReconstructed - q.xDigitised) * 1e6) / 1e6 : null,
      formula: q.components
        ? `(${Object.values(q.components).join("+")})/${Object.keys(q.components).length}`
        : "components not recovered",
    })),
  );
}

/** Options of {@link fitGrslPanel}. */
export interface GrslFitOptions {
  /** Confidence level of the intervals and the band. Default `0.95`. */
  level?: number;
  /** Fit on the reconstructed x where available (else the digitised x). Default `false`: the digitised x, as plotted. */
  useReconstructed?: boolean;
  /** Number of x values of the band grid. Default `50`. */
  bandPoints?: number;
}

/** The fit of one GRSL panel. */
export interface GrslFit {
  panel: string;
  /** The OLS fit from `src/stats` (slope, intercept, SEs, CIs, R², Pearson, Spearman, n, df). */
  fit: OlsFit;
  /** x values used in the fit, in point order. */
  x: number[];
  y: number[];
  /** Pointwise confidence band of the mean response over the data's x range (lo/hi `NaN` when n = 2). */
  band: BandPoint[];
  /** Exact two-sided permutation p-value of Pearson's r (see {@link exactPermutationPValue}). */
  permutationP: number;
  /** Number of orderings enumerated (n!). */
  permutations: number;
  /** True when n = 2: any two points with distinct x lie exactly on a line, so R² = 1 says nothing. */
  exactByConstruction: boolean;
}

/**
 * Exact two-sided permutation p-value of Pearson's r: the share of all n! pairings of y with x
 * whose |r| is at least the observed |r| (the observed pairing included). A thin wrapper over
 * `stats.permutationTest`, which enumerates every ordering when n! is small.
 *
 * Why exact rather than random shuffles: with n = 5 there are only 120 pairings, so we can list
 * them all, and the answer has no Monte-Carlo noise. It also shows the floor directly: the
 * observed pairing always counts, so p ≥ 1/n!. With n = 4 that floor is 1/24 ≈ 0.042 (and 2/24
 * when the points lie exactly on a line, because the reversed pairing then reaches |r| = 1 too);
 * with n = 2 both pairings have |r| = 1 and p = 1: two points carry no evidence of a trend.
 *
 * @param x, y paired values, 2 ≤ n ≤ 9 (9! = 362,880 pairings).
 * @returns `{p, permutations}`.
 */
export function exactPermutationPValue(x: readonly number[], y: readonly number[]): { p: number; permutations: number } {
  const n = x.length;
  if (y.length !== n) throw new InputError(`x and y must have the same length; got ${n} and ${y.length}`);
  if (n < 2 || n > 9) throw new InputError(`exact permutation test needs 2 ≤ n ≤ 9; got n = ${n}`);
  // nPerm = 9! makes permutationTest enumerate every ordering for all n ≤ 9 (the seed is unused then).
  const t = permutationTest(x, y, { seed: 0, statistic: "pearson", alternative: "two-sided", nPerm: 362_880 });
  return { p: t.pValue, permutations: t.nPerm };
}

/**
 * Fit `y = a·x + b` on one panel by OLS (`src/stats`), with the 95 % confidence band and the
 * exact permutation p-value.
 *
 * On the published points this gives (paper-notes §4.2) OCR a = 0.4246, b = 38.866, R² = 0.812,
 * r = 0.901, ρ = 0.900 (n = 5); video 1.5458 / −66.025 / 0.834 / 0.914 / 1.000 (n = 4); audio
 * 0.1184 / 15.922 with n = 2, where the line is exact by construction.
 *
 * @param panel a panel from {@link loadGrslPanels} or {@link addModel}.
 * @param opts see {@link GrslFitOptions}.
 */
export function fitGrslPanel(panel: GrslPanel, opts: GrslFitOptions = {}): GrslFit {
  const level = opts.level ?? 0.95;
  const nBand = opts.bandPoints ?? 50;
  if (!(Number.isInteger(nBand) && nBand >= 2)) throw new InputError(`invalid bandPoints; need an integer ≥ 2, got ${nBand}`);
  const x = panel.points.map((p) => (opts.useReconstructed && p.xReconstructed !== null ? p.xReconstructed : p.x));
  const y = panel.points.map((p) => p.y);
  const fit = ols(x, y, { level });
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  const grid = Array.from({ length: nBand }, (_, i) => lo + ((hi - lo) * i) / (nBand - 1));
  const band = confidenceBand(fit, grid, { level });
  const perm = exactPermutationPValue(x, y);
  return {
    panel: panel.name,
    fit,
    x,
    y,
    band,
    permutationP: perm.p,
    permutations: perm.permutations,
    exactByConstruction: fit.n === 2,
  };
}

/** A new backbone to place on a panel. */
export interface NewGrslModel {
  name: string;
  /** Its published generation-benchmark scores (benchmark → score); x is their mean. */
  components: Record<string, number>;
  /** Its representation score on the panel's y metric (measured after the same text-only refinement). */
  representationScore: number;
  /** Parameter count (bubble size). */
  nParams: number;
  /** Model family label; default `"user"`. */
  family?: string;
}

/**
 * Append a new model to a panel (returning a new panel; the input is not modified) and refit.
 *
 * For the new point to be comparable, its components should be the same benchmarks as the
 * panel's other points (e.g. TextVQA_val, DocVQA_test, ChartQA_avg, OCRBench-V2_en for OCR); a
 * warning string is returned when they differ.
 *
 * @returns `{panel, fit, warnings}`; `fit.fit.n` is one more than before.
 * @throws when the name is already on the panel or a number is not finite (naming it).
 */
export function addModel(
  panel: GrslPanel,
  model: NewGrslModel,
  opts: GrslFitOptions = {},
): { panel: GrslPanel; fit: GrslFit; warnings: string[] } {
  if (panel.points.some((p) => p.model === model.name)) {
    throw new InputError(`model ${JSON.stringify(model.name)} is already on the ${panel.name} panel`);
  }
  if (!Number.isFinite(model.representationScore)) {
    throw new InputError(`representationScore must be a finite number, got ${model.representationScore}`);
  }
  if (!(Number.isFinite(model.nParams) && model.nParams > 0)) {
    throw new InputError(`nParams must be a positive number, got ${model.nParams}`);
  }
  const x = reconstructGenerativeScore(model.components);
  const warnings: string[] = [];
  const ref = panel.points.find((p) => p.components !== null)?.components;
  if (ref) {
    const want = Object.keys(ref).sort().join(", ");
    const got = Object.keys(model.components).sort().join(", ");
    if (want !== got) warnings.push(`components [${got}] differ from the panel's [${want}]; the x scores may not be comparable`);
  }
  const next: GrslPanel = {
    ...panel,
    points: [
      ...panel.points,
      {
        model: model.name,
        family: model.family ?? "user",
        nParams: model.nParams,
        x,
        y: model.representationScore,
        xDigitised: null,
        xReconstructed: x,
        components: { ...model.components },
        provenance: "inferred",
      },
    ],
  };
  return { panel: next, fit: fitGrslPanel(next, opts), warnings };
}
