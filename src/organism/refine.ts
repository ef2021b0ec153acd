/**
 * Contrastive refinement of an organism (LCO-Emb's second stage, paper-notes §2): one loop that
 * pulls the prompt-end read-out of an anchor towards its positive and away from every other
 * positive and every hard negative in the batch (InfoNCE, one direction as upstream; a symmetric
 * option for the CLIP-style case).
 *
 * What varies, as two independent choices:
 * - **pairs**: `"text"` — triples of texts (anchor, positive, hard negative): the world's
 *   all-NLI-style triples or the KJV↔WEB verse triples; `"paired"` — a modality and its caption
 *   (the CLIP-style case);
 * - **trainable**: `"lora"` — LoRA adapters on every linear layer of the decoder (base, encoders
 *   and projectors frozen); `"decoder"` — the full decoder; `"linear"` — a linear projection on
 *   the frozen read-out; `"all"` — every weight (the P1 CLIP control).
 *
 * The four strategies of the issue are presets of the two: `lora` = text + lora, `full` = text +
 * decoder, `linear` = text + linear, `clip` = paired + lora (the same trainable parameters as LoRA).
 *
 * The embedding is P1's: the last layer's hidden state at the end of the summarize prompt
 * (`embed.ts`), so before and after are read the same way. The learning rate warms up and then
 * decays linearly (upstream's Trainer default).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import type { Profile } from "../config";
import { readSafetensors, writeSafetensors } from "../io/safetensors";
import { writeJsonAtomic } from "../io/atomic";
import { rng, sampleIndices, splitSeed } from "../random";
import { addLora, LORA_PARAMS, loadLoraAdapter, saveLoraAdapter } from "../nn/lora";
import { infoNCE, infoNCEChance } from "../nn/losses";
import { AdamW, linearSchedule, trainStepReads } from "../nn/optim";
import { runAsync, runSync, type Reads } from "../backend/reads";
import { generateWorld, loadAssets, loadVersePairs, verseTriples, type WorldConfig } from "../world";
import type { Modality } from "./config";
import { isBuffer, type Organism } from "./model";
import { READOUT_PREFIX, promptEndStates, textPromptEndStates } from "./embed";
import type { OrganismData } from "./data";

/** The four strategies compared in P3. */
export type RefineStrategy = "lora" | "full" | "linear" | "clip";
/** All strategies, in the order of the paper's table (cheapest text-only first). */
export const REFINE_STRATEGIES: readonly RefineStrategy[] = ["linear", "full", "lora", "clip"];
/** Which text triples: the world's (in-domain), the verses (general text), or both. */
export type RefineData = "world" | "verses" | "both";
/** What is trained. */
export type Trainable = "lora" | "decoder" | "linear" | "all";

/** LoRA fields (paper code: rank 64, α 128, dropout 0.05 on a 3,584-wide decoder). */
export interface LoraFields {
  /** Rank r. Default 8. */
  rank: number;
  /** α; the update is scaled by α/r. Default 16. */
  alpha: number;
  /** Dropout on the adapter input while training. Default 0.05 (the paper code's). */
  dropout: number;
  /** Which linear layers of every decoder block. Default all four: `qkv`, `out`, `fc1`, `fc2` (the output head never). */
  targets: ("qkv" | "out" | "fc1" | "fc2")[];
}

/** Everything that defines one refinement (hashed into its run folder). */
export interface RefineConfig {
  strategy: RefineStrategy;
  pairs: "text" | "paired";
  trainable: Trainable;
  /** Text triples (pairs `"text"`). */
  data: RefineData;
  /** Modalities paired with their captions (pairs `"paired"`). Default image and audio. */
  modalities: Exclude<Modality, "text">[];
  /** Optimiser steps. */
  steps: number;
  /** Triples (or pairs per modality) per step; every other positive in the batch is a negative. */
  batchSize: number;
  /** InfoNCE temperature. Default 0.05 (E5-V; upstream 0.03). */
  tau: number;
  /** Add the reverse direction (CLIP's symmetric loss). Default: `true` for paired, `false` for text. */
  symmetric: boolean;
  /** Use each triple's hard negative. Default `true`. */
  hardNegatives: boolean;
  /** Peak learning rate (AdamW, no weight decay). */
  lr: number;
  /** Warm-up steps; then linear decay to 0 (`schedule: "linear"`), or a constant rate. */
  warmupSteps: number;
  schedule: "linear" | "constant";
  /** Gradient clipping by global norm (0 = off). Default 1. */
  clipNorm: number;
  lora: LoraFields;
}

/** Steps per profile: smoke seconds, full ≈ the prototype's 300-step budget scaled to the 60 s target. */
const REFINE_STEPS: Record<Profile, number> = { smoke: 6, full: 200, large: 600 };

/**
 * The default config of a strategy at a profile, with overrides.
 * @example refineConfig("lora", "full", {tau: 0.02}).lora.rank // 8
 */
export function refineConfig(strategy: RefineStrategy, profile: Profile = "full", over: Partial<RefineConfig> = {}): RefineConfig {
  if (!REFINE_STRATEGIES.includes(strategy)) throw new InputError(`invalid strategy "${strategy}"; expected one of ${REFINE_STRATEGIES.join(", ")}`);
  const steps = over.steps ?? REFINE_STEPS[profile];
  const pairs = strategy === "clip" ? "paired" : "text";
  const trainable: Trainable = strategy === "full" ? "decoder" : strategy === "linear" ? "linear" : "lora";
  const cfg: RefineConfig = {
    strategy,
    pairs,
    trainable,
    data: "world",
    modalities: ["image", "audio"],
    steps,
    batchSize: profile === "smoke" ? 8 : 32,
    tau: 0.05,
    symmetric: pairs === "paired",
    hardNegatives: true,
    // Full fine-tuning moves 4-10× more weights than LoRA: a lower rate (as is usual).
    lr: trainable === "decoder" ? 2e-4 : 1e-3,
    warmupSteps: Math.max(1, Math.round(0.1 * steps)),
    schedule: "linear",
    clipNorm: 1,
    lora: { rank: 8, alpha: 16, dropout: 0.05, targets: ["qkv", "out", "fc1", "fc2"] },
    ...over,
  };
  validateRefineConfig(cfg);
  return cfg;
}

/** @throws InputError naming the first bad field. */
export function validateRefineConfig(cfg: RefineConfig): void {
  const posInt = (k: string, v: number) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`invalid ${k}; need an integer ≥ 1, got ${v}`);
  };
  posInt("steps", cfg.steps);
  posInt("batchSize", cfg.batchSize);
  if (cfg.batchSize < 2) throw new InputError(`invalid batchSize; InfoNCE needs ≥ 2 pairs per batch, got ${cfg.batchSize}`);
  posInt("lora.rank", cfg.lora.rank);
  if (!(cfg.tau > 0)) throw new InputError(`invalid tau; need τ > 0, got ${cfg.tau}`);
  if (!(cfg.lr > 0)) throw new InputError(`invalid lr; need lr > 0, got ${cfg.lr}`);
  if (!(Number.isInteger(cfg.warmupSteps) && cfg.warmupSteps >= 0 && cfg.warmupSteps < cfg.steps)) {
    throw new InputError(`invalid warmupSteps; need an integer in [0, steps = ${cfg.steps}), got ${cfg.warmupSteps}`);
  }
  if (!["world", "verses", "both"].includes(cfg.data)) throw new InputError(`invalid data "${cfg.data}"; expected world, verses or both`);
  if (!["text", "paired"].includes(cfg.pairs)) throw new InputError(`invalid pairs "${cfg.pairs}"; expected text or paired`);
  if (!["lora", "decoder", "linear", "all"].includes(cfg.trainable)) throw new InputError(`invalid trainable "${cfg.trainable}"; expected lora, decoder, linear or all`);
  if (cfg.pairs === "paired" && cfg.modalities.length === 0) throw new InputError("paired refinement needs at least one modality");
  if (cfg.lora.targets.length === 0) throw new InputError("lora.targets is empty");
}

// ---------------------------------------------------------------------------------------------
// Refinement data

/** One text triple: `positive` says what `anchor` says; `negative` is close but says something else. */
export interface TextTriple {
  anchor: string;
  positive: string;
  negative: string;
}

/**
 * The world's text triples (caption, paraphrase, caption with one attribute swapped), rebuilt
 * from the world recorded in the data's provenance. They come from training scenes only and never
 * mention a held-out combination.
 * @throws InputError when the data records no world.
 */
export function worldTriples(data: OrganismData): TextTriple[] {
  const w = (data.meta?.world ?? null) as { seed: number; config: WorldConfig } | null;
  if (!w) throw new InputError("the organism data records no world (meta.world); cannot rebuild its text triples");
  // Generating the world without rendering is cheap; the triples depend only on its config and seed.
  const world = generateWorld(w.config, w.seed, w.config.mode === "real" ? loadAssets() : null);
  return world.textPairs.map((p) => ({ anchor: p.anchor, positive: p.positive, negative: p.negative }));
}

/**
 * The KJV↔WEB verse triples (anchor KJV, positive WEB of the same verse, negative WEB of the
 * neighbouring verse), training chapters only. The model's tokenizer must know their words.
 * @throws InputError when the tokenizer maps verse words to `<unk>`: the general-text condition
 *   needs a family pretrained with verse language modelling and a tokenizer that covers it.
 */
export function verseTriplesFor(data: OrganismData, seed = 0): TextTriple[] {
  const split = verseTriples(loadVersePairs(), { seed });
  // A word is unknown when the tokenizer throws on it or maps it to `<unk>` (either contract).
  const unk = (data.tokenizer as { inner?: { special?: { unk: number } } }).inner?.special?.unk;
  const known = (w: string) => {
    try {
      return unk === undefined || !data.tokenizer.encode(w).includes(unk);
    } catch {
      return false;
    }
  };
  let words = 0, unknown = 0;
  let example = "";
  for (const t of split.train.slice(0, 200)) {
    for (const w of t.anchor.toLowerCase().split(/\s+/).filter(Boolean)) {
      words++;
      if (!known(w)) {
        unknown++;
        example ||= w;
      }
    }
  }
  if (unknown > 0) {
    throw new InputError(
      `this model's tokenizer does not know ${unknown} of ${words} verse words (e.g. "${example}"): refining on verses needs a family pretrained with verse language modelling and a tokenizer that covers it`,
    );
  }
  return split.train.map((t) => ({ anchor: t.anchor, positive: t.positive, negative: t.negative }));
}

/** The text triples of a config (`world`, `verses` or both, concatenated). */
export function refineTriples(data: OrganismData, cfg: RefineConfig): TextTriple[] {
  const out: TextTriple[] = [];
  if (cfg.data === "world" || cfg.data === "both") out.push(...worldTriples(data));
  if (cfg.data === "verses" || cfg.data === "both") out.push(...verseTriplesFor(data));
  if (out.length < cfg.batchSize) throw new InputError(`only ${out.length} triples for batchSize ${cfg.batchSize}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Trainable parameters

/** Names of the linear-projection parameters on the read-out. */
const PROJ_W = `${READOUT_PREFIX}.w`, PROJ_B = `${READOUT_PREFIX}.b`;

/** Add a linear projection `y = x·W + b` on the read-out, W = identity and b = 0 (so step 0 is the base model). */
export function addReadoutProjection(model: Organism): void {
  const ps = model.params;
  const d = model.config.decoder.dModel;
  if (ps.has(PROJ_W)) throw new InputError("the model already has a read-out projection");
  const w = ps.create(PROJ_W, [d, d], "zeros");
  tf.tidy(() => w.assign(tf.eye(d)));
  ps.create(PROJ_B, [d], "zeros");
}

/** LoRA layer names of the organism's decoder for the given block sub-layers. */
export function decoderLoraTargets(model: Organism, targets: LoraFields["targets"]): string[] {
  const sub: Record<string, string> = { qkv: "attn.qkv", out: "attn.out", fc1: "mlp.fc1", fc2: "mlp.fc2" };
  const out: string[] = [];
  for (let i = 0; i < model.config.decoder.nLayers; i++) for (const t of targets) out.push(`dec.h${i}.${sub[t]}`);
  return out;
}

/**
 * Prepare the model for a config's trainable part (adds adapters or the projection) and mark
 * everything else frozen. Returns the names of the trained parameters.
 */
export function prepareTrainable(model: Organism, cfg: RefineConfig, seed: number): string[] {
  const ps = model.params;
  let names: string[];
  if (cfg.trainable === "lora") {
    addLora(ps, { targets: decoderLoraTargets(model, cfg.lora.targets), rank: cfg.lora.rank, alpha: cfg.lora.alpha, dropout: cfg.lora.dropout, seed: splitSeed(seed, "refine/lora") });
    names = ps.names(LORA_PARAMS);
  } else if (cfg.trainable === "linear") {
    addReadoutProjection(model);
    names = [PROJ_W, PROJ_B];
  } else if (cfg.trainable === "decoder") {
    names = ps.names((n) => n.startsWith("dec."));
  } else {
    names = ps.names((n) => !isBuffer(n));
  }
  const set = new Set(names);
  ps.setTrainable((n) => set.has(n));
  return names;
}

// ---------------------------------------------------------------------------------------------
// The loop

/** Progress of a refinement (every step). */
export interface RefineProgress {
  step: number;
  steps: number;
  loss: number;
  /** The loss of an embedding that cannot tell the candidates apart. */
  chance: number;
  lr: number;
}

/** What a refinement returns (and stores in `refine.json`). */
export interface RefineResult {
  config: RefineConfig;
  seed: number;
  /** Loss per step (nats). */
  losses: number[];
  /** InfoNCE chance level of one step's batch. */
  chance: number;
  /** Trained scalars. */
  trainableParams: number;
  /** Training examples consumed: triples, or paired (modality, caption) examples. */
  examplesSeen: number;
  /** Wall-clock seconds of the loop. */
  seconds: number;
}

/** Options of {@link refine}. */
export interface RefineOptions {
  /** Text triples (default: {@link refineTriples} of the config). */
  triples?: readonly TextTriple[];
  onProgress?: (p: RefineProgress) => void;
}

/**
 * Refine `model` in place with `cfg` (adds adapters or the projection as needed; the caller
 * saves or disposes). Deterministic in `seed`: step s draws its batch from
 * `rng(splitSeed(seed, "refine/s"))`.
 */
export function refine(model: Organism, data: OrganismData, cfg: RefineConfig, seed: number, options: RefineOptions = {}): RefineResult {
  return runSync(refineReads(model, data, cfg, seed, options));
}

/**
 * {@link refine} with asynchronous reads: the same steps and numbers, and the form that also runs
 * on `webgpu` (which cannot read synchronously in Node). Call `prefetch` on the model's
 * variables before {@link saveRefinement} there.
 */
export function refineAsync(model: Organism, data: OrganismData, cfg: RefineConfig, seed: number, options: RefineOptions = {}): Promise<RefineResult> {
  return runAsync(refineReads(model, data, cfg, seed, options));
}

/** The body of {@link refine}, yielding the tensors it reads (`backend/reads.ts`). */
function* refineReads(model: Organism, data: OrganismData, cfg: RefineConfig, seed: number, options: RefineOptions): Reads<RefineResult> {
  validateRefineConfig(cfg);
  const triples = cfg.pairs === "text" ? (options.triples ?? refineTriples(data, cfg)) : [];
  const pool = cfg.pairs === "paired" ? data.splits.train : [];
  const n = cfg.pairs === "text" ? triples.length : pool.length;
  const bs = Math.min(cfg.batchSize, n);
  if (bs < 2) throw new InputError(`refinement needs at least 2 examples; got ${n}`);
  const names = prepareTrainable(model, cfg, seed);
  const vars = names.map((nm) => model.params.get(nm));
  const trainableParams = vars.reduce((s, v) => s + v.size, 0);
  const lr = cfg.schedule === "linear" ? linearSchedule({ lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps }) : cfg.lr;
  const opt = new AdamW({ lr });
  const neg = cfg.pairs === "text" && cfg.hardNegatives ? bs : 0;
  const chance = infoNCEChance(bs, neg, cfg.symmetric);
  const losses: number[] = [];
  const training = { training: true };
  const t0 = Date.now();
  try {
    for (let s = 0; s < cfg.steps; s++) {
      const r = rng(splitSeed(seed, `refine/${s}`));
      const idx = sampleIndices(n, bs, r);
      const currentLr = opt.currentLr();
      const { loss } = yield* trainStepReads(
        () => {
          if (cfg.pairs === "text") {
            const batch = idx.map((i) => triples[i]);
            const a = textPromptEndStates(model, data.tokenizer, batch.map((t) => t.anchor), { ...training, dropoutSeed: splitSeed(seed, `a/${s}`) });
            const p = textPromptEndStates(model, data.tokenizer, batch.map((t) => t.positive), { ...training, dropoutSeed: splitSeed(seed, `p/${s}`) });
            const negatives = cfg.hardNegatives ? textPromptEndStates(model, data.tokenizer, batch.map((t) => t.negative), { ...training, dropoutSeed: splitSeed(seed, `n/${s}`) }) : undefined;
            return infoNCE(a, p, { negatives, tau: cfg.tau, symmetric: cfg.symmetric });
          }
          const items = idx.map((i) => pool[i]);
          const parts = cfg.modalities.map((m) => {
            const a = promptEndStates(model, data, items, m, { ...training, dropoutSeed: splitSeed(seed, `${m}/${s}`) });
            const b = promptEndStates(model, data, items, "text", { ...training, dropoutSeed: splitSeed(seed, `text-${m}/${s}`) });
            return infoNCE(a, b, { tau: cfg.tau, symmetric: cfg.symmetric });
          });
          return (parts.length === 1 ? parts[0] : tf.div(tf.addN(parts), parts.length)) as tf.Scalar;
        },
        vars,
        opt,
        { clipNorm: cfg.clipNorm },
      );
      losses.push(loss);
      options.onProgress?.({ step: s + 1, steps: cfg.steps, loss, chance, lr: currentLr });
    }
  } finally {
    opt.dispose();
    model.params.setTrainable(() => true);
  }
  const examplesSeen = cfg.steps * bs * (cfg.pairs === "paired" ? cfg.modalities.length : 1);
  return { config: cfg, seed, losses, chance, trainableParams, examplesSeen, seconds: (Date.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Saving and applying a refinement

/** Format tag of `refine.json`. */
export const REFINE_FORMAT = "lco-refine/1";
/** File of a refinement's non-LoRA weights inside its folder. */
const WEIGHTS_FILE = "weights.safetensors";

/** What `refine.json` holds. */
export interface RefineFile extends RefineResult {
  format: string;
  /** Free-form provenance (base run folder, checkpoint step, …). */
  base?: Record<string, unknown>;
}

/**
 * Save a refined model's trained part to `dir`: LoRA as an adapter (`adapter.safetensors` +
 * `adapter.json`), the decoder, the projection or all weights as `weights.safetensors`; then
 * `refine.json` (written last: a complete refinement folder is one with its `refine.json`).
 */
export function saveRefinement(dir: string, model: Organism, result: RefineResult, base?: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const t = result.config.trainable;
  if (t === "lora") saveLoraAdapter(dir, model.params, { strategy: result.config.strategy, ...base });
  else {
    const sel = t === "linear" ? (n: string) => n.startsWith(`${READOUT_PREFIX}.`) : t === "decoder" ? (n: string) => n.startsWith("dec.") : (n: string) => !n.endsWith(".lora_a") && !n.endsWith(".lora_b");
    writeSafetensors(path.join(dir, WEIGHTS_FILE), model.params.toNdArrays(sel), { format: REFINE_FORMAT });
  }
  const file: RefineFile = { format: REFINE_FORMAT, ...result, base };
  writeJsonAtomic(path.join(dir, "refine.json"), file);
  return dir;
}

/** Read `refine.json` of a refinement folder. @throws InputError naming the folder when it is not one. */
export function readRefinement(dir: string): RefineFile {
  const f = path.join(dir, "refine.json");
  if (!fs.existsSync(f)) throw new InputError(`no refinement at ${dir} (missing refine.json)`);
  const r = JSON.parse(fs.readFileSync(f, "utf8")) as RefineFile;
  if (r.format !== REFINE_FORMAT) throw new InputError(`${f} has format "${r.format}"; expected "${REFINE_FORMAT}"`);
  return r;
}

/**
 * Apply a saved refinement to a base model in place: LoRA adapters are loaded and merged (kept,
 * so they can be unmerged), other weights are loaded over the base's, a projection is added.
 * Afterwards the model embeds through the usual read-out.
 */
export function applyRefinement(model: Organism, dir: string): RefineFile {
  const r = readRefinement(dir);
  if (r.config.trainable === "lora") loadLoraAdapter(model.params, dir, { merge: true });
  else {
    if (r.config.trainable === "linear") addReadoutProjection(model);
    const { tensors } = readSafetensors(path.join(dir, WEIGHTS_FILE));
    const loaded = model.params.loadNdArrays(tensors as Record<string, NdArray>, false);
    if (loaded.length !== Object.keys(tensors).length) throw new InputError(`${dir}/${WEIGHTS_FILE} holds weights this model does not have`);
  }
  return r;
}
