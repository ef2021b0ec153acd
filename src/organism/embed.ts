/**
 * Embedding extraction with the paper's protocol (paper-notes §1.1): feed the item followed by
 * "Summarize the above {modality} in one word:", and read the hidden state at the prompt's last
 * token, before any answer token, at every layer. The result is a layer stack `[L + 1, n, d]`
 * (index 0 = input embeddings, last = after the final layer norm), the layout of Hugging Face's
 * `hidden_states`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import type { AnswerFormat, Modality } from "./config";
import { assembleBatch, buildFeatureCache, buildSequence, type FeatureCache, type OrganismItem, type OrganismTokenizer, type SequenceSpec } from "./data";
import { forward, type ForwardOptions, type Organism } from "./model";
import { prefixTokens, type OrganismData } from "./train";

/** Options of {@link embed} and {@link embedIndices}. */
export interface EmbedOptions {
  /** Rows per forward pass. Default 64. */
  batchSize?: number;
  /**
   * Prompt variant: `"one-word"` is the paper's prompt. Default: the format the model was trained
   * with (`model.config.answerFormat`), so a few-word model is asked the prompt it knows.
   */
  format?: AnswerFormat;
  /** For text: which caption paraphrase to embed (index into `item.captions`). Default 0. */
  caption?: number;
}

/**
 * Embeddings of `items[indices]` in `modality` from a feature cache (fast path for evaluation).
 * @returns float32 `[L + 1, n, d]`.
 */
export function embedIndices(
  model: Organism,
  data: { items: readonly OrganismItem[]; tokenizer: OrganismTokenizer; cache: FeatureCache },
  indices: readonly number[],
  modality: Modality,
  options: EmbedOptions = {},
): NdArray {
  const format = options.format ?? model.config.answerFormat;
  const bs = options.batchSize ?? 64;
  const L1 = model.config.decoder.nLayers + 1;
  const d = model.config.decoder.dModel;
  const n = indices.length;
  if (n === 0) throw new InputError("embed needs at least one item");
  if (modality !== "text" && !model.inputs[modality]) throw new InputError(`this organism has no ${modality} encoder`);
  const out = new Float32Array(L1 * n * d);
  const prefix = prefixTokens(data.cache);
  for (let b0 = 0; b0 < n; b0 += bs) {
    const idx = indices.slice(b0, b0 + bs);
    const seqs = idx.map((i) => {
      const it = data.items[i];
      if (!it) throw new InputError(`item index ${i} is out of range (have ${data.items.length} items)`);
      const cap = Math.min(options.caption ?? 0, it.captions.length - 1);
      return buildSequence(data.tokenizer, it, i, modality, "instruct", format, cap, false);
    });
    const batch = assembleBatch(seqs, prefix, data.tokenizer, model.config.decoder.maxLen);
    const B = batch.B, T = batch.T;
    // Flat row index of each sequence's prompt end in [B·T, d].
    const pick = Array.from(batch.promptEnd, (p, r) => r * T + p);
    const rows = tf.tidy(() => {
      const { hidden } = forward(model, batch, data.cache, { hidden: true });
      const at = tf.tensor1d(pick, "int32");
      const states = hidden!.map((h) => tf.gather(h.reshape([B * T, d]), at) as tf.Tensor2D);
      // A refined read-out projection (strategy "linear") acts on the last layer only.
      states[states.length - 1] = applyReadout(model, states[states.length - 1]);
      return tf.stack(states); // [L+1, B, d]
    });
    const vals = rows.dataSync() as Float32Array;
    rows.dispose();
    for (let l = 0; l < L1; l++) out.set(vals.subarray(l * B * d, (l + 1) * B * d), (l * n + b0) * d);
  }
  return { data: out, shape: [L1, n, d], dtype: "float32" };
}

/**
 * Embeddings of `items` in `modality` with the paper's protocol: last-token state at the end of
 * "Summarize the above {modality} in one word:", every layer.
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

// ---------------------------------------------------------------------------------------------
// The differentiable read-out (for contrastive refinement)

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

/** Forward options of the differentiable read-out (training mode turns LoRA dropout on). */
export type ReadoutOptions = Pick<ForwardOptions, "training" | "dropoutSeed">;

function readRows(model: Organism, data: Pick<OrganismData, "tokenizer" | "cache">, seqs: SequenceSpec[], options: ReadoutOptions): tf.Tensor2D {
  const batch = assembleBatch(seqs, prefixTokens(data.cache), data.tokenizer, model.config.decoder.maxLen);
  const { hidden } = forward(model, batch, data.cache, { hidden: true, ...options });
  const h = hidden![hidden!.length - 1];
  const d = model.config.decoder.dModel;
  const pick = tf.tensor1d(Array.from(batch.promptEnd, (p, r) => r * batch.T + p), "int32");
  return applyReadout(model, tf.gather(h.reshape([batch.B * batch.T, d]), pick) as tf.Tensor2D);
}

/**
 * Last-layer read-out at the prompt's last token, differentiably (for contrastive training):
 * `[indices.length, d]`, the same value as {@link embedIndices} at the last layer. Text items are
 * read with their canonical caption. Intermediate tensors are not disposed: call inside a tidy
 * (or a `trainStep`).
 */
export function promptEndStates(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, options: ReadoutOptions = {}): tf.Tensor2D {
  const seqs = indices.map((i) => buildSequence(data.tokenizer, data.items[i], i, modality, "instruct", model.config.answerFormat, 0, false));
  return readRows(model, data, seqs, options);
}

/**
 * The read-out of arbitrary texts (contrastive triples, queries): each text followed by the text
 * summarize prompt, last layer, differentiably. `[texts.length, d]`.
 */
export function textPromptEndStates(model: Organism, data: Pick<OrganismData, "tokenizer" | "cache">, texts: readonly string[], options: ReadoutOptions = {}): tf.Tensor2D {
  if (texts.length === 0) throw new InputError("textPromptEndStates needs at least one text");
  // A text is read like a text item whose only caption is that text.
  const seqs = texts.map((t) => buildSequence(data.tokenizer, textItem(t), -1, "text", "instruct", model.config.answerFormat, 0, false));
  return readRows(model, data, seqs, options);
}

/** A stand-in item for an arbitrary text (text sequences read nothing else from their item). */
function textItem(text: string): OrganismItem {
  return { id: "text", captions: [text], summaryWord: "", fewWords: "", attributes: {}, inputs: {} };
}
