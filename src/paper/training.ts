/**
 * The training-strategy ablation (paper-notes §2.2): recompute the Avg column from the six
 * category columns and flag what does not add up.
 *
 * Two things in the published table are worth a student's attention, and both are found by
 * code rather than by eye:
 * - the 7B "CLIP-style CL" row prints Avg 50.02, but its six columns average to 51.68;
 * - the two untrained rows (3B and 7B) share four identical values (V-STS en, V-STS cross,
 *   Doc. understanding, Linear probe), which two different backbones would be unlikely to score
 *   to two decimals; probably a copy error in the table.
 *
 * @module
 */
import { InputError } from "../array";
import { TRAINING_COLUMNS } from "./data";
import type { TrainingColumn, TrainingRow } from "./data";

/** A training row with its recomputed average. */
export interface TrainingRowChecked extends TrainingRow {
  /** Unweighted mean of the six category columns. */
  avgRecomputed: number;
  /** printed − recomputed. */
  avgDifference: number;
  /** True when |printed − recomputed| exceeds the tolerance. */
  avgMismatch: boolean;
}

/** An inconsistency found in the table. */
export type TrainingFlag =
  | {
      kind: "average-mismatch";
      backbone: string;
      strategy: string;
      printed: number;
      recomputed: number;
      message: string;
    }
  | {
      kind: "identical-columns";
      rows: [string, string];
      columns: TrainingColumn[];
      values: number[];
      message: string;
    };

/** Options of {@link checkTrainingTable}. */
export interface TrainingCheckOptions {
  /**
   * Largest |printed − recomputed| Avg still accepted. Default `0.006`: the printed Avg is
   * rounded to 2 decimals (±0.005) and its inputs are rounded too, so a correct row can be off by
   * a few thousandths.
   */
  tolerance?: number;
  /** Flag two rows of different backbones that share at least this many identical columns. Default `3`. */
  minIdenticalColumns?: number;
}

/** Unweighted mean of the six category columns of one row. */
export function trainingAverage(row: Pick<TrainingRow, "scores">): number {
  let s = 0;
  for (const c of TRAINING_COLUMNS) s += row.scores[c];
  return s / TRAINING_COLUMNS.length;
}

/** A short label for a row, e.g. `"Qwen2.5-VL-7B + CLIP-style CL"`. */
export function trainingRowLabel(row: Pick<TrainingRow, "backbone" | "strategy">): string {
  return row.strategy === "no training" ? `${row.backbone} (no training)` : `${row.backbone} + ${row.strategy}`;
}

/**
 * Recompute every Avg and flag the inconsistencies.
 * @returns `rows` (each with `avgRecomputed`, `avgDifference`, `avgMismatch`) and `flags`.
 */
export function checkTrainingTable(
  rows: readonly TrainingRow[],
  opts: TrainingCheckOptions = {},
): { rows: TrainingRowChecked[]; flags: TrainingFlag[] } {
  const tol = opts.tolerance ?? 0.006;
  const minSame = opts.minIdenticalColumns ?? 3;
  if (!(tol >= 0)) throw new InputError(`invalid tolerance; need ≥ 0, got ${tol}`);
  const flags: TrainingFlag[] = [];
  const checked = rows.map((r) => {
    const avg = trainingAverage(r);
    const diff = r.avgPrinted - avg;
    const mismatch = Math.abs(diff) > tol;
    if (mismatch) {
      flags.push({
        kind: "average-mismatch",
        backbone: r.backbone,
        strategy: r.strategy,
        printed: r.avgPrinted,
        recomputed: avg,
        message: `${trainingRowLabel(r)}: printed Avg ${r.avgPrinted.toFixed(2)}, but the six columns average to ${avg.toFixed(2)} (difference ${diff.toFixed(2)})`,
      });
    }
    return { ...r, avgRecomputed: avg, avgDifference: diff, avgMismatch: mismatch };
  });
  // Rows of *different* backbones should not agree to two decimals on many columns.
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      if (rows[i].backbone === rows[j].backbone) continue;
      const same = TRAINING_COLUMNS.filter((c) => rows[i].scores[c] === rows[j].scores[c]);
      if (same.length >= minSame) {
        const a = trainingRowLabel(rows[i]);
        const b = trainingRowLabel(rows[j]);
        flags.push({
          kind: "identical-columns",
          rows: [a, b],
          columns: same,
          values: same.map((c) => rows[i].scores[c]),
          message: `${a} and ${b} share ${same.length} identical values (${same.map((c) => `${c} = ${rows[i].scores[c]}`).join(", ")}); probably a copy error in the table`,
        });
      }
    }
  }
  return { rows: checked, flags };
}

/** Cost-effectiveness of one trained row against its backbone's untrained row. */
export type TrainingGain = {
  label: string;
  backbone: string;
  strategy: string;
  gpuHours: number;
  /** recomputed Avg − untrained recomputed Avg (points). */
  gain: number;
  /** gain / gpuHours. */
  gainPerGpuHour: number;
};

/**
 * Gain over the untrained baseline (recomputed averages) and gain per GPU-hour for every trained
 * row. Rows without GPU-hours (the baselines) are skipped.
 */
export function trainingGains(rows: readonly TrainingRow[]): TrainingGain[] {
  const out: TrainingGain[] = [];
  for (const r of rows) {
    if (r.gpuHours === null) continue;
    const base = rows.find((b) => b.backbone === r.backbone && b.gpuHours === null);
    if (!base) throw new InputError(`no untrained baseline row for backbone ${r.backbone}`);
    const gain = trainingAverage(r) - trainingAverage(base);
    out.push({ label: trainingRowLabel(r), backbone: r.backbone, strategy: r.strategy, gpuHours: r.gpuHours, gain, gainPerGpuHour: gain / r.gpuHours });
  }
  return out;
}
