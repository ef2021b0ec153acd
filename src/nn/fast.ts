/**
 * The `"fast"` implementations behind {@link NnImpl}: the same functions as the reference layers,
 * restructured for TF.js on wasm, where each kernel call has a fixed overhead and batched 4-D
 * matMuls are slow. Every function here is checked against its reference twin in `test/nn.test.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

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
 * `dW = xᵀ·dy`, `db = ones·dy` — three 2-D matMuls instead of autodiff's broadcast-sum for `db`.
 * `b` may be `null` (no bias).
 */
export function linear2d(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor | null): tf.Tensor2D {
  if (b === null) {
    const f = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, save: tf.GradSaveFunc) => {
      save([xi, wi]);
      return {
        value: tf.matMul(xi, wi),
        gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true), tf.matMul(xs as tf.Tensor2D, dy as tf.Tensor2D, true, false)],
      };
    }) as unknown as CustomFn);
    return f(x, w) as tf.Tensor2D;
  }
  const f = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: tf.add(tf.matMul(xi, wi), bi),
      gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D, false, true),
        tf.matMul(xs as tf.Tensor2D, dy as tf.Tensor2D, true, false),
        colSum(dy),
      ],
    };
  }) as unknown as CustomFn);
  return f(x, w, b) as tf.Tensor2D;
}

/**
 * Layer norm over the last axis with a hand-written gradient (autodiff through `moments` produces
 * many small kernels and axis-0 sums). With `xhat = (x - μ)·r`, `r = 1/√(σ² + eps)`,
 * `y = xhat·g + b`: `dx = r·(dxh - mean(dxh) - xhat·mean(dxh·xhat))` where `dxh = dy·g`;
 * `dg = Σ_rows dy·xhat`, `db = Σ_rows dy`.
 */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const d = x.shape[x.rank - 1];
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
    gradFunc: (dy: tf.Tensor) => {
      const rows = colSum(dy.reshape([B, T * d])).reshape([T, d]);
      const maxLen = pi.shape[0] as number;
      return [dy, tf.pad(rows, [[offset, maxLen - offset - T], [0, 0]])];
    },
  })) as unknown as CustomFn);
  return f(x, pos);
}

/**
 * Mean token cross-entropy from `softmax` (vectorised) instead of `logSoftmax` (not):
 * `loss = -Σ_i w_i·log p_i[target_i]`, gradient `(p - oneHot)·w`. `oneHot` `[N, V]` and the row
 * weights `w` `[N, 1]` (mask / count) are constants. The log is taken of N values only; a target
 * probability is floored at 1e-30 (a loss of 69 nats) so that it never becomes log 0.
 */
export function crossEntropy(logits2d: tf.Tensor, oneHot: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const f = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = tf.softmax(z);
    save([p, oneHot, w]);
    const pt = tf.sum(tf.mul(p, oneHot), -1, true); // [N, 1]
    return {
      value: tf.neg(tf.sum(tf.mul(tf.log(tf.maximum(pt, 1e-30)), w))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [ps, oh, ws]: tf.Tensor[]) => [tf.mul(dy, tf.mul(tf.sub(ps, oh), ws))],
    };
  }) as unknown as CustomFn);
  return f(logits2d) as tf.Scalar;
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
  const heads = qkv.reshape([B, T, 3 * nHeads, hd]).transpose([0, 2, 1, 3]); // [B, 3H, T, hd]
  // split (gradient: one concat) rather than three slices (gradient: three zero-padded copies).
  const [q, k, v] = tf.split(heads, 3, 1).map((t) => t.reshape([B * nHeads, T, hd]) as tf.Tensor3D);
  let scores: tf.Tensor = tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true); // [B·H, T, T]
  if (bias) scores = tf.add(scores.reshape([B, nHeads, T, T]), bias).reshape([B * nHeads, T, T]);
  const p = tf.softmax(scores, -1) as tf.Tensor3D;
  return tf.matMul(p, v).reshape([B, nHeads, T, hd]).transpose([0, 2, 1, 3]).reshape([B, T, d]);
}
