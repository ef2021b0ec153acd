/**
 * P2, contrastive refinement (the paper's second claim): does a text-only contrastive stage on the
 * decoder change how images and sounds align with their captions, modalities the stage never saw?
 *
 * For every family member × seed × answer format (a pretraining run found or trained through
 * `pretrain`), one cell measures, on IID and OOD items at the last layer:
 * - the pretrained model (before), then the same model after one refinement (after);
 * - the same architecture at random initialisation, before and after the same refinement (the
 *   control: what the refinement alone can do without generative pretraining);
 * - every alignment number of P1 (`measureAlignment`: R@1, within-class R@1, attribute top-1,
 *   mutual-kNN and CKA with their shuffled-pairs nulls) and a linear probe per attribute on the
 *   frozen embedding (the paper's "Linear Probe" column), trained on training items.
 *
 * Every cell is one `runOrLoad` folder (`<root>/organism-refine/…/seed-<n>`), so a rerun loads and an
 * interrupted run resumes at the first unfinished cell. {@link refinementComparison} makes the table
 * (mean ± 95 % CI over seeds, the paired after − before difference, chance, shuffled null and the
 * control) and {@link refinementVerdict} the one-line P2 verdict by the rule stated there.
 *
 * @module
 */
import { layers, type Matrix } from "../array";
import { definePreset, type Profile } from "../config";
import { linearProbe } from "../probes/linearProbe";
import { runDir, runOrLoad, runsRoot } from "../runs";
import { meanCI, meanCIText } from "../stats";
import { loadOrganism } from "../organism/checkpoint";
import type { AnswerFormat } from "../organism/config";
import type { OrganismData } from "../organism/data";
import { embedIndices, embedTexts } from "../organism/embed";
import { retrievalScores } from "../retrieval/retrieval";
import { pretrain, pretrainFamily, pretrainIdentity, pretrainSpec, specData, type PretrainSpec } from "../organism/family";
import { createOrganism, disposeOrganism, fitInputNorm, type Organism } from "../organism/model";
import { refine, refineConfig, refineTriples, worldTriples, type TextTriple, type RefineConfig, type RefineResult, type RefineStrategy } from "../organism/refine";
import { alignmentTable, measureAlignment, type AlignmentRow, type ModalityAlignment } from "./alignment";
import { loadPublishedExperiment, publishExperimentResult, type PublishedExperiment } from "./published";
import { InputError } from "../array";
import type { ExperimentUnit } from "./units";

// ---------------------------------------------------------------------------------------------
// One measured condition (shared with the strategies experiment)

/** Linear-probe accuracy of one attribute from one modality's frozen last-layer embedding. */
export interface ProbeScore {
  modality: string;
  attribute: string;
  accuracy: number;
  /** Always predicting the most frequent training label, on the same test items. */
  majority: number;
}

/** What one condition (a model in one state) measures. */
export interface ConditionMeasurement {
  /** One entry per split (IID, OOD). */
  splits: { split: "iid" | "ood"; alignment: ModalityAlignment[] }[];
  /** Linear probes trained on `probeItems` training items, tested on the IID items (empty when `probeItems` is 0). */
  probes: ProbeScore[];
  /**
   * Text → text: each of up to 240 world-triple anchors retrieves its paraphrase among all their
   * paraphrases (last layer). These are the text refinement's own triples, so this is the positive
   * control of the loop (did it change the text side?), not a held-out score. `null` without a world.
   */
  text: { recallAt1: number; chance: number; n: number } | null;
}

/** Options of {@link measureCondition}. */
export interface MeasureConditionOptions {
  /** Seed of the shuffled-pairs nulls. */
  seed: number;
  /** Training items for the linear probe (0 = no probe). */
  probeItems: number;
  /** Splits to measure. Default both. */
  splits?: readonly ("iid" | "ood")[];
  log?: (line: string) => void;
}

function lastLayer(model: Organism, data: OrganismData, idx: readonly number[], modality: "image" | "audio"): Matrix {
  const M = layers(embedIndices(model, data, idx, modality), modality);
  return M[M.length - 1];
}

/**
 * Measure one model: P1's alignment on each split, and a linear probe per attribute and modality
 * (multinomial logistic regression on the frozen last-layer embedding; trained on the first
 * `probeItems` training items, scored on the IID items).
 */
export function measureCondition(model: Organism, data: OrganismData, opts: MeasureConditionOptions): ConditionMeasurement {
  // Every encoded modality the model has; documents (caption text rendered as an image) are the paper's "visual STS".
  const modalities = (["image", "audio", "document"] as const).filter((m) => model.inputs[m]);
  const splits = (opts.splits ?? ["iid", "ood"]).map((split) => ({ split, alignment: measureAlignment(model, data, data.splits[split], { seed: opts.seed, modalities: [...modalities] }) }));
  const probes: ProbeScore[] = [];
  if (opts.probeItems > 0) {
    const train = data.splits.train.slice(0, opts.probeItems);
    const test = data.splits.iid;
    const attrs = Object.keys(data.items[test[0]].attributes);
    for (const modality of (["image", "audio"] as const).filter((m) => model.inputs[m])) {
      const A = lastLayer(model, data, train, modality), B = lastLayer(model, data, test, modality);
      for (const attribute of attrs) {
        const lab = (idx: readonly number[]) => idx.map((i) => String(data.items[i].attributes[attribute]));
        // A constant attribute in the training items cannot be probed; skip it rather than fail.
        if (new Set(lab(train)).size < 2) continue;
        const r = linearProbe(A, lab(train), B, lab(test));
        probes.push({ modality, attribute, accuracy: r.accuracy, majority: r.majority });
      }
    }
  }
  return { splits, probes, text: paraphraseRetrieval(model, data) };
}

/** Text → text paraphrase R@1 on an evenly spaced subset of at most `max` world triples (see {@link ConditionMeasurement.text}). */
export function paraphraseRetrieval(model: Organism, data: OrganismData, max = 240): ConditionMeasurement["text"] {
  let triples: TextTriple[];
  try {
    triples = worldTriples(data);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
  const n = Math.min(max, triples.length);
  if (n < 2) return null;
  const pick = Array.from({ length: n }, (_, i) => triples[Math.floor((i * triples.length) / n)]);
  const last = (texts: string[]) => {
    const M = layers(embedTexts(model, data.tokenizer, texts), "text");
    return M[M.length - 1];
  };
  const r = retrievalScores(last(pick.map((t) => t.anchor)), last(pick.map((t) => t.positive)), { ks: [1] }).queryToCandidate;
  return { recallAt1: r.scores["recall@1"], chance: r.chance["recall@1"], n };
}

/** A refinement's record without the config (kept once in the cell) — losses, chance, cost. */
export type RefineSummary = Omit<RefineResult, "config">;

/** Drop the config from a refinement's result. */
export function refineSummary({ config: _c, ...r }: RefineResult): RefineSummary {
  return r;
}

// ---------------------------------------------------------------------------------------------
// The preset

/** Refinement and measurement fields shared by the refinement and strategies presets. */
export interface RefineFields {
  /** Refinement steps; `null` = the profile's (`refineConfig`: 200 full, 6 smoke). */
  steps: number | null;
  /** Triples per step; `null` = the profile's (32 full, 8 smoke). */
  batchSize: number | null;
  /** InfoNCE temperature. Default 0.05. */
  tau: number;
  /** LoRA rank and α. Default 8 and 16. */
  rank: number;
  alpha: number;
  /** Peak learning rate; `null` = the strategy's default. */
  lr: number | null;
  /** Training items of the linear probe (0 = off). Default 240. */
  probeItems: number;
  /** Pretraining steps; `null` = the profile's. */
  numSteps: number | null;
}

/** What `lco experiment refinement` runs (every field overridable as `--key=value`). */
export interface RefinementConfig extends RefineFields {
  /** Family members. Default `["S", "M"]` (the issue's S and M × 3 seeds). */
  sizes: string[];
  /** Seeds (each a pretraining run). Default `[0, 1, 2]`. */
  seeds: number[];
  /** Answer formats of the pretrained families (each a variant). Default both: `["one-word", "few-words"]`. */
  formats: string[];
  /** Refinement strategy (P2 is the paper's: `lora`, text-only). */
  strategy: string;
}

/** The refinement experiment's preset. */
export const REFINEMENT_PRESET = definePreset<RefinementConfig>({
  name: "refinement",
  description: "P2: does text-only contrastive refinement transfer to images and audio? (before/after × sizes × seeds × answer formats, random-init control)",
  defaults: { sizes: ["S", "M"], seeds: [0, 1, 2], formats: ["one-word", "few-words"], strategy: "lora", steps: null, batchSize: null, tau: 0.05, rank: 8, alpha: 16, lr: null, probeItems: 240, numSteps: null },
  profiles: { smoke: { sizes: ["S"], probeItems: 24 } },
  validate: (c) => {
    for (const f of c.formats) if (f !== "one-word" && f !== "few-words") throw new InputError(`invalid formats entry "${f}"; expected one-word or few-words`);
    if (c.seeds.length === 0 || c.sizes.length === 0 || c.formats.length === 0) throw new InputError("sizes, seeds and formats must not be empty");
    if (!(Number.isInteger(c.probeItems) && c.probeItems >= 0)) throw new InputError(`invalid probeItems; need an integer ≥ 0, got ${c.probeItems}`);
  },
});

/** The refinement config of an experiment config (fields the experiment exposes, the rest `refineConfig`'s defaults). */
export function refinementRefineConfig(
  profile: Profile,
  c: Pick<RefinementConfig, "strategy" | "steps" | "batchSize" | "tau" | "rank" | "alpha" | "lr">,
  over: Partial<RefineConfig> = {},
): RefineConfig {
  const base = refineConfig(c.strategy as RefineStrategy, profile, c.steps === null ? {} : { steps: c.steps });
  return refineConfig(c.strategy as RefineStrategy, profile, {
    ...(c.steps === null ? {} : { steps: c.steps }),
    ...(c.batchSize === null ? {} : { batchSize: c.batchSize }),
    ...(c.lr === null ? {} : { lr: c.lr }),
    tau: c.tau,
    lora: { ...base.lora, rank: c.rank, alpha: c.alpha },
    ...over,
  });
}

// ---------------------------------------------------------------------------------------------
// One cell: size × seed × format

/** The four conditions of a cell. */
export const REFINEMENT_CONDITIONS = ["pretrained", "pretrained + refined", "random init", "random init + refined"] as const;
export type RefinementCondition = (typeof REFINEMENT_CONDITIONS)[number];

/** One measured cell (one pretraining run refined once; its random-init twin refined the same way). */
export interface RefinementCell {
  size: string;
  seed: number;
  format: string;
  conditions: Record<RefinementCondition, ConditionMeasurement>;
  refinements: { pretrained: RefineSummary; init: RefineSummary };
}

/** What identifies a cell's result (hashed into its folder; with the seed): the pretraining run, the refinement (`null` = none) and the measurement. */
export function cellIdentity(spec: PretrainSpec, refine: RefineConfig | null, probeItems: number, measure: string) {
  return { pretrain: pretrainIdentity(spec), refine, probeItems, measure };
}

/** Options of {@link refinementCell} (and the strategies' cells). */
export interface RefinementCellOptions {
  root?: string;
  probeItems?: number;
  force?: boolean;
  log?: (line: string) => void;
}

/**
 * The folder of a cell, `<root>/<experiment>/<differences>__<hash>/seed-<n>`, from its
 * {@link cellIdentity} alone (nothing is trained or read): where {@link cachedCell} stores it.
 * `options.probeItems` defaults to 240, `options.root` to `runs.runsRoot()`.
 */
export function cellDir(experiment: string, spec: PretrainSpec, seed: number, refine: RefineConfig | null, measure: string, options: { root?: string; probeItems?: number } = {}): string {
  const ident = cellIdentity(spec, refine, options.probeItems ?? 240, measure);
  return runDir(runsRoot(options.root), experiment, ident, seed, { defaults: cellIdentity(pretrainSpec(spec.profile, "S"), refineConfig("lora", spec.profile), 240, measure) });
}

/**
 * The frame every cell shares: the pretraining run (trained if missing), then one `runOrLoad`
 * folder `<root>/<experiment>/<differences>__<hash>/seed-<n>` keyed by {@link cellIdentity}.
 * @param compute gets the pretraining run's folder and the probe's item count.
 */
export async function cachedCell<T>(
  experiment: string, spec: PretrainSpec, seed: number, refine: RefineConfig | null, measure: string, options: RefinementCellOptions,
  compute: (preDir: string, probeItems: number) => T,
): Promise<T & { dir: string }> {
  const root = runsRoot(options.root);
  const probeItems = options.probeItems ?? 240;
  const pre = await pretrain(spec, seed, { root, log: options.log });
  const ident = cellIdentity(spec, refine, probeItems, measure);
  const dir = cellDir(experiment, spec, seed, refine, measure, { root, probeItems });
  const value = await runOrLoad<T, typeof ident>({ dir, cfg: ident, seed, profile: spec.profile, force: options.force, log: options.log, compute: () => compute(pre.dir, probeItems) });
  return { ...value, dir };
}

/** The measurement tag in a refinement cell's identity. */
const REFINEMENT_MEASURE = "refinement v4";

/**
 * One cell, cached in `<root>/organism-refine/…/seed-<n>` ({@link cachedCell}): the pretraining
 * run and its random-init twin, each measured before and after the same refinement (same config,
 * same seed, same batches).
 */
export async function refinementCell(spec: PretrainSpec, seed: number, cfg: RefineConfig, options: RefinementCellOptions = {}): Promise<RefinementCell & { dir: string }> {
  const tag = `${spec.size}/${spec.answerFormat}/seed ${seed}`;
  return cachedCell<RefinementCell>("organism-refine", spec, seed, cfg, REFINEMENT_MEASURE, options, (preDir, probeItems) => {
    const data = specData(spec);
    const triples = cfg.pairs === "text" ? refineTriples(data, cfg) : undefined;
    const conditions = {} as Record<RefinementCondition, ConditionMeasurement>;
    const measure = (m: Organism, c: RefinementCondition) => {
      options.log?.(`${tag}: ${c}`);
      conditions[c] = measureCondition(m, data, { seed, probeItems });
    };
    let preR: RefineResult, initR: RefineResult;
    const { model } = loadOrganism(preDir);
    const { config, inputs } = model;
    try {
      measure(model, "pretrained");
      preR = refine(model, data, cfg, seed, { triples });
      measure(model, "pretrained + refined");
    } finally {
      disposeOrganism(model);
    }
    const init = createOrganism(config, inputs, seed);
    try {
      fitInputNorm(init, data.cache, data.splits.train);
      measure(init, "random init");
      initR = refine(init, data, cfg, seed, { triples });
      measure(init, "random init + refined");
    } finally {
      disposeOrganism(init);
    }
    return { size: spec.size, seed, format: spec.answerFormat, conditions, refinements: { pretrained: refineSummary(preR), init: refineSummary(initR) } };
  });
}

// ---------------------------------------------------------------------------------------------
// The table and the verdict

/** Flat last-layer metrics of one condition measurement (P1's columns + `probe <attr>`), per split × modality. */
export function conditionColumns(m: ConditionMeasurement, seed: number): Record<string, string | number>[] {
  const out: Record<string, string | number>[] = [];
  if (m.text) out.push({ seed, split: "iid", modality: "text", "R@1": m.text.recallAt1, "R@1 chance": m.text.chance });
  for (const s of m.splits) {
    // P1's table builder reads seed, condition, split and alignment only.
    for (const row of alignmentTable([{ seed, condition: "pretrained", split: s.split, alignment: s.alignment } as AlignmentRow])) {
      const probes = s.split === "iid" ? m.probes.filter((p) => p.modality === row.modality) : [];
      out.push({
        ...row,
        "mknn excess": (row.mutual_knn as number) - (row["mknn shuffled"] as number),
        "cka excess": (row.cka as number) - (row["cka shuffled"] as number),
        ...Object.fromEntries(probes.flatMap((p) => [[`probe ${p.attribute}`, p.accuracy], [`probe ${p.attribute} chance`, p.majority]])),
      });
    }
  }
  return out;
}

/** The compared metrics: column → its chance column (the shuffled null for CKA; no closed form). */
export function comparedMetrics(columns: readonly string[]): [string, string | null][] {
  const base: [string, string | null][] = [
    ["R@1", "R@1 chance"],
    ["within-class R@1", "within chance"],
    ["mutual_knn", "mknn chance"],
    ["mknn excess", null],
    ["cka", "cka shuffled"],
    ["cka excess", null],
  ];
  const attr = columns.filter((c) => c.endsWith(" top1")).map((c): [string, string] => [c, c.replace(/ top1$/, " chance")]);
  const probe = columns.filter((c) => c.startsWith("probe ") && !c.endsWith(" chance")).map((c): [string, string] => [c, `${c} chance`]);
  return [...base, ...attr, ...probe];
}

/** One line of {@link refinementComparison}. */
// A type alias (not an interface) so that rows pass as `Record<string, unknown>` to table helpers.
export type RefinementComparisonRow = {
  size: string;
  format: string;
  split: string;
  modality: string;
  metric: string;
  seeds: number;
  /** Mean ± 95 % CI half-width over seeds. */
  before: string;
  after: string;
  /** Paired by seed: mean of after − before ± 95 % CI. */
  "after − before": string;
  /** Seeds in which after > before, e.g. `"2/3"`. */
  "after > before": string;
  /** The metric's chance level (mean over seeds; empty for excess columns, whose null is 0). */
  chance: number | string;
  /** Shuffled-pairs null before / after (mutual-kNN and CKA only). */
  "shuffled before": string;
  "shuffled after": string;
  "init before": string;
  "init after": string;
  /** Numbers for the verdict and figures. */
  deltaMean: number;
  deltaLo: number;
  wins: number;
  initAfterMean: number;
  afterMean: number;
  beforeMean: number;
  /** 95 % CI half-widths over seeds (NaN with one seed). */
  beforeHalf: number;
  afterHalf: number;
  initAfterHalf: number;
};

const SHUFFLED: Record<string, string> = { mutual_knn: "mknn shuffled", cka: "cka shuffled" };

/**
 * Before / after per size × format × split × modality × metric, with the paired difference, the
 * chance level, the shuffled-pairs null and the random-init control before and after the same
 * refinement. Cells missing a seed in one condition are paired on the seeds they share.
 */
export function refinementComparison(cells: readonly RefinementCell[]): RefinementComparisonRow[] {
  const out: RefinementComparisonRow[] = [];
  const keyOf = (c: RefinementCell) => `${c.size}|${c.format}`;
  const groups = new Map<string, RefinementCell[]>();
  for (const c of cells) groups.set(keyOf(c), [...(groups.get(keyOf(c)) ?? []), c]);
  for (const [key, cs] of groups) {
    const [size, format] = key.split("|");
    const flat = (cond: RefinementCondition) => cs.flatMap((c) => conditionColumns(c.conditions[cond], c.seed));
    const pre = flat("pretrained"), post = flat("pretrained + refined"), ini = flat("random init"), iniPost = flat("random init + refined");
    const combos = [...new Set(pre.map((r) => `${r.split}|${r.modality}`))];
    for (const combo of combos) {
      const [split, modality] = combo.split("|");
      const sel = (rs: typeof pre) => rs.filter((r) => r.split === split && r.modality === modality);
      const b = sel(pre), a = sel(post), ib = sel(ini), ia = sel(iniPost);
      for (const [metric, chanceCol] of comparedMetrics(Object.keys(b[0] ?? {}))) {
        const vals = (rs: typeof pre, col = metric) => rs.map((r) => r[col] as number).filter((v) => Number.isFinite(v));
        if (vals(b).length === 0) continue;
        const afterBySeed = new Map(a.map((r) => [r.seed as number, r[metric] as number]));
        const d = b.filter((r) => afterBySeed.has(r.seed as number)).map((r) => afterBySeed.get(r.seed as number)! - (r[metric] as number));
        const dci = d.length ? meanCI(d) : null;
        const chances = chanceCol ? vals(b, chanceCol) : [];
        const shuf = SHUFFLED[metric];
        const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
        const half = (xs: number[]) => (xs.length > 1 ? meanCI(xs).halfWidth : NaN);
        out.push({
          size,
          format,
          split,
          modality,
          metric,
          seeds: b.length,
          before: meanCIText(vals(b)),
          after: meanCIText(vals(a)),
          "after − before": meanCIText(d),
          "after > before": `${d.filter((x) => x > 0).length}/${d.length}`,
          chance: chances.length ? Math.round(1000 * mean(chances)) / 1000 : metric.endsWith("excess") ? 0 : "",
          "shuffled before": shuf ? meanCIText(vals(b, shuf)) : "",
          "shuffled after": shuf ? meanCIText(vals(a, shuf)) : "",
          "init before": meanCIText(vals(ib)),
          "init after": meanCIText(vals(ia)),
          deltaMean: dci ? dci.mean : NaN,
          deltaLo: dci ? dci.lo : NaN,
          wins: d.filter((x) => x > 0).length,
          initAfterMean: mean(vals(ia)),
          afterMean: mean(vals(a)),
          beforeMean: mean(vals(b)),
          beforeHalf: half(vals(b)),
          afterHalf: half(vals(a)),
          initAfterHalf: half(vals(ia)),
        });
      }
    }
  }
  return out;
}

/** A P2 verdict word. */
export type TransferVerdict = "yes" | "partial" | "no";

/**
 * The rule of the P2 verdict, applied by {@link refinementVerdict}. One cell is a size × modality
 * (image, audio) on IID items; the metric is an attribute's top-1 agreement (does the top caption
 * share the attribute) or retrieval R@1; d = after − before, paired by seed.
 */
export const P2_RULE =
  "Per answer format and metric (each attribute's top-1 agreement, and R@1), on IID items, one cell = a size × modality (image, audio; documents are reported but are rendered text) with d = after − before paired by seed. " +
  "A cell transfers when the 95 % interval of d lies above 0 and the refined pretrained model beats the refined random init (so the gain needs pretraining); " +
  "it transfers partly when mean d > 0 and d > 0 in more than half of the seeds. " +
  "Verdict: yes = every cell transfers; partial = at least one cell transfers at least partly; no = none.";

/** The verdict of one format × metric. */
export interface VerdictEntry {
  format: string;
  metric: string;
  verdict: TransferVerdict;
  /** Cells (size/modality) that transfer (`yes`) or partly (`partial`). */
  cells: { cell: string; verdict: TransferVerdict }[];
}

/** Verdict of one comparison row (one cell) under {@link P2_RULE}. */
export function cellVerdict(r: Pick<RefinementComparisonRow, "deltaMean" | "deltaLo" | "wins" | "seeds" | "afterMean" | "initAfterMean">): TransferVerdict {
  if (r.deltaLo > 0 && r.afterMean > r.initAfterMean) return "yes";
  if (r.deltaMean > 0 && r.wins > r.seeds / 2) return "partial";
  return "no";
}

/** Per format × metric verdicts (IID; attributes' top-1 and R@1) under {@link P2_RULE}. */
export function refinementVerdicts(rows: readonly RefinementComparisonRow[]): VerdictEntry[] {
  const iid = rows.filter((r) => r.split === "iid" && (r.modality === "image" || r.modality === "audio") && (r.metric === "R@1" || r.metric.endsWith(" top1")));
  const out: VerdictEntry[] = [];
  for (const format of [...new Set(iid.map((r) => r.format))]) {
    for (const metric of [...new Set(iid.filter((r) => r.format === format).map((r) => r.metric))]) {
      const cells = iid.filter((r) => r.format === format && r.metric === metric).map((r) => ({ cell: `${r.size} ${r.modality}`, verdict: cellVerdict(r) }));
      const verdict: TransferVerdict = cells.length > 0 && cells.every((c) => c.verdict === "yes") ? "yes" : cells.some((c) => c.verdict !== "no") ? "partial" : "no";
      out.push({ format, metric, verdict, cells });
    }
  }
  return out;
}

/**
 * The one-line P2 verdict, e.g. `P2 (lora, S, 3 seeds, IID): one-word — no; few-words — partial for colour, object`.
 * Computed from the table by {@link P2_RULE}; never typed.
 */
export function refinementVerdict(rows: readonly RefinementComparisonRow[], strategy = "lora"): string {
  const v = refinementVerdicts(rows);
  if (v.length === 0) return "P2: not yet measured";
  const sizes = [...new Set(rows.map((r) => r.size))].join(", ");
  const seeds = Math.min(...rows.map((r) => r.seeds));
  const parts = [...new Set(v.map((e) => e.format))].map((format) => {
    const es = v.filter((e) => e.format === format);
    const name = (m: string) => m.replace(/ top1$/, "");
    const yes = es.filter((e) => e.verdict === "yes").map((e) => name(e.metric));
    const partial = es.filter((e) => e.verdict === "partial").map((e) => name(e.metric));
    if (yes.length === 0 && partial.length === 0) return `${format} — no`;
    return `${format} — ${[yes.length ? `yes for ${yes.join(", ")}` : "", partial.length ? `partial for ${partial.join(", ")}` : ""].filter(Boolean).join("; ")}`;
  });
  // The loop's positive control next to the verdict: did the refinement change the text side it trained on?
  const text = rows.filter((r) => r.modality === "text" && r.metric === "R@1");
  const control = text.length ? ` [control: text paraphrase R@1 ${text.map((r) => `${r.size} ${r.format} ${r.before} → ${r.after} (chance ${r.chance})`).join(", ")}]` : "";
  return `P2 (${strategy}, ${sizes}, ${seeds} seeds, IID): ${parts.join("; ")}${control}`;
}

// ---------------------------------------------------------------------------------------------
// The whole experiment

/** What `lco experiment refinement` produces (and publishes without timings). */
export interface RefinementResults {
  format: "lco-organism-refinement v1";
  profile: string;
  config: RefinementConfig;
  /** The refinement config every cell used. */
  refine: RefineConfig;
  cells: RefinementCell[];
  /** The one-line verdict and the rule it follows. */
  verdict: string;
  rule: string;
}

/** Options of {@link runRefinement}. */
export interface RunRefinementOptions {
  root?: string;
  workers?: number;
  log?: (line: string) => void;
}

/** The pretraining fields of one answer format of a config (steps when given). */
function formatOverrides(cfg: RefinementConfig, format: string): Partial<PretrainSpec> {
  return { answerFormat: format as AnswerFormat, ...(cfg.numSteps === null ? {} : { numSteps: cfg.numSteps }) };
}

/**
 * The cells of a config, in the order {@link runRefinement} measures them (format, then size, then
 * seed): one {@link refinementCell} each, in `<root>/organism-refine/…/seed-<n>`.
 * @param root runs folder; default `runsRoot()`.
 */
export function refinementUnits(profile: Profile, cfg: RefinementConfig, root?: string): ExperimentUnit<RefinementCell & { dir: string }>[] {
  const r0 = runsRoot(root);
  const rcfg = refinementRefineConfig(profile, cfg);
  return cfg.formats.flatMap((format) =>
    cfg.sizes.flatMap((size) =>
      cfg.seeds.map((seed) => {
        const spec = pretrainSpec(profile, size, formatOverrides(cfg, format));
        return {
          label: `${size}/${format}/seed ${seed}`,
          dir: cellDir("organism-refine", spec, seed, rcfg, REFINEMENT_MEASURE, { root: r0, probeItems: cfg.probeItems }),
          runs: [{ spec, seed }],
          run: (log?: (line: string) => void) => refinementCell(spec, seed, rcfg, { root: r0, probeItems: cfg.probeItems, log }),
        };
      }),
    ),
  );
}

/**
 * Pretrain (or load) every size × seed of every answer format, then measure every cell (each
 * cached). Returns the results and the folders of the cells (for the provenance's timing).
 */
export async function runRefinement(profile: Profile, cfg: RefinementConfig, options: RunRefinementOptions = {}): Promise<{ results: RefinementResults; dirs: string[] }> {
  const root = runsRoot(options.root);
  const rcfg = refinementRefineConfig(profile, cfg);
  // With workers, the missing pretraining runs first, in parallel processes; otherwise each cell
  // trains (or loads) its own run. (pretrainFamily also rewrites the profile's family summary.)
  if ((options.workers ?? 1) > 1) {
    for (const format of cfg.formats) await pretrainFamily(profile, { sizes: cfg.sizes, seeds: cfg.seeds, workers: options.workers, root, spec: formatOverrides(cfg, format), log: options.log });
  }
  const cells: RefinementCell[] = [];
  const dirs: string[] = [];
  for (const unit of refinementUnits(profile, cfg, root)) {
    const { dir, ...cell } = await unit.run(options.log);
    cells.push(cell);
    dirs.push(dir);
  }
  const verdict = `${refinementVerdict(refinementComparison(cells), cfg.strategy)} ${refinementLossControl(cells)}`;
  return { results: { format: "lco-organism-refinement v1", profile, config: cfg, refine: rcfg, cells, verdict, rule: P2_RULE }, dirs };
}

/**
 * The refinement losses next to their chance level, per size × format (mean over seeds of the last
 * 10 % of steps, pretrained and random init): a loss that ends at its chance level means the text
 * embeddings collapsed instead of separating paraphrases, e.g. `[loss/chance: S one-word 2.77/2.77 (init 2.77)]`.
 */
export function refinementLossControl(cells: readonly RefinementCell[]): string {
  const tail = (l: readonly number[]) => {
    const t = l.slice(Math.floor(0.9 * l.length));
    return t.reduce((s, v) => s + v, 0) / t.length;
  };
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const keys = [...new Set(cells.map((c) => `${c.size} ${c.format}`))];
  const parts = keys.map((k) => {
    const cs = cells.filter((c) => `${c.size} ${c.format}` === k);
    const f = (x: number) => x.toFixed(2);
    return `${k} ${f(mean(cs.map((c) => tail(c.refinements.pretrained.losses))))}/${f(mean(cs.map((c) => c.refinements.pretrained.chance)))} (init ${f(mean(cs.map((c) => tail(c.refinements.init.losses))))})`;
  });
  return `[final loss/chance: ${parts.join(", ")}]`;
}

/** The table `lco experiment refinement` prints: the comparison without the verdict's helper numbers. */
export function refinementPrintTable(rows: readonly RefinementComparisonRow[]): Record<string, string | number>[] {
  return rows.map(({ deltaMean: _d, deltaLo: _l, wins: _w, initAfterMean: _i, afterMean: _a, beforeMean: _b, beforeHalf: _bh, afterHalf: _ah, initAfterHalf: _ih, ...r }) => r);
}

/** Results without timings (what is published; the provenance keeps the timings). */
export function withoutTimings<T extends { cells: { refinements: Record<string, { seconds?: number }> }[] }>(r: T): T {
  return {
    ...r,
    cells: r.cells.map((c) => ({ ...c, refinements: Object.fromEntries(Object.entries(c.refinements).map(([k, { seconds: _s, ...v }]) => [k, v])) })),
  };
}

/** Publish refinement results to `data/organism/<profile>/refinement.json` (+ `provenance-refinement.json`). */
export function publishRefinement(results: RefinementResults, dirs: readonly string[], options: { outRoot?: string; command?: string } = {}): PublishedExperiment {
  return publishExperimentResult(results.profile, "refinement", withoutTimings(results), dirs, {
    ...options,
    command: options.command ?? `lco experiment refinement --profile ${results.profile} --publish`,
  });
}

/** The published refinement results of a profile (default `"full"`), or `null` when not published yet. */
export function loadPublishedRefinement(profile = "full", root?: string): RefinementResults | null {
  return loadPublishedExperiment<RefinementResults>(profile, "refinement", "lco-organism-refinement v1", root);
}
