/**
 * Transformer stacks built from the layers: a causal decoder (GPT-2 layout: token + learned
 * positional embedding, pre-LN blocks, final layer norm, untied output head) and a bidirectional
 * encoder for modality encoders. Parameter names, for prefix `p`:
 *
 * | name | shape |
 * |---|---|
 * | `p.tok.w` (decoder only) | `[V, d]` |
 * | `p.pos.w` | `[maxLen, d]` |
 * | `p.h{i}.ln1.{g,b}`, `p.h{i}.ln2.{g,b}` | `[d]` |
 * | `p.h{i}.attn.qkv.{w,b}` | `[d, 3d]`, `[3d]` |
 * | `p.h{i}.attn.out.{w,b}` | `[d, d]`, `[d]` |
 * | `p.h{i}.mlp.fc1.{w,b}` / `fc2` | `[d, r·d]` / `[r·d, d]` |
 * | `p.lnf.{g,b}` | `[d]` |
 * | `p.head.w` (decoder only, no bias) | `[d, V]` |
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import type { ParamStore } from "./params";
import { addPositional, block, embedding, initBlock, initEmbedding, initLayerNorm, initLinear, layerNorm, linear, type ForwardOptions, type NnImpl } from "./layers";

/** Shape of a transformer stack. */
export interface TransformerConfig {
  /** Width d. */
  dModel: number;
  /** Attention heads H; must divide `dModel`. */
  nHeads: number;
  /** Number of blocks L. */
  nLayers: number;
  /** Longest sequence (size of the positional table). */
  maxLen: number;
  /** MLP hidden width as a multiple of d. Default 4. */
  mlpRatio?: number;
  /** Layer-norm epsilon. Default 1e-5. */
  lnEps?: number;
}

/** A causal decoder: a {@link TransformerConfig} plus a vocabulary. */
export interface DecoderConfig extends TransformerConfig {
  /** Vocabulary size V. */
  vocabSize: number;
}

function checkConfig(cfg: TransformerConfig): void {
  for (const k of ["dModel", "nHeads", "nLayers", "maxLen"] as const) {
    if (!(Number.isInteger(cfg[k]) && cfg[k] >= 1)) throw new InputError(`invalid ${k}; need an integer ≥ 1, got ${cfg[k]}`);
  }
  if (cfg.dModel % cfg.nHeads !== 0) throw new InputError(`dModel ${cfg.dModel} is not divisible by nHeads ${cfg.nHeads}`);
}

function initStack(ps: ParamStore, prefix: string, cfg: TransformerConfig): void {
  checkConfig(cfg);
  initEmbedding(ps, `${prefix}.pos`, cfg.maxLen, cfg.dModel);
  for (let i = 0; i < cfg.nLayers; i++) initBlock(ps, `${prefix}.h${i}`, cfg.dModel, cfg.nHeads, cfg.nLayers, cfg.mlpRatio ?? 4);
  initLayerNorm(ps, `${prefix}.lnf`, cfg.dModel);
}

/** Create a decoder's parameters under `prefix` (see the module table). */
export function initDecoder(ps: ParamStore, prefix: string, cfg: DecoderConfig): void {
  if (!(Number.isInteger(cfg.vocabSize) && cfg.vocabSize >= 1)) throw new InputError(`invalid vocabSize; need an integer ≥ 1, got ${cfg.vocabSize}`);
  initEmbedding(ps, `${prefix}.tok`, cfg.vocabSize, cfg.dModel);
  initStack(ps, prefix, cfg);
  initLinear(ps, `${prefix}.head`, cfg.dModel, cfg.vocabSize, { bias: false });
}

/** Create a bidirectional encoder's parameters under `prefix` (no token table, no head). */
export function initEncoder(ps: ParamStore, prefix: string, cfg: TransformerConfig): void {
  initStack(ps, prefix, cfg);
}

/**
 * Token embeddings of a decoder: `ids` `[B, T]` int32 → `[B, T, d]` (no positional term yet).
 * `impl` as in {@link embedding} (default `"fast"`).
 */
export function embedTokens(ps: ParamStore, prefix: string, ids: tf.Tensor | number[][], impl: NnImpl = "fast"): tf.Tensor3D {
  return embedding(ps, `${prefix}.tok`, ids, impl) as tf.Tensor3D;
}

/** Options of {@link decoderForward} and {@link encoderForward}. */
export interface StackOptions extends ForwardOptions {
  /** Padding mask `[B, T]` (1 = token, 0 = padding); padded keys get no attention. */
  attnMask?: tf.Tensor;
  /** Also return the hidden states of every layer. Default `false`. */
  returnHidden?: boolean;
}

/** Output of {@link decoderForward}. */
export interface DecoderOutput {
  /** Next-token logits `[B, T, V]`. */
  logits: tf.Tensor3D;
  /**
   * With `returnHidden`: L+1 tensors `[B, T, d]`, as HF `hidden_states`: index 0 is the input
   * embeddings plus positions, index i the output of block i, and the last one has the final
   * layer norm applied (GPT-2 convention).
   */
  hidden?: tf.Tensor3D[];
}

function runStack(ps: ParamStore, prefix: string, cfg: TransformerConfig, embeds: tf.Tensor, causal: boolean, opts: StackOptions): tf.Tensor3D[] {
  if (embeds.rank !== 3 || embeds.shape[2] !== cfg.dModel) {
    throw new InputError(`input embeddings must be [B, T, ${cfg.dModel}]; got [${embeds.shape.join(", ")}]`);
  }
  const states: tf.Tensor3D[] = [];
  let x = addPositional(ps, `${prefix}.pos`, embeds, 0, opts.impl) as tf.Tensor3D;
  states.push(x);
  for (let i = 0; i < cfg.nLayers; i++) {
    x = block(ps, `${prefix}.h${i}`, x, cfg.nHeads, { ...opts, causal, lnEps: cfg.lnEps }) as tf.Tensor3D;
    states.push(x);
  }
  states[cfg.nLayers] = layerNorm(ps, `${prefix}.lnf`, x, cfg.lnEps ?? 1e-5, opts.impl) as tf.Tensor3D;
  return states;
}

/**
 * Run the causal decoder on input embeddings `embeds` `[B, T, d]` (token embeddings from
 * {@link embedTokens}, optionally with modality tokens concatenated in front).
 * Intermediate tensors are not disposed: call inside `tf.tidy` (or dispose the outputs).
 */
export function decoderForward(ps: ParamStore, prefix: string, cfg: DecoderConfig, embeds: tf.Tensor, opts: StackOptions = {}): DecoderOutput {
  const states = runStack(ps, prefix, cfg, embeds, true, opts);
  const logits = linear(ps, `${prefix}.head`, states[cfg.nLayers], opts) as tf.Tensor3D;
  return opts.returnHidden ? { logits, hidden: states } : { logits };
}

/**
 * Run the bidirectional encoder on `x` `[B, T, d]` (e.g. projected image patches) → `[B, T, d]`
 * after the final layer norm; with `returnHidden`, all L+1 states as in {@link DecoderOutput}.
 */
export function encoderForward(ps: ParamStore, prefix: string, cfg: TransformerConfig, x: tf.Tensor, opts: StackOptions = {}): { output: tf.Tensor3D; hidden?: tf.Tensor3D[] } {
  const states = runStack(ps, prefix, cfg, x, false, opts);
  const output = states[cfg.nLayers];
  return opts.returnHidden ? { output, hidden: states } : { output };
}
