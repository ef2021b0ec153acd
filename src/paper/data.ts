/**
 * Loaders for the paper's published numbers in `data/paper/` (typed rows).
 *
 * Every row carries a `provenance` tag from `paper-notes.md` §0 (`read`, `digitised`,
 * `verified`, `secondary`, `inferred`) and a `source` (a path in the official repo
 * `LCO-Embedding/LCO-Embedding`, a figure name, or a secondary note), so a chapter can always
 * say where a number comes from. See `data/paper/README.md`.
 *
 * @module
 */
import { InputError } from "../array";
import * as fs from "node:fs";
import * as path from "node:path";
import Papa from "papaparse";
import { PROJECT_ROOT, projectPath } from "../project";

/** How a number was obtained (paper-notes §0). */
export type Provenance = "read" | "digitised" | "verified" | "secondary" | "inferred";

const PROVENANCE: readonly Provenance[] = ["read", "digitised", "verified", "secondary", "inferred"];


/** Relative paths (from the project root) of the paper-track data files. */
export const PAPER_FILES = {
  grslPoints: "data/paper/grsl_points.csv",
  grslComponents: "data/paper/grsl_components.csv",
  trainingStrategies: "data/paper/training_strategies.csv",
  miebLiteMeans: "data/paper/mieb_lite_means.csv",
  miebLiteCategories: "data/paper/mieb_lite_categories.csv",
  theoryGrid: "data/paper/theory_grid.json",
} as const;


/** Parse a CSV file (header row) into string records; empty cells become `""`. */
export function readCsv(rel: string, root: string = PROJECT_ROOT): Record<string, string>[] {
  const file = projectPath(rel, root);
  if (!fs.existsSync(file)) throw new InputError(`paper data file not found: ${file}`);
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(file, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0];
    throw new InputError(`cannot parse ${rel}: ${e.message} (row ${e.row})`);
  }
  return parsed.data;
}

/** A required finite number from a CSV cell; the message names file, row and column. */
function num(rec: Record<string, string>, col: string, where: string): number {
  const v = Number(rec[col]);
  if (rec[col] === undefined || rec[col] === "" || !Number.isFinite(v)) {
    throw new InputError(`${where}: column ${col} must be a number, got ${JSON.stringify(rec[col])}`);
  }
  return v;
}

/** An optional number: `null` for an empty cell. */
function optNum(rec: Record<string, string>, col: string, where: string): number | null {
  return rec[col] === undefined || rec[col] === "" ? null : num(rec, col, where);
}

function prov(rec: Record<string, string>, where: string): Provenance {
  const p = rec.provenance as Provenance;
  if (!PROVENANCE.includes(p)) {
    throw new InputError(`${where}: provenance must be one of ${PROVENANCE.join(" / ")}, got ${JSON.stringify(rec.provenance)}`);
  }
  return p;
}

/** One plotted point of the GRSL figure (`assets/scaling.png`), as digitised. */
export interface GrslPointRow {
  /** `"ocr"`, `"video"` or `"audio"`. */
  panel: string;
  model: string;
  /** `"qwen2.5-vl"`, `"qwen2.5-omni"`, `"llava"`. */
  family: string;
  /** Nominal parameter count from the model name (3e9, 7e9, 8e9), used for the bubble size. */
  nParams: number;
  /** Generation score read off the figure (±0.05). */
  xDigitised: number;
  /** Representation score read off the figure (±0.05). */
  yDigitised: number;
  xLabel: string;
  yLabel: string;
  provenance: Provenance;
  source: string;
  note: string;
}

/** One published generation-benchmark score of a backbone, used to rebuild the GRSL x. */
export interface GrslComponentRow {
  panel: string;
  model: string;
  benchmark: string;
  score: number;
  provenance: Provenance;
  source: string;
  note: string;
}

/** Load `data/paper/grsl_points.csv`. */
export function loadGrslPoints(root: string = PROJECT_ROOT): GrslPointRow[] {
  return readCsv(PAPER_FILES.grslPoints, root).map((r, i) => {
    const where = `${PAPER_FILES.grslPoints} row ${i + 1}`;
    return {
      panel: r.panel,
      model: r.model,
      family: r.family,
      nParams: num(r, "nParams", where),
      xDigitised: num(r, "x_digitised", where),
      yDigitised: num(r, "y_digitised", where),
      xLabel: r.x_label,
      yLabel: r.y_label,
      provenance: prov(r, where),
      source: r.source,
      note: r.note ?? "",
    };
  });
}

/** Load `data/paper/grsl_components.csv`. */
export function loadGrslComponents(root: string = PROJECT_ROOT): GrslComponentRow[] {
  return readCsv(PAPER_FILES.grslComponents, root).map((r, i) => {
    const where = `${PAPER_FILES.grslComponents} row ${i + 1}`;
    return {
      panel: r.panel,
      model: r.model,
      benchmark: r.benchmark,
      score: num(r, "score", where),
      provenance: prov(r, where),
      source: r.source,
      note: r.note ?? "",
    };
  });
}

/** The six category columns of the training-strategy table, in the paper's order. */
export const TRAINING_COLUMNS = [
  "multilingual_image_retrieval",
  "vsts_en",
  "vsts_cross",
  "vsts_multi",
  "doc_understanding",
  "linear_probe",
] as const;

/** A category column of the training-strategy table. */
export type TrainingColumn = (typeof TRAINING_COLUMNS)[number];

/** Display names of {@link TRAINING_COLUMNS}. */
export const TRAINING_COLUMN_LABELS: Record<TrainingColumn, string> = {
  multilingual_image_retrieval: "Multiling. img retrieval",
  vsts_en: "V-STS en",
  vsts_cross: "V-STS cross",
  vsts_multi: "V-STS multi",
  doc_understanding: "Doc. understanding",
  linear_probe: "Linear probe",
};

/** One row of the training-strategy ablation (paper-notes §2.2, `assets/lora_ablation.png`). */
export interface TrainingRow {
  backbone: string;
  /** `"no training"`, `"CLIP-style CL"`, `"linear projection"`, `"full fine-tune"`, `"LoRA"`. */
  strategy: string;
  /** `"multimodal"`, `"text-only"` or `""` (untrained). */
  trainedOn: string;
  /** Training cost in GPU-hours; `null` for the untrained rows. */
  gpuHours: number | null;
  /** Category scores (MIEB-"Sub18" category means, 0–100). */
  scores: Record<TrainingColumn, number>;
  /** The Avg column as printed in the paper. */
  avgPrinted: number;
  provenance: Provenance;
  source: string;
}

/** Load `data/paper/training_strategies.csv`. */
export function loadTrainingStrategies(root: string = PROJECT_ROOT): TrainingRow[] {
  return readCsv(PAPER_FILES.trainingStrategies, root).map((r, i) => {
    const where = `${PAPER_FILES.trainingStrategies} row ${i + 1}`;
    const scores = {} as Record<TrainingColumn, number>;
    for (const c of TRAINING_COLUMNS) scores[c] = num(r, c, where);
    return {
      backbone: r.backbone,
      strategy: r.strategy,
      trainedOn: r.trained_on ?? "",
      gpuHours: optNum(r, "gpu_hours", where),
      scores,
      avgPrinted: num(r, "avg_printed", where),
      provenance: prov(r, where),
      source: r.source,
    };
  });
}

/** One row of the headline MIEB-Lite means (paper-notes §3.2, secondary source). */
export interface MiebMeansRow {
  model: string;
  /** `"baseline"` or `"LCO-Emb"`. */
  variant: string;
  trainData: string;
  /** Mean over the 51 MIEB-Lite tasks. */
  mean51: number;
  /** Mean over the 47 English tasks. */
  meanEn47: number;
  provenance: Provenance;
  source: string;
}

/** Load `data/paper/mieb_lite_means.csv`. */
export function loadMiebLiteMeans(root: string = PROJECT_ROOT): MiebMeansRow[] {
  return readCsv(PAPER_FILES.miebLiteMeans, root).map((r, i) => {
    const where = `${PAPER_FILES.miebLiteMeans} row ${i + 1}`;
    return {
      model: r.model,
      variant: r.variant,
      trainData: r.train_data ?? "",
      mean51: num(r, "mean_51", where),
      meanEn47: num(r, "mean_en_47", where),
      provenance: prov(r, where),
      source: r.source,
    };
  });
}

/** The category columns of the MIEB-Lite per-category table (the subset the notes report). */
export const MIEB_COLUMNS = [
  "retrieval_en",
  "clustering",
  "zero_shot",
  "linear_probe",
  "compositionality",
  "doc_understanding",
  "vsts_en",
] as const;

/** A category column of the MIEB-Lite table. */
export type MiebColumn = (typeof MIEB_COLUMNS)[number];

/** Display names of {@link MIEB_COLUMNS}. */
export const MIEB_COLUMN_LABELS: Record<MiebColumn, string> = {
  retrieval_en: "Retrieval (en)",
  clustering: "Clustering",
  zero_shot: "Zero-shot cls.",
  linear_probe: "Linear probe",
  compositionality: "Compositionality",
  doc_understanding: "Doc. understanding",
  vsts_en: "V-STS (en)",
};

/** One row of the MIEB-Lite per-category table. */
export interface MiebCategoryRow {
  model: string;
  scores: Record<MiebColumn, number>;
  mean51: number;
  provenance: Provenance;
  source: string;
}

/** Load `data/paper/mieb_lite_categories.csv`. */
export function loadMiebLiteCategories(root: string = PROJECT_ROOT): MiebCategoryRow[] {
  return readCsv(PAPER_FILES.miebLiteCategories, root).map((r, i) => {
    const where = `${PAPER_FILES.miebLiteCategories} row ${i + 1}`;
    const scores = {} as Record<MiebColumn, number>;
    for (const c of MIEB_COLUMNS) scores[c] = num(r, c, where);
    return { model: r.model, scores, mean51: num(r, "mean_51", where), provenance: prov(r, where), source: r.source };
  });
}

/** Parameters of the theory-bound charts (`data/paper/theory_grid.json`). */
export interface TheoryGrid {
  /** InfoNCE candidates per anchor, N. */
  nCandidates: number;
  /** Contrastive training pairs, n. */
  nPairs: number;
  /** PAC-Bayes confidence parameter δ. */
  delta: number;
  /** KL(Q‖P) values (nats), one curve each. */
  kl: number[];
  /** Grid of I_P(X;Y) values (nats). */
  mutualInfo: { from: number; to: number; step: number };
  /** KL values offered by the slider figure. */
  klSlider: number[];
}

/** Load `data/paper/theory_grid.json`. */
export function loadTheoryGrid(root: string = PROJECT_ROOT): TheoryGrid {
  const file = projectPath(PAPER_FILES.theoryGrid, root);
  const g = JSON.parse(fs.readFileSync(file, "utf8")) as TheoryGrid;
  for (const key of ["nCandidates", "nPairs", "delta"] as const) {
    if (!Number.isFinite(g[key])) throw new InputError(`${PAPER_FILES.theoryGrid}: ${key} must be a number, got ${JSON.stringify(g[key])}`);
  }
  return g;
}
