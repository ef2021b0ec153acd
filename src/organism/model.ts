/**
 * The organism: modality encoders + projectors + a causal decoder, built from the `nn` layers.
 *
 * Parameter names (the safetensors keys):
 * - `enc.<m>.in.{w,b}` (featDim → dEnc), then an `nn` bidirectional encoder under `enc.<m>`
 *   (`enc.<m>.pos.w` `[P, dEnc]`, blocks `enc.<m>.h<i>.*`, `enc.<m>.lnf.*`), then the projector
 *   `proj.<m>.{w,b}` (dEnc → d; `proj.<m>.fc1/.fc2` for the MLP projector);
 * - an `nn` causal decoder under `dec`: `dec.tok.w` `[V, d]`, `dec.pos.w` `[maxLen, d]`,
 *   blocks `dec.h<i>.*`, `dec.lnf.*`, untied head `dec.head.w` `[d, V]`.
 *
 * Hidden states follow Hugging Face's convention so the paper's protocol carries over:
 * `hidden[0]` = input embeddings (token/modality embeddings + positions), `hidden[i]` = output of
 * block i, and the last entry has the final layer norm applied. `L` blocks give `L + 1` states.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { splitSeed } from "../random";
import { ParamStore } from "../nn/params";
import { gelu, initLinear, linear } from "../nn/layers";
import { tokenCrossEntropy } from "../nn/losses";
import { decoderForward, embedTokens, encoderForward, initDecoder, initEncoder } from "../nn/transformer";
import type { DecoderConfig as NnDecoderConfig, TransformerConfig } from "../nn/transformer";
import type { Modality, OrganismConfig } from "./config";
import { ENCODED_MODALITIES, validateConfig } from "./config";
import type { AssembledBatch, FeatureCache } from "./data";

/** Input token layout of one encoded modality: `P` tokens of `dim` features each. */
export interface InputSpec {
  tokens: number;
  dim: number;
}

/** A built organism: its config, the input layout it was built for, and its parameters. */
export interface Organism {
  readonly config: OrganismConfig;
  /** Input layout per encoded modality (from the world's renderers). */
  readonly inputs: Partial<Record<Exclude<Modality, "text">, InputSpec>>;
  /** All weights, by name. */
  readonly params: ParamStore;
  /** Seed the weights were initialised from. */
  readonly seed: number;
}

/**
 * Build an organism with freshly initialised weights (deterministic in `seed`).
 * @param inputs the encoder input layout per modality, e.g. `featureCacheSpec(cache)`; modalities
 *   absent here get no encoder.
 */
export function createOrganism(config: OrganismConfig, inputs: Organism["inputs"], seed: number): Organism {
  validateConfig(config);
  const ps = new ParamStore(splitSeed(seed, "organism"));
  const d = config.decoder.dModel;
  for (const m of ENCODED_MODALITIES) {
    const spec = inputs[m];
    if (!spec) continue;
    const e = config.encoders[m];
    // Input standardisation buffers (not trained; set from training data by `fitInputNorm`).
    ps.create(`enc.${m}.norm.mean`, [spec.tokens, spec.dim], "zeros");
    ps.create(`enc.${m}.norm.scale`, [1], "ones");
    initLinear(ps, `enc.${m}.in`, spec.dim, e.dModel);
    initEncoder(ps, `enc.${m}`, encoderStack(config, m, spec));
    if (config.projector === "linear") initLinear(ps, `proj.${m}`, e.dModel, d);
    else {
      initLinear(ps, `proj.${m}.fc1`, e.dModel, d);
      initLinear(ps, `proj.${m}.fc2`, d, d);
    }
  }
  initDecoder(ps, "dec", decoderStack(config));
  return { config, inputs: { ...inputs }, params: ps, seed };
}

/** The `nn` decoder config of an organism. */
export function decoderStack(config: OrganismConfig): NnDecoderConfig {
  const { dModel, nHeads, nLayers, mlpRatio, maxLen } = config.decoder;
  return { dModel, nHeads, nLayers, mlpRatio, maxLen, vocabSize: config.vocabSize };
}

function encoderStack(config: OrganismConfig, m: Exclude<Modality, "text">, spec: InputSpec): TransformerConfig {
  const e = config.encoders[m];
  return { dModel: e.dModel, nHeads: e.nHeads, nLayers: e.nLayers, mlpRatio: e.mlpRatio, maxLen: spec.tokens };
}

/** Names of the parameters that are buffers, not trained (input standardisation). */
export function isBuffer(name: string): boolean {
  return name.includes(".norm.");
}

/** The trainable variables of an organism (everything but the input-standardisation buffers). */
export function trainableVariables(model: Organism): tf.Variable[] {
  return model.params.variables((n) => !isBuffer(n));
}

/**
 * Set the input-standardisation buffers from data: per input value (each pixel of each patch
 * position, each mel band of each frame) the mean over `indices`, and one global scale
 * 1 / standard deviation. The renders are mostly background, so without this an object is a
 * small ripple on a large constant and the encoder is slow to learn to see it. Call on the
 * training items only, so held-out items never shape the model.
 */
export function fitInputNorm(model: Organism, cache: FeatureCache, indices: readonly number[]): void {
  if (indices.length === 0) throw new InputError("fitInputNorm needs at least one item");
  for (const m of ENCODED_MODALITIES) {
    const f = cache.byModality[m];
    if (!f || !model.inputs[m]) continue;
    const size = f.tokens * f.dim;
    const mean = new Float64Array(size);
    for (const i of indices) for (let j = 0; j < size; j++) mean[j] += f.data[i * size + j];
    for (let j = 0; j < size; j++) mean[j] /= indices.length;
    let ss = 0;
    for (const i of indices) for (let j = 0; j < size; j++) ss += (f.data[i * size + j] - mean[j]) ** 2;
    const std = Math.sqrt(ss / (indices.length * size));
    model.params.loadNdArrays(
      {
        [`enc.${m}.norm.mean`]: { data: Float32Array.from(mean), shape: [f.tokens, f.dim], dtype: "float32" },
        [`enc.${m}.norm.scale`]: { data: Float32Array.of(std > 0 ? 1 / std : 1), shape: [1], dtype: "float32" },
      },
      false,
    );
  }
}

/** The input layout of a feature cache (what {@link createOrganism} needs). */
export function featureCacheSpec(cache: FeatureCache): Organism["inputs"] {
  const out: Organism["inputs"] = {};
  for (const m of ENCODED_MODALITIES) {
    const f = cache.byModality[m];
    if (f) out[m] = { tokens: f.tokens, dim: f.dim };
  }
  return out;
}

/** Free the weights. */
export function disposeOrganism(model: Organism): void {
  model.params.dispose();
}

/**
 * Encode one modality: input tokens `[b, P, featDim]` → decoder-space tokens `[b, P, d]`
 * (linear in, + positions, bidirectional blocks, final LN, projector).
 */
export function encodeModality(model: Organism, m: Exclude<Modality, "text">, x: tf.Tensor): tf.Tensor {
  const ps = model.params;
  const spec = model.inputs[m];
  if (!spec) throw new InputError(`this organism has no ${m} encoder`);
  const xs = tf.mul(tf.sub(x, ps.get(`enc.${m}.norm.mean`)), ps.get(`enc.${m}.norm.scale`));
  const inTokens = linear(ps, `enc.${m}.in`, xs);
  const h = encoderForward(ps, `enc.${m}`, encoderStack(model.config, m, spec), inTokens).output;
  if (model.config.projector === "linear") return linear(ps, `proj.${m}`, h);
  return linear(ps, `proj.${m}.fc2`, gelu(linear(ps, `proj.${m}.fc1`, h)));
}

/** Gather the cached input tokens of `items` for modality `m`: `[items.length, P, dim]`. */
export function gatherInputs(cache: FeatureCache, m: Exclude<Modality, "text">, items: readonly number[]): tf.Tensor3D {
  const f = cache.byModality[m];
  if (!f) throw new InputError(`the feature cache has no ${m} inputs`);
  const size = f.tokens * f.dim;
  const out = new Float32Array(items.length * size);
  items.forEach((it, r) => {
    if (!(it >= 0 && (it + 1) * size <= f.data.length)) throw new InputError(`item index ${it} is outside the ${m} feature cache`);
    out.set(f.data.subarray(it * size, (it + 1) * size), r * size);
  });
  return tf.tensor3d(out, [items.length, f.tokens, f.dim]);
}

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** Return every hidden state (`L + 1` tensors `[B, T, d]`). Default `false` (only logits). */
  hidden?: boolean;
  /** Training mode for the decoder (enables LoRA dropout). Default `false`. */
  training?: boolean;
  /** Seed of this pass's dropout masks (vary it per step). Default 0. */
  dropoutSeed?: number;
}

/** Output of {@link forward}. */
export interface ForwardOutput {
  /** `[B, T, V]` next-token logits. */
  logits: tf.Tensor3D;
  /** `L + 1` tensors `[B, T, d]`, index 0 = input embeddings + positions, last = after the final LN. */
  hidden?: tf.Tensor3D[];
}

/**
 * The decoder's input embeddings `[B, T, d]` for an assembled batch (modality tokens, then text
 * token embeddings; positions are added by the decoder).
 */
export function inputEmbeddings(model: Organism, batch: AssembledBatch, cache: FeatureCache | null): tf.Tensor3D {
  const ps = model.params;
  const parts = batch.groups.map((g) => {
    const rows = g.items.length;
    const ids = tf.tensor2d(g.ids, [rows, batch.T - g.prefix], "int32");
    const tok = embedTokens(ps, "dec", ids);
    ids.dispose();
    if (g.modality === "text") return tok;
    if (!cache) throw new InputError(`a ${g.modality} batch needs a feature cache`);
    const x = gatherInputs(cache, g.modality, g.items);
    const pre = encodeModality(model, g.modality, x);
    return tf.concat([pre, tok], 1);
  });
  return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor3D;
}

/**
 * Run the organism on an assembled batch (rows in the batch's group order). Intermediate tensors
 * are not disposed: call inside `tf.tidy` (or dispose the outputs).
 */
export function forward(model: Organism, batch: AssembledBatch, cache: FeatureCache | null, opts: ForwardOptions = {}): ForwardOutput {
  const x = inputEmbeddings(model, batch, cache);
  const out = decoderForward(model.params, "dec", decoderStack(model.config), x, { returnHidden: opts.hidden ?? false, training: opts.training, dropoutSeed: opts.dropoutSeed });
  return opts.hidden ? { logits: out.logits, hidden: out.hidden } : { logits: out.logits };
}

/**
 * Masked next-token cross-entropy (nats per target token): mean over positions with `mask = 1`
 * of `−log p(targets[b, t] | tokens ≤ t)`; `targets` and `mask` are `[B, T]` row-major, already
 * shifted (see `assembleBatch`). Positions with `mask = 0` contribute nothing, whatever their
 * target is. Uses `nn`'s `tokenCrossEntropy`.
 */
export function maskedNextTokenLoss(logits: tf.Tensor3D, targets: Int32Array, mask: Float32Array): tf.Scalar {
  const [B, T, V] = logits.shape;
  if (targets.length !== B * T || mask.length !== B * T) {
    throw new InputError(`targets/mask need ${B * T} entries for logits [${B}, ${T}, ${V}]; got ${targets.length} and ${mask.length}`);
  }
  return tf.tidy(() => tokenCrossEntropy(logits, tf.tensor2d(targets, [B, T], "int32"), tf.tensor2d(mask, [B, T])));
}

/** Number of trained parameters (buffers excluded), total and per part (`enc.image`, `proj`, `dec`, …). */
export function parameterCounts(model: Organism): Record<string, number> {
  const count = (prefix: string) => model.params.nParams((n) => n.startsWith(prefix) && !isBuffer(n));
  const out: Record<string, number> = { total: count("") };
  for (const m of ENCODED_MODALITIES) if (model.inputs[m]) out[`enc.${m}`] = count(`enc.${m}.`);
  out.proj = count("proj.");
  out.dec = count("dec.");
  return out;
}

/**
 * Largest absolute difference between two models' weights (buffers included), over every
 * parameter. 0 means bit-identical values. @throws InputError when the parameter names or shapes differ.
 */
export function maxWeightDifference(a: Organism, b: Organism): number {
  const A = a.params.toNdArrays(), B = b.params.toNdArrays();
  const names = Object.keys(A).sort();
  const other = Object.keys(B).sort();
  if (names.join() !== other.join()) throw new InputError(`the models have different parameters (${names.length} vs ${other.length} names)`);
  let max = 0;
  for (const n of names) {
    const x = A[n].data as ArrayLike<number>, y = B[n].data as ArrayLike<number>;
    if (x.length !== y.length) throw new InputError(`parameter ${n} has ${x.length} values in one model and ${y.length} in the other`);
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  return max;
}
