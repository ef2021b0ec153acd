/**
 * Loss functions: token cross-entropy with a loss mask, next-token loss, and InfoNCE.
 *
 * Cross-entropy is written as `-Σ oneHot(target) · logSoftmax(logits)`: TF.js has no gradient for
 * `gatherND`, so picking the target's log-probability by index would not train.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import type { NnImpl } from "./layers";
import * as fast from "./fast";

function toIntTensor(x: tf.Tensor | number[][] | number[]): tf.Tensor {
  return x instanceof tf.Tensor ? (x.dtype === "int32" ? x : x.toInt()) : tf.tensor(x as number[][], undefined, "int32");
}

/**
 * Mean cross-entropy of `logits` `[..., V]` against integer `targets` `[...]`, averaged over the
 * positions where `mask` `[...]` is 1 (all positions by default). Units: nats per token.
 * The fast form goes through `softmax` (vectorised on wasm) and has a closed-form gradient,
 * `(softmax - oneHot)·mask / Σmask`.
 * @throws if the mask selects no position (the mean would be 0/0).
 */
export function tokenCrossEntropy(logits: tf.Tensor, targets: tf.Tensor | number[][] | number[], mask?: tf.Tensor | number[][] | number[], impl: NnImpl = "fast"): tf.Scalar {
  const V = logits.shape[logits.rank - 1];
  const tgt = toIntTensor(targets);
  const n = tgt.size;
  if (n * V !== logits.size) {
    throw new InputError(`targets of shape [${tgt.shape.join(", ")}] do not match logits [${logits.shape.join(", ")}]`);
  }
  const m = mask === undefined ? tf.ones([n]) : (mask instanceof tf.Tensor ? mask : tf.tensor(mask as number[][])).toFloat().reshape([n]);
  // Counted from the mask as given, not from a computed tensor: a tensor made from JS values still
  // holds them, also on webgpu, where a computed tensor cannot be read synchronously in Node.
  const count = mask === undefined ? n : (mask instanceof tf.Tensor ? Array.from(mask.dataSync()) : (mask as number[][]).flat()).reduce((a: number, v) => a + Number(v), 0);
  if (!(count > 0)) throw new InputError(`loss mask selects no token (sum = ${count})`);
  const flat = logits.reshape([n, V]);
  const tgtFlat = tgt.reshape([n]);
  let loss: tf.Scalar;
  if (impl === "fast") {
    const w = tf.div(m, count); // per-row weight [n], a constant
    loss = fast.crossEntropy(flat, tgtFlat, w);
    w.dispose();
  } else {
    loss = tf.tidy(() => {
      const oneHot = tf.oneHot(tgtFlat, V).toFloat(); // [n, V], a constant
      const scale = tf.div(m, count).reshape([n, 1]); // per-row weight, a constant
      return tf.neg(tf.sum(tf.mul(tf.mul(oneHot, tf.logSoftmax(flat)), scale))) as tf.Scalar;
    });
  }
  tgtFlat.dispose();
  if (tgt !== targets) tgt.dispose();
  if (m !== mask) m.dispose();
  return loss;
}

/**
 * Next-token loss of a causal LM: logits at position t predict `ids[t+1]`.
 * @param logits `[B, T, V]`.
 * @param ids `[B, T]` the tokens that were fed in.
 * @param mask `[B, T]` optional: 1 where the token *being predicted* counts (e.g. only caption
 *   tokens); position 0 can never be predicted and is ignored.
 */
export function nextTokenLoss(logits: tf.Tensor, ids: tf.Tensor | number[][], mask?: tf.Tensor | number[][], impl: NnImpl = "fast"): tf.Scalar {
  const [B, T, V] = logits.shape as [number, number, number];
  const idT = toIntTensor(ids);
  if (idT.rank !== 2 || idT.shape[0] !== B || idT.shape[1] !== T) {
    throw new InputError(`ids must be [${B}, ${T}] like the logits; got [${idT.shape.join(", ")}]`);
  }
  const pred = tf.slice(logits, [0, 0, 0], [B, T - 1, V]);
  const tgt = tf.slice(idT, [0, 1], [B, T - 1]);
  let m: tf.Tensor | undefined;
  if (mask !== undefined) m = tf.slice(mask instanceof tf.Tensor ? mask : tf.tensor(mask), [0, 1], [B, T - 1]);
  const loss = tokenCrossEntropy(pred, tgt, m, impl);
  tgt.dispose();
  m?.dispose();
  if (idT !== ids) idT.dispose();
  return loss;
}

/** Options of {@link infoNCE}. */
export interface InfoNCEOptions {
  /** Hard negatives `[m, d]`, appended to the candidate set of every anchor. Default none (in-batch only). */
  negatives?: tf.Tensor;
  /** Temperature τ. Default 0.05 (E5-V; the LCO-Emb training code uses 0.03). */
  tau?: number;
  /** L2-normalise rows first, so similarities are cosines. Default `true`. */
  normalize?: boolean;
  /**
   * Also score the reverse direction, each positive against every anchor (CLIP's symmetric loss),
   * and return the mean of the two directions. The reverse direction has no hard negatives (they
   * are extra candidates *for anchors*). Default `false`: the upstream code's one direction.
   */
  symmetric?: boolean;
}

/** Mean over rows of `−log softmax(sims)[i, i]`: cross-entropy with the diagonal as the target. `sims` `[n, c]`, c ≥ n. */
function diagonalCrossEntropy(sims: tf.Tensor2D): tf.Scalar {
  const [n, c] = sims.shape;
  const eye = tf.oneHot(tf.range(0, n, 1, "int32"), c).toFloat(); // a constant
  return tf.neg(tf.mean(tf.sum(tf.mul(eye, tf.logSoftmax(sims)), -1))) as tf.Scalar;
}

/**
 * InfoNCE as in the LCO-Emb training code (one direction): anchors `[n, d]` against the
 * candidates `[positives; negatives]` `[n + m, d]`; the correct candidate of anchor i is positive
 * i, every other positive is an in-batch negative and every hard negative a negative of every
 * anchor. Loss = mean over anchors of `−log softmax(sim_i / τ)[i]`, in nats.
 * Chance level (all similarities equal): `log(n + m)` ({@link infoNCEChance}).
 * With `symmetric`, the mean of that and the positives → anchors direction (chance `log n`).
 * @throws InputError for τ ≤ 0 or shapes that are not `[n, d]` / `[m, d]`.
 */
export function infoNCE(anchors: tf.Tensor, positives: tf.Tensor, opts: InfoNCEOptions = {}): tf.Scalar {
  const tau = opts.tau ?? 0.05;
  if (!(tau > 0)) throw new InputError(`invalid tau; need τ > 0, got ${tau}`);
  if (anchors.rank !== 2 || positives.rank !== 2 || anchors.shape[0] !== positives.shape[0] || anchors.shape[1] !== positives.shape[1]) {
    throw new InputError(`anchors [${anchors.shape.join(", ")}] and positives [${positives.shape.join(", ")}] must both be [n, d]`);
  }
  const negs = opts.negatives;
  if (negs && (negs.rank !== 2 || negs.shape[1] !== anchors.shape[1])) {
    throw new InputError(`negatives must be [m, ${anchors.shape[1]}]; got [${negs.shape.join(", ")}]`);
  }
  return tf.tidy(() => {
    const norm = (x: tf.Tensor) => ((opts.normalize ?? true) ? tf.div(x, tf.sqrt(tf.add(tf.sum(tf.mul(x, x), -1, true), 1e-12))) : x) as tf.Tensor2D;
    const a = norm(anchors);
    const p = norm(positives);
    const cand = negs ? (tf.concat([p, norm(negs)], 0) as tf.Tensor2D) : p;
    const forward = diagonalCrossEntropy(tf.div(tf.matMul(a, cand, false, true), tau) as tf.Tensor2D); // [n, n+m]
    if (!opts.symmetric) return forward;
    const backward = diagonalCrossEntropy(tf.div(tf.matMul(p, a, false, true), tau) as tf.Tensor2D); // [n, n]
    return tf.mul(tf.add(forward, backward), 0.5) as tf.Scalar;
  });
}

/**
 * The InfoNCE value of an embedding that cannot tell candidates apart (every similarity equal):
 * `log(n + m)` for n anchors with m hard negatives (one direction); with `symmetric`, the mean
 * `(log(n + m) + log n) / 2`.
 */
export function infoNCEChance(n: number, m = 0, symmetric = false): number {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(m) && m >= 0)) throw new InputError(`invalid batch; need integers n ≥ 1, m ≥ 0, got n = ${n}, m = ${m}`);
  return symmetric ? (Math.log(n + m) + Math.log(n)) / 2 : Math.log(n + m);
}

/** Result of {@link infoNCEFromSimilarities}. */
export interface InfoNCEByHand {
  /** Mean over anchors of `−log p_ii` (nats). */
  loss: number;
  /** `−log p_ii` per anchor. */
  perAnchor: number[];
  /** Softmax of each row of `sim / τ` (each row sums to 1): where anchor i puts its probability. */
  probabilities: number[][];
}

/**
 * InfoNCE from a given cosine-similarity matrix, in plain float64 (for reading by hand; the
 * training loop uses {@link infoNCE} on tensors, which computes the same value from embeddings):
 * row i = anchor i against `[n positives, m hard negatives]`; the correct candidate is column i.
 * @param sim `[n][n + m]` similarities.
 * @param tau temperature. Default 0.05.
 * @example infoNCEFromSimilarities([[1, 0], [0, 1]], 1).loss // log(1 + e^-1) ≈ 0.313
 * @throws InputError when a row is shorter than n or τ ≤ 0.
 */
export function infoNCEFromSimilarities(sim: readonly (readonly number[])[], tau = 0.05): InfoNCEByHand {
  if (!(tau > 0)) throw new InputError(`invalid tau; need τ > 0, got ${tau}`);
  const n = sim.length;
  if (n === 0) throw new InputError("the similarity matrix is empty");
  const width = sim[0].length;
  sim.forEach((row, i) => {
    if (row.length !== width || width < n) throw new InputError(`row ${i} has ${row.length} candidates; every row needs the same count, at least n = ${n}`);
  });
  const probabilities = sim.map((row) => {
    const z = row.map((s) => s / tau);
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
  const perAnchor = probabilities.map((p, i) => -Math.log(p[i]));
  return { loss: perAnchor.reduce((a, b) => a + b, 0) / n, perAnchor, probabilities };
}
