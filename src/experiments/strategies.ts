/**
 * P3, which refinement: the paper's training-strategy table on our organisms. From the same
 * pretrained runs (size × seed), each strategy of `organism/refine.ts` refines a fresh copy and the
 * result is measured like P2 (`measureCondition`):
 * - `none` (the pretrained model), `linear` (a linear projection on the frozen read-out, text-only),
 *   `full` (the full decoder, text-only), `lora` (LoRA, text-only), `clip` (LoRA on paired image
 *   and audio captions: CLIP-style multimodal, the same trainable parameters as `lora`);
 * - the columns map onto the paper's categories: image retrieval (image → caption R@1), "visual
 *   STS" (document image of a caption → caption R@1), linear probe (mean accuracy over attributes
 *   and modalities), audio (audio → caption R@1); `avg` is their mean, as the paper's Avg;
 * - cost: trainable parameters and training examples in the result, wall time in the provenance.
 *
 * A small sensitivity grid varies one LoRA field at a time around the default (temperature,
 * rank, batch size). Every (size, seed, variant) is one `runOrLoad` folder, measured on the IID
 * items (the columns' split; P2 reports OOD).
 * {@link strategiesVerdict} compares our ordering with the paper's, computed from both tables.
 *
 * @module
 */
import { InputError } from "../array";
import { definePreset, resolveConfig, type Overrides, type Profile } from "../config";
import { runsRoot } from "../runs";
import { meanCI, meanCIText } from "../stats";
import { loadOrganism } from "../organism/checkpoint";
import type { AnswerFormat } from "../organism/config";
import { pretrainFamily, pretrainSpec, specData, type PretrainSpec } from "../organism/family";
import { disposeOrganism } from "../organism/model";
import { refine, refineTriples, REFINE_STRATEGIES, type RefineConfig, type RefineStrategy } from "../organism/refine";
import { loadTrainingStrategies, type TrainingRow } from "../paper/data";
import { trainingAverage } from "../paper/training";
import { loadPublishedExperiment, publishExperimentResult, type PublishedExperiment } from "./published";
import type { ExperimentUnit } from "./units";
import { cachedCell, cellDir, measureCondition, refinementRefineConfig, refineSummary, type ConditionMeasurement, type RefinementCellOptions, type RefineFields, type RefineSummary } from "./refinement";

/** A strategy of the comparison: no refinement, or one of the refine loop's. */
export type StrategyName = "none" | RefineStrategy;

/** Our strategies → the paper table's strategy labels (`data/paper/training_strategies.csv`). */
export const PAPER_STRATEGY: Record<StrategyName, string> = {
  none: "no training",
  clip: "CLIP-style CL",
  linear: "linear projection",
  full: "full fine-tune",
  lora: "LoRA",
};

/** What `lco experiment strategies` runs (the refinement fields are shared by every strategy). */
export interface StrategiesConfig extends RefineFields {
  /** Family members. Default `["S"]`. */
  sizes: string[];
  seeds: number[];
  /** Answer format of the pretrained family. Default `"few-words"` (where P2 has something to transfer). */
  format: string;
  /** Strategies compared. Default all five. */
  strategies: string[];
  /** Sensitivity grid (LoRA, one field at a time around the default; the default point is the `lora` cell). */
  gridSizes: string[];
  gridTau: number[];
  gridRank: number[];
  gridBatch: number[];
}

/** The strategies experiment's preset. */
export const STRATEGIES_PRESET = definePreset<StrategiesConfig>({
  name: "strategies",
  description: "P3: which refinement? none / linear / full / LoRA text-only / CLIP-style paired, quality and cost, plus a τ × rank × batch sensitivity grid",
  defaults: {
    sizes: ["S"],
    seeds: [0, 1, 2],
    format: "few-words",
    strategies: ["none", "linear", "full", "lora", "clip"],
    steps: null,
    batchSize: null,
    tau: 0.05,
    rank: 8,
    alpha: 16,
    lr: null,
    probeItems: 240,
    numSteps: null,
    gridSizes: ["S"],
    gridTau: [0.02, 0.05, 0.1],
    gridRank: [4, 8, 16],
    gridBatch: [32, 128],
  },
  profiles: { smoke: { probeItems: 24, gridBatch: [8, 16] } },
  validate: (c) => {
    for (const s of c.strategies) {
      if (s !== "none" && !(REFINE_STRATEGIES as readonly string[]).includes(s)) throw new InputError(`invalid strategies entry "${s}"; expected none, ${REFINE_STRATEGIES.join(", ")}`);
    }
    if (c.format !== "one-word" && c.format !== "few-words") throw new InputError(`invalid format "${c.format}"; expected one-word or few-words`);
    if (c.seeds.length === 0 || c.sizes.length === 0 || c.strategies.length === 0) throw new InputError("sizes, seeds and strategies must not be empty");
  },
});

/**
 * The configuration of the strategies experiment at a profile: the preset's defaults, the
 * profile's sizes, then `overrides` (checked like `--key=value` flags). `lco experiment strategies`
 * (through the registry) and chapter 24 both resolve their config here, so the same profile and
 * overrides give the same cells, hence the same run folders.
 * @example strategiesConfig("full") // what `lco experiment strategies --profile full` runs
 */
export function strategiesConfig(profile: Profile, overrides: Overrides = {}): StrategiesConfig {
  return resolveConfig(STRATEGIES_PRESET, overrides, { profile });
}

/**
 * The overrides of chapter 24's smoke demonstration: one-word answers (the pretrained S runs the
 * earlier chapters already trained) and a 2-point grid instead of 6, to keep the chapter short; the
 * same as `lco experiment strategies --profile smoke --format=one-word --gridTau=0.02 --gridRank=8 --gridBatch=8`.
 */
export const STRATEGIES_SMOKE_DEMO: Overrides = { format: "one-word", gridTau: [0.02], gridRank: [8], gridBatch: [8] };

/** One measured variant of one pretrained run. */
export interface StrategyCell {
  size: string;
  seed: number;
  /** `"lora"`, …, or a grid point such as `"lora tau=0.02"`. */
  variant: string;
  strategy: StrategyName;
  /** `null` for `none`. */
  refine: RefineSummary | null;
  measurement: ConditionMeasurement;
}

/** One variant to measure: a label and its refinement (`null` = none). */
export interface StrategyVariant {
  variant: string;
  strategy: StrategyName;
  refine: RefineConfig | null;
}

/** The variants of a config: the strategies, then the grid (grid points equal to the default are the `lora` cell and skipped). */
export function strategyVariants(profile: Profile, c: StrategiesConfig, size: string): StrategyVariant[] {
  const out: StrategyVariant[] = c.strategies.map((s) => ({ variant: s, strategy: s as StrategyName, refine: s === "none" ? null : refinementRefineConfig(profile, { ...c, strategy: s }) }));
  if (!c.gridSizes.includes(size)) return out;
  const lora = refinementRefineConfig(profile, { ...c, strategy: "lora" });
  const add = (label: string, rc: RefineConfig) => out.push({ variant: `lora ${label}`, strategy: "lora", refine: rc });
  for (const tau of c.gridTau) if (tau !== lora.tau) add(`tau=${tau}`, { ...lora, tau });
  // Rank varies with α/r fixed (the update's scale stays that of the default).
  for (const rank of c.gridRank) if (rank !== lora.lora.rank) add(`rank=${rank}`, { ...lora, lora: { ...lora.lora, rank, alpha: (rank * lora.lora.alpha) / lora.lora.rank } });
  for (const batchSize of c.gridBatch) if (batchSize !== lora.batchSize) add(`batch=${batchSize}`, { ...lora, batchSize });
  return out;
}

/** Where the strategies' cells live under the runs folder, and the measurement tag in their identity. */
const CELLS = "organism-strategies";
const MEASURE = "strategies v3 (iid)";

/** Options of {@link strategyCell}: those of a refinement cell (runs folder, probe items, force, log). */
export type StrategyCellOptions = RefinementCellOptions;

/** One variant of one pretrained run, cached in `<root>/organism-strategies/…/seed-<n>` (`cachedCell`), measured on IID items. */
export async function strategyCell(spec: PretrainSpec, seed: number, v: StrategyVariant, options: StrategyCellOptions = {}): Promise<StrategyCell & { dir: string }> {
  return cachedCell<StrategyCell>(CELLS, spec, seed, v.refine, MEASURE, options, (preDir, probeItems) => {
    const data = specData(spec);
    const { model } = loadOrganism(preDir);
    try {
      options.log?.(`${spec.size}/seed ${seed}: ${v.variant}`);
      const r = v.refine ? refine(model, data, v.refine, seed, { triples: v.refine.pairs === "text" ? refineTriples(data, v.refine) : undefined }) : null;
      return { size: spec.size, seed, variant: v.variant, strategy: v.strategy, refine: r && refineSummary(r), measurement: measureCondition(model, data, { seed, probeItems, splits: ["iid"] }) };
    } finally {
      disposeOrganism(model);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Columns, table and verdict

/** The paper-category columns of one measurement (IID, last layer). NaN when the model lacks the modality. */
export function strategyColumns(m: ConditionMeasurement): { image: number; vsts: number; probe: number; audio: number; avg: number } {
  const iid = m.splits.find((s) => s.split === "iid");
  const r1 = (mod: string) => iid?.alignment.find((a) => a.modality === mod)?.detail.recallAt1 ?? NaN;
  const probe = m.probes.length ? m.probes.reduce((s, p) => s + p.accuracy, 0) / m.probes.length : NaN;
  const cols = { image: r1("image"), vsts: r1("document"), probe, audio: r1("audio") };
  const present = Object.values(cols).filter(Number.isFinite);
  return { ...cols, avg: present.length ? present.reduce((s, v) => s + v, 0) / present.length : NaN };
}

/** Column labels, with the paper category each stands for. */
export const STRATEGY_COLUMNS = { image: "image R@1 (img retrieval)", vsts: "document R@1 (visual STS)", probe: "linear probe", audio: "audio R@1", avg: "avg" } as const;

/** One row of {@link strategiesTable}: a size × variant, mean ± 95 % CI over seeds. */
export type StrategiesTableRow = Record<string, string | number>;

/** The strategies side by side: every column mean ± 95 % CI over seeds, trainable parameters and examples seen. */
export function strategiesTable(cells: readonly StrategyCell[]): StrategiesTableRow[] {
  const out: StrategiesTableRow[] = [];
  for (const size of [...new Set(cells.map((c) => c.size))]) {
    for (const variant of [...new Set(cells.filter((c) => c.size === size).map((c) => c.variant))]) {
      const cs = cells.filter((c) => c.size === size && c.variant === variant);
      const cols = cs.map((c) => strategyColumns(c.measurement));
      const row: StrategiesTableRow = { size, variant, paper: PAPER_STRATEGY[cs[0].strategy], seeds: cs.length };
      for (const [k, label] of Object.entries(STRATEGY_COLUMNS)) {
        const vals = cols.map((c) => c[k as keyof typeof c]).filter(Number.isFinite);
        row[label] = meanCIText(vals);
      }
      row["trainable params"] = cs[0].refine?.trainableParams ?? 0;
      row["examples seen"] = cs[0].refine?.examplesSeen ?? 0;
      out.push(row);
    }
  }
  return out;
}

/** A comparison of two strategies: ours (paired by seed, on `avg`) and the paper's (per backbone, on Avg). */
export interface OrderingPair {
  a: StrategyName;
  b: StrategyName;
  /** `">"` when the 95 % interval of a − b lies above 0, `"<"` below, `"≈"` otherwise. */
  ours: ">" | "<" | "≈";
  /** Mean of a − b (avg) over seeds. */
  diff: number;
  /** The paper's sign per backbone (recomputed Avg of its six columns). */
  paper: Record<string, ">" | "<">;
  /** `agrees` (ours significant, same sign as every backbone), `disagrees` (significant, opposite), `ties` (ours ≈), `mixed` (the backbones disagree). */
  agreement: "agrees" | "disagrees" | "ties" | "mixed";
}

/** The paper's claims compared (text-only LoRA > full > linear; LoRA > CLIP-style; and each against none). */
export const P3_PAIRS: readonly [StrategyName, StrategyName][] = [["lora", "full"], ["full", "linear"], ["lora", "clip"], ["lora", "none"], ["linear", "none"]];

export const P3_RULE =
  "Quality = avg of the paper-category columns (IID, last layer). Per pair (LoRA vs full, full vs linear, LoRA vs CLIP-style, LoRA vs none, linear vs none), ours is > or < when the 95 % interval of the paired-by-seed difference excludes 0, ≈ otherwise; " +
  "the paper's sign is that of its recomputed Avg for each backbone. A pair agrees when ours is significant with the paper's sign on every backbone. " +
  "Verdict: reproduced = LoRA > full and full > linear both agree; partly = the means order those two pairs as the paper does; not reproduced otherwise.";

/** Our ordering against the paper's, pair by pair, on size `size` (default: the first measured). */
export function strategiesOrdering(cells: readonly StrategyCell[], paper: readonly TrainingRow[], size?: string): OrderingPair[] {
  const sz = size ?? cells[0]?.size;
  const avgOf = (s: StrategyName) => new Map(cells.filter((c) => c.size === sz && c.variant === s).map((c) => [c.seed, strategyColumns(c.measurement).avg]));
  const paperAvg = (backbone: string, s: StrategyName) => {
    const r = paper.find((x) => x.backbone === backbone && x.strategy === PAPER_STRATEGY[s]);
    return r ? trainingAverage(r) : NaN;
  };
  const backbones = [...new Set(paper.map((r) => r.backbone))];
  const out: OrderingPair[] = [];
  for (const [a, b] of P3_PAIRS) {
    const ma = avgOf(a), mb = avgOf(b);
    const d = [...ma.keys()].filter((s) => mb.has(s)).map((s) => ma.get(s)! - mb.get(s)!).filter(Number.isFinite);
    if (d.length === 0) continue;
    const ci = meanCI(d);
    const ours = d.length > 1 && ci.lo > 0 ? ">" : d.length > 1 && ci.hi < 0 ? "<" : "≈";
    const paperSigns: Record<string, ">" | "<"> = {};
    for (const bb of backbones) paperSigns[bb] = paperAvg(bb, a) > paperAvg(bb, b) ? ">" : "<";
    const signs = new Set(Object.values(paperSigns));
    const agreement = signs.size > 1 ? "mixed" : ours === "≈" ? "ties" : signs.has(ours) ? "agrees" : "disagrees";
    out.push({ a, b, ours, diff: ci.mean, paper: paperSigns, agreement });
  }
  return out;
}

/** The one-line P3 verdict from the ordering (by {@link P3_RULE}), e.g. `P3 (S, few-words, 3 seeds): partly — lora ≈ full (paper >), …`. */
export function strategiesVerdict(pairs: readonly OrderingPair[], label = ""): { verdict: "reproduced" | "partly" | "not reproduced" | "not yet measured"; line: string } {
  const key = (a: string, b: string) => pairs.find((p) => p.a === a && p.b === b);
  const core = [key("lora", "full"), key("full", "linear")];
  if (core.some((p) => !p)) return { verdict: "not yet measured", line: `P3${label ? ` (${label})` : ""}: not yet measured (needs lora, full and linear)` };
  const verdict = core.every((p) => p!.agreement === "agrees") ? "reproduced" : core.every((p) => p!.diff > 0) ? "partly" : "not reproduced";
  const detail = pairs.map((p) => `${p.a} ${p.ours} ${p.b} (paper ${[...new Set(Object.values(p.paper))].join("/")}; ${p.agreement})`).join(", ");
  return { verdict, line: `P3${label ? ` (${label})` : ""}: ${verdict} — ${detail}` };
}

// ---------------------------------------------------------------------------------------------
// The whole experiment

/** What `lco experiment strategies` produces (published without timings). */
export interface StrategiesResults {
  format: "lco-organism-strategies v1";
  profile: string;
  config: StrategiesConfig;
  cells: StrategyCell[];
  ordering: OrderingPair[];
  verdict: string;
  rule: string;
}

/** The pretraining fields a config sets (answer format; steps when given). */
function pretrainOverrides(cfg: StrategiesConfig): Partial<PretrainSpec> {
  return { answerFormat: cfg.format as AnswerFormat, ...(cfg.numSteps === null ? {} : { numSteps: cfg.numSteps }) };
}

/** One cell of the experiment to measure: a pretraining run (spec, seed) and a variant. */
export interface StrategiesPlanCell {
  spec: PretrainSpec;
  seed: number;
  variant: StrategyVariant;
}

/** The cells of a config, in the order {@link runStrategies} measures them (size, then seed, then variant). */
export function strategiesPlan(profile: Profile, cfg: StrategiesConfig): StrategiesPlanCell[] {
  const over = pretrainOverrides(cfg);
  const out: StrategiesPlanCell[] = [];
  for (const size of [...new Set([...cfg.sizes, ...cfg.gridSizes])]) {
    const variants = strategyVariants(profile, cfg, size).filter((v) => cfg.sizes.includes(size) || v.variant.startsWith("lora"));
    for (const seed of cfg.seeds) for (const variant of variants) out.push({ spec: pretrainSpec(profile, size, over), seed, variant });
  }
  return out;
}

/** The cells of a config as units ({@link strategiesPlan}'s order): one {@link strategyCell} each. Default `root`: `runsRoot()`. */
export function strategiesUnits(profile: Profile, cfg: StrategiesConfig, root?: string): ExperimentUnit<StrategyCell & { dir: string }>[] {
  const r0 = runsRoot(root);
  return strategiesPlan(profile, cfg).map(({ spec, seed, variant }) => ({
    label: `${spec.size}/seed ${seed}: ${variant.variant}`,
    dir: cellDir(CELLS, spec, seed, variant.refine, MEASURE, { root: r0, probeItems: cfg.probeItems }),
    runs: [{ spec, seed }],
    run: (log?: (line: string) => void) => strategyCell(spec, seed, variant, { root: r0, probeItems: cfg.probeItems, log }),
  }));
}

/** The run folders of a config's cells (the `dirs` {@link runStrategies} returns), computed without training or reading anything. */
export function strategiesCellDirs(profile: Profile, cfg: StrategiesConfig, root?: string): string[] {
  return strategiesUnits(profile, cfg, root).map((u) => u.dir);
}

/** Pretrain (or load) the runs, then every variant of every run (each cached). */
export async function runStrategies(profile: Profile, cfg: StrategiesConfig, options: { root?: string; workers?: number; log?: (line: string) => void } = {}): Promise<{ results: StrategiesResults; dirs: string[]; seconds: Record<string, number[]> }> {
  const root = runsRoot(options.root);
  // With workers, the pretraining runs first in parallel processes (see runRefinement).
  if ((options.workers ?? 1) > 1) {
    await pretrainFamily(profile, { sizes: [...new Set([...cfg.sizes, ...cfg.gridSizes])], seeds: cfg.seeds, workers: options.workers, root, spec: pretrainOverrides(cfg), log: options.log });
  }
  const cells: StrategyCell[] = [];
  const dirs: string[] = [];
  const seconds: Record<string, number[]> = {};
  for (const unit of strategiesUnits(profile, cfg, root)) {
    const { dir, ...cell } = await unit.run(options.log);
    cells.push(cell);
    dirs.push(dir);
    if (cell.refine) (seconds[`${cell.size} ${cell.variant}`] ??= []).push(cell.refine.seconds);
  }
  const ordering = strategiesOrdering(cells, loadTrainingStrategies(), cfg.sizes[0]);
  const { line } = strategiesVerdict(ordering, `${cfg.sizes[0]}, ${cfg.format}, ${cfg.seeds.length} seeds`);
  return { results: { format: "lco-organism-strategies v1", profile, config: cfg, cells, ordering, verdict: line, rule: P3_RULE }, dirs, seconds };
}

/** Publish to `data/organism/<profile>/strategies.json` (+ provenance with the refinement seconds per variant). */
export function publishStrategies(results: StrategiesResults, dirs: readonly string[], seconds: Record<string, number[]>, options: { outRoot?: string; command?: string } = {}): PublishedExperiment {
  // Timings stay out of the result file (the provenance keeps them).
  const cells = results.cells.map((c) => ({ ...c, refine: c.refine && (({ seconds: _s, ...r }) => r)(c.refine) }));
  return publishExperimentResult(results.profile, "strategies", { ...results, cells }, dirs, {
    outRoot: options.outRoot,
    command: options.command ?? `lco experiment strategies --profile ${results.profile} --publish`,
    timings: { refineSeconds: seconds },
  });
}

/** The published strategies results of a profile (default `"full"`), or `null` when not published yet. */
export function loadPublishedStrategies(profile = "full", root?: string): StrategiesResults | null {
  return loadPublishedExperiment<StrategiesResults>(profile, "strategies", "lco-organism-strategies v1", root);
}

/** The config chapter 24 runs when it trains: {@link STRATEGIES_SMOKE_DEMO} at smoke, else the experiment's own ({@link strategiesConfig}). */
export function chapterStrategiesConfig(profile: Profile): StrategiesConfig {
  return strategiesConfig(profile, profile === "smoke" ? STRATEGIES_SMOKE_DEMO : {});
}

/**
 * What chapter 24 shows at a profile, without ever retraining what `lco experiment strategies`
 * already measured:
 * - smoke: a tiny demonstration trained here ({@link STRATEGIES_SMOKE_DEMO}; a pipeline check, not a result);
 * - any other profile: the published `data/organism/<profile>/strategies.json` when there is one
 *   (nothing is trained or read under runs/), else the experiment's own configuration
 *   ({@link chapterStrategiesConfig}), so a reproduce's cached cells load instead of retraining.
 * `options.dataRoot` is where published results live (default the package's `data/`).
 */
export async function chapterStrategies(profile: Profile, options: { root?: string; dataRoot?: string; log?: (line: string) => void } = {}): Promise<{ results: StrategiesResults; source: "published" | "runs" }> {
  if (profile !== "smoke") {
    const published = loadPublishedStrategies(profile, options.dataRoot);
    if (published) return { results: published, source: "published" };
  }
  return { results: (await runStrategies(profile, chapterStrategiesConfig(profile), { root: options.root, log: options.log })).results, source: "runs" };
}
