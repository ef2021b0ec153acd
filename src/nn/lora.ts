/**
 * LoRA (Hu et al. 2021): freeze a linear layer's weight W `[in, out]` and learn a low-rank update
 * `ΔW = (alpha / r) · A·B` with A `[in, r]`, B `[r, out]`. B starts at zero, so the adapted model
 * equals the base model at step 0. Train only the adapters by passing
 * `ps.variables(LORA_PARAMS)` to `trainStep`. Adapters can be merged into the base weights and
 * taken out again ({@link mergeLora}, {@link unmergeLora}), and saved as `.safetensors` with a
 * config JSON ({@link saveLoraAdapter}, {@link loadLoraAdapter}).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import { writeJsonAtomic } from "../io/atomic";
import { readSafetensors, writeSafetensors } from "../io/safetensors";
import { type LoraAdapter, type ParamSelector, type ParamStore, selectorFn } from "./params";

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

/** Options of {@link mergeLora}. */
export interface MergeLoraOptions {
  /**
   * Keep the adapter tensors (marked `merged`, skipped by the forward pass), so that
   * {@link unmergeLora} can restore the base weights and the adapter can still be saved.
   * Default `false`: the adapters are removed (PEFT's `merge_and_unload`).
   */
  keep?: boolean;
}

/** `(α/r)·A·B` of one adapted layer, `[in, out]`. Caller disposes. */
function loraDelta(ps: ParamStore, name: string, ad: LoraAdapter): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.matMul(ps.get(`${name}.lora_a`) as tf.Tensor2D, ps.get(`${name}.lora_b`) as tf.Tensor2D), ad.alpha / ad.rank));
}

/**
 * Fold every adapter into its base weight, `W ← W + (α/r)·A·B`. Without `keep`, the adapters are
 * then removed; with `keep`, they stay (marked merged) for {@link unmergeLora}. Adapters that are
 * already merged are not added twice. Returns the names of the layers merged by this call.
 */
export function mergeLora(ps: ParamStore, opts: MergeLoraOptions = {}): string[] {
  const merged: string[] = [];
  for (const [name, ad] of ps.lora) {
    if (!ad.merged) {
      const w = ps.get(`${name}.w`);
      tf.tidy(() => w.assign(tf.add(w, loraDelta(ps, name, ad))));
      merged.push(name);
    }
    if (opts.keep) ad.merged = true;
    else ps.remove([`${name}.lora_a`, `${name}.lora_b`]);
  }
  if (!opts.keep) ps.lora.clear();
  return merged;
}

/**
 * Undo {@link mergeLora} with `keep`: `W ← W − (α/r)·A·B` for every merged adapter, which becomes a
 * separate (unmerged) adapter again. The base weights come back up to float32 rounding.
 * Returns the names of the layers unmerged.
 */
export function unmergeLora(ps: ParamStore): string[] {
  const out: string[] = [];
  for (const [name, ad] of ps.lora) {
    if (!ad.merged) continue;
    const w = ps.get(`${name}.w`);
    tf.tidy(() => w.assign(tf.sub(w, loraDelta(ps, name, ad))));
    ad.merged = false;
    out.push(name);
  }
  return out;
}

/**
 * Drop every adapter without merging (back to the base model). Merged adapters are unmerged
 * first, so the base weights are restored. Returns the layer names.
 */
export function removeLora(ps: ParamStore): string[] {
  unmergeLora(ps);
  const names = [...ps.lora.keys()];
  ps.remove(LORA_PARAMS);
  ps.lora.clear();
  return names;
}

// ---------------------------------------------------------------------------------------------
// Saving and loading adapters

/** Format tag of an adapter's config file. */
export const LORA_FORMAT = "lco-lora/1";
/** File names of a saved adapter inside its folder. */
export const LORA_FILES = { tensors: "adapter.safetensors", config: "adapter.json" } as const;

/**
 * What `adapter.json` holds: the adapted layers with their rank, α and dropout, and free-form
 * provenance (base run, data, steps …). The tensors are `<layer>.lora_a` `[in, r]` and
 * `<layer>.lora_b` `[r, out]` in `adapter.safetensors` (our layout `x·W`, i.e. PEFT's
 * `lora_A.weight` transposed).
 */
export interface LoraAdapterFile {
  format: string;
  layers: Record<string, { rank: number; alpha: number; dropout: number }>;
  meta?: Record<string, unknown>;
}

/**
 * Save the store's adapters (merged or not) to folder `dir`: `adapter.safetensors` and
 * `adapter.json` (written last, atomically, so a complete adapter is one with its JSON).
 * @throws InputError when the store has no adapter.
 */
export function saveLoraAdapter(dir: string, ps: ParamStore, meta?: Record<string, unknown>): string {
  if (ps.lora.size === 0) throw new InputError("the parameter store has no LoRA adapter to save");
  fs.mkdirSync(dir, { recursive: true });
  const layers: LoraAdapterFile["layers"] = {};
  for (const [name, ad] of ps.lora) layers[name] = { rank: ad.rank, alpha: ad.alpha, dropout: ad.dropout };
  writeSafetensors(path.join(dir, LORA_FILES.tensors), ps.toNdArrays(LORA_PARAMS), { format: LORA_FORMAT });
  const file: LoraAdapterFile = { format: LORA_FORMAT, layers, meta };
  writeJsonAtomic(path.join(dir, LORA_FILES.config), file);
  return dir;
}

/** Read an adapter folder written by {@link saveLoraAdapter}. @throws InputError naming the missing or foreign file. */
export function readLoraAdapter(dir: string): { config: LoraAdapterFile; tensors: Record<string, NdArray> } {
  const cf = path.join(dir, LORA_FILES.config);
  if (!fs.existsSync(cf)) throw new InputError(`no LoRA adapter at ${dir} (missing ${LORA_FILES.config})`);
  const config = JSON.parse(fs.readFileSync(cf, "utf8")) as LoraAdapterFile;
  if (config.format !== LORA_FORMAT) throw new InputError(`${cf} has format "${config.format}"; expected "${LORA_FORMAT}"`);
  const { tensors } = readSafetensors(path.join(dir, LORA_FILES.tensors));
  return { config, tensors };
}

/**
 * Attach a saved adapter to a store that has the same base layers (shapes checked), optionally
 * merging it right away.
 * @returns the adapter's config.
 * @throws InputError when a layer is missing, already adapted, or a tensor's shape differs.
 */
export function loadLoraAdapter(ps: ParamStore, dir: string, opts: { merge?: boolean } = {}): LoraAdapterFile {
  const { config, tensors } = readLoraAdapter(dir);
  for (const [layer, c] of Object.entries(config.layers)) {
    if (!ps.linears.has(layer)) throw new InputError(`the adapter at ${dir} targets layer "${layer}", which this model does not have`);
    addLora(ps, { targets: [layer], rank: c.rank, alpha: c.alpha, dropout: c.dropout });
  }
  ps.loadNdArrays(tensors, false);
  const missing = ps.names(LORA_PARAMS).filter((n) => !(n in tensors));
  if (missing.length) throw new InputError(`the adapter at ${dir} lacks ${missing.length} tensor(s), e.g. "${missing[0]}"`);
  if (opts.merge) mergeLora(ps, { keep: true });
  return config;
}

/** Number of adapter parameters `Σ r·(in + out)` (what LoRA trains). */
export function loraParamCount(ps: ParamStore): number {
  return ps.nParams(LORA_PARAMS);
}
