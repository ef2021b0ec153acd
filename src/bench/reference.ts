/**
 * The training-speed reference model (issue 5) and one training step on it, in each optimisation
 * path. The model is fixed so that numbers stay comparable across runs and machines:
 * vocab 512, d 128, 4 heads, sequence 32, batch 32, 2 pre-LN blocks (causal self-attention,
 * tanh-GELU MLP 4×), learned positional embedding, untied output head, softmax cross-entropy on
 * random tokens, Adam lr 1e-3, seeded.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { rng, splitSeed } from "../random";
import { AdamW, ParamStore, decoderForward, embedTokens, initDecoder, tokenCrossEntropy, trainStepAsync, type DecoderConfig, type NnImpl } from "../nn";

/** A model + batch shape for the training benchmark. */
export interface BenchModel extends DecoderConfig {
  /** Sequences per step. */
  batchSize: number;
  /** Tokens per sequence (≤ maxLen). */
  seqLen: number;
  /** Adam learning rate. */
  lr: number;
}

/** The fixed reference model of issue 5 (≈ 0.46 M parameters, 1024 tokens per step). */
export const REFERENCE_MODEL: BenchModel = {
  vocabSize: 512,
  dModel: 128,
  nHeads: 4,
  nLayers: 2,
  maxLen: 32,
  seqLen: 32,
  batchSize: 32,
  lr: 1e-3,
};

/** A small model with the same structure, for tests (quick on the pure-JS cpu backend). */
export const TINY_MODEL: BenchModel = {
  vocabSize: 37,
  dModel: 16,
  nHeads: 2,
  nLayers: 2,
  maxLen: 8,
  seqLen: 8,
  batchSize: 6,
  lr: 1e-3,
};

/** Named benchmark models, for `lco bench train --model NAME`. */
export const BENCH_MODELS: Record<string, BenchModel> = { reference: REFERENCE_MODEL, tiny: TINY_MODEL };

/** A batch of random tokens: inputs and targets `[B, T]`, both uniform over the vocabulary. */
export interface TokenBatch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** The batch of step `step`: a pure function of `(seed, step)`, so every path sees the same data. */
export function randomBatch(model: BenchModel, seed: number, step: number): TokenBatch {
  const r = rng(splitSeed(seed, `batch${step}`));
  const n = model.batchSize * model.seqLen;
  const inputs = new Int32Array(n);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) inputs[i] = r.int(model.vocabSize);
  for (let i = 0; i < n; i++) targets[i] = r.int(model.vocabSize);
  return { inputs, targets, batchSize: model.batchSize, seqLen: model.seqLen };
}

/** Rows `[start, start + count)` of a batch (how data-parallel workers split it). */
export function sliceBatch(b: TokenBatch, start: number, count: number): TokenBatch {
  const T = b.seqLen;
  if (!(start >= 0 && count >= 1 && start + count <= b.batchSize)) {
    throw new InputError(`invalid batch slice [${start}, ${start + count}) of ${b.batchSize} rows`);
  }
  return {
    inputs: b.inputs.subarray(start * T, (start + count) * T),
    targets: b.targets.subarray(start * T, (start + count) * T),
    batchSize: count,
    seqLen: T,
  };
}

/** Build the model's parameters (prefix `"m"`) in a new store. */
export function buildModel(model: BenchModel, seed: number): ParamStore {
  if (model.seqLen > model.maxLen) throw new InputError(`seqLen ${model.seqLen} exceeds maxLen ${model.maxLen}`);
  const ps = new ParamStore(seed);
  initDecoder(ps, "m", model);
  return ps;
}

/**
 * The loss of one batch as a scalar tensor (mean cross-entropy over all tokens; chance level
 * `ln(vocabSize)` = 6.238 for the reference model). The caller disposes it.
 * @param weight multiply the loss by this (workers use `rows / batchSize` so that summing their
 *   gradients gives the gradient of the full-batch mean).
 */
export function referenceBatchLoss(ps: ParamStore, model: BenchModel, batch: TokenBatch, impl: NnImpl, weight = 1): tf.Scalar {
  return tf.tidy(() => {
    const ids = tf.tensor2d(batch.inputs, [batch.batchSize, batch.seqLen], "int32");
    const tgt = tf.tensor2d(batch.targets, [batch.batchSize, batch.seqLen], "int32");
    const { logits } = decoderForward(ps, "m", model, embedTokens(ps, "m", ids, impl), { impl });
    const loss = tokenCrossEntropy(logits, tgt, undefined, impl);
    return weight === 1 ? loss : (tf.mul(loss, weight) as tf.Scalar);
  });
}

/**
 * Gradients of the (weighted) batch loss with respect to all parameters, in `ps.variables()`
 * order, plus the loss value. The caller disposes the gradients.
 */
export function batchGrads(ps: ParamStore, model: BenchModel, batch: TokenBatch, impl: NnImpl, weight = 1): { loss: number; grads: tf.Tensor[] } {
  const vars = ps.variables();
  const { value, grads } = tf.variableGrads(() => referenceBatchLoss(ps, model, batch, impl, weight), vars);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads: vars.map((v) => grads[v.name]) };
}

/** A model, its optimiser and its implementation: everything one serial training step needs. */
export interface Trainer {
  ps: ParamStore;
  opt: AdamW;
  model: BenchModel;
  impl: NnImpl;
  seed: number;
  /** Updates done so far (the next batch is `randomBatch(model, seed, step)`). */
  step: number;
}

/**
 * A fresh serial trainer: model from `seed`, Adam with the model's lr. The `"reference"` trainer
 * also uses the unfused (tensor-kernel) Adam update, the `"fast"` one the fused update kernel.
 */
export function makeTrainer(model: BenchModel, seed: number, impl: NnImpl): Trainer {
  return { ps: buildModel(model, seed), opt: new AdamW({ lr: model.lr, fused: impl === "fast" }), model, impl, seed, step: 0 };
}

/** One serial step on the trainer's next batch. Returns the loss before the update. */
export function serialStep(t: Trainer): number {
  const batch = randomBatch(t.model, t.seed, t.step);
  const { loss, grads } = batchGrads(t.ps, t.model, batch, t.impl);
  t.opt.apply(t.ps.variables(), grads);
  tf.dispose(grads);
  t.step++;
  return loss;
}

/**
 * {@link serialStep} with an asynchronous read of the loss (`nn.trainStepAsync`): the same update,
 * and the form that also runs on `webgpu`, where the read waits for the GPU to finish the step.
 */
export async function serialStepAsync(t: Trainer): Promise<number> {
  const batch = randomBatch(t.model, t.seed, t.step);
  const { loss } = await trainStepAsync(() => referenceBatchLoss(t.ps, t.model, batch, t.impl), t.ps.variables(), t.opt);
  t.step++;
  return loss;
}

/** Free a trainer's tensors. */
export function disposeTrainer(t: Trainer): void {
  t.opt.dispose();
  t.ps.dispose();
}
