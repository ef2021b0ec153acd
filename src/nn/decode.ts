/**
 * Greedy decoding (always take the most likely next token), for generated captions.
 * No key/value cache: each new token re-runs the full sequence, which is fine for the kit's
 * short sequences and keeps the code obviously equal to the training forward pass.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import type { ParamStore } from "./params";
import { type DecoderConfig, decoderForward, embedTokens } from "./transformer";
import type { NnImpl } from "./layers";

/** Options of {@link greedyDecode}. */
export interface GreedyOptions {
  /** Stop after this many new tokens. */
  maxNewTokens: number;
  /** Stop a row when it emits this id (the id is not included in the output). */
  eosId?: number;
}

/**
 * Greedy decoding with any model.
 * @param logitsFn maps the current token ids `[B, t]` to logits `[B, t, V]` (or `[B, P + t, V]`
 *   when it prepends modality tokens: only the last position is read).
 * @param prompts B prompts of equal length (≥ 1 token each).
 * @returns for each prompt, the generated ids (without the prompt and without `eosId`).
 */
export function greedyDecode(logitsFn: (ids: tf.Tensor2D) => tf.Tensor, prompts: number[][], opts: GreedyOptions): number[][] {
  const B = prompts.length;
  if (B === 0) return [];
  const t0 = prompts[0].length;
  if (t0 < 1 || prompts.some((p) => p.length !== t0)) {
    throw new InputError(`prompts must be non-empty and of equal length; lengths are ${prompts.map((p) => p.length).join(", ")}`);
  }
  const seqs = prompts.map((p) => p.slice());
  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  for (let s = 0; s < opts.maxNewTokens && done.some((d) => !d); s++) {
    const next = tf.tidy(() => {
      const logits = logitsFn(tf.tensor2d(seqs, undefined, "int32"));
      const [b, T, V] = logits.shape as [number, number, number];
      return tf.argMax(tf.slice(logits, [0, T - 1, 0], [b, 1, V]).reshape([b, V]), -1).dataSync();
    });
    for (let i = 0; i < B; i++) {
      const id = next[i];
      seqs[i].push(id);
      if (done[i]) continue;
      if (opts.eosId !== undefined && id === opts.eosId) done[i] = true;
      else out[i].push(id);
    }
  }
  return out;
}

/**
 * Greedy decoding with a decoder from {@link initDecoder}, optionally with input embeddings
 * `prefix` `[B, P, d]` (e.g. projected image tokens) placed before the prompt tokens.
 */
export function decoderGreedy(ps: ParamStore, name: string, cfg: DecoderConfig, prompts: number[][], opts: GreedyOptions & { prefix?: tf.Tensor3D; impl?: NnImpl }): number[][] {
  return greedyDecode((ids) => {
    let emb: tf.Tensor = embedTokens(ps, name, ids);
    if (opts.prefix) emb = tf.concat([opts.prefix, emb], 1);
    return decoderForward(ps, name, cfg, emb, { impl: opts.impl }).logits;
  }, prompts, opts);
}
