// The fused kernels of src/nn/js-kernels.ts (JS loops, and their WebAssembly SIMD forms on wasm)
// against the plain TF.js ops they replace, on odd shapes (row lengths and sizes that are not
// multiples of 4 exercise the JS remainders and fallbacks), on the wasm and the cpu backend.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import * as js from "../src/nn/js-kernels";
import { simdKernelModuleBytes } from "../src/backend/wasm-simd-kernels";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max abs diff ${worst} > ${tol}`);
};
const vals = (t: tf.Tensor) => Array.from(t.dataSync());

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** Run `body` once per (backend, SIMD on/off) combination, inside a tidy that checks for leaks. */
async function eachMode(body: (mode: string) => void): Promise<void> {
  for (const backend of ["wasm", "cpu"] as const) {
    await tf.setBackend(backend);
    for (const simd of backend === "wasm" ? [true, false] : [false]) {
      const prev = js.setSimdKernels(simd);
      const before = tf.memory().numTensors;
      try {
        tf.tidy(() => body(`${backend}${simd ? "+simd" : ""}`));
      } finally {
        js.setSimdKernels(prev);
      }
      assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
    }
  }
  await tf.setBackend("wasm");
}

// Shapes: [rows, d] with d a multiple of 4 (SIMD path) and not (JS fallback / remainder).
const SHAPES: [number, number][] = [
  [6, 8],
  [7, 5],
  [3, 13],
  [1, 4],
  [5, 132],
];

before(async () => {
  await initBackend({ backend: "wasm" });
});
after(async () => {
  await tf.setBackend("wasm");
});

describe("fused JS / SIMD kernels equal the TF.js ops they replace", () => {
  it("the SIMD module assembles for plain and shared memory", () => {
    for (const shared of [false, true]) {
      const bytes = simdKernelModuleBytes(shared);
      assert.deepEqual(Array.from(bytes.slice(0, 4)), [0x00, 0x61, 0x73, 0x6d]);
      const g = globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } };
      assert.ok(g.WebAssembly.validate(bytes), `module (shared = ${shared}) validates`);
    }
  });

  it("geluArg and geluGrad", async () => {
    await eachMode((mode) => {
      for (const [n, d] of SHAPES) {
        const x = tf.randomNormal([n, d], 0, 2, "float32", n * d);
        const dy = tf.randomNormal([n, d], 0, 1, "float32", n + d);
        const u = tf.mul(x, tf.add(2 * GELU_C, tf.mul(2 * GELU_C * GELU_A, tf.mul(x, x))));
        close(vals(js.geluArg(x)), vals(u), 1e-5, `${mode} geluArg [${n}, ${d}]`);
        const s = tf.sigmoid(u);
        const ref = tf.mul(dy, tf.add(s, tf.mul(tf.mul(x, tf.mul(s, tf.sub(1, s))), tf.add(2 * GELU_C, tf.mul(6 * GELU_A * GELU_C, tf.mul(x, x))))));
        close(vals(js.geluGrad(dy, x, s)), vals(ref), 1e-5, `${mode} geluGrad [${n}, ${d}]`);
        // And the gradient really is GELU's: compare with autodiff of the tanh formula.
        const gelu = (t: tf.Tensor) => tf.mul(tf.mul(0.5, t), tf.add(1, tf.tanh(tf.mul(GELU_C, tf.add(t, tf.mul(GELU_A, tf.mul(t, tf.mul(t, t))))))));
        const auto = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dy)))(x);
        close(vals(js.geluGrad(dy, x, s)), vals(auto), 2e-5, `${mode} geluGrad vs autodiff [${n}, ${d}]`);
      }
    });
  });

  it("layer norm forward and backward", async () => {
    await eachMode((mode) => {
      for (const [n, d] of SHAPES) {
        const x = tf.randomNormal([n, d], 1, 3, "float32", 7 * n + d);
        const g = tf.randomNormal([d], 1, 0.5, "float32", d);
        const b = tf.randomNormal([d], 0, 0.5, "float32", d + 1);
        const dy = tf.randomNormal([n, d], 0, 1, "float32", n);
        const eps = 1e-5;
        const { mean, variance } = tf.moments(x, -1, true);
        const r = tf.rsqrt(tf.add(variance, eps));
        const xhat = tf.mul(tf.sub(x, mean), r);
        const [y, xh, rr] = js.layerNormForward(x, g, b, eps);
        close(vals(y), vals(tf.add(tf.mul(xhat, g), b)), 2e-5, `${mode} LN y [${n}, ${d}]`);
        close(vals(xh), vals(xhat), 2e-5, `${mode} LN xhat`);
        close(vals(rr), vals(r.reshape([n])), 1e-4 * Math.max(...vals(r)), `${mode} LN r`);
        const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
          const m = tf.moments(xi, -1, true);
          return tf.sum(tf.mul(tf.add(tf.mul(tf.mul(tf.sub(xi, m.mean), tf.rsqrt(tf.add(m.variance, eps))), gi), bi), dy));
        };
        const [dxRef, dgRef, dbRef] = tf.grads(f)([x, g, b]);
        const [dx, dg, db] = js.layerNormGrad(dy, xh, rr, g);
        close(vals(dx), vals(dxRef), 5e-5, `${mode} LN dx [${n}, ${d}]`);
        close(vals(dg), vals(dgRef), 5e-5, `${mode} LN dg`);
        close(vals(db), vals(dbRef), 5e-5, `${mode} LN db`);
      }
    });
  });

  it("softmax gradient, column sums, head split / merge, row gather", async () => {
    await eachMode((mode) => {
      for (const [n, d] of SHAPES) {
        const z = tf.randomNormal([2, n, d], 0, 2, "float32", n * 3 + d);
        const up = tf.randomNormal([2, n, d], 0, 1, "float32", n * 5 + d);
        const p = tf.softmax(z);
        const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), up)))(z);
        close(vals(js.softmaxGrad(p, up)), vals(ref), 1e-5, `${mode} softmaxGrad [2, ${n}, ${d}]`);
        close(vals(js.colSumJs(z)), vals(tf.sum(z.reshape([2 * n, d]), 0)), 1e-5, `${mode} colSum`);
      }
      // qkv [B, T, 3·H·hd] with B = 3, T = 5, H = 2, hd = 3 (odd sizes everywhere)
      const [B, T, H, hd] = [3, 5, 2, 3];
      const qkv = tf.randomNormal([B, T, 3 * H * hd], 0, 1, "float32", 11);
      const scale = 0.37;
      const heads = qkv.reshape([B, T, 3, H, hd]).transpose([2, 0, 3, 1, 4]); // [3, B, H, T, hd]
      const [qR, kR, vR] = tf.unstack(heads, 0).map((t) => t.reshape([B * H, T, hd]));
      const [q, k, v] = js.headSplit(qkv, H, scale);
      close(vals(q), vals(tf.mul(qR, scale)), 1e-6, `${mode} headSplit q`);
      close(vals(k), vals(kR), 0, `${mode} headSplit k`);
      close(vals(v), vals(vR), 0, `${mode} headSplit v`);
      // merge is the adjoint of split: <split(x), (a, b, c)> = <x, merge(a, b, c)>
      const [a, b, c] = [1, 2, 3].map((s) => tf.randomNormal([B * H, T, hd], 0, 1, "float32", s));
      const lhs = tf.addN([tf.sum(tf.mul(q, a)), tf.sum(tf.mul(k, b)), tf.sum(tf.mul(v, c))]).dataSync()[0];
      const rhs = tf.sum(tf.mul(qkv, js.headMerge(a, b, c, H, scale))).dataSync()[0];
      assert.ok(Math.abs(lhs - rhs) < 1e-4, `${mode} headMerge is the adjoint: ${lhs} vs ${rhs}`);
      const ctxHeads = tf.randomNormal([B * H, T, hd], 0, 1, "float32", 12);
      const ctxRef = ctxHeads.reshape([B, H, T, hd]).transpose([0, 2, 1, 3]).reshape([B, T, H * hd]);
      close(vals(js.headsToTokens(ctxHeads, H)), vals(ctxRef), 0, `${mode} headsToTokens`);
      close(vals(js.tokensToHeads(ctxRef, H)), vals(ctxHeads), 0, `${mode} tokensToHeads`);
      // hd a multiple of 4: the SIMD path (B = 2, T = 3, H = 3, hd = 8)
      const qkv8 = tf.randomNormal([2, 3, 3 * 3 * 8], 0, 1, "float32", 13);
      const heads8 = qkv8.reshape([2, 3, 3, 3, 8]).transpose([2, 0, 3, 1, 4]);
      const refs8 = tf.unstack(heads8, 0).map((t) => t.reshape([6, 3, 8]));
      const split8 = js.headSplit(qkv8, 3, 0.5);
      close(vals(split8[0]), vals(tf.mul(refs8[0], 0.5)), 1e-6, `${mode} headSplit q (hd 8)`);
      close(vals(split8[1]), vals(refs8[1]), 0, `${mode} headSplit k (hd 8)`);
      close(vals(split8[2]), vals(refs8[2]), 0, `${mode} headSplit v (hd 8)`);
      const merged8 = js.headMerge(refs8[0], refs8[1], refs8[2], 3, 2);
      close(vals(merged8), vals(tf.concat([tf.mul(refs8[0], 2), refs8[1], refs8[2]].map((t) => t.reshape([2, 3, 3, 8]).transpose([0, 2, 1, 3]).reshape([2, 3, 24])), 2)), 1e-6, `${mode} headMerge (hd 8)`);
      const c8 = tf.randomNormal([6, 3, 8], 0, 1, "float32", 14);
      const c8Ref = c8.reshape([2, 3, 3, 8]).transpose([0, 2, 1, 3]).reshape([2, 3, 24]);
      close(vals(js.headsToTokens(c8, 3)), vals(c8Ref), 0, `${mode} headsToTokens (hd 8)`);
      close(vals(js.tokensToHeads(c8Ref, 3)), vals(c8), 0, `${mode} tokensToHeads (hd 8)`);
      const table = tf.randomNormal([7, 5], 0, 1, "float32", 3);
      const ids = tf.tensor1d([6, 0, 3, 3, 1], "int32");
      close(vals(js.gatherRows(table, ids)), vals(tf.gather(table, ids)), 0, `${mode} gatherRows`);
    });
  });

  it("cross-entropy loss and gradient from softmax probabilities", async () => {
    await eachMode((mode) => {
      for (const [n, V] of SHAPES) {
        const z = tf.randomNormal([n, V], 0, 2, "float32", n + V);
        const t = tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7 + 3) % V), "int32");
        const w = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 0 : (i + 1) / (2 * n))));
        const oneHot = tf.oneHot(t, V).toFloat();
        const loss = (zi: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.mul(oneHot, tf.logSoftmax(zi)), w.reshape([n, 1]))));
        const p = tf.softmax(z);
        close(vals(js.crossEntropyLoss(p, t, w)), vals(loss(z)), 1e-5, `${mode} CE loss [${n}, ${V}]`);
        const dy = tf.scalar(1.7);
        const ref = tf.mul(tf.grad(loss)(z), 1.7);
        close(vals(js.crossEntropyGrad(p, t, w, dy)), vals(ref), 1e-6, `${mode} CE grad [${n}, ${V}]`);
      }
    });
  });

  it("Adam update equals the textbook formula (sizes 7 and 12: JS remainder and SIMD)", async () => {
    await eachMode((mode) => {
      for (const n of [7, 12, 13]) {
        const pv = Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 2);
        const gv = Array.from({ length: n }, (_, i) => Math.cos(3 * i) * (i % 4 === 3 ? 0 : 1));
        const mv = Array.from({ length: n }, (_, i) => 0.01 * (i - 3));
        const vv = Array.from({ length: n }, (_, i) => 0.02 + 0.001 * i);
        const [lr, b1, b2, eps, t, wd] = [1e-2, 0.9, 0.999, 1e-8, 3, 0.1];
        const consts = { beta1: b1, beta2: b2, eps, stepSize: lr / (1 - b1 ** t), bc2: 1 - b2 ** t, decay: lr * wd };
        const mE = mv.map((m, i) => b1 * m + (1 - b1) * gv[i]);
        const vE = vv.map((v, i) => b2 * v + (1 - b2) * gv[i] * gv[i]);
        const pE = pv.map((w, i) => w - (lr / (1 - b1 ** t)) * (mE[i] / (Math.sqrt(vE[i] / (1 - b2 ** t)) + eps)) - lr * wd * w);
        const [p2, m2, v2] = js.adamUpdate(tf.tensor1d(pv), tf.tensor1d(gv), tf.tensor1d(mv), tf.tensor1d(vv), consts);
        close(vals(p2), pE, 1e-6, `${mode} Adam p (n ${n})`);
        close(vals(m2), mE, 1e-7, `${mode} Adam m (n ${n})`);
        close(vals(v2), vE, 1e-7, `${mode} Adam v (n ${n})`);
        // and the array loop used without the kernels
        const out = new Float32Array(n);
        const mA = Float32Array.from(mv);
        const vA = Float32Array.from(vv);
        js.adamLoop(Float32Array.from(pv), Float32Array.from(gv), out, { ...consts, m: mA, v: vA });
        close(out, pE, 1e-6, `adamLoop p (n ${n})`);
        close(mA, mE, 1e-7, `adamLoop m (n ${n})`);
      }
    });
  });
});
