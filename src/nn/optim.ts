/**
 * Optimisation: AdamW with a warm-up + cosine learning-rate schedule, gradient clipping by global
 * norm, and {@link trainStep}, which computes the loss and gradients for a list of variables and
 * applies one update without leaking tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import { type AdamConsts, adamLoop, adamUpdate, jsKernelsAvailable } from "./js-kernels";
import { readOnce, runAsync, runSync, type Reads } from "../backend/reads";

/** A learning rate as a function of the 0-based update index. */
export type Schedule = (step: number) => number;

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Linear warm-up steps: step s < warmup gets `lr·(s+1)/warmup`. Default 0. */
  warmupSteps?: number;
  /** Total updates; after warm-up the rate follows a half cosine down to `minLr` at this step. */
  totalSteps: number;
  /** Final learning rate. Default 0. */
  minLr?: number;
}

/** Linear warm-up, then cosine decay to `minLr` (nanoGPT's schedule). Steps past `totalSteps` stay at `minLr`. */
export function cosineSchedule(opts: CosineScheduleOptions): Schedule {
  const { lr, totalSteps } = opts;
  const warm = opts.warmupSteps ?? 0;
  const minLr = opts.minLr ?? 0;
  if (!(lr > 0)) throw new InputError(`invalid lr; need lr > 0, got ${lr}`);
  if (!(Number.isInteger(totalSteps) && totalSteps > warm)) throw new InputError(`invalid totalSteps; need an integer > warmupSteps = ${warm}, got ${totalSteps}`);
  return (s) => {
    if (s < warm) return (lr * (s + 1)) / warm;
    if (s >= totalSteps) return minLr;
    const p = (s - warm) / (totalSteps - warm);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * p));
  };
}

/** Options of {@link linearSchedule}. */
export interface LinearScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Linear warm-up steps: step s < warmup gets `lr·(s+1)/warmup`. Default 0. */
  warmupSteps?: number;
  /** Total updates; after warm-up the rate falls linearly to 0 at this step. */
  totalSteps: number;
}

/**
 * Linear warm-up, then linear decay to 0 at `totalSteps`: the Hugging Face Trainer default that the
 * LCO-Emb training scripts use (paper-notes §2.1; 100 warm-up steps there). One difference, shared
 * with {@link cosineSchedule}: warm-up starts at `lr/warmup`, not at 0, so no update is wasted.
 * Steps past `totalSteps` get 0.
 */
export function linearSchedule(opts: LinearScheduleOptions): Schedule {
  const { lr, totalSteps } = opts;
  const warm = opts.warmupSteps ?? 0;
  if (!(lr > 0)) throw new InputError(`invalid lr; need lr > 0, got ${lr}`);
  if (!(Number.isInteger(warm) && warm >= 0)) throw new InputError(`invalid warmupSteps; need an integer ≥ 0, got ${warm}`);
  if (!(Number.isInteger(totalSteps) && totalSteps > warm)) throw new InputError(`invalid totalSteps; need an integer > warmupSteps = ${warm}, got ${totalSteps}`);
  return (s) => {
    if (s < warm) return (lr * (s + 1)) / warm;
    if (s >= totalSteps) return 0;
    return (lr * (totalSteps - s)) / (totalSteps - warm);
  };
}

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate or schedule. */
  lr: number | Schedule;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /**
   * Decoupled weight decay λ (AdamW): `p ← p - lr·λ·p` before the Adam step. Default 0 (= Adam).
   * Applied only to variables of rank ≥ 2 (weight matrices), not to biases and layer-norm
   * parameters, as in nanoGPT.
   */
  weightDecay?: number;
  /**
   * Run the update as one fused kernel per variable (`true`) instead of ~12 TF.js kernels per
   * variable (`false`). On wasm and cpu the fused update is the `LcoAdam` kernel of
   * `nn/js-kernels.ts` (WebAssembly SIMD on wasm; the moments stay in tensors, nothing is
   * downloaded); on other backends a JS loop with a download and an upload per variable, which is
   * cheap on CPU backends but not on a GPU. Default: `true` unless the backend is `tensorflow`.
   * Never on `webgpu`, whatever this says: there the JS loop cannot read the values synchronously,
   * so the update runs as TF.js ops, where the variables live.
   */
  fused?: boolean;
}

/**
 * Adam / AdamW with PyTorch's update rule:
 * `m ← β1·m + (1-β1)·g`, `v ← β2·v + (1-β2)·g²`,
 * `p ← p - lr·(m/(1-β1ᵗ)) / (√(v/(1-β2ᵗ)) + eps)`.
 * Moment buffers are created on the first update of each variable and reused afterwards.
 */
export class AdamW {
  /** Number of updates applied so far. */
  step = 0;
  private readonly opts: Required<Omit<AdamWOptions, "lr" | "fused">> & { lr: number | Schedule; fused?: boolean };
  private readonly state = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  /** Moment buffers as tensors, for the Adam kernel (`nn/js-kernels.ts`) on wasm and cpu. */
  private readonly kState = new Map<tf.Variable, { m: tf.Tensor; v: tf.Tensor }>();
  /** Moment buffers as arrays (the fused path without the kernel, and restored state not yet moved into tensors). */
  private readonly jsState = new Map<tf.Variable, { m: Float32Array; v: Float32Array }>();

  constructor(opts: AdamWOptions) {
    this.opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...opts };
  }

  /** The learning rate the next update will use. */
  currentLr(): number {
    return typeof this.opts.lr === "number" ? this.opts.lr : this.opts.lr(this.step);
  }

  /**
   * Apply one update: `grads[i]` is the gradient of `vars[i]`, as a tensor or as a flat
   * Float32Array in row-major order (what data-parallel workers exchange). Does not dispose the
   * gradients.
   */
  apply(vars: readonly tf.Variable[], grads: readonly (tf.Tensor | Float32Array)[]): void {
    if (vars.length !== grads.length) throw new InputError(`got ${grads.length} gradients for ${vars.length} variables`);
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const lr = this.currentLr();
    const t = this.step + 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    if (this.fusedUpdate()) {
      this.applyJs(vars, grads, lr, bc1, bc2);
      this.step++;
      return;
    }
    tf.tidy(() => {
      vars.forEach((p, i) => {
        const gi = grads[i];
        const g = gi instanceof Float32Array ? tf.tensor(gi, p.shape, "float32") : gi;
        let s = this.state.get(p);
        if (!s) {
          s = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) };
          this.state.set(p, s);
        }
        s.m.assign(tf.add(tf.mul(beta1, s.m), tf.mul(1 - beta1, g)));
        s.v.assign(tf.add(tf.mul(beta2, s.v), tf.mul(1 - beta2, tf.mul(g, g))));
        const denom = tf.add(tf.sqrt(tf.div(s.v, bc2)), eps);
        let next = tf.sub(p, tf.mul(lr / bc1, tf.div(s.m, denom)));
        if (weightDecay > 0 && p.rank >= 2) next = tf.sub(next, tf.mul(lr * weightDecay, p));
        p.assign(next);
      });
    });
    this.step++;
  }

  /** Whether updates run fused (see {@link AdamWOptions.fused}) on the active backend. */
  private fusedUpdate(): boolean {
    const backend = tf.getBackend();
    if (backend === "webgpu") return false;
    return this.opts.fused ?? backend !== "tensorflow";
  }

  private applyJs(vars: readonly tf.Variable[], grads: readonly (tf.Tensor | Float32Array)[], lr: number, bc1: number, bc2: number): void {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    const kernels = jsKernelsAvailable();
    vars.forEach((p, i) => {
      const gi = grads[i];
      const gSize = gi instanceof Float32Array ? gi.length : gi.size;
      if (gSize !== p.size) throw new InputError(`gradient ${i} has ${gSize} values; variable ${p.name} has ${p.size}`);
      const consts: AdamConsts = { beta1, beta2, eps, stepSize: lr / bc1, bc2, decay: weightDecay > 0 && p.rank >= 2 ? lr * weightDecay : 0 };
      if (kernels) {
        // On wasm and cpu: one kernel (WebAssembly SIMD on wasm) reads the parameter, gradient and
        // moments where they are and writes the new values into fresh tensors.
        const k = this.kernelState(p);
        const g = gi instanceof Float32Array ? tf.tensor(gi, p.shape, "float32") : gi;
        const [np, nm, nv] = adamUpdate(p, g, k.m, k.v, consts);
        if (g !== gi) g.dispose();
        p.assign(np);
        np.dispose();
        k.m.dispose();
        k.v.dispose();
        k.m = tf.keep(nm);
        k.v = tf.keep(nv);
        return;
      }
      const s = this.arrayState(p);
      const g = gi instanceof Float32Array ? gi : (gi.dataSync() as Float32Array);
      const w = Float32Array.from(p.dataSync() as Float32Array);
      const out = new Float32Array(w.length);
      adamLoop(w, g, out, { ...consts, m: s.m, v: s.v });
      tf.tidy(() => p.assign(tf.tensor(out, p.shape, "float32")));
    });
  }

  /** The moments of `p` as tensors (created, or moved from the array form, on first use). */
  private kernelState(p: tf.Variable): { m: tf.Tensor; v: tf.Tensor } {
    let k = this.kState.get(p);
    const a = this.jsState.get(p); // arrays present = restored (or from the array path): they win
    if (!k || a) {
      if (k) {
        k.m.dispose();
        k.v.dispose();
      }
      const mk = (x?: Float32Array) => tf.keep(x ? tf.tensor(x, p.shape, "float32") : tf.zeros(p.shape, "float32"));
      k = { m: mk(a?.m), v: mk(a?.v) };
      this.jsState.delete(p);
      this.kState.set(p, k);
    }
    return k;
  }

  /** The moments of `p` as arrays (created, or moved from the tensor form, on first use). */
  private arrayState(p: tf.Variable): { m: Float32Array; v: Float32Array } {
    let s = this.jsState.get(p);
    if (!s) {
      const k = this.kState.get(p);
      s = k ? { m: Float32Array.from(k.m.dataSync() as Float32Array), v: Float32Array.from(k.v.dataSync() as Float32Array) } : { m: new Float32Array(p.size), v: new Float32Array(p.size) };
      if (k) {
        k.m.dispose();
        k.v.dispose();
        this.kState.delete(p);
      }
      this.jsState.set(p, s);
    }
    return s;
  }

  /**
   * The moment buffers (for checkpoints), as float32 arrays named `<name>.m` and `<name>.v` for
   * each `[name, variable]` pair; variables not updated yet are skipped. Copies, safe to keep.
   * @example opt.getState(ps.names().map((n) => [n, ps.get(n)]))
   */
  getState(named: Iterable<readonly [string, tf.Variable]>): Record<string, NdArray> {
    const out: Record<string, NdArray> = {};
    for (const [name, p] of named) {
      let m: Float32Array;
      let v: Float32Array;
      const js = this.jsState.get(p);
      const ks = this.kState.get(p);
      const ts = this.state.get(p);
      if (js) {
        m = js.m.slice();
        v = js.v.slice();
      } else if (ks) {
        m = Float32Array.from(ks.m.dataSync() as Float32Array);
        v = Float32Array.from(ks.v.dataSync() as Float32Array);
      } else if (ts) {
        m = Float32Array.from(ts.m.dataSync() as Float32Array);
        v = Float32Array.from(ts.v.dataSync() as Float32Array);
      } else continue;
      out[`${name}.m`] = { data: m, shape: p.shape.slice(), dtype: "float32" };
      out[`${name}.v`] = { data: v, shape: p.shape.slice(), dtype: "float32" };
    }
    return out;
  }

  /**
   * Restore moment buffers saved by {@link getState} and set the update count to `step` (so the
   * bias correction and the schedule continue exactly). Names missing from `arrays` are skipped.
   * @throws if an array's size does not match its variable.
   */
  setState(named: Iterable<readonly [string, tf.Variable]>, arrays: Record<string, NdArray>, step: number): void {
    if (!(Number.isInteger(step) && step >= 0)) throw new InputError(`invalid step; need an integer ≥ 0, got ${step}`);
    const fused = this.fusedUpdate();
    const f32 = (a: NdArray) => (a.data instanceof Float32Array ? a.data.slice() : Float32Array.from(a.data as ArrayLike<number>, Number));
    for (const [name, p] of named) {
      const m = arrays[`${name}.m`];
      const v = arrays[`${name}.v`];
      if (!m || !v) continue;
      if (m.data.length !== p.size || v.data.length !== p.size) {
        throw new InputError(`optimiser state for "${name}" has ${m.data.length}/${v.data.length} values; the parameter has ${p.size}`);
      }
      const old = this.state.get(p);
      if (old) {
        old.m.dispose();
        old.v.dispose();
        this.state.delete(p);
      }
      this.jsState.delete(p);
      const ks = this.kState.get(p);
      if (ks) {
        ks.m.dispose();
        ks.v.dispose();
        this.kState.delete(p);
      }
      // The array form; the kernel path moves it into tensors on the next update.
      if (fused) this.jsState.set(p, { m: f32(m), v: f32(v) });
      else {
        const mk = (a: NdArray) => tf.variable(tf.tensor(f32(a), p.shape, "float32"), false);
        this.state.set(p, { m: mk(m), v: mk(v) });
      }
    }
    this.step = step;
  }

  /**
   * The moment buffers held as tensors, e.g. to download them (`backend/webgpu.ts` `prefetch`)
   * before a synchronous {@link getState} on a backend that reads only asynchronously.
   */
  stateTensors(): tf.Tensor[] {
    const out: tf.Tensor[] = [];
    for (const k of this.kState.values()) out.push(k.m, k.v);
    for (const s of this.state.values()) out.push(s.m, s.v);
    return out;
  }

  /** Free the moment buffers. */
  dispose(): void {
    this.jsState.clear();
    for (const k of this.kState.values()) {
      k.m.dispose();
      k.v.dispose();
    }
    this.kState.clear();
    for (const s of this.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.state.clear();
  }
}

/**
 * Scale gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`). Returns new tensors (the caller disposes both sets) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const sq = squaredNorm(grads);
  const norm = Math.sqrt(sq.dataSync()[0]);
  sq.dispose();
  return { grads: scaleToNorm(grads, norm, maxNorm), norm };
}

/** The sum of squares of all gradients, a scalar tensor (the caller disposes it). */
function squaredNorm(grads: readonly tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.mul(g, g)))));
}

/** `grads` scaled so that their global norm (`norm`) is at most `maxNorm`: new tensors. */
function scaleToNorm(grads: readonly tf.Tensor[], norm: number, maxNorm: number): tf.Tensor[] {
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  return grads.map((g) => tf.mul(g, scale));
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** Clip gradients to this global norm first. Default: no clipping. */
  clipNorm?: number;
}

/** Result of one {@link trainStep}. */
export interface TrainStepResult {
  /** The loss before the update. */
  loss: number;
  /** Global gradient norm before clipping (only computed with `clipNorm`). */
  gradNorm?: number;
}

/**
 * One optimisation step: evaluate `lossFn` (which builds a scalar from the current variables),
 * take gradients with respect to the trainable ones of `allVars` only (everything else stays
 * frozen), optionally clip, and
 * apply `opt`. All intermediate tensors are freed, so `tf.memory().numTensors` is flat across steps
 * (after the first step, which creates the optimiser's moment buffers).
 */
export function trainStep(lossFn: () => tf.Scalar, allVars: readonly tf.Variable[], opt: AdamW, opts: TrainStepOptions = {}): TrainStepResult {
  return runSync(trainStepReads(lossFn, allVars, opt, opts));
}

/**
 * {@link trainStep} with asynchronous reads of the loss and the gradient norm: the same update on
 * every backend, and the form that also runs on `webgpu`, which cannot read synchronously in Node.
 */
export function trainStepAsync(lossFn: () => tf.Scalar, allVars: readonly tf.Variable[], opt: AdamW, opts: TrainStepOptions = {}): Promise<TrainStepResult> {
  return runAsync(trainStepReads(lossFn, allVars, opt, opts));
}

/**
 * The body of {@link trainStep} (see `backend/reads.ts`): yields the squared gradient norm (with
 * `clipNorm`) and the loss to be read. Compose it into a longer loop with `yield*`.
 */
export function* trainStepReads(lossFn: () => tf.Scalar, allVars: readonly tf.Variable[], opt: AdamW, opts: TrainStepOptions = {}): Reads<TrainStepResult> {
  const { vars, value, grads } = stepGradients(lossFn, allVars);
  let gs = grads;
  let gradNorm: number | undefined;
  try {
    if (opts.clipNorm !== undefined) {
      gradNorm = Math.sqrt((yield* readOnce(squaredNorm(gs)))[0]);
      const clipped = scaleToNorm(gs, gradNorm, opts.clipNorm);
      tf.dispose(gs);
      gs = clipped;
    }
    opt.apply(vars, gs);
    const loss = (yield value)[0];
    return gradNorm === undefined ? { loss } : { loss, gradNorm };
  } finally {
    tf.dispose(gs);
    value.dispose();
  }
}

/** The loss and the gradients of the trainable ones of `allVars` (zero for those the loss does not use). */
function stepGradients(lossFn: () => tf.Scalar, allVars: readonly tf.Variable[]): { vars: tf.Variable[]; value: tf.Scalar; grads: tf.Tensor[] } {
  if (allVars.length === 0) throw new InputError("trainStep got no variables to train");
  // Variables frozen with ParamStore.setTrainable get no gradient from TF.js: leave them out.
  const vars = allVars.filter((v) => v.trainable);
  if (vars.length === 0) throw new InputError(`trainStep got ${allVars.length} variables, all frozen (trainable = false)`);
  const { value, grads } = tf.variableGrads(lossFn, vars as tf.Variable[]);
  // A variable the loss does not depend on gets no entry; give it a zero gradient.
  return { vars, value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}
