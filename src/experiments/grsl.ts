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
 * runs as clusters, by `stats.lineStatistics`). Figures and the reproduction report read these.
 *
 * @module
 */
import { InputError } from "../array";
import * as fs from "node:fs";
import { projectPath } from "../project";
import { rng } from "../random";
import { clusterBootstrap, lineStatistics, type ClusteredPoint, type LineStatistics } from "../stats";

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
