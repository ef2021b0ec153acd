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
import { assembleBatch, buildFeatureCache, buildSequence, type FeatureCache, type OrganismItem, type OrganismTokenizer } from "./data";
import { forward, type Organism } from "./model";
import { prefixTokens } from "./train";

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
      return tf.stack(hidden!.map((h) => tf.gather(h.reshape([B * T, d]), at))); // [L+1, B, d]
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
