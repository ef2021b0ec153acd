/**
 * The `"fast"` implementations behind {@link NnImpl}: the same functions as the reference layers,
 * restructured for TF.js on wasm, where each kernel call has a fixed overhead and batched 4-D
 * matMuls are slow. Every function here is checked against its reference twin in `test/nn.test.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as js from "./js-kernels";

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/*
 * Measured on the wasm backend for a [1024, 512] float32 tensor (one core, shared machine):
 * mul/add/sub ≈ 0.2 ms, sigmoid ≈ 0.7 ms and softmax ≈ 0.8 ms (vectorised XNNPACK kernels), but
 * tanh ≈ 18 ms, logSoftmax ≈ 14 ms, log ≈ 3–9 ms, sqrt ≈ 5 ms (scalar libm loops), and a sum over
 * axis 0 ≈ 10 ms while the same column sums as a matMul `ones[1, N]·x` take 0.08 ms. The fast
 * layers below are written around those numbers.
 */

type CustomFn = Parameters<typeof tf.customGrad>[0];

/** Column sums of a 2-D tensor `[N, k]` → `[k]`, as the matMul `ones[1, N]·x` (100× faster than `sum(x, 0)` on wasm). */
export function colSum(x: tf.Tensor): tf.Tensor {
  const [n, k] = x.shape as [number, number];
  return tf.matMul(tf.ones([1, n]) as tf.Tensor2D, x as tf.Tensor2D).reshape([k]);
}

/**
 * tanh-GELU computed as `x·σ(2u)` with `u = c·(x + a·x³)`, using the identity
 * `0.5·(1 + tanh(u)) = σ(2u)`: the sigmoid kernel is vectorised, tanh is not. Closed-form
 * gradient `σ + x·σ·(1 - σ)·2c·(1 + 3a·x²)`.
 */
export const gelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  if (js.jsKernelsAvailable()) {
    // One fused kernel for the sigmoid's argument (JS, or WebAssembly SIMD on wasm), the
    // vectorised sigmoid, one multiply; the gradient is one fused kernel too.
    const s = tf.sigmoid(js.geluArg(x));
    save([x, s]);
    return {
      value: tf.mul(x, s),
      gradFunc: (dy: tf.Tensor, [xs, sg]: tf.Tensor[]) => [js.geluGrad(dy, xs, sg)],
    };
  }
  const x2 = tf.mul(x, x);
  const s = tf.sigmoid(tf.mul(x, tf.add(2 * GELU_C, tf.mul(2 * GELU_C * GELU_A, x2))));
  save([x, x2, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, xx, sg] = saved;
      const du = tf.add(2 * GELU_C, tf.mul(6 * GELU_A * GELU_C, xx)); // d(2u)/dx
      const d = tf.add(sg, tf.mul(tf.mul(xs, tf.mul(sg, tf.sub(1, sg))), du));
      return [tf.mul(dy, d)];
    },
  };
}) as unknown as CustomFn) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * Linear layer `x·W + b` on 2-D `x` `[N, in]` with a hand-written gradient: `dx = dy·Wᵀ`,
 * `dW = xᵀ·dy`, `db = Σ_rows dy` — 2-D matMuls and a column sum instead of autodiff's
 * broadcast-sum for `db`. The forward adds the bias inside the matMul (`tf.fused.matMul`). On wasm,
 * when `out > in`, `dW` is computed as `(dyᵀ·x)ᵀ` (see `weightGradPackingX`).
 * `b` may be `null` (no bias).
 */
export function linear2d(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor | null): tf.Tensor2D {
  if (b === null) {
    const f = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, save: tf.GradSaveFunc) => {
      save([xi, wi]);
      return {
        value: tf.matMul(xi, wi),
        gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
          tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true),
          packSmallOperand(xs, dy) ? weightGradPackingX(xs as tf.Tensor2D, dy as tf.Tensor2D) : tf.matMul(xs as tf.Tensor2D, dy as tf.Tensor2D, true, false),
        ],
      };
    }) as unknown as CustomFn);
    return f(x, w) as tf.Tensor2D;
  }
  const f = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      // The bias is added inside the matMul kernel (XNNPACK's fused epilogue on wasm): no extra pass.
      value: tf.fused.matMul({ a: xi, b: wi, bias: bi }),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => {
        const dx = tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true);
        if (packSmallOperand(xs, dy)) return [dx, weightGradPackingX(xs as tf.Tensor2D, dy as tf.Tensor2D), js.colSumJs(dy)];
        return [dx, tf.matMul(xs as tf.Tensor2D, dy as tf.Tensor2D, true, false), colSum(dy)];
      },
    };
  }) as unknown as CustomFn);
  return f(x, w, b) as tf.Tensor2D;
}

/**
 * Whether to compute the weight gradient as `(dyᵀ·x)ᵀ` (see {@link weightGradPackingX}): on wasm,
 * when `dy` `[N, out]` is larger than `x` `[N, in]`.
 */
function packSmallOperand(x: tf.Tensor, dy: tf.Tensor): boolean {
  return tf.getBackend() === "wasm" && js.jsKernelsAvailable() && dy.shape[1]! > x.shape[1]! && dy.shape[1]! % 4 === 0 && x.shape[1]! % 4 === 0;
}

/**
 * The weight gradient `xᵀ·dy` computed as `(dyᵀ·x)ᵀ`. Why: the wasm matMul (XNNPACK) first
 * repacks its right-hand operand with a slow strided copy (≈ 4 ns per value, on one thread, for
 * every new tensor); `xᵀ·dy` repacks `dy` `[N, out]`, this form repacks the smaller `x` `[N, in]`
 * and pays two fast SIMD transposes instead. Equal up to float rounding (the sums run in another
 * order).
 */
function weightGradPackingX(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(dy), x)));
}

/**
 * Layer norm over the last axis with a hand-written gradient (autodiff through `moments` produces
 * many small kernels and axis-0 sums). With `xhat = (x - μ)·r`, `r = 1/√(σ² + eps)`,
 * `y = xhat·g + b`: `dx = r·(dxh - mean(dxh) - xhat·mean(dxh·xhat))` where `dxh = dy·g`;
 * `dg = Σ_rows dy·xhat`, `db = Σ_rows dy`.
 */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (js.jsKernelsAvailable()) {
    // Forward and backward are one fused kernel each (rows of d values), instead of ~10 kernels each.
    const f = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
      const [y, xhat, r] = js.layerNormForward(xIn, gIn, bIn, eps);
      save([xhat, r, gIn]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [xh, rs, gs]: tf.Tensor[]) => js.layerNormGrad(dy, xh, rs, gs),
      };
    }) as unknown as CustomFn);
    return f(x, g, b);
  }
  const f = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = xIn.reshape([-1, d]);
    const mean = tf.mean(x2, -1, true);
    const xc = tf.sub(x2, mean);
    const variance = tf.mean(tf.mul(xc, xc), -1, true);
    const r = tf.rsqrt(tf.add(variance, eps)); // only [N, 1] values: the slow rsqrt is cheap here
    const xhat = tf.mul(xc, r);
    save([xhat, r, gIn]);
    const value = tf.add(tf.mul(xhat, gIn), bIn).reshape(xIn.shape);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved;
        const dy2 = dy.reshape([-1, d]);
        const dxh = tf.mul(dy2, gs);
        const m1 = tf.mean(dxh, -1, true);
        const m2 = tf.mean(tf.mul(dxh, xh), -1, true);
        const dx = tf.mul(rs, tf.sub(tf.sub(dxh, m1), tf.mul(xh, m2))).reshape(xIn.shape);
        return [dx, colSum(tf.mul(dy2, xh)), colSum(dy2)];
      },
    };
  }) as unknown as CustomFn);
  return f(x, g, b);
}

/**
 * `x` `[B, T, d]` plus rows `offset .. offset+T-1` of the positional table `pos` `[maxLen, d]`, with
 * the table's gradient as a matMul column sum over the batch.
 */
export function addPositional(x: tf.Tensor, pos: tf.Tensor, offset: number): tf.Tensor {
  const [B, T, d] = x.shape as [number, number, number];
  const f = tf.customGrad(((xi: tf.Tensor, pi: tf.Tensor) => ({
    value: tf.add(xi, tf.slice(pi, [offset, 0], [T, d])),
    // dx is dy itself: the engine may hand one tensor to several consumers (this used to crash
    // wasm, through the stock matMul's operator cache; `backend/index.ts` now guards against that).
    gradFunc: (dy: tf.Tensor) => {
      const dy2 = dy.reshape([B, T * d]);
      const rows = (js.jsKernelsAvailable() ? js.colSumJs(dy2) : colSum(dy2)).reshape([T, d]);
      const maxLen = pi.shape[0] as number;
      return [dy, offset === 0 && T === maxLen ? rows : tf.pad(rows, [[offset, maxLen - offset - T], [0, 0]])];
    },
  })) as unknown as CustomFn);
  return f(x, pos);
}

/**
 * Mean token cross-entropy from `softmax` (vectorised) instead of `logSoftmax` (not):
 * `loss = -Σ_i w_i·log p_i[target_i]`, gradient `(p - oneHot)·w`. `targets` `[N]` (int32) and the
 * row weights `w` `[N]` (mask / count) are constants. The log is taken of N values only; a target
 * probability is floored at 1e-30 (a loss of 69 nats) so that it never becomes log 0.
 * With the JS kernels (wasm, cpu) the loss and its gradient are one pass each and no one-hot
 * matrix is built.
 */
export function crossEntropy(logits2d: tf.Tensor, targets: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const [n, V] = logits2d.shape as [number, number];
  if (js.jsKernelsAvailable()) {
    const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
      const p = tf.softmax(z);
      save([p, targets, w]); // saved (not captured), so the caller may dispose its copies
      return {
        value: js.crossEntropyLoss(p, targets, w),
        gradFunc: (dy: tf.Tensor, [ps, ts, ws]: tf.Tensor[]) => [js.crossEntropyGrad(ps, ts, ws, dy)],
      };
    }) as unknown as CustomFn);
    return f(logits2d) as tf.Scalar;
  }
  const oneHot = tf.oneHot(targets, V).toFloat(); // [n, V], a constant
  const w2 = w.reshape([n, 1]);
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = tf.softmax(z);
    save([p, oneHot, w2]);
    const pt = tf.sum(tf.mul(p, oneHot), -1, true); // [N, 1]
    return {
      value: tf.neg(tf.sum(tf.mul(tf.log(tf.maximum(pt, 1e-30)), w2))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [ps, oh, ws]: tf.Tensor[]) => [tf.mul(dy, tf.mul(tf.sub(ps, oh), ws))],
    };
  }) as unknown as CustomFn);
  const loss = f(logits2d) as tf.Scalar;
  oneHot.dispose();
  w2.dispose();
  return loss;
}

/**
 * Attention core on the fused projection `qkv` `[B, T, 3d]` → context `[B, T, d]`, with the heads
 * folded into the batch axis so that both matMuls are 3-D `[B·H, T, ·]`. The head split is one
 * rank-4 transpose `[B, T, 3H, hd]` → `[B, 3H, T, hd]` and a split: the wasm Transpose kernel
 * is fast on rank 4 but very slow on the rank-5 transpose the reference form uses.
 * `bias` is the additive mask `[1 or B, 1, T, T]` or `null`.
 */
export function attentionCore(qkv: tf.Tensor3D, nHeads: number, bias: tf.Tensor | null): tf.Tensor {
  const [B, T, d3] = qkv.shape;
  const d = d3 / 3;
  const hd = d / nHeads;
  if (js.jsKernelsAvailable()) return attentionCoreJs(qkv, nHeads, bias);
  const heads = qkv.reshape([B, T, 3 * nHeads, hd]).transpose([0, 2, 1, 3]); // [B, 3H, T, hd]
  // split (gradient: one concat) rather than three slices (gradient: three zero-padded copies).
  const [q, k, v] = tf.split(heads, 3, 1).map((t) => t.reshape([B * nHeads, T, hd]) as tf.Tensor3D);
  let scores: tf.Tensor = tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true); // [B·H, T, T]
  if (bias) scores = tf.add(scores.reshape([B, nHeads, T, T]), bias).reshape([B * nHeads, T, T]);
  const p = tf.softmax(scores, -1) as tf.Tensor3D;
  return tf.matMul(p, v).reshape([B, nHeads, T, hd]).transpose([0, 2, 1, 3]).reshape([B, T, d]);
}

/**
 * {@link attentionCore} with a hand-written gradient, for backends with the JS kernels: the head
 * split and its adjoint are one JS pass each (no rank-4 transpose, split or concat), the softmax
 * gradient `ds = p·(dp - Σ_j dp·p)` is one JS pass, and the backward pass is four batched matMuls.
 * The bias is a constant (no gradient).
 */
function attentionCoreJs(qkv: tf.Tensor3D, nHeads: number, bias: tf.Tensor | null): tf.Tensor {
  const [B, T, d3] = qkv.shape;
  const d = d3 / 3;
  const hd = d / nHeads;
  const scale = 1 / Math.sqrt(hd);
  const BH = B * nHeads;
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [qs, k, v] = js.headSplit(x, nHeads, scale); // q already scaled by 1/√hd
    let scores: tf.Tensor = tf.matMul(qs as tf.Tensor3D, k as tf.Tensor3D, false, true); // [B·H, T, T]
    if (bias) scores = tf.add(scores.reshape([B, nHeads, T, T]), bias).reshape([BH, T, T]);
    const p = tf.softmax(scores, -1) as tf.Tensor3D;
    save([qs, k, v, p]);
    const ctx = js.headsToTokens(tf.matMul(p, v as tf.Tensor3D), nHeads); // [B, T, d]
    return {
      value: ctx,
      gradFunc: (dy: tf.Tensor, [qS, kS, vS, pS]: tf.Tensor[]) => {
        const dctx = js.tokensToHeads(dy, nHeads) as tf.Tensor3D; // [B·H, T, hd]
        const dp = tf.matMul(dctx, vS as tf.Tensor3D, false, true); // [B·H, T, T]
        const dv = tf.matMul(pS as tf.Tensor3D, dctx, true, false);
        const ds = js.softmaxGrad(pS, dp) as tf.Tensor3D;
        const dqs = tf.matMul(ds, kS as tf.Tensor3D); // gradient of the scaled q
        const dk = tf.matMul(ds, qS as tf.Tensor3D, true, false);
        return [js.headMerge(dqs, dk, dv, nHeads, scale)];
      },
    };
  }) as unknown as CustomFn);
  return f(qkv);
}

/**
 * Embedding lookup: rows `ids` (int32 `[n]`, each in range) of `table` `[V, d]` → `[n, d]`, as one
 * JS copy per row (the stock wasm gather is an element-by-element loop), with `gather`'s gradient
 * `unsortedSegmentSum(dy, ids, V)`. Needs the JS kernels ({@link js.jsKernelsAvailable}).
 */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const V = table.shape[0];
  const f = tf.customGrad(((tb: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ids]);
    return {
      value: js.gatherRows(tb, ids),
      gradFunc: (dy: tf.Tensor, [idS]: tf.Tensor[]) => [tf.unsortedSegmentSum(dy, idS as tf.Tensor1D, V)],
    };
  }) as unknown as CustomFn);
  return f(table);
}
