/**
 * The model organism's configuration: every architectural and training choice is a typed field
 * with a default, so a run is fully described by one JSON object (saved next to every
 * checkpoint).
 *
 * A model = one **encoder per non-text modality** (image patches, audio log-mel frames,
 * document-image patches → tokens → a small *bidirectional* transformer) followed by a
 * **projector** into the decoder's token space, then a **causal transformer decoder** that reads
 * `[modality tokens][BOS][text tokens]` and predicts the next text token.
 *
 * @module
 */
import type { Profile } from "../config";
import type { SummaryFormat } from "../world/types";
import { InputError } from "../array";

/** Modalities the organism reads. `text` has no encoder: its tokens go straight to the decoder. */
export type Modality = "text" | "image" | "audio" | "document";

/** All modalities, text first. */
export const MODALITIES: readonly Modality[] = ["text", "image", "audio", "document"];

/** The non-text modalities (each has an encoder + projector). */
export const ENCODED_MODALITIES: readonly Exclude<Modality, "text">[] = ["image", "audio", "document"];

/**
 * How the summarize instruction is answered: the world's `SummaryFormat` (one vocabulary).
 * - `"one-word"`: the paper's prompt, answered with one compound word (e.g. `big-red-circle`).
 * - `"few-words"`: "… in a few words:" answered with the attribute words (e.g. `big red circle left`).
 */
export type AnswerFormat = SummaryFormat;

/** A small bidirectional transformer over one modality's input tokens. */
export interface EncoderConfig {
  /** Width of the encoder. Default 48–64 depending on the size. */
  dModel: number;
  /** Number of bidirectional pre-LN blocks (≥ 1). Default 1–2 depending on the size. */
  nLayers: number;
  /** Attention heads; must divide `dModel`. Default 4. */
  nHeads: number;
  /** MLP hidden width = `mlpRatio · dModel`. Default 4. */
  mlpRatio: number;
  /**
   * How raw input becomes tokens. For images and documents: square patches of `patch × patch`
   * pixels (all channels), row-major. For audio: `patch` consecutive log-mel frames stacked into
   * one token (frame stacking, as in speech front-ends). Default: image 4/6/8 px (smoke/full/large, 16 tokens), audio 4 frames, document 16 px.
   */
  patch: number;
}

/** Projector from encoder width to decoder width. `"linear"` (default) or a 2-layer GELU `"mlp"`. */
export type ProjectorKind = "linear" | "mlp";

/** The causal language decoder. */
export interface DecoderConfig {
  /** Model width `d` (the width of every hidden state the embeddings are read from). */
  dModel: number;
  /** Number of causal pre-LN blocks `L`; embeddings have `L + 1` layers. */
  nLayers: number;
  /** Attention heads; must divide `dModel`. */
  nHeads: number;
  /** MLP hidden width = `mlpRatio · dModel`. Default 4. */
  mlpRatio: number;
  /** Longest sequence (modality tokens + text tokens). Default 64. */
  maxLen: number;
}

/** How many sequences of each task go into one training step. */
export interface MixtureConfig {
  /** Modality tokens → caption (captioning, transcription, OCR-like reading). Per modality. */
  caption: Record<Exclude<Modality, "text">, number>;
  /** Text-only language modelling on captions. */
  textLm: number;
  /** The summarize instruction, per modality (text: caption + prompt + answer). */
  instruct: Record<Modality, number>;
}

/** Optimiser and schedule. */
export interface TrainConfig {
  /** Peak learning rate (Adam). Default 3e-3 (smoke 1e-2). */
  lr: number;
  /** Linear warm-up steps, then cosine decay to `lr · minLrRatio`. Default 5 % of `numSteps`. */
  warmupSteps: number;
  /** Final learning rate as a fraction of `lr`. Default 0.1. */
  minLrRatio: number;
  /** Total optimiser steps. */
  numSteps: number;
  /** Fractions of `numSteps` at which a checkpoint is written (1 is always added). Default [0.1, 0.3, 1]. */
  checkpointAt: number[];
  /** Gradient clipping by global norm; 0 disables it. Default 1. */
  clipNorm: number;
}

/** Everything that defines one organism. */
export interface OrganismConfig {
  /** Family member name, e.g. `"S"`, `"M"`, `"L"`. */
  name: string;
  /** Tokenizer vocabulary size (set from the tokenizer when the model is built). */
  vocabSize: number;
  /** One encoder per non-text modality. */
  encoders: Record<Exclude<Modality, "text">, EncoderConfig>;
  /** Projector kind (shared choice for all modalities; each modality has its own weights). */
  projector: ProjectorKind;
  /** The causal decoder. */
  decoder: DecoderConfig;
  /** Answer format of the summarize instruction. Default `"one-word"`. */
  answerFormat: AnswerFormat;
  /** Training mixture per step. */
  mixture: MixtureConfig;
  /** Optimiser and schedule. */
  train: TrainConfig;
}

/** A family member's size fields. */
export interface SizeSpec {
  name: string;
  encoderD: number;
  encoderLayers: number;
  decoderD: number;
  decoderLayers: number;
  nHeads: number;
}

/**
 * The family, per profile: at least three sizes so later chapters get a spread of generative
 * capability. `smoke` models are tiny (seconds); `full` models train in minutes on one core.
 */
export const FAMILY: Record<Profile, SizeSpec[]> = {
  smoke: [
    { name: "S", encoderD: 16, encoderLayers: 1, decoderD: 16, decoderLayers: 1, nHeads: 2 },
    { name: "M", encoderD: 16, encoderLayers: 1, decoderD: 24, decoderLayers: 2, nHeads: 2 },
    { name: "L", encoderD: 24, encoderLayers: 1, decoderD: 32, decoderLayers: 2, nHeads: 2 },
  ],
  full: [
    { name: "S", encoderD: 32, encoderLayers: 1, decoderD: 48, decoderLayers: 2, nHeads: 4 },
    { name: "M", encoderD: 48, encoderLayers: 1, decoderD: 64, decoderLayers: 3, nHeads: 4 },
    { name: "L", encoderD: 64, encoderLayers: 2, decoderD: 96, decoderLayers: 4, nHeads: 4 },
  ],
  large: [
    { name: "S", encoderD: 64, encoderLayers: 2, decoderD: 128, decoderLayers: 4, nHeads: 4 },
    { name: "M", encoderD: 96, encoderLayers: 2, decoderD: 192, decoderLayers: 4, nHeads: 6 },
    { name: "L", encoderD: 128, encoderLayers: 3, decoderD: 256, decoderLayers: 6, nHeads: 8 },
  ],
};

const IMAGE_PATCH: Record<Profile, number> = { smoke: 4, full: 6, large: 8 };

/**
 * Steps per profile. The full budget (issue 4): all sizes × 3 seeds in ≤ 60 min on 2 cores.
 * Measured with two runs in parallel on 2 cores: S ≈ 0.13–0.17 s/step, M ≈ 0.26 s/step, so
 * 2000 steps take ≈ 5 and ≈ 9 min (L is about twice M). Fewer steps leave the models at the
 * caption prior: at 600 steps (S) they barely use the modality tokens and no alignment shows.
 */
const STEPS: Record<Profile, number> = { smoke: 40, full: 2000, large: 6000 };
/** Sequences per step: smoke 23, full 32, large 92 (see the mixture below). */
const MIX_SCALE: Record<Profile, number> = { smoke: 1, full: 1.4, large: 4 };

/** Options for {@link organismConfig}. */
export interface OrganismConfigOptions {
  /** Profile; default `"full"`. */
  profile?: Profile;
  /** Family member name (`"S"`, `"M"`, `"L"`); default `"S"`. */
  size?: string;
  /** Tokenizer vocabulary size; default 128 (overwritten from the tokenizer by `createOrganism`). */
  vocabSize?: number;
  /** Answer format; default `"one-word"`. */
  answerFormat?: AnswerFormat;
  /** Overrides applied last (shallow per section). */
  overrides?: Partial<Omit<OrganismConfig, "train">> & { train?: Partial<TrainConfig> };
}

/**
 * The default config of one family member.
 * @example organismConfig({profile: "smoke", size: "M"}).decoder.dModel // 24
 */
export function organismConfig(options: OrganismConfigOptions = {}): OrganismConfig {
  const profile = options.profile ?? "full";
  const family = FAMILY[profile];
  if (!family) throw new InputError(`invalid profile "${profile}"`);
  const sizeName = options.size ?? "S";
  const s = family.find((f) => f.name === sizeName);
  if (!s) throw new InputError(`invalid size "${sizeName}"; the ${profile} family has ${family.map((f) => f.name).join(", ")}`);
  const enc = (patch: number): EncoderConfig => ({ dModel: s.encoderD, nLayers: s.encoderLayers, nHeads: s.nHeads, mlpRatio: 4, patch });
  const m = MIX_SCALE[profile];
  const r = Math.round;
  const numSteps = STEPS[profile];
  const cfg: OrganismConfig = {
    name: s.name,
    vocabSize: options.vocabSize ?? 128,
    // Patches: 16 image tokens at every profile's image size (16, 24, 32 px); documents are
    // 48×96 px → 16-px patches give 3×6 = 18 tokens; audio stacks 4 log-mel frames per token.
    // Every row of a batch is padded to the longest one, so the longest prefix sets the cost.
    encoders: { image: enc(IMAGE_PATCH[profile]), audio: enc(4), document: enc(16) },
    projector: "linear",
    decoder: { dModel: s.decoderD, nLayers: s.decoderLayers, nHeads: s.nHeads, mlpRatio: 4, maxLen: 64 },
    answerFormat: options.answerFormat ?? "one-word",
    // Captioning-heavy: learning to *use* the modality tokens is the slow part (a decoder first
    // fits the caption prior from text alone); text LM needs few sequences.
    mixture: {
      caption: { image: r(5 * m), audio: r(4 * m), document: r(3 * m) },
      textLm: r(1 * m),
      instruct: { text: r(3 * m), image: r(3 * m), audio: r(2 * m), document: r(2 * m) },
    },
    train: {
      // Tiny smoke models only show learning within 40 steps at a high rate.
      lr: profile === "smoke" ? 1e-2 : 3e-3,
      warmupSteps: Math.max(1, Math.round(0.05 * numSteps)),
      minLrRatio: 0.1,
      numSteps,
      // Dense enough for the GRSL sweep, which needs a spread of generative capability per run.
      checkpointAt: [0.05, 0.1, 0.2, 0.3, 0.5, 1],
      clipNorm: 1,
    },
  };
  const o = options.overrides;
  if (o) {
    const { train, ...rest } = o;
    Object.assign(cfg, rest);
    if (train) cfg.train = { ...cfg.train, ...train };
  }
  validateConfig(cfg);
  return cfg;
}

/** Throw an {@link InputError} naming the first invalid field. */
export function validateConfig(cfg: OrganismConfig): void {
  const posInt = (v: number, name: string) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`invalid ${name}; need an integer ≥ 1, got ${v}`);
  };
  posInt(cfg.vocabSize, "vocabSize");
  posInt(cfg.decoder.dModel, "decoder.dModel");
  posInt(cfg.decoder.nLayers, "decoder.nLayers");
  posInt(cfg.decoder.maxLen, "decoder.maxLen");
  if (cfg.decoder.dModel % cfg.decoder.nHeads !== 0) {
    throw new InputError(`decoder.nHeads = ${cfg.decoder.nHeads} must divide decoder.dModel = ${cfg.decoder.dModel}`);
  }
  for (const m of ENCODED_MODALITIES) {
    const e = cfg.encoders[m];
    posInt(e.dModel, `encoders.${m}.dModel`);
    posInt(e.patch, `encoders.${m}.patch`);
    posInt(e.nLayers, `encoders.${m}.nLayers`);
    if (e.dModel % e.nHeads !== 0) throw new InputError(`encoders.${m}.nHeads = ${e.nHeads} must divide dModel = ${e.dModel}`);
  }
  if (cfg.projector !== "linear" && cfg.projector !== "mlp") {
    throw new InputError(`invalid projector; expected "linear" or "mlp", got ${JSON.stringify(cfg.projector)}`);
  }
  if (cfg.answerFormat !== "one-word" && cfg.answerFormat !== "few-words") {
    throw new InputError(`invalid answerFormat; expected "one-word" or "few-words", got "${cfg.answerFormat}"`);
  }
  posInt(cfg.train.numSteps, "train.numSteps");
  for (const f of cfg.train.checkpointAt) {
    if (!(f > 0 && f <= 1)) throw new InputError(`invalid train.checkpointAt entry; need 0 < f ≤ 1, got ${f}`);
  }
}

/** The steps at which checkpoints are written: `round(f · numSteps)` for each fraction, plus `numSteps`. */
export function checkpointSteps(cfg: OrganismConfig): number[] {
  const n = cfg.train.numSteps;
  const s = new Set(cfg.train.checkpointAt.map((f) => Math.max(1, Math.round(f * n))));
  s.add(n);
  return [...s].sort((a, b) => a - b);
}

/** The learning rate at step `step` (0-based): linear warm-up, then cosine decay to `lr · minLrRatio`. */
export function learningRateAt(cfg: OrganismConfig, step: number): number {
  const { lr, warmupSteps, minLrRatio, numSteps } = cfg.train;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const t = Math.min(1, (step - warmupSteps) / Math.max(1, numSteps - warmupSteps));
  return lr * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
