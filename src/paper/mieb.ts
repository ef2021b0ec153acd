/**
 * The MIEB-Lite headline numbers (paper-notes §3.2). **Secondary source**: two third-party
 * paper notes that agree where they overlap, not checked against the PDF.
 *
 * @module
 */
import { InputError } from "../array";
import { MIEB_COLUMNS } from "./data";
import type { MiebCategoryRow, MiebMeansRow } from "./data";

/**
 * Mean of the category columns that the notes report (7 of the ~13 MIEB-Lite groups).
 *
 * It is *not* the paper's Mean(51): that one averages 51 tasks, and the groups have different
 * numbers of tasks (e.g. 11 retrieval tasks, 2 clustering tasks), so a mean of category means
 * weights tasks differently; and 6 groups are missing here. Comparing the two is a useful check
 * of what an "average" in a table means.
 */
export function miebShownCategoryMean(row: Pick<MiebCategoryRow, "scores">): number {
  let s = 0;
  for (const c of MIEB_COLUMNS) s += row.scores[c];
  return s / MIEB_COLUMNS.length;
}

/**
 * The gap of each LCO-Emb row to the best baseline on Mean(51) and Mean(en, 47).
 * @returns one entry per LCO-Emb row (`variant === "LCO-Emb"`).
 */
export function miebGapsToBestBaseline(rows: readonly MiebMeansRow[]): {
  model: string;
  bestBaseline: string;
  gapMean51: number;
  gapMeanEn47: number;
}[] {
  const baselines = rows.filter((r) => r.variant !== "LCO-Emb");
  if (baselines.length === 0) throw new InputError("no baseline rows (variant !== \"LCO-Emb\") in the MIEB-Lite table");
  const best = baselines.reduce((a, b) => (b.mean51 > a.mean51 ? b : a));
  const bestEn = Math.max(...baselines.map((b) => b.meanEn47));
  return rows
    .filter((r) => r.variant === "LCO-Emb")
    .map((r) => ({ model: r.model, bestBaseline: best.model, gapMean51: r.mean51 - best.mean51, gapMeanEn47: r.meanEn47 - bestEn }));
}
