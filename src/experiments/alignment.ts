/**
 * Experiment P1 (the paper's first claim, latent alignment): does generative pretraining align
 * modalities? For a trained organism and
 * a split, embed every item as text (its canonical caption) and as image / audio with the paper's
 * protocol, then per layer: anisotropy of each modality, mutual-kNN (k = 10) and CKA between a
 * modality and its captions, and retrieval (modality → caption). At the last layer also
 * class-level and within-class R@1 and attribute top-1, each next to its chance level, plus the
 * shuffled-pairs control. Ties count against the model (the retrieval functions' rule).
 *
 * Layer 0 is the input embedding of the prompt's last token, identical for every item of a
 * modality: its numbers are an artefact (organism-notes, pitfalls), reported but never read.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, layers, type Matrix, type NdArray } from "../array";
import { rng, sampleIndices, splitSeed } from "../random";
import { infoNCE } from "../nn/losses";
import { AdamW, trainStep } from "../nn/optim";
import { anisotropy } from "../probes/anisotropy";
import { chanceLevel, measure, shuffledPairsControl } from "../probes/measure";
import { classRecallAt1, retrievalScores, withinClassRecallAt1 } from "../retrieval/retrieval";
import { definePreset, type Profile } from "../config";
import { runDir, runOrLoad, runsRoot } from "../runs";
import { meanCIText } from "../stats";
import { loadOrganism } from "../organism/checkpoint";
import type { AnswerFormat, Modality } from "../organism/config";
import type { OrganismData } from "../organism/data";
import { embedIndices, promptEndStates } from "../organism/embed";
import { pretrain, pretrainFamily, pretrainSpec, specData, type FamilyRun, type PretrainSpec } from "../organism/family";
import { createOrganism, disposeOrganism, fitInputNorm, trainableVariables, type Organism } from "../organism/model";

/** Per-layer curves of one modality paired with captions. */
export interface LayerCurves {
  anisotropy: number[];
  anisotropyText: number[];
  mutualKnn: number[];
  cka: number[];
  recallAt1: number[];
}

/** Last-layer retrieval detail with chance levels. */
export interface RetrievalDetail {
  recallAt1: number;
  recallAt1Chance: number;
  recallAt5: number;
  recallAt5Chance: number;
  /** Class = the summary word (the whole meaning in the one-word format). */
  classR1: number;
  classR1Chance: number;
  /** Within the item's colour–object class (does the embedding carry more than the class?). */
  withinClassR1: number;
  withinClassR1Chance: number;
  /** Attribute top-1: the top-1 caption shares this attribute with the query. */
  attributeTop1: Record<string, { score: number; chance: number }>;
}

/** Alignment of one modality with its captions. */
export interface ModalityAlignment {
  modality: Modality;
  n: number;
  layers: LayerCurves;
  /** Index of the layer the detail is computed at (default: the last). */
  layer: number;
  detail: RetrievalDetail;
  /** mutual-kNN chance k/(n−1) and the shuffled-pairs control at `layer`. */
  mutualKnnChance: number;
  mutualKnnShuffled: number;
  ckaShuffled: number;
}

/** Options of {@link measureAlignment}. */
export interface AlignmentOptions {
  /** Neighbourhood size. Default 10 (the paper's). */
  k?: number;
  /** Modalities to pair with text. Default image and audio (those the model has). */
  modalities?: Exclude<Modality, "text">[];
  /** Layer for the retrieval detail and controls. Default the last. */
  layer?: number;
  /** Seed of the shuffled-pairs control. Default 0. */
  seed?: number;
  /** Shuffled-pairs trials. Default 5. */
  trials?: number;
}

/**
 * Measure alignment of `model` on items `indices` of `data`.
 * @returns one entry per modality.
 */
export function measureAlignment(model: Organism, data: OrganismData, indices: readonly number[], options: AlignmentOptions = {}): ModalityAlignment[] {
  const k = options.k ?? 10;
  const n = indices.length;
  if (n <= k) throw new InputError(`alignment needs more than k = ${k} items; got ${n}`);
  const mods = options.modalities ?? (["image", "audio"] as const).filter((m) => model.inputs[m]);
  const T = layers(embedIndices(model, data, indices, "text"), "text");
  const L = T.length;
  const layer = options.layer ?? L - 1;
  const items = indices.map((i) => data.items[i]);
  const cls = items.map((it) => it.summaryWord);
  const colourObject = items.map((it) => `${it.attributes.colour}|${it.attributes.object ?? it.attributes.shape}`);
  const attrNames = Object.keys(items[0].attributes);
  return mods.map((m) => {
    const E: NdArray = embedIndices(model, data, indices, m);
    const M = layers(E, m);
    const curves: LayerCurves = { anisotropy: [], anisotropyText: [], mutualKnn: [], cka: [], recallAt1: [] };
    for (let l = 0; l < L; l++) {
      curves.anisotropy.push(anisotropy(M[l]));
      curves.anisotropyText.push(anisotropy(T[l]));
      curves.mutualKnn.push(measure("mutual_knn", M[l], T[l], { k }));
      curves.cka.push(measure("cka", M[l], T[l]));
      curves.recallAt1.push(retrievalScores(M[l], T[l]).queryToCandidate.scores["recall@1"]);
    }
    const q: Matrix = M[layer], c: Matrix = T[layer];
    const r = retrievalScores(q, c, { ks: [1, 5] }).queryToCandidate;
    const classR = classRecallAt1(q, c, cls, cls);
    const within = withinClassRecallAt1(q, c, colourObject);
    const attributeTop1: RetrievalDetail["attributeTop1"] = {};
    for (const a of attrNames) {
      const lab = items.map((it) => it.attributes[a]);
      const s = classRecallAt1(q, c, lab, lab);
      attributeTop1[a] = { score: s.score, chance: s.chance };
    }
    const seed = options.seed ?? 0;
    const trials = options.trials ?? 5;
    return {
      modality: m,
      n,
      layers: curves,
      layer,
      detail: {
        recallAt1: r.scores["recall@1"],
        recallAt1Chance: r.chance["recall@1"],
        recallAt5: r.scores["recall@5"],
        recallAt5Chance: r.chance["recall@5"],
        classR1: classR.score,
        classR1Chance: classR.chance,
        withinClassR1: within.score,
        withinClassR1Chance: within.chance,
        attributeTop1,
      },
      mutualKnnChance: chanceLevel("mutual_knn", n, k) ?? NaN,
      mutualKnnShuffled: shuffledPairsControl("mutual_knn", q, c, { k, seed, trials }).mean,
      ckaShuffled: shuffledPairsControl("cka", q, c, { seed, trials }).mean,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The CLIP-style positive control

/** Options of {@link clipControl}. */
export interface ClipControlOptions {
  /** Modality paired with captions. Default `"image"`. */
  modality?: Exclude<Modality, "text">;
  /** Contrastive steps. Default 150. */
  steps?: number;
  /** Pairs per step (in-batch negatives). Default 32. */
  batchSize?: number;
  /** InfoNCE temperature. Default 0.05 (the paper's). */
  tau?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  /** Seed of the pair sampling. Default 0. */
  seed?: number;
}

/**
 * The CLIP-style paired contrastive positive control: fine-tune the whole organism (in place) with
 * the symmetric InfoNCE loss between `modality` and caption embeddings of *paired* training
 * items. It shows how much alignment the architecture and the read-out can express when pairs are
 * given, the ceiling that generative pretraining is compared with.
 * @returns the loss per step.
 */
export function clipControl(model: Organism, data: OrganismData, options: ClipControlOptions = {}): number[] {
  const modality = options.modality ?? "image";
  const steps = options.steps ?? 150;
  const bs = Math.min(options.batchSize ?? 32, data.splits.train.length);
  const tau = options.tau ?? 0.05;
  const opt = new AdamW({ lr: options.lr ?? 1e-3 });
  const vars = trainableVariables(model);
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const r = rng(splitSeed(options.seed ?? 0, `clip/${s}`));
      const idx = sampleIndices(data.splits.train.length, bs, r).map((j) => data.splits.train[j]);
      const { loss } = trainStep(
        () => {
          const a = promptEndStates(model, data, idx, modality);
          const b = promptEndStates(model, data, idx, "text");
          return tf.mul(tf.add(infoNCE(a, b, { tau }), infoNCE(b, a, { tau })), 0.5) as tf.Scalar;
        },
        vars,
        opt,
        { clipNorm: 1 },
      );
      losses.push(loss);
    }
  } finally {
    opt.dispose();
  }
  return losses;
}

// ---------------------------------------------------------------------------------------------
// The experiment: pretrained vs controls, IID vs OOD, over seeds

/** One measured condition. */
export interface AlignmentRow {
  seed: number;
  condition: "pretrained" | "random init" | "CLIP control";
  split: "iid" | "ood";
  alignment: ModalityAlignment[];
}

/** Options of {@link alignmentExperiment}. */
export interface AlignmentExperimentOptions {
  /** Seeds (each needs a pretraining run; trained if missing). Default [0, 1, 2]. */
  seeds?: number[];
  /** Runs folder, relative to the project root unless absolute. Default `runs/`. */
  root?: string;
  /** Overrides of the pretraining spec (e.g. `numSteps`). */
  spec?: Partial<PretrainSpec>;
  /** CLIP control steps. Default 150. */
  clipSteps?: number;
  /** Receives progress lines. */
  log?: (line: string) => void;
}

/** What identifies one alignment run (hashed into its folder name; with the seed, its `result.json`). */
export function alignmentRunConfig(spec: PretrainSpec, clipSteps = 150) {
  return { spec, clipSteps, measure: "alignment v1" };
}

/**
 * Folder of the alignment run of one pretraining run (`<root>/organism-align/<differences>__<hash>/seed-<n>`).
 * @param clipSteps CLIP-control steps. Default 150.
 */
export function alignmentDir(root: string, spec: PretrainSpec, seed: number, clipSteps = 150): string {
  return runDir(root, "organism-align", alignmentRunConfig(spec, clipSteps), seed, { defaults: alignmentRunConfig(pretrainSpec(spec.profile, "S")) });
}

/**
 * Measure alignment for every seed of one family member: the pretrained model, the same
 * architecture at random initialisation, and the CLIP-style positive control, each on IID and
 * OOD items (the shuffled-pairs control is inside every measurement). Cached with `runOrLoad`.
 */
export async function alignmentExperiment(profile: Profile, size: string, options: AlignmentExperimentOptions = {}): Promise<AlignmentRow[]> {
  const seeds = options.seeds ?? [0, 1, 2];
  const root = runsRoot(options.root);
  const rows: AlignmentRow[] = [];
  for (const seed of seeds) {
    const spec = pretrainSpec(profile, size, options.spec);
    const pre = await pretrain(spec, seed, { root, log: options.log });
    const cfg = alignmentRunConfig(spec, options.clipSteps);
    const dir = alignmentDir(root, spec, seed, options.clipSteps);
    const out = await runOrLoad<AlignmentRow[], typeof cfg>({
      dir,
      cfg,
      seed,
      profile,
      log: options.log,
      compute: () => {
        const data = specData(spec);
        const splits = { iid: data.splits.iid, ood: data.splits.ood } as const;
        const res: AlignmentRow[] = [];
        const measureAll = (model: Organism, condition: AlignmentRow["condition"]) => {
          for (const split of ["iid", "ood"] as const) {
            options.log?.(`seed ${seed}: ${condition}, ${split}`);
            res.push({ seed, condition, split, alignment: measureAlignment(model, data, splits[split], { seed }) });
          }
        };
        const { model } = loadOrganism(pre.dir);
        try {
          measureAll(model, "pretrained");
          options.log?.(`seed ${seed}: CLIP control, ${cfg.clipSteps} steps`);
          clipControl(model, data, { steps: cfg.clipSteps, seed });
          measureAll(model, "CLIP control");
        } finally {
          disposeOrganism(model);
        }
        const init = createOrganism(model.config, model.inputs, seed);
        try {
          fitInputNorm(init, data.cache, data.splits.train);
          measureAll(init, "random init");
        } finally {
          disposeOrganism(init);
        }
        return res;
      },
    });
    rows.push(...out);
  }
  return rows;
}

/** Key last-layer numbers of every row, flat (for tables). */
export function alignmentTable(rows: readonly AlignmentRow[]): Record<string, string | number>[] {
  return rows.flatMap((r) =>
    r.alignment.map((a) => ({
      seed: r.seed,
      condition: r.condition,
      split: r.split,
      modality: a.modality,
      n: a.n,
      layer: a.layer,
      "aniso mod": a.layers.anisotropy[a.layer],
      "aniso text": a.layers.anisotropyText[a.layer],
      mutual_knn: a.layers.mutualKnn[a.layer],
      "mknn shuffled": a.mutualKnnShuffled,
      "mknn chance": a.mutualKnnChance,
      cka: a.layers.cka[a.layer],
      "cka shuffled": a.ckaShuffled,
      "R@1": a.detail.recallAt1,
      "R@1 chance": a.detail.recallAt1Chance,
      "class R@1": a.detail.classR1,
      "class chance": a.detail.classR1Chance,
      "within-class R@1": a.detail.withinClassR1,
      "within chance": a.detail.withinClassR1Chance,
      ...Object.fromEntries(Object.entries(a.detail.attributeTop1).map(([k, v]) => [`${k} top1`, v.score])),
      ...Object.fromEntries(Object.entries(a.detail.attributeTop1).map(([k, v]) => [`${k} chance`, v.chance])),
    })),
  );
}

/** Mean and 95 % CI over seeds of every numeric column of {@link alignmentTable}, per condition × split × modality. */
export function alignmentSummary(rows: readonly AlignmentRow[]): Record<string, string | number>[] {
  const flat = alignmentTable(rows);
  const groups = new Map<string, Record<string, string | number>[]>();
  for (const r of flat) {
    const key = `${r.condition}|${r.split}|${r.modality}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Record<string, string | number>[] = [];
  for (const [key, rs] of groups) {
    const [condition, split, modality] = key.split("|");
    const row: Record<string, string | number> = { condition, split, modality, seeds: rs.length };
    for (const col of Object.keys(rs[0])) {
      if (["seed", "condition", "split", "modality", "n", "layer"].includes(col)) continue;
      const vals = rs.map((r) => r[col] as number).filter((v) => Number.isFinite(v));
      if (vals.length === 0) continue;
      row[col] = meanCIText(vals);
    }
    out.push(row);
  }
  return out;
}

/** One line of {@link alignmentComparison}. */
// A type alias (not an interface) so that rows pass as `Record<string, unknown>` to table helpers.
export type AlignmentComparisonRow = {
  size: string;
  modality: string;
  split: string;
  metric: string;
  /** Mean over seeds ± 95 % CI half-width, per condition (missing conditions are absent). */
  pretrained: string;
  "random init": string;
  "CLIP control": string;
  /** The chance level of the metric (the shuffled-pairs mean for CKA, which has no closed form). */
  chance: number;
  /** Seeds in which the pretrained model beats the same seed's random initialisation, e.g. `"3/3"`. */
  "pretrained > init": string;
};

/** The metrics compared by {@link alignmentComparison}: column of {@link alignmentTable} → its chance column. */
const COMPARED: readonly [string, string][] = [
  ["mutual_knn", "mknn chance"],
  ["cka", "cka shuffled"],
  ["R@1", "R@1 chance"],
  ["within-class R@1", "within chance"],
];

/**
 * Pretrained vs random init vs CLIP control at the last layer, for every size, modality, split and
 * metric (mutual-kNN, CKA, R@1, within-class R@1): mean ± 95 % CI over seeds, the chance level,
 * and in how many seeds the pretrained model beats its own random initialisation (paired by
 * seed). The reading aid of chapter 22: a claim such as "pretraining aligns images with captions"
 * should hold in every seed, not just on average.
 * @param bySize alignment rows per size, e.g. `loadPublishedAlignment("full")`.
 */
export function alignmentComparison(bySize: Record<string, readonly AlignmentRow[]>): AlignmentComparisonRow[] {
  const out: AlignmentComparisonRow[] = [];
  const fmt = (vals: number[]) => meanCIText(vals);
  for (const [size, rows] of Object.entries(bySize)) {
    const flat = alignmentTable(rows);
    const keys = [...new Set(flat.map((r) => `${r.modality}|${r.split}`))];
    for (const key of keys) {
      const [modality, split] = key.split("|");
      const sel = (condition: string) => flat.filter((r) => r.modality === modality && r.split === split && r.condition === condition);
      const pre = sel("pretrained"), init = sel("random init"), clip = sel("CLIP control");
      for (const [metric, chanceCol] of COMPARED) {
        const val = (rs: typeof flat) => rs.map((r) => r[metric] as number).filter(Number.isFinite);
        const initBySeed = new Map(init.map((r) => [r.seed, r[metric] as number]));
        const paired = pre.filter((r) => initBySeed.has(r.seed as number));
        const wins = paired.filter((r) => (r[metric] as number) > initBySeed.get(r.seed as number)!).length;
        const chances = pre.map((r) => r[chanceCol] as number).filter(Number.isFinite);
        out.push({
          size,
          modality,
          split,
          metric,
          pretrained: fmt(val(pre)),
          "random init": fmt(val(init)),
          "CLIP control": fmt(val(clip)),
          chance: chances.length ? Math.round((1000 * chances.reduce((s, c) => s + c, 0)) / chances.length) / 1000 : NaN,
          "pretrained > init": `${wins}/${paired.length}`,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The preset and the whole run (`lco experiment alignment`)

/** What `lco experiment alignment` runs: the family, then the measurement for every size. */
export interface AlignmentConfig {
  /** Family members to measure. Default `["S", "M", "L"]`. */
  sizes: string[];
  /** Seeds. Default `[0, 1, 2]`. */
  seeds: number[];
  /** CLIP-control steps. Default 150. */
  clipSteps: number;
  /** Pretraining steps; `null` = the profile's (2,000 at full, 40 at smoke). */
  numSteps: number | null;
  /** The family's answer to the summarize prompt. Default `"one-word"`; `"few-words"` is published as that variant. */
  answerFormat: AnswerFormat;
}

/** The alignment experiment's preset (the same defaults at every profile; the organism config scales with it). */
export const ALIGNMENT_PRESET = definePreset<AlignmentConfig>({
  name: "alignment",
  description: "P1: does generative pretraining align modalities? (family × seeds vs random init, shuffled pairs and a CLIP control)",
  defaults: { sizes: ["S", "M", "L"], seeds: [0, 1, 2], clipSteps: 150, numSteps: null, answerFormat: "one-word" },
});

/** Everything one run of the alignment experiment produced. */
export interface AlignmentRun {
  family: FamilyRun[];
  bySize: Record<string, AlignmentRow[]>;
}

/** Options of {@link runAlignment}. */
export interface RunAlignmentOptions {
  /** Runs folder. Default `runsRoot()` (the project's `runs/`). */
  root?: string;
  /** Parallel pretraining processes. Default 1. */
  workers?: number;
  /** Receives progress lines. */
  log?: (line: string) => void;
}

/** Pretrain the family (or load it), then measure alignment for every size. */
export async function runAlignment(profile: Profile, cfg: AlignmentConfig, options: RunAlignmentOptions = {}): Promise<AlignmentRun> {
  const root = runsRoot(options.root);
  if (cfg.answerFormat !== "one-word" && cfg.answerFormat !== "few-words") throw new InputError(`invalid answerFormat; expected "one-word" or "few-words", got ${JSON.stringify(cfg.answerFormat)}`);
  const spec = { answerFormat: cfg.answerFormat, ...(cfg.numSteps === null ? {} : { numSteps: cfg.numSteps }) };
  const family = await pretrainFamily(profile, {
    sizes: cfg.sizes,
    seeds: cfg.seeds,
    workers: options.workers,
    root,
    spec,
    log: options.log,
    onJobDone: (done, total, label) => options.log?.(`pretraining ${done}/${total}: ${label}`),
  });
  const bySize: Record<string, AlignmentRow[]> = {};
  for (const size of cfg.sizes) {
    options.log?.(`alignment, size ${size}`);
    bySize[size] = await alignmentExperiment(profile, size, { seeds: cfg.seeds, root, spec, clipSteps: cfg.clipSteps, log: options.log });
  }
  return { family: family.map(({ loaded: _l, ...r }) => r), bySize };
}
