/**
 * The prompt-end read-out, the paper's embedding protocol (paper-notes §1.1): feed the input
 * followed by "Summarize the above {modality} in one word:", and read the hidden state at the
 * prompt's last token, before any answer token. Every embedding of the kit goes through
 * {@link readPromptEnd}, in two forms:
 *
 * - differentiable ({@link promptEndStates}, {@link textPromptEndStates}): tensors `[n, d]` at one
 *   layer, for use inside a gradient (contrastive training); the caller disposes them;
 * - for evaluation ({@link embedIndices}, {@link embedTexts}, {@link embed}): a layer stack
 *   `[L + 1, n, d]` as plain numbers (index 0 = input embeddings, last = after the final layer
 *   norm), the layout of Hugging Face's `hidden_states`, computed in batches with every tensor freed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import type { AnswerFormat, Modality } from "./config";
import {
  assembleBatch,
  buildFeatureCache,
  buildSequence,
  prefixTokens,
  promptHead,
  type AssembledBatch,
  type FeatureCache,
  type OrganismItem,
  type OrganismTokenizer,
  type SequenceSpec,
} from "./data";
import { forward, type Organism } from "./model";
import { readOnce, runAsync, runSync, type Reads } from "../backend/reads";

/** What the read-out of world items needs: the items, the tokenizer and their encoder inputs. */
export interface EmbedData {
  items: readonly OrganismItem[];
  tokenizer: OrganismTokenizer;
  cache: FeatureCache;
}

/** Options of the read-out. */
export interface EmbedOptions {
  /** Rows per forward pass (evaluation forms only). Default 64. */
  batchSize?: number;
  /**
   * Prompt variant: `"one-word"` is the paper's prompt. Default: the format the model was trained
   * with (`model.config.answerFormat`), so a few-word model is asked the prompt it knows.
   */
  format?: AnswerFormat;
  /** For text items: which caption paraphrase to embed (index into `item.captions`). Default 0. */
  caption?: number;
}

/** Forward-pass options of the differentiable read-out: training mode turns LoRA dropout on. */
export interface ReadoutForward {
  /** Training mode (LoRA dropout). Default `false`. */
  training?: boolean;
  /** Seed of this pass's dropout masks; vary it per step. Default 0. */
  dropoutSeed?: number;
}

/**
 * Prefix of the optional linear projection on the read-out (`readout.proj.w` `[d, d]`,
 * `readout.proj.b` `[d]`), added by the "linear" refinement strategy. Without it the read-out is
 * the hidden state itself.
 */
export const READOUT_PREFIX = "readout.proj";

/** The last-layer read-out through the model's read-out projection, if it has one: `[n, d]` → `[n, d]`. */
export function applyReadout(model: Organism, states: tf.Tensor2D): tf.Tensor2D {
  const ps = model.params;
  if (!ps.has(`${READOUT_PREFIX}.w`)) return states;
  return tf.add(tf.matMul(states, ps.get(`${READOUT_PREFIX}.w`) as tf.Tensor2D), ps.get(`${READOUT_PREFIX}.b`)) as tf.Tensor2D;
}

/** Options of the differentiable read-out. */
export interface PromptEndOptions extends Omit<EmbedOptions, "batchSize">, ReadoutForward {
  /** Which hidden state, `0 … L` (0 = input embeddings). Default `L`, the last (after the final norm). */
  layer?: number;
}

/**
 * The read-out itself: the hidden states at each row's prompt end, at the given layers.
 * Differentiable (plain TF.js ops); the caller owns the returned tensors.
 * @param batch an assembled batch whose rows all have a prompt end (`batch.promptEnd[r] ≥ 0`).
 * @param layerIds hidden-state indices `0 … L`.
 * @returns one tensor `[B, d]` per entry of `layerIds`.
 */
export function readPromptEnd(model: Organism, batch: AssembledBatch, cache: FeatureCache | null, layerIds: readonly number[], fwd: ReadoutForward = {}): tf.Tensor2D[] {
  const { B, T } = batch;
  const d = model.config.decoder.dModel;
  const L1 = model.config.decoder.nLayers + 1;
  for (const l of layerIds) if (!(Number.isInteger(l) && l >= 0 && l < L1)) throw new InputError(`invalid layer; need 0 ≤ layer ≤ ${L1 - 1}, got ${l}`);
  const bad = batch.promptEnd.findIndex((p) => p < 0);
  if (bad >= 0) throw new InputError(`row ${bad} of the batch has no prompt end (only instruction inputs can be embedded)`);
  // Flat row index of each sequence's prompt end in [B·T, d].
  const pick = Array.from(batch.promptEnd, (p, r) => r * T + p);
  return tf.tidy(() => {
    const { hidden } = forward(model, batch, cache, { hidden: true, training: fwd.training, dropoutSeed: fwd.dropoutSeed });
    const at = tf.tensor1d(pick, "int32");
    // A refined read-out projection (the "linear" refinement strategy) acts on the last layer only.
    return layerIds.map((l) => {
      const rows = tf.gather(hidden![l].reshape([B * T, d]), at) as tf.Tensor2D;
      return l === L1 - 1 ? applyReadout(model, rows) : rows;
    });
  });
}

/** Embedding inputs (instruction prompt, no answer) of `items[indices]` in `modality`. */
function itemSequences(model: Organism, data: EmbedData, indices: readonly number[], modality: Modality, options: EmbedOptions): SequenceSpec[] {
  if (modality !== "text" && !model.inputs[modality]) throw new InputError(`this organism has no ${modality} encoder`);
  const format = options.format ?? model.config.answerFormat;
  return indices.map((i) => {
    const it = data.items[i];
    if (!it) throw new InputError(`item index ${i} is out of range (have ${data.items.length} items)`);
    const cap = Math.min(options.caption ?? 0, it.captions.length - 1);
    return buildSequence(data.tokenizer, it, i, modality, "instruct", format, cap, false);
  });
}

/** Embedding inputs of arbitrary texts: `[BOS] text "Summarize the above text …:"`. */
function textSequences(model: Organism, tok: OrganismTokenizer, texts: readonly string[], options: EmbedOptions): SequenceSpec[] {
  const format = options.format ?? model.config.answerFormat;
  return texts.map((text, i) => {
    const ids = promptHead(tok, "text", format, tok.encode(text));
    return { item: i, modality: "text", task: "instruct", ids, lossOn: ids.map(() => 0), promptEnd: ids.length - 1 };
  });
}

const lastLayer = (model: Organism, options: PromptEndOptions) => options.layer ?? model.config.decoder.nLayers;

/**
 * Differentiable prompt-end states of `items[indices]` in `modality` at one layer, all rows in one
 * forward pass (for contrastive training inside `nn.trainStep`).
 * @returns `[indices.length, d]`; the caller disposes it (or calls this inside a tidy / gradient).
 */
export function promptEndStates(model: Organism, data: EmbedData, indices: readonly number[], modality: Modality, options: PromptEndOptions = {}): tf.Tensor2D {
  if (indices.length === 0) throw new InputError("the read-out needs at least one item");
  const batch = assembleBatch(itemSequences(model, data, indices, modality, options), prefixTokens(data.cache), data.tokenizer, model.config.decoder.maxLen);
  return readPromptEnd(model, batch, data.cache, [lastLayer(model, options)], options)[0];
}

/**
 * Differentiable prompt-end states of arbitrary texts (e.g. the anchors, positives and negatives
 * of contrastive triples) at one layer. Every word must be known to the tokenizer.
 * @returns `[texts.length, d]`; the caller disposes it.
 */
export function textPromptEndStates(model: Organism, tokenizer: OrganismTokenizer, texts: readonly string[], options: PromptEndOptions = {}): tf.Tensor2D {
  if (texts.length === 0) throw new InputError("the read-out needs at least one text");
  const batch = assembleBatch(textSequences(model, tokenizer, texts, options), {}, tokenizer, model.config.decoder.maxLen);
  return readPromptEnd(model, batch, null, [lastLayer(model, options)], options)[0];
}

/**
 * The forward passes of the evaluation read-out, one batch at a time: yields each batch's rows
 * `[L+1, B, d]` to be read (`backend/reads.ts`: `runSync` or `runAsync`, one loop for both) and
 * returns the whole stack `[L + 1, n, d]`.
 */
function* stackBatches(model: Organism, seqs: readonly SequenceSpec[], tok: OrganismTokenizer, cache: FeatureCache | null, batchSize = 64): Reads<NdArray> {
  const L1 = model.config.decoder.nLayers + 1;
  const d = model.config.decoder.dModel;
  const n = seqs.length;
  if (n === 0) throw new InputError("embed needs at least one item");
  const all = Array.from({ length: L1 }, (_, l) => l);
  const prefix = cache ? prefixTokens(cache) : {};
  const out = new Float32Array(L1 * n * d);
  for (let b0 = 0; b0 < n; b0 += batchSize) {
    const batch = assembleBatch(seqs.slice(b0, b0 + batchSize), prefix, tok, model.config.decoder.maxLen);
    const B = batch.B;
    const vals = (yield* readOnce(tf.tidy(() => tf.stack(readPromptEnd(model, batch, cache, all))))) as Float32Array; // [L+1, B, d]
    for (let l = 0; l < L1; l++) out.set(vals.subarray(l * B * d, (l + 1) * B * d), (l * n + b0) * d);
  }
  return { data: out, shape: [L1, n, d], dtype: "float32" };
}

/**
 * Embeddings of `items[indices]` in `modality` from a feature cache (the evaluation path).
 * @returns float32 `[L + 1, n, d]`.
 */
export function embedIndices(model: Organism, data: EmbedData, indices: readonly number[], modality: Modality, options: EmbedOptions = {}): NdArray {
  if (indices.length === 0) throw new InputError("embed needs at least one item");
  return runSync(stackBatches(model, itemSequences(model, data, indices, modality, options), data.tokenizer, data.cache, options.batchSize));
}

/**
 * {@link embedIndices} with asynchronous reads: the same values on every backend, and the form
 * that also runs on `webgpu` (which cannot read synchronously in Node).
 * @returns float32 `[L + 1, n, d]`.
 */
export async function embedIndicesAsync(model: Organism, data: EmbedData, indices: readonly number[], modality: Modality, options: EmbedOptions = {}): Promise<NdArray> {
  if (indices.length === 0) throw new InputError("embed needs at least one item");
  return runAsync(stackBatches(model, itemSequences(model, data, indices, modality, options), data.tokenizer, data.cache, options.batchSize));
}

/**
 * Embeddings of arbitrary texts with the text prompt ("Summarize the above text in one word:").
 * @returns float32 `[L + 1, texts.length, d]`.
 * @throws InputError naming a word the tokenizer does not know.
 */
export function embedTexts(model: Organism, tokenizer: OrganismTokenizer, texts: readonly string[], options: EmbedOptions = {}): NdArray {
  if (texts.length === 0) throw new InputError("embed needs at least one text");
  return runSync(stackBatches(model, textSequences(model, tokenizer, texts, options), tokenizer, null, options.batchSize));
}

/**
 * Embeddings of `items` in `modality` with the paper's protocol (builds their feature cache first).
 * @param options.tokenizer the tokenizer the model was trained with.
 * @returns float32 layer stack `[L + 1, items.length, d]`.
 * @example
 * const E = lco.organism.embed(model, items, "image", {tokenizer}); // shape [L+1, n, d]
 */
export function embed(model: Organism, items: readonly OrganismItem[], modality: Modality, options: EmbedOptions & { tokenizer: OrganismTokenizer }): NdArray {
  const cache = buildFeatureCache(items, model.config, modality === "text" ? [] : [modality]);
  if (modality !== "text" && !cache.byModality[modality]) throw new InputError(`some items have no ${modality} input`);
  return embedIndices(model, { items, tokenizer: options.tokenizer, cache }, items.map((_, i) => i), modality, options);
}
