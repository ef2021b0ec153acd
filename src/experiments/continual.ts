/**
 * P5, continual generative pretraining for a low-resource script: the results format and its
 * analysis, and the run (`runContinual`, `lco experiment continual`).
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
 * The diagnosis beside it: the reading (OCR-style generative) score of the base model before and
 * after the continual stage, with the control and a random initialisation, on the gallery's
 * documents, so a null retrieval result can be told apart from a stage that taught no reading.
 *
 * @module
 */
import { InputError } from "../array";
import { definePreset, resolveConfig, type Overrides, type Profile } from "../config";
import { retrievalChance } from "../retrieval/retrieval";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectPath } from "../project";
import { configHash, runOrLoad, runsRoot } from "../runs";
import { meanCI, meanCIText, type MeanCI } from "../stats";
import type { MixtureConfig } from "../organism/config";
import type { OrganismData, OrganismItem } from "../organism/data";
import { loadOrganism, readRunConfig } from "../organism/checkpoint";
import { pretrain, pretrainDir, pretrainIdentity, pretrainSpec, specConfig, specData, type PretrainResult, type PretrainSpec } from "../organism/family";
import { answerAttributeAccuracy, captionNll, greedyDecode } from "../organism/generate";
import { createOrganism, disposeOrganism, featureCacheSpec, type Organism } from "../organism/model";
import { refine, refineConfig } from "../organism/refine";
import { galleryRetrieval, mixedGallery, type GalleryRetrieval } from "./grsl";
import type { ExperimentUnit } from "./units";

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
  /** A control: the base model as it is (no continual stage, no refinement), per seed. */
  baseline?: Omit<ContinualRow, "arm">[];
  /** The diagnosis: how well each model reads the gallery's documents (see {@link ReadingRow}). Absent in results from before it was measured. */
  reading?: ContinualReading;
  /** General image-caption sequences mixed into each continual step (see {@link generalCaptionsPerStep}); absent = 0, the default variant. */
  generalCaptions?: number;
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
  const { seeds, diffs: d } = pairBySeed(of(a), of(b));
  if (seeds.length === 0) throw new InputError(`arms "${a}" and "${b}" share no seed`);
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
  if (r.generalCaptions !== undefined && !(Number.isInteger(r.generalCaptions) && r.generalCaptions > 0)) throw new InputError(`${where}: "generalCaptions" is ${r.generalCaptions}; need an integer > 0 (absent = none)`);
  if (r.reading !== undefined) {
    if (!(r.reading.uniformNll > 0) || !Array.isArray(r.reading.rows)) throw new InputError(`${where}: "reading" needs uniformNll > 0 and rows`);
    r.reading.rows.forEach((row, i) => {
      if (!(READING_MODELS as readonly string[]).includes(row.model)) throw new InputError(`${where}: reading.rows[${i}].model is "${row.model}"; expected one of ${READING_MODELS.join(", ")}`);
      for (const k of ["exact", "wordAccuracy"] as const) {
        if (!(row[k] >= 0 && row[k] <= 1)) throw new InputError(`${where}: reading.rows[${i}].${k} is ${row[k]}; need [0, 1]`);
      }
      if (!(row.nll >= 0) || !(row.mismatched?.nll >= 0)) throw new InputError(`${where}: reading.rows[${i}] needs nll ≥ 0 and mismatched.nll ≥ 0`);
    });
  }
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

// ---------------------------------------------------------------------------------------------
// The diagnosis: does the continual stage teach the model to read the script?

/**
 * Which model a reading score is of, per seed: `random`, a random initialisation of the base's
 * architecture from the seed (the floor); `base`, the base model, i.e. the weights both the
 * continual run and the control start from (before); `continual`, after the continual stage;
 * `control`, after the equal-compute control (the same steps on the original mixture).
 */
export const READING_MODELS = ["random", "base", "continual", "control"] as const;
export type ReadingModel = (typeof READING_MODELS)[number];

/** How well one model reads documents, OCR-style (document → the caption it shows). */
export interface ReadingScore {
  /** Documents read. */
  n: number;
  /** Teacher-forced NLL (nats per token) of the caption each document shows, given the document (`captionNll`). */
  nll: number;
  /** Fraction of greedy readings equal to the shown caption (spaces and case normalised). */
  exact: number;
  /** Mean over documents of the fraction of the shown caption's words the greedy reading has at the same position. */
  wordAccuracy: number;
  /**
   * The same three against a mismatched caption, each document paired with the next gallery
   * document's shown caption (see {@link mismatchedCaptions}): what the model's caption prior
   * scores without reading. Reading is the gap: `mismatched.nll − nll` nats per token that the
   * right document explains, `wordAccuracy − mismatched.wordAccuracy` words it gets from the page.
   */
  mismatched: { nll: number; exact: number; wordAccuracy: number };
}

/** One model × document script × seed. */
export interface ReadingRow extends ReadingScore {
  model: ReadingModel;
  /** `lowres` for every model; the base model is also read on the Latin documents (the same items), which it was trained on: how well it reads at all. */
  script: "lowres" | "latin";
  seed: number;
}

/** The reading diagnosis of a P5 run, on the retrieval gallery's documents (held out from every training run). */
export interface ContinualReading {
  /** NLL of a uniform guess over the vocabulary, `ln V` (the NLL's chance level). */
  uniformNll: number;
  rows: ReadingRow[];
}

/**
 * Exact match and word accuracy of greedy readings against the caption each document shows
 * (`captions[documentCaption ?? 0]`). Reading is transcription, so a paraphrase of the scene does
 * not count: the reference is the one caption drawn on the page. Word accuracy is position-wise
 * (`answerAttributeAccuracy`'s few-words rule): extra words never help, a missing word counts 0.
 * @param readings one greedy reading per item of `indices`.
 * @example readingAccuracy([{captions: ["a red cat", "the red cat"], documentCaption: 1}], [0], ["the red dog"]) // {exact: 0, wordAccuracy: 2/3}
 */
export function readingAccuracy(items: readonly Pick<OrganismItem, "captions" | "documentCaption">[], indices: readonly number[], readings: readonly string[]): { exact: number; wordAccuracy: number } {
  if (readings.length !== indices.length || indices.length === 0) throw new InputError(`need one reading per item (≥ 1), got ${readings.length} readings for ${indices.length} items`);
  const norm = (x: string) => x.trim().replace(/\s+/g, " ").toLowerCase();
  let exact = 0, words = 0;
  indices.forEach((i, j) => {
    const shown = items[i].captions[items[i].documentCaption ?? 0];
    if (norm(readings[j]) === norm(shown)) exact++;
    words += answerAttributeAccuracy(readings[j], shown, "few-words");
  });
  return { exact: exact / indices.length, wordAccuracy: words / indices.length };
}

/**
 * A view of `data` in which the item at `indices[j]` keeps its document but carries the captions
 * (and shown caption) of `indices[(j + 1) % n]`; other items are untouched. A rotation, not a
 * random draw: every document gets another gallery document's caption (for n ≥ 2), reproducibly.
 */
export function mismatchedCaptions(data: OrganismData, indices: readonly number[]): OrganismData {
  const items = data.items.slice();
  indices.forEach((i, j) => {
    const other = data.items[indices[(j + 1) % indices.length]];
    items[i] = { ...data.items[i], captions: other.captions, documentCaption: other.documentCaption };
  });
  return { ...data, items };
}

/** The {@link ReadingScore} of `model` on the documents `indices` of `data` (whose documents are in the script to read). */
export function readingScore(model: Organism, data: OrganismData, indices: readonly number[]): ReadingScore {
  if (indices.length === 0) throw new InputError("readingScore needs at least one document");
  // Greedy readings depend on the document only, so one decode serves both references.
  const readings = greedyDecode(model, data, indices, "document", "caption");
  const other = mismatchedCaptions(data, indices);
  return {
    n: indices.length,
    nll: captionNll(model, data, indices, "document"),
    ...readingAccuracy(data.items, indices, readings),
    mismatched: { nll: captionNll(model, other, indices, "document"), ...readingAccuracy(other.items, indices, readings) },
  };
}

/** A reading metric of a row: one of its own, or a gap to the mismatched caption (`nllGain` = mismatched − own NLL, `wordGain` = own − mismatched word accuracy). */
export type ReadingMetric = "nll" | "exact" | "wordAccuracy" | "nllGain" | "wordGain";

/** The value of `metric` in `row`. */
export function readingMetric(row: ReadingScore, metric: ReadingMetric): number {
  if (metric === "nllGain") return row.mismatched.nll - row.nll;
  if (metric === "wordGain") return row.wordAccuracy - row.mismatched.wordAccuracy;
  return row[metric];
}

/** Per seed, `model` − base on one reading metric (the base is the shared parent, so pairing removes its seed-to-seed spread). */
export function readingChange(reading: ContinualReading, model: Exclude<ReadingModel, "base">, metric: ReadingMetric): { seeds: number[]; diff: number[] } {
  const of = (m: ReadingModel) => new Map(reading.rows.filter((r) => r.model === m && r.script === "lowres").map((r) => [r.seed, readingMetric(r, metric)]));
  const a = of(model), b = of("base");
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  return { seeds, diff: seeds.map((s) => a.get(s)! - b.get(s)!) };
}

/** `mean ± sd` over seeds (one value, or one that does not vary, prints alone). */
function meanSd(values: readonly number[], digits = 3): string {
  if (values.length === 0) return "";
  const c = meanCI(values);
  return values.length > 1 && !values.every((v) => v === values[0]) ? `${c.mean.toFixed(digits)} ± ${c.sd.toFixed(digits)}` : c.mean.toFixed(digits);
}

/** The reading table: per model and script, mean ± sd over seeds of NLL, exact match, word accuracy and the two gains over the mismatched caption, then the uniform NLL. */
export function readingSummary(reading: ContinualReading): Record<string, string | number>[] {
  const label: Record<ReadingModel, string> = { random: "random init", base: "base (before)", continual: "after continual", control: "after control" };
  const out: Record<string, string | number>[] = [];
  for (const [model, script] of [["random", "lowres"], ["base", "latin"], ["base", "lowres"], ["continual", "lowres"], ["control", "lowres"]] as const) {
    const rs = reading.rows.filter((r) => r.model === model && r.script === script);
    if (!rs.length) continue;
    const col = (m: ReadingMetric) => meanSd(rs.map((r) => readingMetric(r, m)));
    out.push({
      reading: `${label[model]}, ${script === "latin" ? "Latin" : "low-res"} docs`,
      seeds: rs.length,
      "NLL (nats/token)": col("nll"),
      exact: col("exact"),
      "word accuracy": col("wordAccuracy"),
      "NLL gain over mismatched caption": col("nllGain"),
      "word gain over mismatched caption": col("wordGain"),
    });
  }
  out.push({ reading: "uniform guess (ln V)", seeds: "", "NLL (nats/token)": reading.uniformNll.toFixed(3) });
  return out;
}

/**
 * One line for the report: word accuracy, the NLL gain over a mismatched caption, and the NLL,
 * before → after the continual stage (mean ± sd over seeds), the paired changes with their seeds,
 * and the control, random-init and Latin references.
 */
export function readingLine(reading: ContinualReading): string {
  const of = (m: ReadingModel, metric: ReadingMetric, script: "lowres" | "latin" = "lowres") => meanSd(reading.rows.filter((r) => r.model === m && r.script === script).map((r) => readingMetric(r, metric)));
  const change = (metric: ReadingMetric) => {
    const ch = readingChange(reading, "continual", metric);
    return `paired change ${meanSd(ch.diff)}, higher in ${ch.diff.filter((d) => d > 0).length}/${ch.seeds.length} seeds`;
  };
  const refs = (metric: ReadingMetric) => `equal-compute control ${of("control", metric)}; random init ${of("random", metric)}; the base on Latin documents ${of("base", metric, "latin")}`;
  return (
    `reading score before → after the continual stage (the gallery's low-resource documents, mean ± sd over seeds): ` +
    `greedy word accuracy ${of("base", "wordAccuracy")} → ${of("continual", "wordAccuracy")} (${change("wordAccuracy")}; ${refs("wordAccuracy")}); ` +
    `the part that needs the page, NLL gain over a mismatched caption, ${of("base", "nllGain")} → ${of("continual", "nllGain")} nats/token (${change("nllGain")}; ${refs("nllGain")}); ` +
    `caption NLL ${of("base", "nll")} → ${of("continual", "nll")} (control ${of("control", "nll")}, uniform ${reading.uniformNll.toFixed(3)})`
  );
}

/** What identifies one reading measurement: the model (or its random initialisation), the script read, the gallery. */
export function readingUnitIdentity(model: PretrainSpec, random: boolean, script: "lowres" | "latin", cfg: ContinualConfig) {
  return { model: pretrainIdentity(model), random, script, galleryItems: cfg.galleryItems, measure: "reading v2" };
}

/** Folder of one reading measurement: `<root>/organism-continual/<size>-<random|base|continual|control>-reading-<script>__<hash>/seed-<n>`. */
export function readingUnitDir(root: string, spec: PretrainSpec, random: boolean, script: "lowres" | "latin", seed: number, cfg: ContinualConfig): string {
  const kind = random ? "random" : !spec.parent ? "base" : spec.documentScript === "lowres" ? "continual" : "control";
  return path.join(root, "organism-continual", `${spec.size}-${kind}-reading-${script}__${configHash(readingUnitIdentity(spec, random, script, cfg)).slice(0, 12)}`, `seed-${seed}`);
}

/**
 * The reading score of one model (its last checkpoint, or with `modelDir = null` a random
 * initialisation of `modelSpec`'s architecture from `seed`) on the retrieval gallery's documents
 * drawn in `script`; cached with `runOrLoad`, so it needs the trained runs only, no retraining.
 */
export async function readingUnit(modelDir: string | null, modelSpec: PretrainSpec, script: "lowres" | "latin", seed: number, cfg: ContinualConfig, options: { root: string; log?: (line: string) => void }): Promise<ReadingScore> {
  const ident = readingUnitIdentity(modelSpec, modelDir === null, script, cfg);
  return runOrLoad<ReadingScore, typeof ident>({
    dir: readingUnitDir(options.root, modelSpec, modelDir === null, script, seed, cfg),
    cfg: ident,
    seed,
    profile: modelSpec.profile,
    log: options.log,
    compute: () => {
      const data = specData({ ...modelSpec, parent: undefined, mixture: undefined, documentScript: script });
      const model = modelDir === null ? createOrganism(specConfig(modelSpec, data.tokenizer.vocabSize), featureCacheSpec(data.cache), seed) : loadOrganism(modelDir).model;
      try {
        return readingScore(model, data, mixedGallery(data, cfg.galleryItems));
      } finally {
        disposeOrganism(model);
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The run: the four arms × seeds, text → document-image retrieval on the low-resource gallery

/** What `lco experiment continual` runs (every field overridable as `--key=value`). */
export interface ContinualConfig {
  /** Family member of the base model. Default `"S"`. */
  size: string;
  /** Seeds (each its own base run and continual run; ≥ 3 for the verdict). Default `[0, 1, 2]`. */
  seeds: number[];
  /** Pretraining steps of the base model; `null` = the profile's. */
  numSteps: number | null;
  /** Continual-pretraining steps (the control trains as many on the original mixture). Default 300 (smoke 20). */
  continualSteps: number;
  /**
   * General image-caption sequences mixed into each continual step. Default 0; the `general`
   * variant sets it (see {@link continualConfig}).
   */
  generalCaptions: number;
  /**
   * Which published variant of P5 this is: `"default"` (OCR-style reading only) or `"general"`
   * (general captions mixed in at {@link generalCaptionsPerStep}; `--variant=general`). Only the
   * continual run and its units differ; the base, refinement and control units are shared.
   * Default `"default"`.
   */
  variant: ContinualVariant;
  /** Refinement steps; `null` = the LoRA refinement's default of the profile. */
  refineSteps: number | null;
  /** Gallery items per split: the first n IID and the first n OOD items, documents in the low-resource script. */
  galleryItems: number;
}

/** The P5 experiment's preset. */
export const CONTINUAL_PRESET = definePreset<ContinualConfig>({
  name: "continual",
  description: "P5: continual generative pretraining on low-resource-script documents before text-only refinement (4 arms × seeds, text → document nDCG@10)",
  defaults: { size: "S", seeds: [0, 1, 2], numSteps: null, continualSteps: 300, generalCaptions: 0, variant: "default", refineSteps: null, galleryItems: 48 },
  profiles: { smoke: { continualSteps: 20, galleryItems: 16 } },
  validate(c) {
    if (c.seeds.length === 0) throw new InputError("continual needs at least one seed");
    if (!(Number.isInteger(c.continualSteps) && c.continualSteps >= 1)) throw new InputError(`invalid continualSteps; need an integer ≥ 1, got ${c.continualSteps}`);
    if (!(Number.isInteger(c.galleryItems) && c.galleryItems >= 2)) throw new InputError(`invalid galleryItems; need an integer ≥ 2, got ${c.galleryItems}`);
    if (!(CONTINUAL_VARIANTS as readonly string[]).includes(c.variant)) throw new InputError(`invalid variant "${c.variant}"; expected ${CONTINUAL_VARIANTS.join(" or ")}`);
  },
});

/** The three pretraining specs of one seed: the base, its continual run, and the equal-compute control. */
export function continualSpecs(profile: Profile, cfg: ContinualConfig, seed: number): { base: PretrainSpec; continual: PretrainSpec; control: PretrainSpec } {
  const base = pretrainSpec(profile, cfg.size, cfg.numSteps === null ? {} : { numSteps: cfg.numSteps });
  const mixture = specConfig(base, 1).mixture;
  const continual = continualSpec(base, seed, mixture, { numSteps: cfg.continualSteps, generalCaptions: cfg.generalCaptions });
  // The control: the same extra steps from the same checkpoint, on the original mixture and Latin documents.
  const control: PretrainSpec = { ...base, numSteps: cfg.continualSteps, parent: { spec: base, seed } };
  return { base, continual, control };
}

/** What one arm × seed measures: which model, refined or not. */
export type ContinualUnitKind = ContinualArm | "base";

/** What identifies one (arm, seed) measurement. */
export function continualUnitIdentity(model: PretrainSpec, refined: boolean, cfg: ContinualConfig) {
  const r = refined ? refineConfig("lora", model.profile, cfg.refineSteps === null ? {} : { steps: cfg.refineSteps }) : null;
  return { model: pretrainIdentity(model), refine: r, galleryItems: cfg.galleryItems, gallery: "lowres documents", measure: "continual v1" };
}

/**
 * Text → document-image retrieval of one model (its last checkpoint), optionally after the
 * default text-only LoRA refinement, on the low-resource-script gallery; cached with `runOrLoad`
 * in `<root>/organism-continual/…/seed-<n>`.
 */
export async function continualUnit(modelDir: string, modelSpec: PretrainSpec, refined: boolean, seed: number, cfg: ContinualConfig, options: { root: string; log?: (line: string) => void }): Promise<GalleryRetrieval> {
  const ident = continualUnitIdentity(modelSpec, refined, cfg);
  return runOrLoad<GalleryRetrieval, typeof ident>({
    dir: continualUnitDir(options.root, modelSpec, refined, seed, cfg),
    cfg: ident,
    seed,
    profile: modelSpec.profile,
    log: options.log,
    compute: () => {
      const data = specData({ ...modelSpec, parent: undefined, mixture: undefined, documentScript: "lowres" });
      const gallery = mixedGallery(data, cfg.galleryItems);
      const { model } = loadOrganism(modelDir);
      try {
        if (ident.refine) refine(model, data, ident.refine, seed);
        return galleryRetrieval(model, data, gallery, "text", "document");
      } finally {
        disposeOrganism(model);
      }
    },
  });
}

/** Options of {@link runContinual}. */
export interface RunContinualOptions {
  /** Runs folder. Default `runsRoot()`. */
  root?: string;
  log?: (line: string) => void;
}

/**
 * P5 in-process: for every seed, the base run, its continual run and the control (each
 * pretrained or loaded), then the four arms' retrieval (plus the base model as it is, a control),
 * each cached. No timings inside.
 */
export async function runContinual(profile: Profile, cfg: ContinualConfig, options: RunContinualOptions = {}): Promise<ContinualResults> {
  const root = runsRoot(options.root);
  const rows: ContinualRow[] = [];
  const baseline: ContinualRow[] = [];
  const reading: ReadingRow[] = [];
  let chance = { ndcgAt10: NaN, recallAt1: NaN };
  let galleryN = 0;
  for (const unit of continualUnits(profile, cfg, root)) {
    const m = await unit.run(options.log);
    if ("reading" in m) {
      reading.push(m.reading);
      continue;
    }
    const g = m.retrieval;
    const row = { seed: m.seed, ndcgAt10: g.ndcgAt10, recallAt1: g.recallAt1 };
    galleryN = g.n;
    if (m.arm === "base") baseline.push({ arm: "refine", ...row });
    else rows.push({ arm: m.arm, ...row });
    chance = retrievalChanceOf(g.n);
  }
  const refineSteps = refineConfig("lora", profile, cfg.refineSteps === null ? {} : { steps: cfg.refineSteps }).steps;
  const setup =
    `base ${cfg.size} (${profile} profile), continual pretraining ${cfg.continualSteps} steps of OCR-style reading of low-resource-script documents` +
    `${cfg.generalCaptions ? ` + ${cfg.generalCaptions} general captions per step` : ""} from its last checkpoint with a fresh optimiser; text-only LoRA refinement ${refineSteps} steps; ` +
    `gallery: ${galleryN} low-resource-script documents (first ${cfg.galleryItems} IID + ${cfg.galleryItems} OOD)`;
  // The vocabulary from a base run's saved config: no world to rebuild when every unit loads.
  const vocabSize = readRunConfig(pretrainDir(root, continualSpecs(profile, cfg, cfg.seeds[0]).base, cfg.seeds[0])).config.vocabSize;
  return { format: CONTINUAL_FORMAT, profile, setup, chance, rows, baseline: baseline.map(({ arm: _a, ...r }) => r), reading: { uniformNll: Math.log(vocabSize), rows: reading }, ...(cfg.generalCaptions ? { generalCaptions: cfg.generalCaptions } : {}) };
}

/** One measurement of P5: an arm's (or the base model's) retrieval, or one model's reading score. */
export type ContinualMeasured = { seed: number; arm: ContinualUnitKind; retrieval: GalleryRetrieval } | { seed: number; reading: ReadingRow };

/**
 * The measurements of a config, in the order {@link runContinual} makes them: per seed, the base
 * model and the four arms (retrieval), then the reading scores. Each unit pretrains (or loads)
 * the runs it reads: the base run, or the continual run or control, which start from the base
 * run's last checkpoint. Default `root`: `runsRoot()`.
 */
export function continualUnits(profile: Profile, cfg: ContinualConfig, root?: string): ExperimentUnit<ContinualMeasured>[] {
  const r0 = runsRoot(root);
  return cfg.seeds.flatMap((seed) => {
    const specs = continualSpecs(profile, cfg, seed);
    // Retrieval needs the trained weights only: no generative evaluation of their checkpoints.
    const trained = async (spec: PretrainSpec, log?: (line: string) => void) => (await pretrain(spec, seed, { root: r0, log, evalSteps: [] })).dir;
    const runs = (spec: PretrainSpec | null) => (spec ? [{ spec, seed, evalSteps: [] }] : []);
    const arms: [ContinualUnitKind, PretrainSpec, boolean][] = [
      ["base", specs.base, false],
      ["refine", specs.base, true],
      ["continual", specs.continual, false],
      ["continual+refine", specs.continual, true],
      ["control+refine", specs.control, true],
    ];
    return [
      ...arms.map(([arm, spec, refined]): ExperimentUnit<ContinualMeasured> => ({
        label: `${arm}/seed ${seed}`,
        dir: continualUnitDir(r0, spec, refined, seed, cfg),
        runs: runs(spec),
        run: async (log) => ({ seed, arm, retrieval: await continualUnit(await trained(spec, log), spec, refined, seed, cfg, { root: r0, log }) }),
      })),
      ...readingModels(specs).map(([model, spec, script]): ExperimentUnit<ContinualMeasured> => {
        const random = model === "random";
        return {
          label: `reading ${model} ${script}/seed ${seed}`,
          dir: readingUnitDir(r0, spec, random, script, seed, cfg),
          runs: runs(random ? null : spec),
          run: async (log) => ({ seed, reading: { model, script, seed, ...(await readingUnit(random ? null : await trained(spec, log), spec, script, seed, cfg, { root: r0, log })) } }),
        };
      }),
    ];
  });
}

/** The reading measurements of one seed: `[model, its spec (random: a random initialisation of it), script]`. */
function readingModels(specs: ReturnType<typeof continualSpecs>): [ReadingModel, PretrainSpec, "lowres" | "latin"][] {
  return [
    ["random", specs.base, "lowres"],
    ["base", specs.base, "latin"],
    ["base", specs.base, "lowres"],
    ["continual", specs.continual, "lowres"],
    ["control", specs.control, "lowres"],
  ];
}

/** Chance nDCG@10 and R@1 of a random ranking over `n` candidates with one relevant item. */
function retrievalChanceOf(n: number): { ndcgAt10: number; recallAt1: number } {
  const c = retrievalChance(n, { ks: [1], ndcgK: 10 });
  return { ndcgAt10: c["ndcg@10"], recallAt1: c["recall@1"] };
}

/** The printed table: per arm (and the base model), mean ± 95 % CI over seeds, chance, then the paired differences. */
export function continualSummary(results: ContinualResults): Record<string, string | number>[] {
  const ci = (v: number[]) => meanCIText(v);
  const out: Record<string, string | number>[] = [];
  if (results.baseline?.length) out.push({ arm: "base model (no refinement)", seeds: results.baseline.length, "nDCG@10": ci(results.baseline.map((r) => r.ndcgAt10)), "R@1": ci(results.baseline.map((r) => r.recallAt1)) });
  for (const arm of CONTINUAL_ARMS) {
    const rs = results.rows.filter((r) => r.arm === arm);
    if (rs.length) out.push({ arm, seeds: rs.length, "nDCG@10": ci(rs.map((r) => r.ndcgAt10)), "R@1": ci(rs.map((r) => r.recallAt1)) });
  }
  out.push({ arm: "chance", seeds: "", "nDCG@10": results.chance.ndcgAt10.toFixed(3), "R@1": results.chance.recallAt1.toFixed(3) });
  for (const b of ["refine", "control+refine"] as const) {
    if (!results.rows.some((r) => r.arm === b) || !results.rows.some((r) => r.arm === "continual+refine")) continue;
    const d = pairedDifference(results, "continual+refine", b);
    out.push({ arm: `continual+refine − ${b}`, seeds: d.seeds.length, "nDCG@10": `${d.diff.mean.toFixed(3)} ± ${d.diff.halfWidth.toFixed(3)}`, "R@1": `${d.wins}/${d.seeds.length} seeds positive` });
  }
  return out;
}

/** Every measurement folder of a P5 config under `root` (for the provenance's timing). */
export function continualUnitDirs(profile: Profile, cfg: ContinualConfig, root?: string): string[] {
  return continualUnits(profile, cfg, root).map((u) => u.dir);
}

/** Folder of one (model, refined) measurement: `<root>/organism-continual/<size>-<base|continual|control>[-refined]__<hash>/seed-<n>`. */
export function continualUnitDir(root: string, spec: PretrainSpec, refined: boolean, seed: number, cfg: ContinualConfig): string {
  const kind = !spec.parent ? "base" : spec.documentScript === "lowres" ? "continual" : "control";
  return path.join(root, "organism-continual", `${spec.size}-${kind}${refined ? "-refined" : ""}__${configHash(continualUnitIdentity(spec, refined, cfg)).slice(0, 12)}`, `seed-${seed}`);
}

/** The published P5 results of a profile (`data/organism/<profile>/continual.json`, or `continual-general.json` for the `general` variant), or `null` when not published yet. */
export function loadPublishedContinual(profile = "full", variant: ContinualVariant = "default"): ContinualResults | null {
  const rel = `data/organism/${profile}/${continualResultName(variant)}.json`;
  const abs = projectPath(rel);
  if (!fs.existsSync(abs)) return null;
  return checkContinualResults(JSON.parse(fs.readFileSync(abs, "utf8")), rel);
}

// ---------------------------------------------------------------------------------------------
// The variant: general image captions mixed into the continual stage

/** The published variants of P5 (see {@link ContinualConfig.variant}). */
export const CONTINUAL_VARIANTS = ["default", "general"] as const;
export type ContinualVariant = (typeof CONTINUAL_VARIANTS)[number];

/** The published name of a variant's result: `continual` or `continual-general` (`data/organism/<profile>/<name>.json` and `<name>-provenance.json`). */
export function continualResultName(variant: ContinualVariant): string {
  return variant === "default" ? "continual" : `continual-${variant}`;
}

/**
 * General image-caption sequences per continual step in the `general` variant: the parent size's
 * own image-caption count per step, `specConfig(base, 1).mixture.caption.image` (S: 7 at the full
 * profile, 5 at smoke).
 *
 * The principle, fixed before any result of the variant was seen and not tuned toward one: the
 * continual stage keeps the parent's image-captioning rate (as many general captions per step as
 * pretraining had), while the document-reading sequences stay exactly as in the default variant.
 * So a variant step holds more sequences than a default step (image / (document + image) more,
 * 7/11 at full S): the comparison with the default's continual+refine is "the same reading plus
 * general captions", not an equal-compute one.
 * @param numSteps the base model's pretraining steps (`ContinualConfig.numSteps`; `null` = the profile's).
 */
export function generalCaptionsPerStep(profile: Profile, size: string, numSteps: number | null = null): number {
  const base = pretrainSpec(profile, size, numSteps === null ? {} : { numSteps });
  return specConfig(base, 1).mixture.caption.image;
}

/**
 * The P5 config at a profile with overrides (`lco experiment continual` and chapter 26 resolve it
 * here): the preset, then, for `variant: "general"`, `generalCaptions` from
 * {@link generalCaptionsPerStep}, the one place that number is chosen. The default variant's
 * config is the preset's, so its units keep their folders.
 * @example continualConfig("full", { variant: "general" }).generalCaptions // 7
 * @throws InputError when `variant: "general"` comes with an explicit `generalCaptions` (the variant fixes it).
 */
export function continualConfig(profile: Profile, overrides: Overrides = {}): ContinualConfig {
  const cfg = resolveConfig(CONTINUAL_PRESET, overrides, { profile });
  if (cfg.variant !== "general") return cfg;
  if ("generalCaptions" in overrides) throw new InputError(`--variant=general sets generalCaptions itself (the parent's image captions per step); drop --generalCaptions=${String(overrides.generalCaptions)}`);
  return { ...cfg, generalCaptions: generalCaptionsPerStep(profile, cfg.size, cfg.numSteps) };
}

/** The `general` variant's config at a profile: `continualConfig(profile, {...overrides, variant: "general"})`. */
export function continualGeneralConfig(profile: Profile, overrides: Overrides = {}): ContinualConfig {
  return continualConfig(profile, { ...overrides, variant: "general" });
}

/**
 * Under which name a run of `cfg` may be published: `continual` for the default variant without
 * general captions, `continual-general` for the `general` variant at its own count.
 * @throws InputError for an ad-hoc `generalCaptions` (an exploration, not a published variant).
 */
export function continualPublishName(profile: Profile, cfg: ContinualConfig): string {
  const want = cfg.variant === "general" ? generalCaptionsPerStep(profile, cfg.size, cfg.numSteps) : 0;
  if (cfg.generalCaptions !== want) throw new InputError(`generalCaptions ${cfg.generalCaptions} is not the ${cfg.variant} variant's (${want}); publish --variant=general or the default, not an ad-hoc count`);
  return continualResultName(cfg.variant);
}

/** One paired comparison of the variant's continual+refine against an arm. */
export interface GeneralPaired {
  /** `continual+refine` = the default variant's; `refine` = refinement alone (a unit both variants share). */
  against: "continual+refine" | "refine";
  metric: "ndcgAt10" | "recallAt1";
  /** Seeds in both. */
  seeds: number[];
  /** Per seed, general continual+refine − the other. */
  diffs: number[];
  /** Mean of `diffs` with its 95 % t-interval. */
  diff: MeanCI;
  /** Seeds where the general variant is higher. */
  wins: number;
}

/** The variant's comparison with the default (see {@link generalComparison}). */
export interface GeneralComparison {
  /** General captions per step of the variant. */
  generalCaptions: number;
  /** Against the default's continual+refine, then against refine; nDCG@10 then R@1 each. */
  paired: GeneralPaired[];
  /** Reading of the continual model, per metric: per seed (both variants' seeds), default vs general, and the paired general − default. */
  reading: { metric: "wordAccuracy" | "nllGain"; seeds: number[]; default: number[]; general: number[] }[];
  /**
   * Whether the units the variants share (refine and control+refine rows, the base's and the
   * control's reading) have the same values in both files, as they must when both came from the
   * same cache; `false` flags files from different computations (then read the pairing with care).
   */
  sharedAgree: boolean;
}

/** Per seed a − b over the seeds both maps hold, sorted (the pairing {@link pairedDifference} also uses). */
function pairBySeed(a: Map<number, number>, b: Map<number, number>): { seeds: number[]; diffs: number[] } {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  return { seeds, diffs: seeds.map((s) => a.get(s)! - b.get(s)!) };
}

const armValues = (r: ContinualResults, arm: ContinualArm, metric: "ndcgAt10" | "recallAt1") => new Map(r.rows.filter((x) => x.arm === arm).map((x) => [x.seed, x[metric]]));

/**
 * The `general` variant against the default, paired by seed (both start from the same base run of
 * each seed): its continual+refine − the default's continual+refine, and − refine (refinement
 * alone, the same unit in both), on nDCG@10 and R@1; and the continual model's reading (word
 * accuracy, NLL gain over a mismatched caption) in each. Pure: two results objects in.
 * @param general the variant's results (`generalCaptions` > 0).
 * @param def the default variant's results.
 * @throws InputError when `general` has no general captions, `def` has some, or they share no seed.
 */
export function generalComparison(general: ContinualResults, def: ContinualResults): GeneralComparison {
  if (!general.generalCaptions) throw new InputError("the general variant's results have no general captions (generalCaptions absent)");
  if (def.generalCaptions) throw new InputError(`the default results have ${def.generalCaptions} general captions per step; expected none`);
  const paired: GeneralPaired[] = [];
  for (const against of ["continual+refine", "refine"] as const) {
    for (const metric of ["ndcgAt10", "recallAt1"] as const) {
      const { seeds, diffs } = pairBySeed(armValues(general, "continual+refine", metric), armValues(against === "refine" ? general : def, against, metric));
      if (seeds.length === 0) throw new InputError(`general continual+refine and ${against} share no seed`);
      paired.push({ against, metric, seeds, diffs, diff: meanCI(diffs), wins: diffs.filter((d) => d > 0).length });
    }
  }
  const readingOf = (r: ContinualResults, model: ReadingModel, metric: ReadingMetric) => new Map((r.reading?.rows ?? []).filter((x) => x.model === model && x.script === "lowres").map((x) => [x.seed, readingMetric(x, metric)]));
  const reading = (["wordAccuracy", "nllGain"] as const).map((metric) => {
    const g = readingOf(general, "continual", metric), d = readingOf(def, "continual", metric);
    const { seeds } = pairBySeed(g, d);
    return { metric, seeds, default: seeds.map((s) => d.get(s)!), general: seeds.map((s) => g.get(s)!) };
  });
  const same = (a: Map<number, number>, b: Map<number, number>) => [...a].every(([s, v]) => !b.has(s) || b.get(s) === v);
  const sharedAgree =
    (["refine", "control+refine"] as const).every((arm) => (["ndcgAt10", "recallAt1"] as const).every((m) => same(armValues(general, arm, m), armValues(def, arm, m)))) &&
    (["base", "control"] as const).every((model) => (["nll", "wordAccuracy"] as const).every((m) => same(readingOf(general, model, m), readingOf(def, model, m))));
  return { generalCaptions: general.generalCaptions, paired, reading, sharedAgree };
}

/** The comparison's own rule (outside P5's verdict). */
export const GENERAL_RULE =
  "nDCG@10, paired by seed (at least 3): general captions \"help\" when the 95 % t-interval of continual+refine (general) − continual+refine (default) lies above 0, \"hurt\" when it lies below 0, otherwise \"no difference shown\"; not part of P5's verdict.";

/** The verdict of {@link GENERAL_RULE} on a comparison. */
export function generalVerdict(c: GeneralComparison): "helps" | "hurts" | "no difference shown" | "not yet measured" {
  const d = c.paired.find((p) => p.against === "continual+refine" && p.metric === "ndcgAt10")!;
  if (d.seeds.length < 3) return "not yet measured";
  return d.diff.lo > 0 ? "helps" : d.diff.hi < 0 ? "hurts" : "no difference shown";
}

/** The comparison as table rows: the paired differences (mean ± 95 % CI, wins k/n), then the continual model's reading in each variant (mean ± sd) with the paired change. */
export function generalComparisonTable(c: GeneralComparison): Record<string, string | number>[] {
  const name = { ndcgAt10: "nDCG@10", recallAt1: "R@1" } as const;
  const rows: Record<string, string | number>[] = c.paired.map((p) => ({
    comparison: `continual+refine (general) − ${p.against === "refine" ? "refine" : "continual+refine (default)"}`,
    metric: name[p.metric],
    seeds: p.seeds.length,
    "mean ± 95 % CI": meanCIText(p.diffs),
    wins: `${p.wins}/${p.seeds.length}`,
  }));
  const label = { wordAccuracy: "reading: word accuracy after continual", nllGain: "reading: NLL gain over mismatched caption after continual" } as const;
  for (const r of c.reading) {
    if (r.seeds.length === 0) continue;
    const diffs = r.general.map((g, i) => g - r.default[i]);
    rows.push({
      comparison: `${label[r.metric]}: default ${meanSd(r.default)} → general ${meanSd(r.general)} (mean ± sd)`,
      metric: "general − default",
      seeds: r.seeds.length,
      "mean ± 95 % CI": meanCIText(diffs),
      wins: `${diffs.filter((d) => d > 0).length}/${r.seeds.length}`,
    });
  }
  return rows;
}
