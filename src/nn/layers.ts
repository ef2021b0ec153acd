/**
 * Functional transformer layers on TF.js. Each layer is a pair: `initX(ps, name, …)` creates its
 * parameters in a {@link ParamStore}, and `x(ps, name, input, …)` runs it. Shapes use
 * B = batch, T = sequence length, d = model width, H = heads, V = vocabulary.
 *
 * Two implementations compute the same function (see {@link NnImpl}): `"reference"` is the plain
 * textbook formulation, `"fast"` is restructured for the wasm backend (fewer, larger kernels;
 * hand-written gradients). Tests check that they agree to float tolerance.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { splitSeed } from "../random";
import type { ParamStore } from "./params";
import * as fast from "./fast";
import { jsKernelsAvailable } from "./js-kernels";

/**
 * Which implementation of the layers runs.
 * - `"reference"`: textbook ops (4-D batched attention matMuls, `pow` in GELU, autodiff everywhere);
 * - `"fast"`: the same maths with fused kernels and custom gradients (default).
 */
export type NnImpl = "reference" | "fast";

/** Options shared by every forward function. */
export interface ForwardOptions {
  /** Training mode: enables dropout (LoRA dropout). Default `false`. */
  training?: boolean;
  /** Seed for this forward pass's dropout masks; vary it per step. Default 0. */
  dropoutSeed?: number;
  /** Implementation; default `"fast"`. */
  impl?: NnImpl;
}

/** GPT-2's initial weight scale. */
export const INIT_STD = 0.02;

// ---------------------------------------------------------------------------------------------
// linear

/**
 * Create a linear layer `y = x·W + b`: parameters `<name>.w` `[inDim, outDim]` ~ N(0, std²) and
 * (unless `bias: false`) `<name>.b` `[outDim]` = 0.
 */
export function initLinear(ps: ParamStore, name: string, inDim: number, outDim: number, opts: { bias?: boolean; std?: number } = {}): void {
  ps.create(`${name}.w`, [inDim, outDim], { normal: opts.std ?? INIT_STD });
  if (opts.bias ?? true) ps.create(`${name}.b`, [outDim], "zeros");
  ps.linears.add(name);
}

/**
 * Apply linear layer `name` to `x` `[..., inDim]` → `[..., outDim]`. If a LoRA adapter is
 * registered on this layer, adds `scale · dropout(x)·A·B` with `scale = alpha / rank`.
 * The input is flattened to 2-D first: a 2-D matMul is much faster on wasm than a batched one.
 * `opts.impl` `"fast"` uses a hand-written gradient (see `fast.linear2d`).
 */
export function linear(ps: ParamStore, name: string, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
  const w = ps.get(`${name}.w`);
  const [inDim, outDim] = w.shape;
  if (x.shape[x.rank - 1] !== inDim) {
    throw new InputError(`linear "${name}" expects last dim ${inDim}; got input shape [${x.shape.join(", ")}]`);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inDim]) as tf.Tensor2D;
  const bias = ps.has(`${name}.b`) ? ps.get(`${name}.b`) : null;
  let y: tf.Tensor;
  // A frozen weight takes the autodiff route, which skips gradients nobody asked for; the fast
  // route's hand-written gradient always computes dW.
  if ((opts.impl ?? "fast") === "fast" && w.trainable) y = fast.linear2d(x2, w as tf.Tensor2D, bias);
  else {
    y = tf.matMul(x2, w as tf.Tensor2D);
    if (bias) y = tf.add(y, bias);
  }
  const lora = ps.lora.get(name);
  if (lora && !lora.merged) {
    let h: tf.Tensor2D = x2;
    if (opts.training && lora.dropout > 0) h = tf.dropout(h, lora.dropout, undefined, splitSeed(opts.dropoutSeed ?? 0, name)) as tf.Tensor2D;
    const a = ps.get(`${name}.lora_a`) as tf.Tensor2D;
    const b = ps.get(`${name}.lora_b`) as tf.Tensor2D;
    y = tf.add(y, tf.mul(tf.matMul(tf.matMul(h, a), b), lora.alpha / lora.rank));
  }
  return y.reshape([...lead, outDim]);
}

// ---------------------------------------------------------------------------------------------
// layer norm

/** Create layer norm `name` over width `d`: gain `<name>.g` = 1, shift `<name>.b` = 0, both `[d]`. */
export function initLayerNorm(ps: ParamStore, name: string, d: number): void {
  ps.create(`${name}.g`, [d], "ones");
  ps.create(`${name}.b`, [d], "zeros");
}

/**
 * Layer norm over the last axis: `(x - mean) / sqrt(var + eps) · g + b` (biased variance, as
 * PyTorch). `x` `[..., d]` → same shape. Default `eps` 1e-5.
 */
export function layerNorm(ps: ParamStore, name: string, x: tf.Tensor, eps = 1e-5, impl: NnImpl = "fast"): tf.Tensor {
  const g = ps.get(`${name}.g`);
  const b = ps.get(`${name}.b`);
  if (impl === "fast") return fast.layerNorm(x, g, b, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

// ---------------------------------------------------------------------------------------------
// embeddings

/** Create an embedding table `<name>.w` `[n, d]` ~ N(0, std²) (token or learned positional). */
export function initEmbedding(ps: ParamStore, name: string, n: number, d: number, std = INIT_STD): void {
  ps.create(`${name}.w`, [n, d], { normal: std });
}

/**
 * Look up rows of embedding table `name`: `ids` `[...]` (int32) → `[..., d]`. The reference form
 * uses `gather`, whose gradient (`UnsortedSegmentSum`) the patched wasm backend provides; the fast
 * form (default) copies whole rows in one JS kernel (`fast.gatherRows`), with the same gradient.
 * @throws naming the first id outside `[0, n)` (TF.js would silently return zeros).
 */
export function embedding(ps: ParamStore, name: string, ids: tf.Tensor | number[][] | number[], impl: NnImpl = "fast"): tf.Tensor {
  const w = ps.get(`${name}.w`);
  const t = ids instanceof tf.Tensor ? ids : tf.tensor(ids as number[][], undefined, "int32");
  const vals = t.dataSync();
  const n = w.shape[0];
  for (let i = 0; i < vals.length; i++) {
    if (!(vals[i] >= 0 && vals[i] < n && Number.isInteger(vals[i]))) {
      throw new InputError(`embedding "${name}" has ${n} rows; id ${vals[i]} at flat index ${i} is out of range`);
    }
  }
  const flat = t.reshape([-1]);
  const idx = flat.dtype === "int32" ? flat : flat.toInt();
  const out = (impl === "fast" && jsKernelsAvailable() ? fast.gatherRows(w, idx) : tf.gather(w, idx)).reshape([...t.shape, w.shape[1] as number]);
  if (idx !== flat) idx.dispose();
  flat.dispose();
  if (t !== ids) t.dispose();
  return out;
}

/**
 * Add learned positional embeddings `<name>.w` `[maxLen, d]` to `x` `[B, T, d]`, for positions
 * `offset .. offset+T-1`.
 */
export function addPositional(ps: ParamStore, name: string, x: tf.Tensor, offset = 0, impl: NnImpl = "fast"): tf.Tensor {
  const w = ps.get(`${name}.w`);
  const T = x.shape[1] as number;
  if (offset + T > w.shape[0]) {
    throw new InputError(`sequence of length ${T} (offset ${offset}) exceeds maxLen ${w.shape[0]} of "${name}"`);
  }
  if (impl === "fast") return fast.addPositional(x, w, offset);
  return tf.add(x, tf.slice(w, [offset, 0], [T, w.shape[1] as number]));
}

// ---------------------------------------------------------------------------------------------
// activations, attention, MLP

/**
 * tanh-approximate GELU (GPT-2's): `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 * The reference form uses `pow(x, 3)` and `tanh` like most code; the fast form computes the same
 * function as `x·σ(2u)` (vectorised sigmoid instead of scalar tanh and pow on wasm) with a
 * closed-form derivative.
 */
export function gelu(x: tf.Tensor, impl: NnImpl = "fast"): tf.Tensor {
  if (impl === "fast") return fast.gelu(x);
  const c = Math.sqrt(2 / Math.PI);
  const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** Create self-attention `name` of width d: fused `<name>.qkv` `[d, 3d]` and output `<name>.out` `[d, d]`. */
export function initAttention(ps: ParamStore, name: string, d: number, nHeads: number, outStd = INIT_STD): void {
  if (d % nHeads !== 0) throw new InputError(`width ${d} is not divisible by nHeads = ${nHeads}`);
  initLinear(ps, `${name}.qkv`, d, 3 * d);
  initLinear(ps, `${name}.out`, d, d, { std: outStd });
}

/** Options of {@link attention}. */
export interface AttentionOptions extends ForwardOptions {
  /** Causal (each position sees itself and earlier positions only). Default `true`. */
  causal?: boolean;
  /**
   * Padding mask `[B, T]`: 1 = real token, 0 = padding. Padded *keys* get no attention weight.
   * Outputs at padded positions are still computed (ignore them downstream).
   */
  attnMask?: tf.Tensor;
}

/**
 * Additive attention bias `[B or 1, 1, T, T]` (0 where allowed, -1e9 where masked). Built from
 * plain arrays outside any gradient (TF.js cannot differentiate through `bandPart`).
 */
export function attentionBias(T: number, causal: boolean, attnMask?: tf.Tensor): tf.Tensor | null {
  if (!causal && !attnMask) return null;
  return tf.tidy(() => {
    let bias: tf.Tensor | null = null;
    if (causal) {
      const m = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
      bias = tf.tensor(m, [1, 1, T, T]);
    }
    if (attnMask) {
      if (attnMask.rank !== 2 || attnMask.shape[1] !== T) {
        throw new InputError(`attnMask must be [B, ${T}]; got [${attnMask.shape.join(", ")}]`);
      }
      const keyBias = tf.mul(tf.sub(attnMask.toFloat(), 1), 1e9).reshape([attnMask.shape[0] as number, 1, 1, T]);
      bias = bias ? tf.add(bias, keyBias) : keyBias;
    }
    return bias!;
  });
}

/**
 * Multi-head self-attention: `x` `[B, T, d]` → `[B, T, d]`. Scores are `q·kᵀ/√(d/H)` plus the
 * additive bias from {@link attentionBias}, then softmax over keys.
 */
export function attention(ps: ParamStore, name: string, x: tf.Tensor, nHeads: number, opts: AttentionOptions = {}): tf.Tensor {
  const [B, T, d] = x.shape as [number, number, number];
  const hd = d / nHeads;
  const qkv = linear(ps, `${name}.qkv`, x, opts); // [B, T, 3d]
  const bias = attentionBias(T, opts.causal ?? true, opts.attnMask);
  let ctx: tf.Tensor;
  if ((opts.impl ?? "fast") === "fast") {
    ctx = fast.attentionCore(qkv as tf.Tensor3D, nHeads, bias);
  } else {
    // [B, T, 3, H, hd] → three [B, H, T, hd]
    const heads = qkv.reshape([B, T, 3, nHeads, hd]).transpose([2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(heads, 0);
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)); // [B, H, T, T]
    if (bias) scores = tf.add(scores, bias);
    const p = tf.softmax(scores, -1);
    ctx = tf.matMul(p, v).transpose([0, 2, 1, 3]).reshape([B, T, d]);
  }
  bias?.dispose();
  return linear(ps, `${name}.out`, ctx, opts);
}

/** Create MLP `name`: `<name>.fc1` `[d, ratio·d]`, `<name>.fc2` `[ratio·d, d]`. */
export function initMlp(ps: ParamStore, name: string, d: number, ratio = 4, outStd = INIT_STD): void {
  initLinear(ps, `${name}.fc1`, d, ratio * d);
  initLinear(ps, `${name}.fc2`, ratio * d, d, { std: outStd });
}

/** MLP `fc2(gelu(fc1(x)))`: `[..., d]` → `[..., d]`. */
export function mlp(ps: ParamStore, name: string, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
  return linear(ps, `${name}.fc2`, gelu(linear(ps, `${name}.fc1`, x, opts), opts.impl), opts);
}

/**
 * Create a pre-LN transformer block `name`: `ln1`, `attn`, `ln2`, `mlp`. The output projections
 * get GPT-2's smaller init, std·/√(2·nLayers), so the residual stream's variance does not grow
 * with depth.
 */
export function initBlock(ps: ParamStore, name: string, d: number, nHeads: number, nLayers: number, mlpRatio = 4): void {
  const outStd = INIT_STD / Math.sqrt(2 * nLayers);
  initLayerNorm(ps, `${name}.ln1`, d);
  initAttention(ps, `${name}.attn`, d, nHeads, outStd);
  initLayerNorm(ps, `${name}.ln2`, d);
  initMlp(ps, `${name}.mlp`, d, mlpRatio, outStd);
}

/** Pre-LN block: `x + attn(ln1(x))`, then `+ mlp(ln2(·))`. `[B, T, d]` → `[B, T, d]`. */
export function block(ps: ParamStore, name: string, x: tf.Tensor, nHeads: number, opts: AttentionOptions & { lnEps?: number } = {}): tf.Tensor {
  const eps = opts.lnEps ?? 1e-5;
  const h = tf.add(x, attention(ps, `${name}.attn`, layerNorm(ps, `${name}.ln1`, x, eps, opts.impl), nHeads, opts));
  return tf.add(h, mlp(ps, `${name}.mlp`, layerNorm(ps, `${name}.ln2`, h, eps, opts.impl), opts));
}
