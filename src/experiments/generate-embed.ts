/**
 * P4's mechanism check, **generate-then-embed**: embed an input (image, audio, document) as the text
 * embedding of its own greedy caption, and compare that embedding's retrieval with the direct one.
 *
 * If "generation bounds representation" is meant literally, a model whose representation of an image
 * is no better than what it can say about it should retrieve the right caption when, and only when,
 * its caption is right. This experiment measures that on the family's final checkpoints (sizes ×
 * seeds), after the GRSL sweep's own text-only refinement:
 * - the caption: greedy decoding with the **pretrained** checkpoint (`organism/generate.ts`, before
 *   refinement; the capability the law's x axis measures), judged by the kit's exact-match rule
 *   (equal to one of the item's paraphrases after normalising spaces and case);
 * - the refinement: exactly the GRSL unit's (`grslUnitIdentity(…).refine`, the same held-out split of
 *   the world's triples, the same seed), so the refined model is the one `lco experiment grsl`
 *   measures at the last checkpoint (its direct R@1 is the same number; a test checks it);
 * - the gallery: the GRSL gallery, the first n IID items followed by the first n OOD items, so a wrong
 *   caption meets real confusers of both kinds;
 * - retrieval: query → the canonical captions of the gallery (last layer, cosine, ties count against
 *   the model), for the queries (a) direct modality embedding, (b) generate-then-embed, and two
 *   controls: (c) the generated captions shuffled between items (a null near chance), (d) a
 *   ground-truth paraphrase of each item's caption (what a right caption worded differently reaches).
 *
 * Each (run, final checkpoint) is one `runOrLoad` folder `<root>/organism-generate-embed/…/seed-<n>`
 * keyed by the pretraining run's identity and this experiment's own settings, so the GRSL and
 * refinement cells keep their identities and are never touched.
 *
 * @module
 */
import * as path from "node:path";
import { InputError, layers, type Matrix, type MatrixLike } from "../array";
import { definePreset, type Profile } from "../config";
import { permutation, rng, splitSeed } from "../random";
import { configHash, runOrLoad, runsRoot } from "../runs";
import { meanCI, meanCIText, ols, spearman } from "../stats";
import { retrievalChance, scoresFromRanks, targetRanks } from "../retrieval/retrieval";
import { listCheckpoints } from "../organism/checkpoint";
import type { Modality } from "../organism/config";
import type { OrganismData } from "../organism/data";
import { embedIndices, embedTexts } from "../organism/embed";
import { pretrain, pretrainFamily, pretrainIdentity, specData, type PretrainResult, type PretrainSpec } from "../organism/family";
import { captionIsExact, greedyDecode } from "../organism/generate";
import { disposeOrganism, type Organism } from "../organism/model";
import { refine, worldTriples } from "../organism/refine";
import { generativeAt, grslRuns, grslSpecOverrides, grslUnitIdentity, mixedGallery, modelAtStep, plannedCheckpoints, splitTriples, GRSL_PRESET, type GrslConfig, type GrslRunSpec } from "./grsl";
import type { ExperimentUnit } from "./units";
import { loadPublishedExperiment, publishExperimentResult, type PublishedExperiment } from "./published";

/** The format tag of {@link GenerateEmbedResults}. */
export const GENERATE_EMBED_FORMAT = "lco-generate-embed v1";

/** The published result's name: `data/organism/<profile>/generate-embed.json`. */
export const GENERATE_EMBED_NAME = "generate-embed";

/** A modality with an encoder (the queries' side): image, audio or document. */
export type EncodedModality = Exclude<Modality, "text">;

/** The four queries, in table order: the direct embedding, generate-then-embed, and the two controls. */
export const GTE_QUERIES = ["direct", "generated", "shuffled", "paraphrase"] as const;
export type GteQuery = (typeof GTE_QUERIES)[number];

/** What `lco experiment generate-embed` runs (every field overridable as `--key=value`). */
export interface GenerateEmbedConfig {
  /** Family members. Default `["S", "M", "L"]`. */
  sizes: string[];
  /** Seeds (≥ 3 for the intervals). Default `[0, 1, 2]`. */
  seeds: number[];
  /** Pretraining steps; `null` = the profile's (the family's runs). */
  numSteps: number | null;
  /** The generative evaluation's items per split (the existing score, x); `null` = the spec's. Not part of the runs' identity. */
  evalItems: number | null;
  /** Refinement steps; `null` = the LoRA default of the profile (as the GRSL sweep). */
  refineSteps: number | null;
  /** Gallery items per split (first n IID + first n OOD); the GRSL sweep's value by default. */
  galleryItems: number;
  /** Triples held out of the refinement; the GRSL sweep's value, so the refinement is the same. */
  heldOutTriples: number;
  /** Most tokens of a greedy caption. Default 16 (the generative evaluation's). */
  maxNew: number;
}

const GRSL_SMOKE = GRSL_PRESET.profiles!.smoke!;

/** The experiment's preset: the GRSL sweep's gallery and refinement settings at every profile. */
export const GENERATE_EMBED_PRESET = definePreset<GenerateEmbedConfig>({
  name: "generate-embed",
  description: "P4 mechanism: retrieval of an input embedded as the text of its own greedy caption, vs the direct embedding and caption accuracy (final checkpoints × sizes × seeds, after refinement)",
  defaults: { sizes: ["S", "M", "L"], seeds: [0, 1, 2], numSteps: null, evalItems: null, refineSteps: null, galleryItems: GRSL_PRESET.defaults.galleryItems, heldOutTriples: GRSL_PRESET.defaults.heldOutTriples, maxNew: 16 },
  profiles: { smoke: { galleryItems: GRSL_SMOKE.galleryItems as number, heldOutTriples: GRSL_SMOKE.heldOutTriples as number } },
  validate(c) {
    if (c.seeds.length === 0 || c.sizes.length === 0) throw new InputError("generate-embed needs at least one size and one seed");
    if (!(Number.isInteger(c.galleryItems) && c.galleryItems >= 2)) throw new InputError(`invalid galleryItems; need an integer ≥ 2, got ${c.galleryItems}`);
    if (!(Number.isInteger(c.heldOutTriples) && c.heldOutTriples >= 2)) throw new InputError(`invalid heldOutTriples; need an integer ≥ 2, got ${c.heldOutTriples}`);
    if (!(Number.isInteger(c.maxNew) && c.maxNew >= 1)) throw new InputError(`invalid maxNew; need an integer ≥ 1, got ${c.maxNew}`);
  },
});

/** The GRSL config whose refinement and gallery this experiment shares (no corruption arm, no full fine-tuning). */
export function grslConfigOf(cfg: GenerateEmbedConfig): GrslConfig {
  return {
    ...GRSL_PRESET.defaults,
    sizes: cfg.sizes, seeds: cfg.seeds, numSteps: cfg.numSteps, evalItems: cfg.evalItems, refineSteps: cfg.refineSteps,
    galleryItems: cfg.galleryItems, heldOutTriples: cfg.heldOutTriples, corruptionRates: [], fullFinetune: "none", checkpoints: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Retrieval of one query matrix against the captions

/** Retrieval of one query set against the gallery's captions, with each query's hit. */
export interface QueryRetrieval {
  recallAt1: number;
  ndcgAt10: number;
  /** Per gallery item: 1 when its caption is ranked first (ties against), else 0. */
  hits: number[];
}

/** R@1, nDCG@10 and per-query hits of `Q[i]` → `C[i]` (cosine, ties count against the model). */
export function queryRetrieval(Q: MatrixLike, C: MatrixLike): QueryRetrieval {
  const ranks = targetRanks(Q, C); // one-to-one: as many candidates as queries
  const s = scoresFromRanks(ranks, ranks.length, { ks: [1], ndcgK: 10 });
  return { recallAt1: s.scores["recall@1"], ndcgAt10: s.scores["ndcg@10"], hits: Array.from(ranks, (r) => (r === 1 ? 1 : 0)) };
}

/**
 * R@1 of a query set that is exactly the candidate set (every item embedded as its own caption
 * text): with ties counted against the model, an item is retrieved first iff no other gallery item
 * has the same caption text. The reference value of the generate-then-embed invariant.
 */
export function identicalTextRecallAt1(captions: readonly string[]): number {
  if (captions.length === 0) throw new InputError("need at least one caption");
  const count = new Map<string, number>();
  for (const c of captions) count.set(c, (count.get(c) ?? 0) + 1);
  return captions.filter((c) => count.get(c) === 1).length / captions.length;
}

const lastOf = (stack: ReturnType<typeof embedTexts>, m: Parameters<typeof layers>[1]): Matrix => {
  const L = layers(stack, m);
  return L[L.length - 1];
};

/** Last-layer text embeddings of `texts` (the text prompt's read-out). */
export function textEmbeddings(model: Organism, data: OrganismData, texts: readonly string[]): Matrix {
  return lastOf(embedTexts(model, data.tokenizer, texts), "text");
}

/** A ground-truth paraphrase of each item's caption: its second caption when it has one, else its only one. */
export function paraphraseOf(data: OrganismData, indices: readonly number[]): string[] {
  return indices.map((i) => {
    const c = data.items[i].captions;
    return c[Math.min(1, c.length - 1)];
  });
}

/**
 * The four retrievals of one model and modality against the gallery's canonical captions.
 * @param captions the generated caption of each gallery item (same order as `gallery`).
 * @param shuffle the permutation of the shuffled-captions control (`captions[shuffle[i]]` is item i's query).
 */
export function gteRetrievals(model: Organism, data: OrganismData, gallery: readonly number[], modality: EncodedModality, captions: readonly string[], shuffle: readonly number[]): Record<GteQuery, QueryRetrieval> {
  if (captions.length !== gallery.length || shuffle.length !== gallery.length) throw new InputError(`need one caption and one shuffle index per gallery item (${gallery.length}); got ${captions.length} and ${shuffle.length}`);
  const C = textEmbeddings(model, data, gallery.map((i) => data.items[i].captions[0]));
  return {
    direct: queryRetrieval(lastOf(embedIndices(model, data, gallery, modality), modality), C),
    generated: queryRetrieval(textEmbeddings(model, data, captions), C),
    shuffled: queryRetrieval(textEmbeddings(model, data, shuffle.map((j) => captions[j])), C),
    paraphrase: queryRetrieval(textEmbeddings(model, data, paraphraseOf(data, gallery)), C),
  };
}

// ---------------------------------------------------------------------------------------------
// One unit: a run's final checkpoint

/** One modality of one unit. */
export interface GteModality {
  modality: EncodedModality;
  /** Share of gallery items whose greedy caption is exact (one of its paraphrases). */
  captionExact: number;
  /** Per gallery item: 1 when its greedy caption is exact. */
  exact: number[];
  /** The first three items' reference and generated captions, for display. */
  samples: { id: string; reference: string; generated: string }[];
  /** The four retrievals with the pretrained model and with the refined one. */
  before: Record<GteQuery, QueryRetrieval>;
  after: Record<GteQuery, QueryRetrieval>;
}

/** What one unit's `result.json` holds. */
export interface GenerateEmbedUnit {
  step: number;
  /** Gallery size and how many of its items are IID (the first `nIid`). */
  n: number;
  nIid: number;
  modalities: GteModality[];
  /** The refinement's losses and chance (the same refinement as the GRSL unit at this checkpoint). */
  refinement: { losses: number[]; chance: number };
}

/** What identifies one unit (with the run's seed): the pretraining run, the checkpoint, the GRSL refinement and this measurement's settings. */
export function gteUnitIdentity(spec: PretrainSpec, step: number, cfg: GenerateEmbedConfig) {
  const refineCfg = grslUnitIdentity(spec, step, grslConfigOf(cfg), false).refine;
  return { run: pretrainIdentity(spec), step, refine: refineCfg, galleryItems: cfg.galleryItems, heldOutTriples: cfg.heldOutTriples, maxNew: cfg.maxNew, measure: "generate-embed v1" };
}

/** Folder of one unit: `<root>/organism-generate-embed/<size>-step<step>__<hash>/seed-<n>`. */
export function gteUnitDir(root: string, spec: PretrainSpec, seed: number, step: number, cfg: GenerateEmbedConfig): string {
  return path.join(root, "organism-generate-embed", `${spec.size}-step${step}__${configHash(gteUnitIdentity(spec, step, cfg)).slice(0, 12)}`, `seed-${seed}`);
}

/**
 * Measure one (run, checkpoint), cached with `runOrLoad`: greedy captions of the gallery with the
 * pretrained model, the four retrievals before refinement, the GRSL refinement, the four after.
 */
export async function gteUnit(runDirPath: string, spec: PretrainSpec, seed: number, step: number, cfg: GenerateEmbedConfig, options: { root: string; log?: (line: string) => void }): Promise<GenerateEmbedUnit> {
  const ident = gteUnitIdentity(spec, step, cfg);
  return runOrLoad<GenerateEmbedUnit, typeof ident>({
    dir: gteUnitDir(options.root, spec, seed, step, cfg),
    cfg: ident,
    seed,
    profile: spec.profile,
    log: options.log,
    compute: () => {
      options.log?.(`generate-embed: ${spec.size}/seed ${seed} at step ${step}`);
      const data = specData(spec);
      const gallery = mixedGallery(data, cfg.galleryItems);
      const nIid = Math.min(cfg.galleryItems, data.splits.iid.length);
      // The GRSL unit's exact refinement: same triples split, same config, same seed.
      const triples = splitTriples(worldTriples(data), cfg.heldOutTriples, seed);
      const shuffle = permutation(gallery.length, rng(splitSeed(seed, "generate-embed/shuffle")));
      const model = modelAtStep(runDirPath, data, step);
      try {
        const mods = (["document", "audio", "image"] as const).filter((m) => model.inputs[m]);
        const generated = mods.map((m) => greedyDecode(model, data, gallery, m, "caption", { maxNew: cfg.maxNew }));
        const before = mods.map((m, k) => gteRetrievals(model, data, gallery, m, generated[k], shuffle));
        const r = refine(model, data, ident.refine, seed, { triples: triples.train });
        const modalities = mods.map((modality, k): GteModality => {
          const exact: number[] = gallery.map((i, j) => (captionIsExact(data.items[i], generated[k][j]) ? 1 : 0));
          return {
            modality,
            captionExact: exact.reduce((a, b) => a + b, 0) / exact.length,
            exact,
            samples: gallery.slice(0, 3).map((i, j) => ({ id: data.items[i].id, reference: data.items[i].captions[0], generated: generated[k][j] })),
            before: before[k],
            after: gteRetrievals(model, data, gallery, modality, generated[k], shuffle),
          };
        });
        return { step, n: gallery.length, nIid, modalities, refinement: { losses: r.losses, chance: r.chance } };
      } finally {
        disposeOrganism(model);
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The results and their summary

/** One model (a run's final checkpoint) on one modality. */
export interface GteModel {
  run: string;
  size: string;
  seed: number;
  step: number;
  modality: EncodedModality;
  /** The existing generative score of this modality at this checkpoint (mean of IID and OOD; `generate.ts`). */
  generativeScore: number;
  /** Greedy caption exact match on the gallery, overall and per split. */
  captionExact: number;
  captionExactIid: number;
  captionExactOod: number;
  /** R@1 of a random ranking on this gallery. */
  chanceRecallAt1: number;
  before: Record<GteQuery, { recallAt1: number; ndcgAt10: number }>;
  after: Record<GteQuery, { recallAt1: number; ndcgAt10: number }>;
  /** After refinement, generate-then-embed R@1 among items whose caption is exact / wrong (`null` when there are none; JSON has no NaN). */
  recallGivenExact: number | null;
  recallGivenWrong: number | null;
}

/** The experiment's results (what `--publish` writes). */
export interface GenerateEmbedResults {
  format: typeof GENERATE_EMBED_FORMAT;
  profile: string;
  /** How captions are generated and judged. */
  generator: string;
  refinement: string;
  gallery: string;
  models: GteModel[];
}

const meanOf = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pickScores = (r: Record<GteQuery, QueryRetrieval>) => Object.fromEntries(GTE_QUERIES.map((q) => [q, { recallAt1: r[q].recallAt1, ndcgAt10: r[q].ndcgAt10 }])) as GteModel["after"];

/** Turn one unit into its per-modality model rows. */
export function gteModels(u: GenerateEmbedUnit, run: { run: string; size: string; seed: number }, generative: (modality: string) => number): GteModel[] {
  const chance = retrievalChance(u.n, { ks: [1] })["recall@1"];
  return u.modalities.map((m) => {
    const hits = m.after.generated.hits;
    const given = (want: number) => {
      const h = hits.filter((_, j) => m.exact[j] === want);
      return h.length ? meanOf(h) : null;
    };
    return {
      ...run, step: u.step, modality: m.modality, generativeScore: generative(m.modality),
      captionExact: m.captionExact, captionExactIid: meanOf(m.exact.slice(0, u.nIid)), captionExactOod: meanOf(m.exact.slice(u.nIid)),
      chanceRecallAt1: chance, before: pickScores(m.before), after: pickScores(m.after),
      recallGivenExact: given(1), recallGivenWrong: given(0),
    };
  });
}

/** Options of {@link runGenerateEmbed}. */
export interface RunGenerateEmbedOptions {
  /** Runs folder (the family's pretraining runs are found here). Default `runsRoot()`. */
  root?: string;
  workers?: number;
  log?: (line: string) => void;
}

/** The unit folders and the results of a run of the experiment. */
export interface GenerateEmbedRun {
  results: GenerateEmbedResults;
  dirs: string[];
}

/**
 * The experiment in-process: pretrain (or load) every family run, measure its final kept
 * checkpoint (cached per run), and assemble the results. No timings inside.
 */
export async function runGenerateEmbed(profile: Profile, cfg: GenerateEmbedConfig, options: RunGenerateEmbedOptions = {}): Promise<GenerateEmbedRun> {
  const root = runsRoot(options.root);
  const gcfg = grslConfigOf(cfg);
  await pretrainFamily(profile, { sizes: cfg.sizes, seeds: cfg.seeds, workers: options.workers, root, spec: grslSpecOverrides(gcfg), log: options.log });
  const models: GteModel[] = [];
  const dirs: string[] = [];
  let refineText = "", galleryText = "";
  for (const unit of gteUnits(profile, cfg, root)) {
    const { r, pre, step, u } = await unit.run(options.log);
    dirs.push(unit.dir);
    models.push(...gteModels(u, { run: r.run, size: r.spec.size, seed: r.seed }, (m) => generativeAt(pre, step, m, r.run).score));
    const rc = gteUnitIdentity(r.spec, step, cfg).refine;
    refineText ||= `the GRSL sweep's: text-only ${rc.strategy.toUpperCase()} (rank ${rc.lora.rank}) on the world's triples minus ${cfg.heldOutTriples} held out, ${rc.steps} steps × ${rc.batchSize}, τ ${rc.tau}`;
    galleryText ||= `mixed IID+OOD, n = ${u.n} (first ${u.nIid} IID, then ${u.n - u.nIid} OOD); candidates: each item's canonical caption`;
  }
  return {
    results: {
      format: GENERATE_EMBED_FORMAT, profile,
      generator: `greedy caption of the pretrained final checkpoint (≤ ${cfg.maxNew} tokens), exact = equal to one of the item's paraphrases (generate.ts's rule), embedded with the refined model's text read-out`,
      refinement: refineText, gallery: galleryText, models,
    },
    dirs,
  };
}

/** One measured unit of {@link gteUnits}: the run, its pretraining result, the checkpoint measured and the measurement. */
export interface GteMeasured {
  r: GrslRunSpec;
  pre: PretrainResult & { dir: string };
  step: number;
  u: GenerateEmbedUnit;
}

/**
 * The units of a config, one per family run (its final checkpoint), in the order
 * {@link runGenerateEmbed} measures them. A unit's folder is planned from the run's planned
 * checkpoints (known before it is trained); `run` measures the last checkpoint the run kept.
 */
export function gteUnits(profile: Profile, cfg: GenerateEmbedConfig, root?: string): ExperimentUnit<GteMeasured>[] {
  const r0 = runsRoot(root);
  return grslRuns(profile, grslConfigOf(cfg)).map((r) => {
    const planned = plannedCheckpoints(r.spec);
    return {
      label: r.run,
      dir: gteUnitDir(r0, r.spec, r.seed, planned[planned.length - 1], cfg),
      runs: [{ spec: r.spec, seed: r.seed }],
      run: async (log?: (line: string) => void) => {
        const pre = await pretrain(r.spec, r.seed, { root: r0, log });
        const kept = listCheckpoints(pre.dir);
        if (kept.length === 0) throw new InputError(`run ${r.run} has no kept checkpoint`);
        const step = kept[kept.length - 1];
        return { r, pre, step, u: await gteUnit(pre.dir, r.spec, r.seed, step, cfg, { root: r0, log }) };
      },
    };
  });
}

/** Every unit folder of a config whose runs are not trained yet (planned final checkpoints). */
export function gteUnitDirs(profile: Profile, cfg: GenerateEmbedConfig, root?: string): string[] {
  return gteUnits(profile, cfg, root).map((u) => u.dir);
}

/** Mean ± 95 % CI over models (seeds) of a value. */
const ci = (xs: readonly number[]) => (xs.length ? meanCIText([...xs]) : "n/a");

/**
 * The printed table: per size × modality (and all sizes), mean ± 95 % CI over seeds of the existing
 * generative score (IID/OOD evaluation), caption exact match on the gallery, the after-refinement R@1 of the four queries, the paired generate-then-embed − caption
 * exact difference, and chance.
 */
export function generateEmbedSummary(results: GenerateEmbedResults): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  const modalities = [...new Set(results.models.map((m) => m.modality))];
  const sizes = [...new Set(results.models.map((m) => m.size))];
  for (const modality of modalities) {
    for (const size of [...sizes, "all"]) {
      const ms = results.models.filter((m) => m.modality === modality && (size === "all" || m.size === size));
      if (ms.length === 0) continue;
      out.push({
        modality, size, models: ms.length,
        "generative score": ci(ms.map((m) => m.generativeScore)),
        "caption exact": ci(ms.map((m) => m.captionExact)),
        "R@1 direct": ci(ms.map((m) => m.after.direct.recallAt1)),
        "R@1 generate→embed": ci(ms.map((m) => m.after.generated.recallAt1)),
        "gte − exact": ci(ms.map((m) => m.after.generated.recallAt1 - m.captionExact)),
        "R@1 shuffled": ci(ms.map((m) => m.after.shuffled.recallAt1)),
        "R@1 paraphrase": ci(ms.map((m) => m.after.paraphrase.recallAt1)),
        chance: Number(meanOf(ms.map((m) => m.chanceRecallAt1)).toFixed(4)),
      });
    }
  }
  return out;
}

/** The per-model relation between generate-then-embed R@1 and caption exact match, per modality. */
export interface GteRelation {
  modality: string;
  n: number;
  /** Mean over models of (gte R@1 − caption exact), with its 95 % t-interval. */
  meanDifference: number;
  differenceCI: [number, number];
  /** Mean |gte R@1 − caption exact| over models. */
  meanAbsDifference: number;
  /** OLS slope of gte R@1 on caption exact with its t-interval, and Spearman ρ (`NaN` when x or y does not vary). */
  slope: number;
  slopeCI: [number, number];
  rho: number;
  /** Mean over models of generate-then-embed R@1 among exact / wrong captions (models that have such items; `NaN` when none has). */
  recallGivenExact: number;
  recallGivenWrong: number;
}

/** {@link GteRelation} of every modality, after refinement. */
export function generateEmbedRelation(results: GenerateEmbedResults): GteRelation[] {
  return [...new Set(results.models.map((m) => m.modality))].map((modality) => {
    const ms = results.models.filter((m) => m.modality === modality);
    const x = ms.map((m) => m.captionExact), y = ms.map((m) => m.after.generated.recallAt1);
    const d = ms.map((m, i) => y[i] - x[i]);
    const dc = meanCI(d);
    const varies = (v: number[]) => new Set(v).size > 1;
    const fit = ms.length >= 3 && varies(x) && varies(y) ? ols(x, y) : null;
    const finite = (v: (number | null)[]) => meanOf(v.filter((x): x is number => x !== null && Number.isFinite(x)));
    return {
      modality, n: ms.length,
      meanDifference: dc.mean, differenceCI: [dc.lo, dc.hi],
      meanAbsDifference: meanOf(d.map(Math.abs)),
      slope: fit ? fit.slope : NaN, slopeCI: fit ? fit.slopeCI : [NaN, NaN],
      rho: ms.length >= 3 && varies(x) && varies(y) ? spearman(x, y) : NaN,
      recallGivenExact: finite(ms.map((m) => m.recallGivenExact)), recallGivenWrong: finite(ms.map((m) => m.recallGivenWrong)),
    };
  });
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "n/a");

/** One sentence per modality for the report and the chapter (mechanism, not a verdict). */
export function generateEmbedLines(results: GenerateEmbedResults): string[] {
  return generateEmbedRelation(results).map((r) => {
    const ms = results.models.filter((m) => m.modality === r.modality);
    return `Generate-then-embed, ${r.modality} (${r.n} models, after refinement): R@1 ${ci(ms.map((m) => m.after.generated.recallAt1))} against caption exact match ${ci(ms.map((m) => m.captionExact))} ` +
      `(difference ${f3(r.meanDifference)} [${f3(r.differenceCI[0])}, ${f3(r.differenceCI[1])}], mean |difference| ${f3(r.meanAbsDifference)}, slope ${f3(r.slope)}, ρ ${f3(r.rho)}); ` +
      `direct R@1 ${ci(ms.map((m) => m.after.direct.recallAt1))}, shuffled captions ${ci(ms.map((m) => m.after.shuffled.recallAt1))}, chance ${f3(meanOf(ms.map((m) => m.chanceRecallAt1)))}; ` +
      `R@1 given an exact caption ${f3(r.recallGivenExact)}, given a wrong one ${f3(r.recallGivenWrong)}.`;
  });
}

/** Check a results object read from a file. */
export function checkGenerateEmbedResults(j: unknown, where = "generate-embed results"): GenerateEmbedResults {
  const r = j as Partial<GenerateEmbedResults>;
  if (!r || r.format !== GENERATE_EMBED_FORMAT) throw new InputError(`${where}: expected format "${GENERATE_EMBED_FORMAT}", got ${JSON.stringify(r?.format)}`);
  if (!Array.isArray(r.models)) throw new InputError(`${where}: "models" must be an array`);
  r.models.forEach((m, i) => {
    for (const v of [m.captionExact, ...GTE_QUERIES.flatMap((q) => [m.after?.[q]?.recallAt1, m.before?.[q]?.recallAt1])]) {
      if (!(typeof v === "number" && v >= 0 && v <= 1)) throw new InputError(`${where}: models[${i}] has a value outside [0, 1]: ${v}`);
    }
  });
  return r as GenerateEmbedResults;
}

/** Publish to `data/organism/<profile>/generate-embed.json` with its provenance. */
export function publishGenerateEmbed(results: GenerateEmbedResults, dirs: readonly string[], command: string): PublishedExperiment {
  return publishExperimentResult(results.profile, GENERATE_EMBED_NAME, checkGenerateEmbedResults(results), dirs, { command });
}

/** The published result of a profile, or `null` when it is not published ("not yet measured"). */
export function loadPublishedGenerateEmbed(profile = "full", root?: string): GenerateEmbedResults | null {
  const r = loadPublishedExperiment<GenerateEmbedResults>(profile, GENERATE_EMBED_NAME, GENERATE_EMBED_FORMAT, root);
  return r === null ? null : checkGenerateEmbedResults(r);
}
