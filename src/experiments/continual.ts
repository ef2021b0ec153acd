/**
 * P5, continual generative pretraining for a low-resource script: the results format and its
 * analysis (the runs themselves need the refinement loop and come later).
 *
 * The paper (SeaDoc, secondary source): continual generative pretraining on OCR-style reading of
 * low-resource documents, before text-only contrastive refinement, raises document retrieval over
 * refinement alone; mixing general captions into that stage helps further. Our arms, each over
 * ≥ 3 seeds of the same base model:
 * - `refine`: text-only refinement alone;
 * - `continual`: continual pretraining alone (no refinement);
 * - `continual+refine`: both;
 * - `control+refine`: the equal-compute control, the same extra steps on the original mixture,
 *   then the same refinement.
 * Metric: text query → document image retrieval, nDCG@10 (upstream's SeaDoc metric) and R@1.
 *
 * @module
 */
import { InputError } from "../array";
import { meanCI, type MeanCI } from "../stats";
import type { MixtureConfig } from "../organism/config";
import type { PretrainResult, PretrainSpec } from "../organism/family";

export const CONTINUAL_FORMAT = "lco-continual v1";
export const CONTINUAL_ARMS = ["refine", "continual", "continual+refine", "control+refine"] as const;
export type ContinualArm = (typeof CONTINUAL_ARMS)[number];

/** One arm × seed. */
export interface ContinualRow {
  arm: ContinualArm;
  seed: number;
  /** Text → document-image nDCG@10 on the low-resource-script gallery. */
  ndcgAt10: number;
  recallAt1: number;
}

/** The P5 results (what `experiments/continual` writes). */
export interface ContinualResults {
  format: typeof CONTINUAL_FORMAT;
  profile: string;
  /** Base model, continual steps, mixture, refinement, as text for captions. */
  setup: string;
  /** Chance nDCG@10 and R@1 of a random ranking on the same gallery. */
  chance: { ndcgAt10: number; recallAt1: number };
  rows: ContinualRow[];
}

/** Paired-by-seed difference of two arms on one metric. */
export interface PairedDifference {
  a: ContinualArm;
  b: ContinualArm;
  metric: "ndcgAt10" | "recallAt1";
  /** Seeds present in both arms. */
  seeds: number[];
  /** Mean of (a − b) over those seeds with its t-interval. */
  diff: MeanCI;
  /** Seeds where a > b. */
  wins: number;
}

/**
 * The difference a − b on `metric`, paired by seed (each seed shares the base model, so pairing
 * removes the seed-to-seed spread of the base).
 * @throws InputError when the arms share no seed.
 */
export function pairedDifference(results: ContinualResults, a: ContinualArm, b: ContinualArm, metric: "ndcgAt10" | "recallAt1" = "ndcgAt10"): PairedDifference {
  const of = (arm: ContinualArm) => new Map(results.rows.filter((r) => r.arm === arm).map((r) => [r.seed, r[metric]]));
  const ma = of(a), mb = of(b);
  const seeds = [...ma.keys()].filter((s) => mb.has(s)).sort((x, y) => x - y);
  if (seeds.length === 0) throw new InputError(`arms "${a}" and "${b}" share no seed`);
  const d = seeds.map((s) => ma.get(s)! - mb.get(s)!);
  return { a, b, metric, seeds, diff: meanCI(d), wins: d.filter((v) => v > 0).length };
}

/** Check the shape of a results object read from a file. */
export function checkContinualResults(j: unknown, where = "continual results"): ContinualResults {
  const r = j as Partial<ContinualResults>;
  if (!r || r.format !== CONTINUAL_FORMAT) throw new InputError(`${where}: expected format "${CONTINUAL_FORMAT}", got ${JSON.stringify(r?.format)}`);
  if (!Array.isArray(r.rows)) throw new InputError(`${where}: "rows" must be an array`);
  r.rows.forEach((row, i) => {
    if (!(CONTINUAL_ARMS as readonly string[]).includes(row.arm)) throw new InputError(`${where}: rows[${i}].arm is "${row.arm}"; expected one of ${CONTINUAL_ARMS.join(", ")}`);
    for (const k of ["ndcgAt10", "recallAt1"] as const) {
      if (!(row[k] >= 0 && row[k] <= 1)) throw new InputError(`${where}: rows[${i}].${k} is ${row[k]}; need [0, 1]`);
    }
  });
  return r as ContinualResults;
}

/** Options of {@link continualSpec}. */
export interface ContinualSpecOptions {
  /** Continual steps. */
  numSteps: number;
  /** Document-reading sequences per step. Default: the parent size's image + document captioning count (about the same batch). */
  documents?: number;
  /** General image-caption sequences mixed in per step (the paper's "general captions help"). Default 0. */
  generalCaptions?: number;
  /** Parent checkpoint step. Default: the parent's last. */
  step?: number;
}

/**
 * The pretraining spec of a continual-pretraining run: start from `parent` (seed `seed`) with a
 * fresh optimiser, on documents written in the low-resource script, read out OCR-style (document →
 * its Latin caption), optionally with general image captions mixed in. Nothing else in the
 * mixture: no text LM, no instructions.
 * @param baseMixture the parent's mixture (`organism.specConfig(parent, vocab).mixture`), for the default batch size.
 */
export function continualSpec(parent: PretrainSpec, seed: number, baseMixture: MixtureConfig, opts: ContinualSpecOptions): PretrainSpec {
  if (!(Number.isInteger(opts.numSteps) && opts.numSteps >= 1)) throw new InputError(`invalid numSteps; need an integer ≥ 1, got ${opts.numSteps}`);
  const documents = opts.documents ?? baseMixture.caption.document + baseMixture.caption.image;
  const general = opts.generalCaptions ?? 0;
  for (const [k, v] of [["documents", documents], ["generalCaptions", general]] as const) {
    if (!(Number.isInteger(v) && v >= 0)) throw new InputError(`invalid ${k}; need an integer ≥ 0, got ${v}`);
  }
  if (documents === 0) throw new InputError("continual pretraining needs documents > 0");
  const zero = Object.fromEntries(Object.keys(baseMixture.instruct).map((k) => [k, 0])) as MixtureConfig["instruct"];
  const captionZero = Object.fromEntries(Object.keys(baseMixture.caption).map((k) => [k, 0])) as MixtureConfig["caption"];
  return {
    ...parent,
    numSteps: opts.numSteps,
    documentScript: "lowres",
    parent: { spec: parent, seed, ...(opts.step !== undefined ? { step: opts.step } : {}) },
    mixture: { caption: { ...captionZero, document: documents, image: general }, textLm: 0, instruct: zero },
  };
}

/** The document generative score of a pretraining result at checkpoint index `i` (0 = its start; −1 = its end) on `split`. */
export function documentScore(result: Pick<PretrainResult, "checkpoints">, i: number, split: "iid" | "ood" = "iid"): number {
  const c = result.checkpoints.at(i);
  if (!c) throw new InputError(`no checkpoint at index ${i}; the run has ${result.checkpoints.length}`);
  const m = c[split].byModality.find((b) => b.modality === "document");
  if (!m) throw new InputError("the run has no document evaluation");
  return m.score;
}
