/**
 * P4, the generation–representation scaling law (GRSL) on models we trained: the results format
 * and its analysis.
 *
 * The sweep (run once the refinement loop exists) takes every kept checkpoint of every size ×
 * seed, gives each the same default text-only refinement, and measures per modality
 * - x: the generative score that pretraining already records (caption exact match and answer
 *   attributes, `organism/generate.ts`), and
 * - y: the representation score, modality → caption retrieval, before and after refinement.
 * An intervention arm trains the same size for the same steps with a share of its pretraining
 * captions corrupted (0, 10, 30, 50 %), a dial on generation with everything else fixed.
 *
 * This file holds what does not need a model: the typed results ({@link GrslResults}), the one
 * definition of the representation score, and the statistics of each panel (computed once, with
 * runs as clusters, by `stats.lineStatistics`), and the corruption arm judged on its own
 * ({@link corruptionArmSummary}: one point per run, R@1 on the generative score and on the rate).
 * Figures and the reproduction report read these.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError, layers, type NdArray } from "../array";
import { definePreset, type Profile } from "../config";
import { writeJsonAtomic } from "../io/atomic";
import { projectPath } from "../project";
import { permutation, rng, splitSeed } from "../random";
import { configHash, runOrLoad, runsRoot } from "../runs";
import { LORA_PARAMS } from "../nn/lora";
import { infoNCE } from "../nn/losses";
import { retrievalChance, retrievalScores } from "../retrieval/retrieval";
import { clusterBootstrap, lineStatistics, meanCI, ols, permutationTest, type ClusteredPoint, type LineStatistics } from "../stats";
import { checkpointSteps, type Modality } from "../organism/config";
import { listCheckpoints, loadOrganism, readRunConfig } from "../organism/checkpoint";
import type { OrganismData } from "../organism/data";
import { embedIndices, textPromptEndStates } from "../organism/embed";
import { pretrain, pretrainFamily, pretrainIdentity, pretrainSpec, specConfig, specData, type PretrainResult, type PretrainSpec } from "../organism/family";
import type { GenerativeEval } from "../organism/generate";
import { createOrganism, disposeOrganism, fitInputNorm, type Organism } from "../organism/model";
import { refine, refineConfig, worldTriples, type RefineConfig, type TextTriple } from "../organism/refine";

/** The format tag of {@link GrslResults} files. */
export const GRSL_FORMAT = "lco-grsl v1";

/** Modalities of the sweep, in panel order; `combined` is the mean over the measured ones. */
export const GRSL_MODALITIES = ["document", "video", "audio", "image", "combined"] as const;
export type GrslModality = (typeof GRSL_MODALITIES)[number];

/** The paper's panel that corresponds to each of our modalities (`null`: the paper has none). */
export const PAPER_PANEL_OF: Record<GrslModality, "ocr" | "video" | "audio" | null> = {
  document: "ocr",
  video: "video",
  audio: "audio",
  image: null,
  combined: null,
};

/** Retrieval of one model, one modality, at one phase (before or after refinement). */
export interface RetrievalScores {
  /** Modality → caption recall@1 on the evaluation gallery. */
  recallAt1: number;
  /** Modality → caption nDCG@10 on the same gallery. */
  ndcgAt10: number;
}

/**
 * THE representation score of the sweep, defined once: the mean of modality → caption R@1 and
 * nDCG@10. R@1 alone is coarse on small galleries (a step of 1/n); nDCG@10 credits a match at rank
 * 2–10, so the mean moves smoothly while staying anchored on exact retrieval.
 * @throws InputError when a score is outside [0, 1].
 */
export function representationScore(s: RetrievalScores): number {
  for (const [k, v] of Object.entries(s)) {
    if (!(typeof v === "number" && v >= 0 && v <= 1)) throw new InputError(`invalid ${k}; need a value in [0, 1], got ${v}`);
  }
  return (s.recallAt1 + s.ndcgAt10) / 2;
}

/** One model (a checkpoint of a run) on one modality. */
export interface GrslPoint {
  /** The run this checkpoint belongs to, the cluster of the statistics, e.g. `"M/seed 1"` or `"M/seed 1/corrupt 0.3"`. */
  run: string;
  size: string;
  seed: number;
  /** Pretraining step of the checkpoint (0 = random init). */
  step: number;
  /** `"checkpoints"` (the family's kept checkpoints) or `"corruption"` (the intervention arm). */
  arm: "checkpoints" | "corruption";
  /** Share of pretraining captions corrupted, 0 for the checkpoint arm. */
  corruptionRate: number;
  modality: Exclude<GrslModality, "combined">;
  /** Generative score of this modality at this checkpoint (x; 0–1). */
  generativeScore: number;
  /** Caption NLL of this modality (nats per token), the other generative axis. */
  captionNll: number;
  before: RetrievalScores;
  after: RetrievalScores;
}

/**
 * One refined model for the theory plots (chapter 14's bound made measurable). The bound says the
 * contrastive risk after refinement is smaller when the generative prior P captures more (lower
 * generative loss L_g) and when the refined Q stays close to P (small KL(Q‖P), whose proxy here is
 * the squared norm of the weight change).
 */
export interface TheoryPoint {
  run: string;
  size: string;
  seed: number;
  step: number;
  /** How the decoder was refined: LoRA or full fine-tuning (same data and steps). */
  strategy: "lora" | "full";
  /** L_g(P): caption NLL of the checkpoint before refinement, mean over modalities (nats/token). */
  generativeLoss: number;
  /** InfoNCE loss after refinement on the refinement's training pairs (nats). */
  contrastiveTrain: number;
  /** InfoNCE loss after refinement on held-out pairs (nats). */
  contrastiveHeldOut: number;
  /** ‖ΔW‖² = Σ (W_refined − W_pretrained)² over the decoder (LoRA: of the merged update). */
  weightChangeSq: number;
}

/** The GRSL sweep's results (what `experiments/grsl` writes and the figure reads). */
export interface GrslResults {
  format: typeof GRSL_FORMAT;
  profile: string;
  /** The refinement every model received (strategy, data, steps), as text for captions. */
  refinement: string;
  /** Gallery of the retrieval, e.g. `"mixed IID+OOD, n = 288"`. */
  gallery: string;
  /** Chance level of the representation score per modality (a random ranking's R@1 and nDCG@10, combined). */
  chance: Partial<Record<Exclude<GrslModality, "combined">, number>>;
  points: GrslPoint[];
  /** The theory plots' points, when measured. */
  theory?: TheoryPoint[];
  /**
   * The caption-corruption arm judged on its own ({@link corruptionArmSummary} of `points`; `null`:
   * no arm). Written by the run; results published before it existed get it from
   * {@link grslCorruptionArm}, which recomputes it from the points.
   */
  corruptionArm?: CorruptionArmSummary | null;
}

/** One (x, y) of a panel, with its run. */
export interface PanelPoint extends ClusteredPoint {
  size: string;
  seed: number;
  step: number;
  arm: GrslPoint["arm"];
  corruptionRate: number;
}

/**
 * The points of one panel: x = generative score, y = representation score at `phase`. For
 * `combined`, one point per checkpoint: the mean over the modalities that checkpoint was measured
 * on (x and y averaged alike).
 */
export function panelPoints(results: GrslResults, modality: GrslModality, phase: "before" | "after"): PanelPoint[] {
  if (!(GRSL_MODALITIES as readonly string[]).includes(modality)) {
    throw new InputError(`unknown GRSL modality "${modality}"; expected one of ${GRSL_MODALITIES.join(", ")}`);
  }
  const toPoint = (p: GrslPoint): PanelPoint => ({
    x: p.generativeScore,
    y: representationScore(p[phase]),
    cluster: p.run,
    size: p.size,
    seed: p.seed,
    step: p.step,
    arm: p.arm,
    corruptionRate: p.corruptionRate,
  });
  if (modality !== "combined") return results.points.filter((p) => p.modality === modality).map(toPoint);
  const byModel = new Map<string, GrslPoint[]>();
  for (const p of results.points) {
    const key = `${p.run}@${p.step}`;
    byModel.set(key, [...(byModel.get(key) ?? []), p]);
  }
  return [...byModel.values()].map((ps) => {
    const each = ps.map(toPoint);
    const m = (f: (q: PanelPoint) => number) => each.reduce((s, q) => s + f(q), 0) / each.length;
    return { ...each[0], x: m((q) => q.x), y: m((q) => q.y) };
  });
}

/** The statistics of one panel and phase, or why there are none. */
export interface PanelStatistics {
  modality: GrslModality;
  phase: "before" | "after";
  points: PanelPoint[];
  /** `null` when the panel has fewer than 3 points or no spread in x or y (see `reason`). */
  stats: LineStatistics | null;
  reason: string | null;
}

/** Options of {@link grslStatistics}. */
export interface GrslStatisticsOptions {
  /** Seed of the bootstrap and permutations. Default 0. */
  seed?: number;
  /** Bootstrap resamples. Default 2000. */
  nBoot?: number;
  /** λ of the Deming fit (var of y error / var of x error). Default 1. */
  errorRatio?: number;
}

/**
 * Statistics of one panel and phase (`stats.lineStatistics` with runs as clusters). A panel that
 * cannot be fitted (no points, fewer than 3, constant x or y) gets `stats: null` and a reason, so a
 * figure or report can say "not measured" instead of failing.
 */
export function grslPanelStatistics(results: GrslResults, modality: GrslModality, phase: "before" | "after", opts: GrslStatisticsOptions = {}): PanelStatistics {
  const points = panelPoints(results, modality, phase);
  const base = { modality, phase, points };
  if (points.length === 0) return { ...base, stats: null, reason: "not yet measured" };
  if (points.length < 3) return { ...base, stats: null, reason: `only ${points.length} point(s)` };
  const distinct = (v: number[]) => new Set(v).size;
  if (distinct(points.map((p) => p.x)) < 2) return { ...base, stats: null, reason: "no spread in the generative score" };
  if (distinct(points.map((p) => p.y)) < 2) return { ...base, stats: null, reason: "no spread in the representation score" };
  const stats = lineStatistics(points, { seed: opts.seed ?? 0, nBoot: opts.nBoot ?? 2000, errorRatio: opts.errorRatio });
  return { ...base, stats, reason: null };
}

/** Check the shape of a results object read from a file (format tag, points, values in range). */
export function checkGrslResults(j: unknown, where = "GRSL results"): GrslResults {
  const r = j as Partial<GrslResults>;
  if (!r || r.format !== GRSL_FORMAT) throw new InputError(`${where}: expected format "${GRSL_FORMAT}", got ${JSON.stringify(r?.format)}`);
  if (!Array.isArray(r.points)) throw new InputError(`${where}: "points" must be an array`);
  r.points.forEach((p, i) => {
    if (!(GRSL_MODALITIES as readonly string[]).includes(p.modality) || p.modality === ("combined" as string)) {
      throw new InputError(`${where}: points[${i}].modality is "${p.modality}"`);
    }
    if (!(p.generativeScore >= 0 && p.generativeScore <= 1)) throw new InputError(`${where}: points[${i}].generativeScore is ${p.generativeScore}; need [0, 1]`);
    representationScore(p.before);
    representationScore(p.after);
  });
  return r as GrslResults;
}

/**
 * A synthetic results object for tests and for showing the figure before the sweep has run. It is
 * labelled synthetic in its `refinement` field and must never be published: y = a noisy increasing
 * function of x with a per-run offset (the dependence between checkpoints of one run).
 * @param seed data seed; @param opts runs per size, checkpoints per run, and which modalities.
 */
export function syntheticGrslResults(seed: number, opts: { sizes?: string[]; seeds?: number[]; steps?: number[]; modalities?: GrslPoint["modality"][] } = {}): GrslResults {
  const r = rng(seed);
  const u = () => r.next();
  const sizes = opts.sizes ?? ["S", "M", "L"];
  const seeds = opts.seeds ?? [0, 1, 2];
  const steps = opts.steps ?? [0, 200, 600, 2000];
  const modalities = opts.modalities ?? ["document", "audio", "image"];
  const points: GrslPoint[] = [];
  sizes.forEach((size, si) => {
    for (const sd of seeds) {
      const offset = 0.05 * (u() - 0.5);
      steps.forEach((step, k) => {
        for (const modality of modalities) {
          const x = Math.min(1, (0.15 + 0.2 * si) * (k / (steps.length - 1)) + 0.1 * si * (k > 0 ? 1 : 0) + 0.03 * u());
          const y = (before: boolean) => Math.max(0, Math.min(1, 0.02 + (before ? 0.3 : 0.6) * x + offset + 0.03 * (u() - 0.5)));
          const ra = y(false), rb = y(true);
          points.push({
            run: `${size}/seed ${sd}`, size, seed: sd, step, arm: "checkpoints", corruptionRate: 0, modality,
            generativeScore: x, captionNll: 3 * (1 - x) + 0.1,
            before: { recallAt1: rb * 0.8, ndcgAt10: Math.min(1, rb * 1.2) },
            after: { recallAt1: ra * 0.8, ndcgAt10: Math.min(1, ra * 1.2) },
          });
        }
      });
    }
  });
  // Theory points: held-out contrastive loss rises with L_g; full fine-tuning moves further and generalises worse.
  const theory: TheoryPoint[] = [];
  sizes.forEach((size, si) => {
    for (const sd of seeds) {
      steps.forEach((step, k) => {
        const lg = 3 - 0.6 * k - 0.3 * si + 0.1 * u();
        for (const strategy of ["lora", "full"] as const) {
          const dw = (strategy === "lora" ? 0.5 : 4) * (1 + u());
          const train = 0.2 + 0.3 * lg + 0.05 * u();
          theory.push({ run: `${size}/seed ${sd}`, size, seed: sd, step, strategy, generativeLoss: lg, contrastiveTrain: train, contrastiveHeldOut: train + 0.05 * dw + 0.02 * u(), weightChangeSq: dw });
        }
      });
    }
  });
  return { format: GRSL_FORMAT, profile: "synthetic", refinement: "SYNTHETIC fixture (not a measurement)", gallery: "synthetic", chance: { document: 0.01, audio: 0.01, image: 0.01 }, points, theory };
}

/** The published sweep of a profile, relative to the project root: `data/organism/<profile>/grsl.json`. */
export function publishedGrslFile(profile: string): string {
  return `data/organism/${profile}/grsl.json`;
}

/**
 * The published GRSL sweep of a profile, or `null` when it has not been published yet (so a
 * figure or report can say "not yet measured" instead of inventing numbers).
 * @throws InputError when the file exists but is not a valid results file.
 */
export function loadPublishedGrsl(profile = "full", file = publishedGrslFile(profile)): GrslResults | null {
  const abs = projectPath(file);
  if (!fs.existsSync(abs)) return null;
  return checkGrslResults(JSON.parse(fs.readFileSync(abs, "utf8")), abs);
}

/** One ordering the bound predicts, and whether our models show it. */
export interface TheoryOrdering {
  name: string;
  /** What the bound predicts, in words. */
  prediction: string;
  /** Number of points (or pairs) it was judged on. */
  n: number;
  /** Spearman ρ (or, for the LoRA-vs-full comparison, the share of pairs in the predicted order). */
  value: number;
  /** Run-level 95 % bootstrap interval of `value` (`null` when there are fewer than 2 runs). */
  interval: [number, number] | null;
  /** `true`: the interval lies on the predicted side; `false`: it lies on the other side or includes the null; `null`: not measured. */
  holds: boolean | null;
}

/**
 * Do the bound's orderings hold on our models? Three checks, each judged with runs as clusters:
 * 1. lower generative loss L_g → lower held-out contrastive loss after refinement (Spearman ρ > 0
 *    between L_g and the held-out loss, LoRA models);
 * 2. LoRA stays closer to the prior than full fine-tuning: ‖ΔW‖²(LoRA) < ‖ΔW‖²(full) for the same
 *    checkpoint (share of checkpoints in that order, interval above ½);
 * 3. a larger move from the prior → a larger generalisation gap: Spearman ρ > 0 between ‖ΔW‖² and
 *    held-out − train contrastive loss (both strategies).
 */
export function theoryOrderings(points: readonly TheoryPoint[], opts: { seed?: number; nBoot?: number } = {}): TheoryOrdering[] {
  const seed = opts.seed ?? 0;
  const nBoot = opts.nBoot ?? 2000;
  const lora = points.filter((p) => p.strategy === "lora");
  const corr = (name: string, prediction: string, pts: { x: number; y: number; cluster: string }[]): TheoryOrdering => {
    if (pts.length < 3 || new Set(pts.map((p) => p.x)).size < 2 || new Set(pts.map((p) => p.y)).size < 2) {
      return { name, prediction, n: pts.length, value: NaN, interval: null, holds: null };
    }
    const s = lineStatistics(pts, { seed, nBoot });
    const b = s.spearmanBootstrap;
    return { name, prediction, n: s.n, value: s.spearman.observed, interval: b ? [b.lo, b.hi] : null, holds: b ? b.lo > 0 : null };
  };
  const first = corr(
    "generative loss → contrastive loss",
    "models with lower L_g reach lower held-out contrastive loss after refinement (ρ > 0)",
    lora.map((p) => ({ x: p.generativeLoss, y: p.contrastiveHeldOut, cluster: p.run })),
  );
  // Pairs: the same checkpoint refined both ways.
  const key = (p: TheoryPoint) => `${p.run}@${p.step}`;
  const full = new Map(points.filter((p) => p.strategy === "full").map((p) => [key(p), p]));
  const pairs = lora.filter((p) => full.has(key(p))).map((p) => ({ run: p.run, closer: p.weightChangeSq < full.get(key(p))!.weightChangeSq ? 1 : 0 }));
  let second: TheoryOrdering = { name: "LoRA vs full: distance to the prior", prediction: "LoRA moves less than full fine-tuning (‖ΔW‖² smaller)", n: pairs.length, value: NaN, interval: null, holds: null };
  if (pairs.length > 0) {
    const share = pairs.reduce((a, p) => a + p.closer, 0) / pairs.length;
    const groups = [...new Set(pairs.map((p) => p.run))].map((r) => pairs.filter((p) => p.run === r));
    const b = groups.length >= 2 ? clusterBootstrap(groups, (ps) => ps.reduce((a, p) => a + p.closer, 0) / ps.length, { seed, nBoot }) : null;
    second = { ...second, value: share, interval: b ? [b.lo, b.hi] : null, holds: b ? b.lo > 0.5 : null };
  }
  const third = corr(
    "distance to the prior → generalisation gap",
    "a larger ‖ΔW‖² goes with a larger held-out − train contrastive gap (ρ > 0)",
    points.map((p) => ({ x: p.weightChangeSq, y: p.contrastiveHeldOut - p.contrastiveTrain, cluster: `${p.run}/${p.strategy}` })),
  );
  return [first, second, third];
}

// ---------------------------------------------------------------------------------------------
// The run: every kept checkpoint of every run → text-only refinement → per-modality retrieval

/** What `lco experiment grsl` runs (every field overridable as `--key=value`). */
export interface GrslConfig {
  /** Family members. Default `["S", "M", "L"]`. */
  sizes: string[];
  /** Seeds of every run (≥ 3 for the statistics). Default `[0, 1, 2]`. */
  seeds: number[];
  /** Pretraining steps; `null` = the profile's. */
  numSteps: number | null;
  /** Refinement steps; `null` = the LoRA refinement's default of the profile (`refineConfig`). */
  refineSteps: number | null;
  /** Items per split of the generative evaluation (x); `null` = the spec's (smoke 32, full 96). Not part of the runs' identity. */
  evalItems: number | null;
  /**
   * Which checkpoints of each run: empty (the default) = every kept checkpoint (`listCheckpoints`)
   * plus the random initialisation (step 0); a list = those steps only (each must be kept, or 0),
   * e.g. `--checkpoints=0,600,2000`.
   */
  checkpoints: number[];
  /** Gallery items per split: the retrieval gallery mixes the first n IID and the first n OOD items. */
  galleryItems: number;
  /** World text triples held out of the refinement, for the held-out contrastive loss (theory). */
  heldOutTriples: number;
  /** Full fine-tuning of the decoder beside LoRA (theory: ‖ΔW‖², LoRA vs full): at the `"last"` checkpoint, `"all"`, or `"none"`. */
  fullFinetune: "last" | "all" | "none";
  /** Caption-corruption arm: rates > 0 (rate 0 is the checkpoint arm's last checkpoint). Empty = no arm. */
  corruptionRates: number[];
  /** Size of the corruption arm's runs. Default `"S"`. */
  corruptionSize: string;
}

/** The GRSL experiment's preset. */
export const GRSL_PRESET = definePreset<GrslConfig>({
  name: "grsl",
  description: "P4: representation after refinement vs generative score, every checkpoint × size × seed (+ caption-corruption arm)",
  defaults: {
    sizes: ["S", "M", "L"],
    seeds: [0, 1, 2],
    numSteps: null,
    refineSteps: null,
    evalItems: null,
    checkpoints: [],
    galleryItems: 48,
    heldOutTriples: 128,
    fullFinetune: "last",
    corruptionRates: [0.1, 0.3, 0.5],
    corruptionSize: "S",
  },
  profiles: { smoke: { galleryItems: 16, heldOutTriples: 32, corruptionRates: [0.5] } },
  validate(c) {
    if (c.seeds.length === 0) throw new InputError("grsl needs at least one seed");
    for (const r of c.corruptionRates) if (!(r > 0 && r <= 1)) throw new InputError(`invalid corruptionRates entry ${r}; need 0 < rate ≤ 1`);
    if (!["last", "all", "none"].includes(c.fullFinetune)) throw new InputError(`invalid fullFinetune "${c.fullFinetune}"; expected last, all or none`);
    if (!(Number.isInteger(c.galleryItems) && c.galleryItems >= 2)) throw new InputError(`invalid galleryItems; need an integer ≥ 2, got ${c.galleryItems}`);
    for (const s of c.checkpoints) if (!(Number.isInteger(s) && s >= 0)) throw new InputError(`invalid checkpoints entry ${JSON.stringify(s)}; need integer steps ≥ 0`);
    if (!(Number.isInteger(c.heldOutTriples) && c.heldOutTriples >= 2)) throw new InputError(`invalid heldOutTriples; need an integer ≥ 2, got ${c.heldOutTriples}`);
  },
});

/** Retrieval of one modality against the captions on a gallery, with the chance level of the score. */
export interface GalleryRetrieval extends RetrievalScores {
  /** ½(R@1 + nDCG@10) of a random ranking on this gallery. */
  chance: number;
  /** Gallery size. */
  n: number;
}

/**
 * Last-layer retrieval on `indices`: `query` embeddings rank `candidate` embeddings (item i's
 * match is item i), R@1 and nDCG@10 with the chance of their mean. Ties count against the model.
 * Text embeds each item's canonical caption (index 0).
 */
export function galleryRetrieval(model: Organism, data: OrganismData, indices: readonly number[], query: Modality, candidate: Modality): GalleryRetrieval {
  const last = (m: Modality) => {
    const L = layers(embedIndices(model, data, indices, m), m);
    return L[L.length - 1];
  };
  const r = retrievalScores(last(query), last(candidate), { ks: [1], ndcgK: 10 }).queryToCandidate;
  return { recallAt1: r.scores["recall@1"], ndcgAt10: r.scores["ndcg@10"], chance: (r.chance["recall@1"] + r.chance["ndcg@10"]) / 2, n: indices.length };
}

/**
 * Mean InfoNCE (nats) of the read-out on text triples, in consecutive full batches of the
 * refinement's batch size, with its hard negatives and τ, without dropout (evaluation).
 * @throws InputError when there are fewer triples than one batch.
 */
export function tripleContrastiveLoss(model: Organism, data: OrganismData, triples: readonly TextTriple[], cfg: RefineConfig): number {
  const bs = cfg.batchSize;
  const nb = Math.floor(triples.length / bs);
  if (nb < 1) throw new InputError(`need at least ${bs} triples for one batch; got ${triples.length}`);
  let sum = 0;
  for (let b = 0; b < nb; b++) {
    const batch = triples.slice(b * bs, (b + 1) * bs);
    sum += tf.tidy(() => {
      const emb = (texts: string[]) => textPromptEndStates(model, data.tokenizer, texts);
      const negatives = cfg.hardNegatives ? emb(batch.map((t) => t.negative)) : undefined;
      return infoNCE(emb(batch.map((t) => t.anchor)), emb(batch.map((t) => t.positive)), { negatives, tau: cfg.tau, symmetric: cfg.symmetric }).dataSync()[0];
    });
  }
  return sum / nb;
}

/** The decoder's base weights (`dec.*`, adapters excluded) as plain arrays. */
function decoderWeights(model: Organism): Record<string, NdArray> {
  return model.params.toNdArrays((n) => n.startsWith("dec.") && !LORA_PARAMS.test(n));
}

/**
 * ‖ΔW‖² = Σ (W − W₀ + (α/r)·A·B)² over the decoder's base weights against a snapshot `before`:
 * the whole update, whether it sits in the base weights (full fine-tuning) or in LoRA adapters
 * (which are read, not merged, so the model is left exactly as it was).
 */
export function weightChangeSq(model: Organism, before: Record<string, NdArray>): number {
  const ps = model.params;
  let s = 0;
  for (const [k, w0] of Object.entries(before)) {
    const layer = k.endsWith(".w") ? k.slice(0, -2) : null;
    const ad = layer !== null ? ps.lora.get(layer) : undefined;
    s += tf.tidy(() => {
      let d = tf.sub(ps.get(k), tf.tensor(w0.data as Float32Array, [...w0.shape]));
      if (ad && !ad.merged) d = tf.add(d, tf.mul(tf.matMul(ps.get(`${layer}.lora_a`) as tf.Tensor2D, ps.get(`${layer}.lora_b`) as tf.Tensor2D), ad.alpha / ad.rank));
      return tf.sum(tf.square(d)).dataSync()[0];
    });
  }
  return s;
}

/** The random initialisation of a run, as its training started (same seed, inputs standardised on the training split). */
function initialModel(runDirPath: string, data: OrganismData): Organism {
  const rc = readRunConfig(runDirPath);
  const m = createOrganism(rc.config, rc.inputs, rc.seed);
  fitInputNorm(m, data.cache, data.splits.train);
  return m;
}

/** A run's model at `step` (0 = its random initialisation). The caller disposes it. */
export function modelAtStep(runDirPath: string, data: OrganismData, step: number): Organism {
  return step === 0 ? initialModel(runDirPath, data) : loadOrganism(runDirPath, step).model;
}

/** The mixed IID + OOD gallery: the first `n` items of each split. */
export function mixedGallery(data: OrganismData, n: number): number[] {
  return [...data.splits.iid.slice(0, n), ...data.splits.ood.slice(0, n)];
}

/** The triples of a GRSL refinement: the world's, with the last `heldOut` of a seeded shuffle held out. */
export function splitTriples(triples: readonly TextTriple[], heldOut: number, seed: number): { train: TextTriple[]; heldOut: TextTriple[] } {
  if (!(heldOut >= 1 && heldOut < triples.length)) throw new InputError(`invalid heldOutTriples ${heldOut}; the world has ${triples.length} triples`);
  const order = permutation(triples.length, rng(splitSeed(seed, "grsl/held-out")));
  const cut = triples.length - heldOut;
  return { train: order.slice(0, cut).map((i) => triples[i]), heldOut: order.slice(cut).map((i) => triples[i]) };
}

/** One measured (run, checkpoint): what a unit's `result.json` holds. */
export interface GrslUnit {
  step: number;
  modalities: { modality: GrslPoint["modality"]; before: GalleryRetrieval; after: GalleryRetrieval }[];
  /** The LoRA refinement's losses and chance (timings left out). */
  refinement: { losses: number[]; chance: number; trainableParams: number };
  /** Contrastive losses and ‖ΔW‖², LoRA (and full fine-tuning when configured); `run`, `size` and `generativeLoss` are filled in later. */
  theory: Pick<TheoryPoint, "strategy" | "contrastiveTrain" | "contrastiveHeldOut" | "weightChangeSq">[];
}

/** What identifies one unit (with the run's seed). */
export function grslUnitIdentity(spec: PretrainSpec, step: number, cfg: GrslConfig, full: boolean) {
  const profile = spec.profile;
  const lora = refineConfig("lora", profile, cfg.refineSteps === null ? {} : { steps: cfg.refineSteps });
  const fullCfg = full ? refineConfig("full", profile, cfg.refineSteps === null ? {} : { steps: cfg.refineSteps }) : null;
  return { run: pretrainIdentity(spec), step, refine: lora, full: fullCfg, galleryItems: cfg.galleryItems, heldOutTriples: cfg.heldOutTriples, measure: "grsl v1" };
}

/**
 * Folder of one unit: `<root>/organism-grsl/<size>[-corrupt<rate>]-step<step>[-full]__<hash>/seed-<n>`
 * (readable at a glance; the hash carries everything else).
 */
export function grslUnitDir(root: string, spec: PretrainSpec, seed: number, step: number, cfg: GrslConfig, full: boolean): string {
  const c = spec.captionCorruption;
  const name = `${spec.size}${c && c.rate > 0 ? `-corrupt${c.rate}` : ""}-step${step}${full ? "-full" : ""}`;
  return path.join(root, "organism-grsl", `${name}__${configHash(grslUnitIdentity(spec, step, cfg, full)).slice(0, 12)}`, `seed-${seed}`);
}

/**
 * Measure one (run, checkpoint), cached with `runOrLoad`: retrieval of every modality against the
 * captions on the mixed gallery before and after the default text-only LoRA refinement, the
 * contrastive losses on training and held-out triples after it, and ‖ΔW‖²; optionally the same
 * for full fine-tuning of the decoder (same data and steps).
 */
export async function grslUnit(runDirPath: string, spec: PretrainSpec, seed: number, step: number, cfg: GrslConfig, options: { root: string; full: boolean; log?: (line: string) => void }): Promise<GrslUnit> {
  const ident = grslUnitIdentity(spec, step, cfg, options.full);
  return runOrLoad<GrslUnit, typeof ident>({
    dir: grslUnitDir(options.root, spec, seed, step, cfg, options.full),
    cfg: ident,
    seed,
    profile: spec.profile,
    log: options.log,
    compute: () => {
      options.log?.(`grsl: ${spec.size}/seed ${seed}${spec.captionCorruption ? `/corrupt ${spec.captionCorruption.rate}` : ""} at step ${step}`);
      const data = specData(spec);
      const gallery = mixedGallery(data, cfg.galleryItems);
      const triples = splitTriples(worldTriples(data), cfg.heldOutTriples, seed);
      const trainSample = triples.train.slice(0, triples.heldOut.length);
      const theoryOf = (m: Organism, strategy: "lora" | "full", c: RefineConfig, w0: Record<string, NdArray>) => ({
        strategy,
        contrastiveTrain: tripleContrastiveLoss(m, data, trainSample, c),
        contrastiveHeldOut: tripleContrastiveLoss(m, data, triples.heldOut, c),
        weightChangeSq: weightChangeSq(m, w0),
      });
      const theory: GrslUnit["theory"] = [];
      const model = modelAtStep(runDirPath, data, step);
      let unit: Omit<GrslUnit, "theory">;
      try {
        const mods = (["document", "audio", "image"] as const).filter((m) => model.inputs[m]);
        const before = mods.map((m) => galleryRetrieval(model, data, gallery, m, "text"));
        const w0 = decoderWeights(model);
        const r = refine(model, data, ident.refine, seed, { triples: triples.train });
        const modalities = mods.map((modality, i) => ({ modality, before: before[i], after: galleryRetrieval(model, data, gallery, modality, "text") }));
        theory.push(theoryOf(model, "lora", ident.refine, w0));
        unit = { step, modalities, refinement: { losses: r.losses, chance: r.chance, trainableParams: r.trainableParams } };
      } finally {
        disposeOrganism(model);
      }
      if (ident.full) {
        const m = modelAtStep(runDirPath, data, step);
        try {
          const w0 = decoderWeights(m);
          refine(m, data, ident.full, seed, { triples: triples.train });
          theory.push(theoryOf(m, "full", ident.full, w0));
        } finally {
          disposeOrganism(m);
        }
      }
      return { ...unit, theory };
    },
  });
}

/** One pretraining run of the sweep: which arm, and its spec. */
export interface GrslRunSpec {
  spec: PretrainSpec;
  seed: number;
  arm: GrslPoint["arm"];
  corruptionRate: number;
  /** The cluster label, e.g. `"M/seed 1"` or `"S/seed 0/corrupt 0.3"`. */
  run: string;
}

/** The runs of a GRSL config: sizes × seeds, then corruption rates × seeds. */
export function grslRuns(profile: Profile, cfg: GrslConfig): GrslRunSpec[] {
  const over = grslSpecOverrides(cfg);
  const out: GrslRunSpec[] = [];
  for (const size of cfg.sizes) for (const seed of cfg.seeds) out.push({ spec: pretrainSpec(profile, size, over), seed, arm: "checkpoints", corruptionRate: 0, run: `${size}/seed ${seed}` });
  for (const rate of cfg.corruptionRates) {
    for (const seed of cfg.seeds) {
      out.push({ spec: pretrainSpec(profile, cfg.corruptionSize, { ...over, captionCorruption: { rate, seed } }), seed, arm: "corruption", corruptionRate: rate, run: `${cfg.corruptionSize}/seed ${seed}/corrupt ${rate}` });
    }
  }
  return out;
}

/** The pretraining spec overrides of a GRSL config. */
export function grslSpecOverrides(cfg: GrslConfig): Partial<PretrainSpec> {
  return { ...(cfg.numSteps === null ? {} : { numSteps: cfg.numSteps }), ...(cfg.evalItems === null ? {} : { evalItems: cfg.evalItems }) };
}

/**
 * The checkpoints measured for one run, from its kept steps (`listCheckpoints` after training,
 * or the steps its config will keep when planning): the corruption arm takes its last checkpoint
 * only (the dial is the rate, at fixed steps); the checkpoint arm takes step 0 and every kept one,
 * or `cfg.checkpoints`.
 * @throws InputError when a requested step is not kept.
 */
export function grslSteps(r: GrslRunSpec, kept: readonly number[], cfg: GrslConfig): number[] {
  if (kept.length === 0) throw new InputError(`run ${r.run} has no kept checkpoint`);
  const last = kept[kept.length - 1];
  if (r.arm === "corruption") return [last];
  if (cfg.checkpoints.length === 0) return [0, ...kept.filter((s) => s > 0)];
  for (const s of cfg.checkpoints) if (s !== 0 && !kept.includes(s)) throw new InputError(`checkpoint step ${s} is not kept by run ${r.run}; kept: 0, ${kept.join(", ")}`);
  return [...new Set(cfg.checkpoints)].sort((a, b) => a - b);
}

/** The steps a run's config keeps (for plans written before the run exists). */
export function plannedCheckpoints(spec: PretrainSpec): number[] {
  return checkpointSteps(specConfig(spec, 1));
}

/** Whether a unit gets full fine-tuning too. */
export function wantsFull(cfg: GrslConfig, r: GrslRunSpec, step: number, steps: readonly number[]): boolean {
  return r.arm === "checkpoints" && (cfg.fullFinetune === "all" || (cfg.fullFinetune === "last" && step === steps[steps.length - 1]));
}

const REFINE_TEXT = (cfg: RefineConfig) => `text-only ${cfg.strategy.toUpperCase()} (rank ${cfg.lora.rank}) on the world's triples, ${cfg.steps} steps × ${cfg.batchSize}, τ ${cfg.tau}`;

/** A pretraining run's generative score and caption NLL of one modality at one step: the mean of its IID and OOD evaluations. */
export function generativeAt(result: Pick<PretrainResult, "checkpoints">, step: number, modality: string, run: string): { score: number; nll: number } {
  const c = result.checkpoints.find((k) => k.step === step);
  if (!c) throw new InputError(`run ${run} has no generative evaluation at step ${step}; evaluated: ${result.checkpoints.map((k) => k.step).join(", ")}`);
  const of = (e: GenerativeEval) => {
    const m = e.byModality.find((b) => b.modality === modality);
    if (!m) throw new InputError(`run ${run} has no ${modality} evaluation at step ${step}`);
    return m;
  };
  return { score: (of(c.iid).score + of(c.ood).score) / 2, nll: (of(c.iid).captionNll + of(c.ood).captionNll) / 2 };
}

/** Options of {@link runGrsl}. */
export interface RunGrslOptions {
  /** Runs folder. Default `runsRoot()`. */
  root?: string;
  /** Parallel pretraining processes for the family. Default 1. */
  workers?: number;
  log?: (line: string) => void;
}

/**
 * The GRSL sweep in-process: pretrain (or load) every run, measure every chosen checkpoint
 * (each cached: a rerun loads, an interrupted run resumes at the first unit not done), and
 * assemble the results object the figure and the report read. No timings inside.
 */
export async function runGrsl(profile: Profile, cfg: GrslConfig, options: RunGrslOptions = {}): Promise<GrslResults> {
  const root = runsRoot(options.root);
  const runs = grslRuns(profile, cfg);
  await pretrainFamily(profile, { sizes: cfg.sizes, seeds: cfg.seeds, workers: options.workers, root, spec: grslSpecOverrides(cfg), log: options.log });
  const points: GrslPoint[] = [];
  const theory: TheoryPoint[] = [];
  const chance: GrslResults["chance"] = {};
  let refineText = "", galleryN = 0;
  for (const r of runs) {
    const pre = await pretrain(r.spec, r.seed, { root, log: options.log });
    const steps = grslSteps(r, listCheckpoints(pre.dir), cfg);
    for (const step of steps) {
      const full = wantsFull(cfg, r, step, steps);
      const u = await grslUnit(pre.dir, r.spec, r.seed, step, cfg, { root, full, log: options.log });
      const base = { run: r.run, size: r.spec.size, seed: r.seed, step };
      let nllSum = 0;
      for (const m of u.modalities) {
        const g = generativeAt(pre, step, m.modality, r.run);
        nllSum += g.nll;
        chance[m.modality] = m.before.chance;
        points.push({ ...base, arm: r.arm, corruptionRate: r.corruptionRate, modality: m.modality, generativeScore: g.score, captionNll: g.nll, before: pick(m.before), after: pick(m.after) });
      }
      for (const t of u.theory) theory.push({ ...base, ...t, generativeLoss: nllSum / u.modalities.length });
      refineText ||= REFINE_TEXT(grslUnitIdentity(r.spec, step, cfg, false).refine);
      galleryN = u.modalities[0]?.before.n ?? 0;
    }
  }
  const gallery = galleryText(galleryN, cfg.galleryItems);
  return { format: GRSL_FORMAT, profile, refinement: refineText, gallery, chance, points, theory, corruptionArm: corruptionArmSummary(points, { gallerySize: galleryN }) };
}

function pick(r: RetrievalScores): RetrievalScores {
  return { recallAt1: r.recallAt1, ndcgAt10: r.ndcgAt10 };
}

/**
 * The printed table of a GRSL result: per modality panel and phase, n, slope with both intervals,
 * ρ, and whether the panel supports the law by the report's rule.
 */
export function grslSummary(results: GrslResults, nBoot = 2000): Record<string, string | number>[] {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
  const out: Record<string, string | number>[] = [];
  for (const modality of GRSL_MODALITIES) {
    for (const phase of ["before", "after"] as const) {
      const p = grslPanelStatistics(results, modality, phase, { nBoot });
      if (!p.stats) {
        if (modality !== "video") out.push({ modality, phase, n: p.points.length, note: p.reason ?? "" });
        continue;
      }
      const s = p.stats, b = s.slopeBootstrap;
      out.push({
        modality, phase, n: s.n, runs: s.nClusters,
        slope: f(s.ols.slope), "t 95 %": `[${f(s.ols.slopeCI[0])}, ${f(s.ols.slopeCI[1])}]`,
        "run bootstrap": b ? `[${f(b.lo)}, ${f(b.hi)}]` : "n/a",
        rho: f(s.spearman.observed), "perm p": f(s.spearman.pValue),
        chance: modality === "combined" ? "" : f(results.chance[modality] ?? NaN),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The caption-corruption arm on its own: does the dial on generation move representation?

/** Mean and sample standard deviation over seeds (`sd` is `null` for one seed; JSON-safe, unlike `NaN`). */
export interface MeanSd {
  mean: number;
  sd: number | null;
}

/** One corruption rate of the arm in one modality: its runs' final-step scores over seeds. */
export interface CorruptionRateRow {
  rate: number;
  /** Seeds measured at this rate, ascending (n = `seeds.length`). */
  seeds: number[];
  /** The runs behind the row, e.g. `["S/seed 0", …]` at rate 0, `["S/seed 0/corrupt 0.3", …]` otherwise. */
  runs: string[];
  generative: MeanSd;
  before: { recallAt1: MeanSd; ndcgAt10: MeanSd };
  after: { recallAt1: MeanSd; ndcgAt10: MeanSd };
}

/** One within-arm fit: R@1 at `phase` on `x`, one point per run (rate × seed). */
export interface CorruptionArmFit {
  phase: "before" | "after";
  x: "generative score" | "corruption rate";
  n: number;
  /** OLS slope with its 95 % t-interval (df = n − 2); `null` when it cannot be fitted (then `reason` says why). */
  slope: number | null;
  slopeCI: [number, number] | null;
  /** Spearman ρ and its two-sided permutation p (`stats.permutationTest`); `null` when not fitted. */
  rho: number | null;
  rhoP: number | null;
  reason: string | null;
}

/** The arm in one modality. */
export interface CorruptionArmModality {
  modality: GrslPoint["modality"];
  /** One row per rate, ascending, rate 0 first. */
  rows: CorruptionRateRow[];
  /** R@1 after on the generative score, R@1 after on the rate, and the same two before refinement. */
  fits: { afterOnGenerative: CorruptionArmFit; afterOnRate: CorruptionArmFit; beforeOnGenerative: CorruptionArmFit; beforeOnRate: CorruptionArmFit };
  /** By {@link CORRUPTION_ARM_RULE}: `"with generation"`, `"against generation"`, `"no detectable effect"` or `"not measured"`. */
  dial: "with generation" | "against generation" | "no detectable effect" | "not measured";
}

/** The within-arm summary of the caption-corruption arm ({@link corruptionArmSummary}). */
export interface CorruptionArmSummary {
  /** Size of the arm's runs and the pretraining step all its points are read at. */
  size: string;
  step: number;
  /** Rates, ascending, 0 included (rate 0 = the checkpoint arm's runs of that size and those seeds at that step). */
  rates: number[];
  seeds: number[];
  /** Items in the retrieval gallery and the chance level of R@1 on it (`retrievalChance`). */
  gallerySize: number | null;
  chanceRecallAt1: number | null;
  modalities: CorruptionArmModality[];
  /** The rule the verdict applies, in words. */
  rule: string;
  /** One computed line, e.g. `"the dial moves representation after refinement with generation in 2 of 3 modalities (…)"`. */
  verdict: string;
}

/** How {@link corruptionArmSummary} judges a modality. */
export const CORRUPTION_ARM_RULE =
  "Per modality, one point per run of the arm (rate × seed, final step): the dial moves representation with generation when the OLS slope of R@1 after refinement on the generative score " +
  "has a 95 % t-interval above 0, against it when the interval lies below 0, and has no detectable effect when the interval includes 0. The slopes on the rate, before refinement and Spearman ρ (permutation p) are reported beside it, not judged.";

/** Options of {@link corruptionArmSummary}. */
export interface CorruptionArmOptions {
  /** Retrieval gallery size, for the chance level of R@1 (`null`: not stated). Default `null`. */
  gallerySize?: number | null;
  /** Seed of the permutation tests. Default 0. */
  seed?: number;
  /** Permutations per test. Default 10000. */
  nPerm?: number;
}

const meanSd = (v: readonly number[]): MeanSd => {
  const c = meanCI(v);
  return { mean: c.mean, sd: c.n > 1 ? c.sd : null };
};

/** A {@link MeanSd} as text, `0.149 ± 0.032` (`± n/a` for one seed): the CLI table and the report print the same. */
export function meanSdText(v: MeanSd): string {
  return `${v.mean.toFixed(3)} ± ${v.sd === null ? "n/a" : v.sd.toFixed(3)}`;
}

/**
 * The caption-corruption arm judged on its own: per modality, a table over rates of the final-step
 * generative score and R@1 / nDCG@10 before and after refinement (mean ± sd over seeds), and the
 * within-arm fits of R@1 on the generative score and on the rate (OLS with t-intervals, Spearman ρ
 * with a permutation p), one point per run, so the runs are independent and no clustering is needed.
 *
 * Rate 0 is not a run of the arm: it is the checkpoint arm's run of the arm's size and seed at
 * the arm's step (`specData` leaves a run's data untouched at rate 0, so that run is exactly the
 * rate-0 member of the arm). The arm's step is the one step of its points. Missing numbers are
 * `null`, not `NaN`, so the summary survives the JSON of a cached or published result unchanged.
 * @param points a GRSL result's points (both arms); @returns `null` when there is no corruption arm.
 * @throws InputError when the arm's points mix sizes or steps.
 */
export function corruptionArmSummary(points: readonly GrslPoint[], opts: CorruptionArmOptions = {}): CorruptionArmSummary | null {
  const arm = points.filter((p) => p.arm === "corruption");
  if (arm.length === 0) return null;
  const sizes = [...new Set(arm.map((p) => p.size))], steps = [...new Set(arm.map((p) => p.step))];
  if (sizes.length !== 1 || steps.length !== 1) throw new InputError(`the corruption arm must have one size and one step; got sizes ${sizes.join(", ")} and steps ${steps.join(", ")}`);
  const [size] = sizes, [step] = steps;
  const seeds = [...new Set(arm.map((p) => p.seed))].sort((a, b) => a - b);
  const baseline = points.filter((p) => p.arm === "checkpoints" && p.size === size && p.step === step && seeds.includes(p.seed));
  const pts = [...baseline, ...arm];
  const rates = [...new Set(pts.map((p) => p.corruptionRate))].sort((a, b) => a - b);
  const gallerySize = opts.gallerySize ?? null;
  const chanceRecallAt1 = gallerySize === null ? null : retrievalChance(gallerySize, { ks: [1] })["recall@1"];
  const modalities = (["document", "video", "audio", "image"] as const)
    .filter((m) => pts.some((p) => p.modality === m))
    .map((modality): CorruptionArmModality => {
      const mine = pts.filter((p) => p.modality === modality);
      const rows = rates.filter((rate) => mine.some((p) => p.corruptionRate === rate)).map((rate): CorruptionRateRow => {
        const at = mine.filter((p) => p.corruptionRate === rate).sort((a, b) => a.seed - b.seed);
        const of = (f: (p: GrslPoint) => number) => meanSd(at.map(f));
        return {
          rate, seeds: at.map((p) => p.seed), runs: at.map((p) => p.run),
          generative: of((p) => p.generativeScore),
          before: { recallAt1: of((p) => p.before.recallAt1), ndcgAt10: of((p) => p.before.ndcgAt10) },
          after: { recallAt1: of((p) => p.after.recallAt1), ndcgAt10: of((p) => p.after.ndcgAt10) },
        };
      });
      const fit = (phase: "before" | "after", x: CorruptionArmFit["x"]): CorruptionArmFit => {
        const xs = mine.map((p) => (x === "generative score" ? p.generativeScore : p.corruptionRate));
        const ys = mine.map((p) => p[phase].recallAt1);
        const none = (reason: string): CorruptionArmFit => ({ phase, x, n: xs.length, slope: null, slopeCI: null, rho: null, rhoP: null, reason });
        if (xs.length < 3) return none(`only ${xs.length} run(s)`);
        if (new Set(xs).size < 2) return none(`no spread in the ${x}`);
        if (new Set(ys).size < 2) return none(`no spread in R@1 ${phase}`);
        const o = ols(xs, ys);
        const t = permutationTest(xs, ys, { statistic: "spearman", seed: opts.seed ?? 0, nPerm: opts.nPerm ?? 10000 });
        return { phase, x, n: o.n, slope: o.slope, slopeCI: o.slopeCI, rho: t.observed, rhoP: t.pValue, reason: null };
      };
      const fits = {
        afterOnGenerative: fit("after", "generative score"),
        afterOnRate: fit("after", "corruption rate"),
        beforeOnGenerative: fit("before", "generative score"),
        beforeOnRate: fit("before", "corruption rate"),
      };
      const ci = fits.afterOnGenerative.slopeCI;
      const dial = ci === null ? "not measured" : ci[0] > 0 ? "with generation" : ci[1] < 0 ? "against generation" : "no detectable effect";
      return { modality, rows, fits, dial };
    });
  const judged = modalities.filter((m) => m.dial !== "not measured");
  const count = (d: CorruptionArmModality["dial"]) => modalities.filter((m) => m.dial === d).map((m) => m.modality);
  const withGen = count("with generation"), against = count("against generation");
  const verdict =
    judged.length === 0
      ? "not measured (no modality could be fitted)"
      : `the dial moves representation after refinement with generation in ${withGen.length} of ${judged.length} modalities${withGen.length ? ` (${withGen.join(", ")})` : ""}` +
        `${against.length ? `, against it in ${against.join(", ")}` : ""}; no detectable effect in ${judged.length - withGen.length - against.length}` +
        `${judged.length < modalities.length ? `; not measured in ${count("not measured").join(", ")}` : ""}`;
  return { size, step, rates, seeds, gallerySize, chanceRecallAt1, modalities, rule: CORRUPTION_ARM_RULE, verdict };
}

/** The retrieval gallery's size of a result: `galleryText`'s `n = …` (`null` when the text does not state it, e.g. synthetic results). */
export function grslGallerySize(results: Pick<GrslResults, "gallery">): number | null {
  const m = /\bn = (\d+)\b/.exec(results.gallery);
  return m ? Number(m[1]) : null;
}

/** The `gallery` text of a result (read back by {@link grslGallerySize}). */
export function galleryText(n: number, itemsPerSplit: number): string {
  return `mixed IID+OOD, n = ${n} (first ${itemsPerSplit} of each split)`;
}

/** The corruption arm's summary of a result, from its points (so a published result without the field gets it too). */
export function grslCorruptionArm(results: GrslResults, opts: Omit<CorruptionArmOptions, "gallerySize"> = {}): CorruptionArmSummary | null {
  return corruptionArmSummary(results.points, { ...opts, gallerySize: grslGallerySize(results) });
}

/**
 * The printed table of the corruption arm: one row per modality × rate (n, mean ± sd of the
 * generative score and of R@1 and nDCG@10 after and before), then one row per modality with the
 * fits and the judgement. Empty when there is no arm.
 */
export function corruptionArmTable(s: CorruptionArmSummary | null): Record<string, string | number>[] {
  if (!s) return [];
  const out: Record<string, string | number>[] = [];
  for (const m of s.modalities) {
    for (const r of m.rows) {
      const ms = meanSdText;
      out.push({ modality: m.modality, rate: r.rate, n: r.seeds.length, generative: ms(r.generative), "R@1 after": ms(r.after.recallAt1), "R@1 before": ms(r.before.recallAt1), "nDCG@10 after": ms(r.after.ndcgAt10), "nDCG@10 before": ms(r.before.ndcgAt10) });
    }
    const f = m.fits;
    out.push({ modality: m.modality, rate: "fit", n: f.afterOnGenerative.n, generative: `dial: ${m.dial}`, "R@1 after": `on gen ${corruptionFitText(f.afterOnGenerative)}; on rate ${corruptionFitText(f.afterOnRate)}`, "R@1 before": `on gen ${corruptionFitText(f.beforeOnGenerative)}; on rate ${corruptionFitText(f.beforeOnRate)}` });
  }
  return out;
}

/** One fit as text: `slope [lo, hi], ρ r (p p)`, or why it is missing. */
export function corruptionFitText(f: CorruptionArmFit): string {
  if (f.slope === null || f.slopeCI === null || f.rho === null || f.rhoP === null) return f.reason ?? "not fitted";
  const g = (v: number) => v.toFixed(3);
  return `${g(f.slope)} [${g(f.slopeCI[0])}, ${g(f.slopeCI[1])}], ρ ${g(f.rho)} (p ${f.rhoP < 0.001 ? "< 0.001" : g(f.rhoP)})`;
}

/**
 * Write a result to `data/organism/<profile>/<name>.json` and its provenance to
 * `<name>-provenance.json` (atomically). Returns the written paths (relative to the project root).
 */
export function publishResult(name: string, profile: string, result: object, provenance: object): string[] {
  const file = `data/organism/${profile}/${name}.json`;
  const prov = `data/organism/${profile}/${name}-provenance.json`;
  writeJsonAtomic(projectPath(file), result);
  writeJsonAtomic(projectPath(prov), provenance);
  return [file, prov];
}

/** Every unit folder of a GRSL config under `root` (for the provenance's timing). */
export function grslUnitDirs(profile: Profile, cfg: GrslConfig, root?: string): string[] {
  const r0 = runsRoot(root);
  return grslRuns(profile, cfg).flatMap((r) => {
    const steps = grslSteps(r, plannedCheckpoints(r.spec), cfg);
    return steps.map((s) => grslUnitDir(r0, r.spec, r.seed, s, cfg, wantsFull(cfg, r, s, steps)));
  });
}
