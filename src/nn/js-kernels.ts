/**
 * Fused element-wise kernels written as plain JavaScript loops, registered as TF.js kernels on the
 * `wasm` and `cpu` backends, for the fast layers (`nn/fast.ts`) and the fused Adam update.
 *
 * Why: on wasm every TF.js kernel call costs a fixed overhead (tens of µs) plus one pass over its
 * tensors, and the backward passes of GELU, layer norm and cross-entropy are chains of 5–15 small
 * kernels (several of them slow, scalar reductions such as `mean`). One JS loop over the raw
 * float32 data (a view of the wasm heap, no copy) does the whole chain in one pass.
 *
 * Each kernel reads its inputs and writes fresh outputs (TF.js tensors are immutable, and the
 * wasm backend's matMul caches packed weights by tensor id, so memory is never written in place).
 * Sums are accumulated in float64. Every kernel is tested against the TF.js ops it replaces
 * (`test/nn-kernels.test.ts`).
 *
 * On other backends (`tensorflow`, GPU) {@link jsKernelsAvailable} is false and the fast layers use
 * their composite TF.js form.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type SimdKernels, simdKernelsFor } from "../backend/wasm-simd-kernels";

type Arr = Float32Array | Int32Array;
type Attrs = Record<string, unknown>;

/** One JS kernel: output shapes from the inputs, then one function over the raw arrays. */
interface JsKernelSpec {
  name: string;
  inputs: string[];
  outputs(ins: tf.TensorInfo[], attrs: Attrs): number[][];
  run(ins: Arr[], outs: Float32Array[], infos: tf.TensorInfo[], attrs: Attrs): void;
  /**
   * Optional WebAssembly SIMD form on the wasm backend: gets the byte offsets of the inputs and
   * outputs in the backend's memory (and the JS views); returns false to fall back to `run`.
   */
  simd?(k: SimdKernels, inOff: number[], outOff: number[], infos: tf.TensorInfo[], attrs: Attrs, ins: Arr[], outs: Float32Array[]): boolean;
}

const BACKENDS = ["wasm", "cpu"] as const;
const specs = new Map<string, JsKernelSpec>();

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Arr;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } | undefined };
  wasm: { wasmMemory?: { buffer: ArrayBuffer }; asm?: { memory?: { buffer: ArrayBuffer } } };
}

let simdEnabled = true;

/**
 * Switch the WebAssembly SIMD forms of the kernels on or off (default on; they fall back to the
 * JS loops where SIMD is unavailable). Results agree to float rounding; tests compare both.
 * @returns the previous setting.
 */
export function setSimdKernels(on: boolean): boolean {
  const prev = simdEnabled;
  simdEnabled = on;
  return prev;
}

function simdFor(b: WasmLike): SimdKernels | null {
  if (!simdEnabled) return null;
  return simdKernelsFor(b.wasm.wasmMemory ?? b.wasm.asm?.memory);
}
interface CpuLike {
  data: { get(dataId: unknown): { values: Arr } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Arr): tf.TensorInfo;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function kernelFuncFor(spec: JsKernelSpec, backendName: (typeof BACKENDS)[number]): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const infos = spec.inputs.map((n) => (inputs as Record<string, tf.TensorInfo>)[n]);
    const a = (attrs ?? {}) as Attrs;
    const shapes = spec.outputs(infos, a);
    let outInfos: tf.TensorInfo[];
    if (backendName === "wasm") {
      const b = backend as unknown as WasmLike;
      outInfos = shapes.map((s) => b.makeOutput(s, "float32"));
      // Heap views only after every allocation: an allocation may grow (and detach) the heap.
      const ins = infos.map((t) => b.typedArrayFromHeap(t));
      const outs = outInfos.map((t) => b.typedArrayFromHeap(t) as Float32Array);
      const k = spec.simd ? simdFor(b) : null;
      const off = (t: tf.TensorInfo) => b.dataIdMap.get(t.dataId)!.memoryOffset;
      if (!k || !spec.simd!(k, infos.map(off), outInfos.map(off), infos, a, ins, outs)) spec.run(ins, outs, infos, a);
    } else {
      const b = backend as unknown as CpuLike;
      const ins = infos.map((t) => b.data.get(t.dataId).values);
      const outs = shapes.map((s) => new Float32Array(size(s)));
      spec.run(ins, outs, infos, a);
      outInfos = outs.map((v, i) => b.makeTensorInfo(shapes[i], "float32", v));
    }
    return outInfos.length === 1 ? outInfos[0] : outInfos;
  };
}

function define(spec: JsKernelSpec): void {
  specs.set(spec.name, spec);
  for (const backendName of BACKENDS) {
    if (tf.getKernel(spec.name, backendName)) tf.unregisterKernel(spec.name, backendName);
    tf.registerKernel({ kernelName: spec.name, backendName, kernelFunc: kernelFuncFor(spec, backendName) });
  }
}

let jsEnabled = true;

/**
 * Switch the fused kernels off (`false`: the fast layers use their composite TF.js form, as on
 * backends without these kernels) or back on. For tests and comparisons. @returns the previous setting.
 */
export function setJsKernels(on: boolean): boolean {
  const prev = jsEnabled;
  jsEnabled = on;
  return prev;
}

/** Whether the fused kernels run on the active backend (`wasm` or `cpu`, unless switched off). */
export function jsKernelsAvailable(): boolean {
  if (!jsEnabled) return false;
  const b = tf.getBackend();
  return b === "wasm" || b === "cpu";
}

function run(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

// ---------------------------------------------------------------------------------------------
// GELU (tanh form written as x·σ(2u), see fast.gelu)

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

define({
  name: "LcoGeluArg",
  inputs: ["x"],
  outputs: ([x]) => [x.shape],
  run: ([x], [u]) => geluArgJs(x, u, 0),
  simd: (k, [x], [u], _i, _a, [xa], [ua]) => {
    const n4 = xa.length & ~3;
    k.geluArg(x, u, n4 * 4, 2 * GELU_C, 2 * GELU_C * GELU_A);
    geluArgJs(xa, ua, n4);
    return true;
  },
});

function geluArgJs(x: Arr, u: Float32Array, from: number): void {
  const c1 = 2 * GELU_C;
  const c3 = 2 * GELU_C * GELU_A;
  for (let i = from; i < x.length; i++) {
    const v = x[i];
    u[i] = v * (c1 + c3 * v * v);
  }
}

define({
  name: "LcoGeluGrad",
  inputs: ["dy", "x", "s"],
  outputs: ([dy]) => [dy.shape],
  run: ([dy, x, s], [dx]) => geluGradJs(dy, x, s, dx, 0),
  simd: (k, [dy, x, s], [dx], _i, _a, [dya, xa, sa], [dxa]) => {
    const n4 = dxa.length & ~3;
    k.geluGrad(dy, x, s, dx, n4 * 4, 2 * GELU_C, 6 * GELU_A * GELU_C);
    geluGradJs(dya, xa, sa, dxa, n4);
    return true;
  },
});

function geluGradJs(dy: Arr, x: Arr, s: Arr, dx: Float32Array, from: number): void {
  const c1 = 2 * GELU_C;
  const c3 = 6 * GELU_A * GELU_C;
  for (let i = from; i < dx.length; i++) {
    const v = x[i];
    const sg = s[i];
    dx[i] = dy[i] * (sg + v * sg * (1 - sg) * (c1 + c3 * v * v));
  }
}

/** `2u = x·(2c + 2c·a·x²)`, the argument of the sigmoid in GELU's `x·σ(2u)` form. */
export function geluArg(x: tf.Tensor): tf.Tensor {
  return run("LcoGeluArg", { x })[0];
}

/** GELU's input gradient `dy·(s + x·s·(1-s)·(2c + 6ca·x²))` from `x` and `s = σ(2u)`. */
export function geluGrad(dy: tf.Tensor, x: tf.Tensor, s: tf.Tensor): tf.Tensor {
  return run("LcoGeluGrad", { dy, x, s })[0];
}

// ---------------------------------------------------------------------------------------------
// layer norm over the last axis

define({
  name: "LcoLayerNorm",
  inputs: ["x", "g", "b"],
  outputs: ([x]) => {
    const d = x.shape[x.shape.length - 1];
    const n = size(x.shape) / d;
    return [x.shape, [n, d], [n]];
  },
  run: ([x, g, b], [y, xhat, r], infos, attrs) => {
    const d = infos[0].shape[infos[0].shape.length - 1];
    const n = x.length / d;
    const eps = attrs.eps as number;
    for (let row = 0; row < n; row++) {
      const o = row * d;
      let sum = 0;
      for (let j = 0; j < d; j++) sum += x[o + j];
      const mean = Math.fround(sum / d);
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const c = Math.fround(x[o + j] - mean);
        ss += c * c;
      }
      const rr = Math.fround(1 / Math.sqrt(Math.fround(ss / d) + eps));
      r[row] = rr;
      for (let j = 0; j < d; j++) {
        const h = Math.fround(Math.fround(x[o + j] - mean) * rr);
        xhat[o + j] = h;
        y[o + j] = h * g[j] + b[j];
      }
    }
  },
  simd: (k, [x, g, b], [y, xhat, r], infos, attrs) => {
    const d = infos[0].shape[infos[0].shape.length - 1];
    if (d % 4 !== 0) return false;
    k.lnFwd(x, g, b, y, xhat, r, size(infos[0].shape) / d, d * 4, attrs.eps as number);
    return true;
  },
});

define({
  name: "LcoLayerNormGrad",
  inputs: ["dy", "xhat", "r", "g"],
  outputs: ([dy, , , g]) => [dy.shape, g.shape, g.shape],
  run: ([dy, xhat, r, g], [dx, dg, db]) => {
    const d = g.length;
    const n = dy.length / d;
    const sg = new Float64Array(d);
    const sb = new Float64Array(d);
    for (let row = 0; row < n; row++) {
      const o = row * d;
      let m1 = 0;
      let m2 = 0;
      for (let j = 0; j < d; j++) {
        const dyj = dy[o + j];
        const h = xhat[o + j];
        const dxh = dyj * g[j];
        m1 += dxh;
        m2 += dxh * h;
        sg[j] += dyj * h;
        sb[j] += dyj;
      }
      m1 /= d;
      m2 /= d;
      const rr = r[row];
      for (let j = 0; j < d; j++) dx[o + j] = rr * (dy[o + j] * g[j] - m1 - xhat[o + j] * m2);
    }
    for (let j = 0; j < d; j++) {
      dg[j] = sg[j];
      db[j] = sb[j];
    }
  },
  simd: (k, [dy, xhat, r, g], [dx, dg, db], infos, _a, _ins, [, dga, dba]) => {
    const d = infos[3].shape[0];
    if (d % 4 !== 0) return false;
    dga.fill(0);
    dba.fill(0);
    k.lnGrad(dy, xhat, r, g, dx, dg, db, size(infos[0].shape) / d, d * 4);
    return true;
  },
});

/**
 * Layer norm forward over the last axis of `x` (`d` = last dim, `n` = rows):
 * `y = xhat·g + b` with `xhat = (x - mean)·r`, `r = 1/√(var + eps)` (biased variance).
 * @returns `y` (shape of `x`), `xhat` `[n, d]` and `r` `[n]` (saved for the gradient).
 */
export function layerNormForward(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [y, xhat, r] = run("LcoLayerNorm", { x, g, b }, { eps });
  return [y, xhat, r];
}

/**
 * Layer norm backward: `dx = r·(dxh - mean(dxh) - xhat·mean(dxh·xhat))` with `dxh = dy·g`,
 * `dg = Σ_rows dy·xhat`, `db = Σ_rows dy`.
 */
export function layerNormGrad(dy: tf.Tensor, xhat: tf.Tensor, r: tf.Tensor, g: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [dx, dg, db] = run("LcoLayerNormGrad", { dy, xhat, r, g });
  return [dx, dg, db];
}

// ---------------------------------------------------------------------------------------------
// column sums, cross-entropy, attention head split

define({
  name: "LcoColSum",
  inputs: ["x"],
  outputs: ([x]) => [[x.shape[x.shape.length - 1]]],
  run: ([x], [out], infos) => {
    const k = infos[0].shape[infos[0].shape.length - 1];
    const acc = new Float64Array(k);
    for (let o = 0; o < x.length; o += k) for (let j = 0; j < k; j++) acc[j] += x[o + j];
    for (let j = 0; j < k; j++) out[j] = acc[j];
  },
  simd: (k, [x], [out], infos, _a, _ins, [outA]) => {
    const n = infos[0].shape[infos[0].shape.length - 1];
    if (n % 4 !== 0) return false;
    outA.fill(0);
    k.colSum(x, out, size(infos[0].shape) / n, n * 4);
    return true;
  },
});

/** Sums over every axis but the last: `x` `[..., k]` → `[k]`. */
export function colSumJs(x: tf.Tensor): tf.Tensor {
  return run("LcoColSum", { x })[0];
}

define({
  name: "LcoCrossEntropy",
  inputs: ["p", "targets", "w"],
  outputs: () => [[]],
  run: ([p, t, w], [loss], infos) => {
    const V = infos[0].shape[infos[0].shape.length - 1];
    let s = 0;
    for (let i = 0; i < t.length; i++) {
      if (w[i] === 0) continue;
      s += w[i] * Math.log(Math.fround(Math.max(p[i * V + t[i]], 1e-30)));
    }
    loss[0] = -s;
  },
});

define({
  name: "LcoCrossEntropyGrad",
  inputs: ["p", "targets", "w", "dy"],
  outputs: ([p]) => [p.shape],
  run: ([p, t, w, dy], [dz], infos) => {
    const V = infos[0].shape[infos[0].shape.length - 1];
    const g = dy[0];
    for (let i = 0; i < t.length; i++) {
      const c = g * w[i];
      const o = i * V;
      for (let j = 0; j < V; j++) dz[o + j] = c * p[o + j];
      dz[o + t[i]] = c * (p[o + t[i]] - 1);
    }
  },
  simd: (k, [p, , w, ], [dz], infos, _a, [pa, t, wa, dya], [dza]) => {
    const V = infos[0].shape[infos[0].shape.length - 1];
    if (V % 4 !== 0) return false;
    const g = dya[0];
    k.scaleRows(p, w, dz, t.length, V * 4, g);
    // The target entries: c·(p - 1), with the same float32 product c = g·w_i as the kernel.
    for (let i = 0; i < t.length; i++) {
      const o = i * V + t[i];
      dza[o] = Math.fround(g * wa[i]) * (pa[o] - 1);
    }
    return true;
  },
});

/** `-Σ_i w_i·log p[i, targets_i]` (target probability floored at 1e-30) for `p` `[N, V]`, int32 `targets` `[N]`, `w` `[N]`. */
export function crossEntropyLoss(p: tf.Tensor, targets: tf.Tensor, w: tf.Tensor): tf.Scalar {
  return run("LcoCrossEntropy", { p, targets, w })[0] as tf.Scalar;
}

/** Gradient of {@link crossEntropyLoss} with respect to the logits: `dy·w_i·(p - oneHot(targets))`. */
export function crossEntropyGrad(p: tf.Tensor, targets: tf.Tensor, w: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return run("LcoCrossEntropyGrad", { p, targets, w, dy })[0];
}

define({
  name: "LcoHeadSplit",
  inputs: ["qkv"],
  outputs: ([x], attrs) => {
    const [B, T, d3] = x.shape;
    const H = attrs.nHeads as number;
    const hd = d3 / 3 / H;
    return [[B * H, T, hd], [B * H, T, hd], [B * H, T, hd]];
  },
  run: ([x], outs, infos, attrs) => {
    const [B, T, d3] = infos[0].shape;
    const H = attrs.nHeads as number;
    const scaleQ = attrs.scaleQ as number;
    const d = d3 / 3;
    const hd = d / H;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * d3;
        for (let part = 0; part < 3; part++) {
          const out = outs[part];
          const sc = part === 0 ? scaleQ : 1;
          for (let h = 0; h < H; h++) {
            const s = src + part * d + h * hd;
            const o = ((b * H + h) * T + t) * hd;
            if (sc === 1) out.set(x.subarray(s, s + hd), o); // a memcpy
            else for (let j = 0; j < hd; j++) out[o + j] = x[s + j] * sc;
          }
        }
      }
    }
  },
  simd: (k, [x], outs, infos, attrs) => {
    const [B, T, d3] = infos[0].shape;
    const H = attrs.nHeads as number;
    const d = d3 / 3;
    const hd = d / H;
    if (hd % 4 !== 0) return false;
    for (let part = 0; part < 3; part++) k.headCopy(x + part * d * 4, outs[part], B, T, H, hd * 4, d3 * 4, part === 0 ? (attrs.scaleQ as number) : 1, 1);
    return true;
  },
});

define({
  name: "LcoHeadMerge",
  inputs: ["q", "k", "v"],
  outputs: ([q], attrs) => {
    const [BH, T, hd] = q.shape;
    const H = attrs.nHeads as number;
    return [[BH / H, T, 3 * H * hd]];
  },
  run: (ins, [x], infos, attrs) => {
    const [BH, T, hd] = infos[0].shape;
    const H = attrs.nHeads as number;
    const scaleQ = attrs.scaleQ as number;
    const B = BH / H;
    const d = H * hd;
    const d3 = 3 * d;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const dst = (b * T + t) * d3;
        for (let part = 0; part < 3; part++) {
          const src = ins[part];
          const sc = part === 0 ? scaleQ : 1;
          for (let h = 0; h < H; h++) {
            const o = dst + part * d + h * hd;
            const s = ((b * H + h) * T + t) * hd;
            if (sc === 1) x.set(src.subarray(s, s + hd), o);
            else for (let j = 0; j < hd; j++) x[o + j] = src[s + j] * sc;
          }
        }
      }
    }
  },
  simd: (k, ins, [x], infos, attrs) => {
    const [BH, T, hd] = infos[0].shape;
    const H = attrs.nHeads as number;
    if (hd % 4 !== 0) return false;
    const d = H * hd;
    for (let part = 0; part < 3; part++) k.headCopy(x + part * d * 4, ins[part], BH / H, T, H, hd * 4, 3 * d * 4, part === 0 ? (attrs.scaleQ as number) : 1, 0);
    return true;
  },
});

define({
  name: "LcoHeadsToTokens",
  inputs: ["x"],
  outputs: ([x], attrs) => {
    const [BH, T, hd] = x.shape;
    const H = attrs.nHeads as number;
    return [[BH / H, T, H * hd]];
  },
  run: ([x], [y], infos, attrs) => {
    const [BH, T, hd] = infos[0].shape;
    const H = attrs.nHeads as number;
    for (let bh = 0; bh < BH; bh++) {
      const b = Math.floor(bh / H);
      const h = bh % H;
      for (let t = 0; t < T; t++) y.set(x.subarray((bh * T + t) * hd, (bh * T + t + 1) * hd), ((b * T + t) * H + h) * hd);
    }
  },
  simd: (k, [x], [y], infos, attrs) => {
    const [BH, T, hd] = infos[0].shape;
    const H = attrs.nHeads as number;
    if (hd % 4 !== 0) return false;
    k.headCopy(y, x, BH / H, T, H, hd * 4, H * hd * 4, 1, 0);
    return true;
  },
});

define({
  name: "LcoTokensToHeads",
  inputs: ["y"],
  outputs: ([y], attrs) => {
    const [B, T, d] = y.shape;
    const H = attrs.nHeads as number;
    return [[B * H, T, d / H]];
  },
  run: ([y], [x], infos, attrs) => {
    const [B, T, d] = infos[0].shape;
    const H = attrs.nHeads as number;
    const hd = d / H;
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++) x.set(y.subarray(((b * T + t) * H + h) * hd, ((b * T + t) * H + h + 1) * hd), ((b * H + h) * T + t) * hd);
  },
  simd: (k, [y], [x], infos, attrs) => {
    const [B, T, d] = infos[0].shape;
    const H = attrs.nHeads as number;
    const hd = d / H;
    if (hd % 4 !== 0) return false;
    k.headCopy(y, x, B, T, H, hd * 4, d * 4, 1, 1);
    return true;
  },
});

/** Per-head rows `[B·H, T, hd]` → token rows `[B, T, H·hd]` (head h in columns h·hd … h·hd+hd-1). */
export function headsToTokens(x: tf.Tensor, nHeads: number): tf.Tensor {
  return run("LcoHeadsToTokens", { x }, { nHeads })[0];
}

/** The inverse of {@link headsToTokens}: `[B, T, H·hd]` → `[B·H, T, hd]`. */
export function tokensToHeads(y: tf.Tensor, nHeads: number): tf.Tensor {
  return run("LcoTokensToHeads", { y }, { nHeads })[0];
}

/**
 * Split the fused projection `qkv` `[B, T, 3·H·hd]` (column blocks q | k | v, each head-major) into
 * per-head `q·scaleQ`, `k`, `v`, each `[B·H, T, hd]`, in one pass.
 */
export function headSplit(qkv: tf.Tensor, nHeads: number, scaleQ: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [q, k, v] = run("LcoHeadSplit", { qkv }, { nHeads, scaleQ });
  return [q, k, v];
}

/** The adjoint of {@link headSplit}: `dq·scaleQ`, `dk`, `dv` `[B·H, T, hd]` → `[B, T, 3·H·hd]`. */
export function headMerge(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, nHeads: number, scaleQ: number): tf.Tensor {
  return run("LcoHeadMerge", { q, k, v }, { nHeads, scaleQ })[0];
}

define({
  name: "LcoSoftmaxGrad",
  inputs: ["p", "dp"],
  outputs: ([p]) => [p.shape],
  run: ([p, dp], [ds], infos) => {
    const n = infos[0].shape[infos[0].shape.length - 1];
    for (let o = 0; o < p.length; o += n) {
      let s = 0;
      for (let j = 0; j < n; j++) s += dp[o + j] * p[o + j];
      for (let j = 0; j < n; j++) ds[o + j] = p[o + j] * (dp[o + j] - s);
    }
  },
  simd: (k, [p, dp], [ds], infos) => {
    const n = infos[0].shape[infos[0].shape.length - 1];
    if (n % 4 !== 0) return false;
    k.softmaxGrad(p, dp, ds, size(infos[0].shape) / n, n * 4);
    return true;
  },
});

/** Gradient of a softmax over the last axis: `ds = p·(dp - Σ_j dp_j·p_j)`, row by row. */
export function softmaxGrad(p: tf.Tensor, dp: tf.Tensor): tf.Tensor {
  return run("LcoSoftmaxGrad", { p, dp })[0];
}

define({
  name: "LcoGatherRows",
  inputs: ["table", "ids"],
  outputs: ([table, ids]) => [[size(ids.shape), table.shape[1]]],
  run: ([table, ids], [out], infos) => {
    const d = infos[0].shape[1];
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i] * d;
      out.set(table.subarray(s, s + d), i * d);
    }
  },
});

/** Rows `ids` (int32, flat, each in range) of the 2-D `table` `[n, d]` → `[ids.size, d]`. */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return run("LcoGatherRows", { table, ids })[0];
}

// ---------------------------------------------------------------------------------------------
// Adam

define({
  name: "LcoAdam",
  inputs: ["p", "g", "m", "v"],
  outputs: ([p]) => [p.shape, p.shape, p.shape],
  run: ([p, g, m, v], [pOut, mOut, vOut], _infos, attrs) => {
    const a = attrs as unknown as AdamConsts;
    mOut.set(m);
    vOut.set(v);
    adamLoop(p as Float32Array, g as Float32Array, pOut, { ...a, m: mOut, v: vOut }, 0);
  },
  simd: (k, [p, g, m, v], [pOut, mOut, vOut], _infos, attrs, [pa, ga, ma, va], [pOa, mOa, vOa]) => {
    const a = attrs as unknown as AdamConsts;
    const n4 = pa.length & ~3;
    k.adam(p, g, m, v, pOut, mOut, vOut, n4 * 4, a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.stepSize, 1 / a.bc2, a.eps, a.decay);
    if (n4 < pa.length) {
      for (let j = n4; j < pa.length; j++) {
        mOa[j] = ma[j];
        vOa[j] = va[j];
      }
      adamLoop(pa as Float32Array, ga as Float32Array, pOa, { ...a, m: mOa, v: vOa }, n4);
    }
    return true;
  },
});

/** The constants of one Adam update (see `nn/optim.ts`). */
export interface AdamConsts {
  beta1: number;
  beta2: number;
  eps: number;
  /** `lr / (1 - β1ᵗ)`. */
  stepSize: number;
  /** `1 - β2ᵗ`. */
  bc2: number;
  /** `lr·λ` (0 = no decay). */
  decay: number;
}

/**
 * One Adam update as a kernel: parameter `p`, gradient `g` and moments `m`, `v` (all the same
 * shape) → new `[p, m, v]` as fresh tensors (the caller swaps them in and frees the old ones).
 */
export function adamUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, consts: AdamConsts): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [p2, m2, v2] = run("LcoAdam", { p, g, m, v }, consts as unknown as Attrs);
  return [p2, m2, v2];
}

/** {@link AdamConsts} plus the moment buffers, updated in place by {@link adamLoop}. */
export interface AdamAttrs extends AdamConsts {
  m: Float32Array;
  v: Float32Array;
}

/** The Adam update loop over flat arrays from index `from`: `out` = updated `w`; `a.m`, `a.v` are updated in place. */
export function adamLoop(w: Float32Array, g: Float32Array, out: Float32Array, a: AdamAttrs, from = 0): void {
  const { m, v, beta1, beta2, eps, stepSize, bc2, decay } = a;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let j = from; j < out.length; j++) {
    const gj = g[j];
    // m and v are stored as float32 like the tensor path; the rounded values stay in locals.
    const mj = Math.fround(beta1 * m[j] + c1 * gj);
    const vj = Math.fround(beta2 * v[j] + c2 * gj * gj);
    m[j] = mj;
    v[j] = vj;
    const wj = w[j];
    out[j] = wj - (stepSize * mj) / (Math.sqrt(vj / bc2) + eps) - decay * wj;
  }
}
