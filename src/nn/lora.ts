/**
 * LoRA (Hu et al. 2021): freeze a linear layer's weight W `[in, out]` and learn a low-rank update
 * `ΔW = (alpha / r) · A·B` with A `[in, r]`, B `[r, out]`. B starts at zero, so the adapted model
 * equals the base model at step 0. Train only the adapters by passing
 * `ps.variables(LORA_PARAMS)` to `trainStep`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { type ParamSelector, type ParamStore, selectorFn } from "./params";

/** Selects every LoRA parameter (`<layer>.lora_a`, `<layer>.lora_b`). */
export const LORA_PARAMS: RegExp = /\.lora_[ab]$/;

/**
 * Layer selector for "all of qkv / out / fc1 / fc2 in the blocks under `prefix`" — the paper's
 * choice of every linear layer of the decoder except the output head.
 */
export function blockLinears(prefix: string): RegExp {
  const p = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${p}\\.h\\d+\\.(attn\\.(qkv|out)|mlp\\.(fc1|fc2))$`);
}

/** Options of {@link addLora}. */
export interface LoraOptions {
  /** Which linear layers (by layer name, e.g. `"dec.h0.attn.qkv"`) get an adapter. */
  targets: ParamSelector;
  /** Rank r. */
  rank: number;
  /** Scale numerator α; the update is multiplied by α/r. Default `rank` (scale 1). */
  alpha?: number;
  /** Dropout on the adapter input in training mode. Default 0. */
  dropout?: number;
  /** Seed for A's initialisation. Default: the store's seed. */
  seed?: number;
}

/**
 * Attach LoRA adapters to the selected linear layers. A ~ U(-1/√in, 1/√in) (PEFT's
 * Kaiming-uniform with a = √5), B = 0.
 * @returns the names of the adapted layers.
 * @throws if no linear layer matches, or a layer already has an adapter.
 */
export function addLora(ps: ParamStore, opts: LoraOptions): string[] {
  const { rank } = opts;
  if (!(Number.isInteger(rank) && rank >= 1)) throw new InputError(`invalid LoRA rank; need an integer ≥ 1, got ${rank}`);
  const dropout = opts.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new InputError(`invalid LoRA dropout; need 0 ≤ p < 1, got ${dropout}`);
  const match = selectorFn(opts.targets);
  const layers = [...ps.linears].filter(match);
  if (layers.length === 0) throw new InputError(`LoRA targets match no linear layer (have ${ps.linears.size}, e.g. "${[...ps.linears][0] ?? "none"}")`);
  for (const name of layers) {
    if (ps.lora.has(name)) throw new InputError(`layer "${name}" already has a LoRA adapter`);
    const [inDim, outDim] = ps.get(`${name}.w`).shape;
    ps.create(`${name}.lora_a`, [inDim, rank], { uniform: 1 / Math.sqrt(inDim) }, opts.seed ?? ps.seed);
    ps.create(`${name}.lora_b`, [rank, outDim], "zeros");
    ps.lora.set(name, { rank, alpha: opts.alpha ?? rank, dropout });
  }
  return layers;
}

/** Fold every adapter into its base weight (`W ← W + (α/r)·A·B`) and remove the adapters. Returns the merged layer names. */
export function mergeLora(ps: ParamStore): string[] {
  const merged: string[] = [];
  for (const [name, ad] of ps.lora) {
    const w = ps.get(`${name}.w`);
    tf.tidy(() => {
      const delta = tf.matMul(ps.get(`${name}.lora_a`) as tf.Tensor2D, ps.get(`${name}.lora_b`) as tf.Tensor2D);
      w.assign(tf.add(w, tf.mul(delta, ad.alpha / ad.rank)));
    });
    ps.remove([`${name}.lora_a`, `${name}.lora_b`]);
    merged.push(name);
  }
  ps.lora.clear();
  return merged;
}

/** Drop every adapter without merging (back to the base model). Returns the layer names. */
export function removeLora(ps: ParamStore): string[] {
  const names = [...ps.lora.keys()];
  ps.remove(LORA_PARAMS);
  ps.lora.clear();
  return names;
}
