/**
 * Named, seeded parameters: every weight of a model lives in one {@link ParamStore} under a
 * dotted name such as `"dec.h0.attn.qkv.w"`.
 *
 * Why names? They make initialisation deterministic per weight (`splitSeed(seed, name)`, so adding
 * a layer never changes the draws of another), they are the keys of safetensors checkpoints, and
 * they let us pick trainable subsets (for example only the LoRA adapters, `/\.lora_[ab]$/`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray, sizeOf } from "../array";
import { normalArray, rng, splitSeed } from "../random";

/**
 * How to fill a new parameter.
 * - `{ normal: std }`: i.i.d. N(0, std²) (GPT-2 uses std 0.02 for weights);
 * - `"zeros"` / `"ones"`: constants (biases, layer-norm gain and shift, LoRA B);
 * - `{ uniform: a }`: U(-a, a) (PyTorch's default for LoRA A is Kaiming-uniform).
 */
export type Init = { normal: number } | { uniform: number } | "zeros" | "ones";

/** Which parameters to select: an exact name, a name prefix ending in `.`, a RegExp or a predicate. */
export type ParamSelector = string | RegExp | ((name: string) => boolean) | readonly string[];

/** Turn a {@link ParamSelector} into a predicate. A string matches itself or, if it ends in ".", any name starting with it. */
export function selectorFn(sel: ParamSelector): (name: string) => boolean {
  if (typeof sel === "function") return sel as (name: string) => boolean;
  if (sel instanceof RegExp) return (n) => sel.test(n);
  if (typeof sel === "string") return sel.endsWith(".") ? (n) => n.startsWith(sel) : (n) => n === sel || n.startsWith(sel + ".");
  const set = new Set(sel as readonly string[]);
  return (n) => set.has(n);
}

/** A LoRA adapter registered on a linear layer (see `addLora`). */
export interface LoraAdapter {
  /** Rank r of the update `A [in, r] · B [r, out]`. */
  rank: number;
  /** Scale numerator; the update is multiplied by `alpha / rank`. */
  alpha: number;
  /** Dropout on the adapter's input during training (0 = off). */
  dropout: number;
  /**
   * The update is folded into the base weight (`mergeLora(ps, {keep: true})`): the forward pass
   * skips the adapter, and `unmergeLora` can take it out again. Default `false`.
   */
  merged?: boolean;
}

/**
 * A name → `tf.Variable` map with deterministic initialisation.
 *
 * @example
 * const ps = new ParamStore(42);
 * const w = ps.create("fc.w", [4, 8], { normal: 0.02 });
 * ps.nParams(); // 32
 */
export class ParamStore {
  /** The seed every parameter's initial value derives from. */
  readonly seed: number;
  private readonly vars = new Map<string, tf.Variable>();
  /** LoRA adapters by the name of the linear layer they modify (e.g. `"dec.h0.attn.qkv"`). */
  readonly lora = new Map<string, LoraAdapter>();
  /** Names of the linear layers created with `initLinear` (the layers LoRA can target). */
  readonly linears = new Set<string>();

  /** @param seed integer seed; parameter `name` is drawn from `rng(splitSeed(seed, name))`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new InputError(`invalid seed for ParamStore; need an integer, got ${seed}`);
    this.seed = seed;
  }

  /**
   * Create a float32 parameter. The initial values depend only on `(seed, name, shape, init)`,
   * never on creation order or backend (they are drawn in JS, then uploaded).
   * @param seed overrides the store's seed for this parameter (e.g. a LoRA run's own seed).
   * @throws if `name` already exists.
   */
  create(name: string, shape: readonly number[], init: Init, seed = this.seed): tf.Variable {
    if (this.vars.has(name)) throw new InputError(`parameter "${name}" already exists`);
    const n = sizeOf(shape);
    let data: Float32Array;
    if (init === "zeros") data = new Float32Array(n);
    else if (init === "ones") data = new Float32Array(n).fill(1);
    else if ("normal" in init) {
      data = normalArray(n, rng(splitSeed(seed, name)));
      for (let i = 0; i < n; i++) data[i] *= init.normal;
    } else {
      const r = rng(splitSeed(seed, name));
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (2 * r.next() - 1) * init.uniform;
    }
    const v = tf.tidy(() => tf.variable(tf.tensor(data, shape as number[], "float32"), true, `${name}_${this.seed}_${uid++}`));
    this.vars.set(name, v);
    return v;
  }

  /** The parameter called `name`. @throws naming the missing parameter. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new InputError(`no parameter named "${name}" (have ${this.vars.size} parameters${this.vars.size ? `, e.g. "${[...this.vars.keys()][0]}"` : ""})`);
    return v;
  }

  /** Whether a parameter called `name` exists. */
  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** All parameter names in creation order, optionally filtered. */
  names(select?: ParamSelector): string[] {
    const all = [...this.vars.keys()];
    if (select === undefined) return all;
    const f = selectorFn(select);
    return all.filter(f);
  }

  /**
   * The variables to train, in creation order (pass them to `trainStep`). Variables not listed get
   * no gradient, which is how base weights stay frozen while LoRA adapters train.
   */
  variables(select?: ParamSelector): tf.Variable[] {
    return this.names(select).map((n) => this.vars.get(n)!);
  }

  /**
   * Mark the selected parameters trainable and all others frozen (`tf.Variable.trainable`).
   * Training only uses the variables passed to `trainStep` either way; freezing additionally lets
   * the fast linear layer skip the weight gradient of frozen layers (LoRA training runs ~1/3
   * fewer matMul FLOPs in the backward pass). Call `setTrainable(() => true)` to undo.
   * @returns the number of trainable parameters (scalars).
   */
  setTrainable(select: ParamSelector): number {
    const f = selectorFn(select);
    let n = 0;
    for (const [name, v] of this.vars) {
      v.trainable = f(name);
      if (v.trainable) n += v.size;
    }
    return n;
  }

  /** Total number of scalar parameters (optionally of a subset). */
  nParams(select?: ParamSelector): number {
    return this.variables(select).reduce((s, v) => s + v.size, 0);
  }

  /** Remove and dispose the parameters matching `select` (used by `mergeLora`). */
  remove(select: ParamSelector): string[] {
    const names = this.names(select);
    for (const n of names) {
      this.vars.get(n)!.dispose();
      this.vars.delete(n);
    }
    return names;
  }

  /** Copy every parameter out as a float32 {@link NdArray}, keyed by name (for safetensors checkpoints). */
  toNdArrays(select?: ParamSelector): Record<string, NdArray> {
    const out: Record<string, NdArray> = {};
    for (const n of this.names(select)) {
      const v = this.vars.get(n)!;
      out[n] = { data: v.dataSync() as Float32Array, shape: v.shape.slice(), dtype: "float32" };
    }
    return out;
  }

  /**
   * Assign values to existing parameters. Every array's shape must match.
   * @param strict when `true` (default), every stored parameter must be present in `arrays` and
   *   every array must name a stored parameter. With `false`, only the names present in both are loaded.
   * @returns the names that were loaded.
   */
  loadNdArrays(arrays: Record<string, NdArray>, strict = true): string[] {
    if (strict) {
      const missing = this.names().filter((n) => !(n in arrays));
      if (missing.length) throw new InputError(`checkpoint lacks ${missing.length} parameter(s), e.g. "${missing[0]}"`);
      const extra = Object.keys(arrays).filter((n) => !this.vars.has(n));
      if (extra.length) throw new InputError(`checkpoint has ${extra.length} unknown parameter(s), e.g. "${extra[0]}"`);
    }
    const loaded: string[] = [];
    for (const [n, a] of Object.entries(arrays)) {
      const v = this.vars.get(n);
      if (!v) continue;
      if (a.shape.length !== v.shape.length || a.shape.some((d, i) => d !== v.shape[i])) {
        throw new InputError(`parameter "${n}" has shape [${v.shape.join(", ")}]; checkpoint has [${a.shape.join(", ")}]`);
      }
      const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, Number);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, "float32")));
      loaded.push(n);
    }
    return loaded;
  }

  /** Dispose every variable. The store is empty afterwards. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.lora.clear();
    this.linears.clear();
  }
}

// TF.js variable names must be unique per process; two stores with the same seed may coexist.
let uid = 0;
