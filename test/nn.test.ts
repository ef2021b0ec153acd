import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import {
  AdamW,
  LORA_PARAMS,
  ParamStore,
  addLora,
  attention,
  blockLinears,
  cosineSchedule,
  decoderForward,
  decoderGreedy,
  embedTokens,
  encoderForward,
  addPositional,
  gelu,
  greedyDecode,
  infoNCE,
  initAttention,
  initDecoder,
  initEncoder,
  initLayerNorm,
  initLinear,
  layerNorm,
  linear,
  mergeLora,
  nextTokenLoss,
  tokenCrossEntropy,
  trainStep,
  type DecoderConfig,
} from "../src/nn";
import { setJsKernels } from "../src/nn/js-kernels";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = "") => {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max abs diff ${worst} > ${tol}`);
};
const vals = (t: tf.Tensor) => Array.from(t.dataSync());

const tiny: DecoderConfig = { vocabSize: 11, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 6 };
const ids = [
  [1, 2, 3, 4, 5],
  [6, 7, 8, 9, 10],
];

before(async () => {
  await initBackend();
});

describe("ParamStore", () => {
  it("initialises deterministically per (seed, name), independent of creation order", () => {
    const a = new ParamStore(3);
    a.create("x", [2, 3], { normal: 1 });
    a.create("y", [4], { normal: 1 });
    const b = new ParamStore(3);
    b.create("y", [4], { normal: 1 });
    b.create("x", [2, 3], { normal: 1 });
    assert.deepEqual(vals(a.get("x")), vals(b.get("x")));
    assert.deepEqual(vals(a.get("y")), vals(b.get("y")));
    const c = new ParamStore(4);
    c.create("x", [2, 3], { normal: 1 });
    assert.notDeepEqual(vals(c.get("x")), vals(a.get("x")));
    a.dispose();
    b.dispose();
    c.dispose();
  });

  it("counts, selects, round-trips through NdArrays and rejects bad checkpoints", () => {
    const ps = new ParamStore(0);
    initLinear(ps, "m.fc", 3, 4);
    initLayerNorm(ps, "m.ln", 4);
    assert.equal(ps.nParams(), 3 * 4 + 4 + 4 + 4);
    assert.deepEqual(ps.names("m.fc"), ["m.fc.w", "m.fc.b"]);
    assert.deepEqual(ps.names(/\.g$/), ["m.ln.g"]);
    assert.equal(ps.nParams("m.ln"), 8);
    const saved = ps.toNdArrays();
    assert.deepEqual(saved["m.fc.w"].shape, [3, 4]);
    const other = new ParamStore(99);
    initLinear(other, "m.fc", 3, 4);
    initLayerNorm(other, "m.ln", 4);
    other.loadNdArrays(saved);
    assert.deepEqual(vals(other.get("m.fc.w")), Array.from(saved["m.fc.w"].data as Float32Array));
    assert.throws(() => other.loadNdArrays({ "m.fc.w": saved["m.fc.w"] }), /lacks 3 parameter/);
    assert.throws(() => other.loadNdArrays({ ...saved, "m.fc.b": { data: new Float32Array(3), shape: [3], dtype: "float32" } }), /shape \[4\]; checkpoint has \[3\]/);
    assert.throws(() => ps.get("nope"), /no parameter named "nope"/);
    assert.throws(() => ps.create("m.ln.g", [4], "ones"), /already exists/);
    ps.dispose();
    other.dispose();
  });
});

describe("layers", () => {
  it("linear computes x·W + b (hand-computed)", () => {
    const ps = new ParamStore(0);
    initLinear(ps, "l", 2, 2);
    ps.get("l.w").assign(tf.tensor2d([[1, 2], [3, 4]]));
    ps.get("l.b").assign(tf.tensor1d([10, 20]));
    const y = tf.tidy(() => linear(ps, "l", tf.tensor3d([[[1, 1]], [[2, -1]]])));
    assert.deepEqual(y.shape, [2, 1, 2]);
    assert.deepEqual(vals(y), [14, 26, 9, 20]);
    y.dispose();
    ps.dispose();
  });

  it("gelu matches the tanh formula, and fast and reference agree in value and gradient", () => {
    const x = tf.tensor1d([-3, -1, -0.1, 0, 0.5, 1, 2.5]);
    // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) at x = 1: 0.8411920
    const ref = vals(gelu(x, "reference"));
    const fst = vals(gelu(x, "fast"));
    close([ref[5]], [0.841192], 1e-6, "gelu(1)");
    close(fst, ref, 1e-6, "gelu fast vs reference");
    const gRef = vals(tf.grad((t: tf.Tensor) => tf.sum(gelu(t, "reference")))(x));
    const gFast = vals(tf.grad((t: tf.Tensor) => tf.sum(gelu(t, "fast")))(x));
    close(gFast, gRef, 1e-5, "gelu gradient");
    close([gRef[3]], [0.5], 1e-6, "gelu'(0)");
    x.dispose();
  });

  it("layerNorm normalises rows; fast and reference agree in value and gradients", () => {
    const ps = new ParamStore(0);
    initLayerNorm(ps, "ln", 4);
    ps.get("ln.g").assign(tf.tensor1d([1, 2, 0.5, -1]));
    ps.get("ln.b").assign(tf.tensor1d([0, 1, 0, 0.25]));
    const x = tf.tensor3d([[[1, 2, 3, 4], [0, 0, 1, -1]], [[5, 1, 0, 2], [2, 2, 2, 3]]]);
    // row [1,2,3,4]: mean 2.5, var 1.25 → xhat = [-1.342, -0.447, 0.447, 1.342]
    const yr = tf.tidy(() => layerNorm(ps, "ln", x, 1e-5, "reference"));
    const s = 1 / Math.sqrt(1.25 + 1e-5);
    close(vals(yr).slice(0, 4), [-1.5 * s, 2 * -0.5 * s + 1, 0.5 * 0.5 * s, -1 * 1.5 * s + 0.25], 1e-5, "layerNorm row 0");
    const yf = tf.tidy(() => layerNorm(ps, "ln", x, 1e-5, "fast"));
    close(vals(yf), vals(yr), 1e-5, "layerNorm fast vs reference");
    const w = tf.tensor3d([[[1, -2, 3, 0.5], [0, 1, 1, 2]], [[-1, 0, 2, 1], [3, 1, -1, 0]]]);
    const grads = (impl: "reference" | "fast") =>
      tf.tidy(() => {
        const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(layerNorm(ps, "ln", x, 1e-5, impl), w)) as tf.Scalar, [ps.get("ln.g"), ps.get("ln.b")]);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layerNorm(ps, "ln", t, 1e-5, impl), w)))(x);
        return [vals(g[ps.get("ln.g").name]), vals(g[ps.get("ln.b").name]), vals(dx)];
      });
    const [gr, br, dxr] = grads("reference");
    const [gf, bf, dxf] = grads("fast");
    close(gf, gr, 1e-5, "dg");
    close(bf, br, 1e-5, "db");
    close(dxf, dxr, 1e-5, "dx");
    tf.dispose([x, w, yr, yf]);
    ps.dispose();
  });

  it("causal attention ignores the future; bidirectional does not; padded keys are ignored", () => {
    const ps = new ParamStore(1);
    initAttention(ps, "a", 8, 2);
    const x = tf.randomNormal([2, 5, 8], 0, 1, "float32", 7);
    const x2 = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0], [2, 4, 8]), tf.fill([2, 1, 8], 3)], 1)); // last token changed
    for (const impl of ["reference", "fast"] as const) {
      const y1 = tf.tidy(() => attention(ps, "a", x, 2, { impl }));
      const y2 = tf.tidy(() => attention(ps, "a", x2, 2, { impl }));
      close(vals(tf.slice(y1, [0, 0, 0], [2, 4, 8])), vals(tf.slice(y2, [0, 0, 0], [2, 4, 8])), 1e-6, `${impl}: causal prefix`);
      const b1 = tf.tidy(() => attention(ps, "a", x, 2, { impl, causal: false }));
      const b2 = tf.tidy(() => attention(ps, "a", x2, 2, { impl, causal: false }));
      assert.ok(Math.abs(vals(b1)[0] - vals(b2)[0]) > 1e-6, `${impl}: bidirectional sees the last token`);
      const mask = tf.tensor2d([[1, 1, 1, 1, 0], [1, 1, 1, 1, 0]]);
      const m1 = tf.tidy(() => attention(ps, "a", x, 2, { impl, causal: false, attnMask: mask }));
      const m2 = tf.tidy(() => attention(ps, "a", x2, 2, { impl, causal: false, attnMask: mask }));
      close(vals(tf.slice(m1, [0, 0, 0], [2, 4, 8])), vals(tf.slice(m2, [0, 0, 0], [2, 4, 8])), 1e-6, `${impl}: padded key ignored`);
      tf.dispose([y1, y2, b1, b2, mask, m1, m2]);
    }
    const yr = tf.tidy(() => attention(ps, "a", x, 2, { impl: "reference" }));
    const yf = tf.tidy(() => attention(ps, "a", x, 2, { impl: "fast" }));
    close(vals(yf), vals(yr), 1e-6, "attention fast vs reference");
    tf.dispose([x, x2, yr, yf]);
    ps.dispose();
  });
});

describe("fast layers with hand-written gradients equal autodiff", () => {
  it("linear (with and without bias) and positional embeddings (with an offset)", () => {
    const ps = new ParamStore(4);
    initLinear(ps, "l", 5, 3);
    initLinear(ps, "h", 5, 3, { bias: false });
    ps.create("pos.w", [6, 5], { normal: 1 });
    const x = tf.randomNormal([2, 4, 5], 0, 1, "float32", 1);
    const up = tf.randomNormal([2, 4, 3], 0, 1, "float32", 2);
    const grads = (impl: "fast" | "reference") =>
      tf.tidy(() => {
        const f = () => tf.sum(tf.mul(tf.add(linear(ps, "l", addPositional(ps, "pos", x, 1, impl), { impl }), linear(ps, "h", x, { impl })), up)) as tf.Scalar;
        const { value, grads: g } = tf.variableGrads(f, ps.variables());
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(ps, "l", addPositional(ps, "pos", t, 1, impl), { impl }), up)))(x);
        return [vals(value), ...ps.variables().map((v) => vals(g[v.name])), vals(dx)];
      });
    const r = grads("reference");
    const f = grads("fast");
    r.forEach((a, i) => close(f[i], a, 1e-5, `output ${i}`));
    // Rows 0 and 5 of the positional table are not used with T = 4 and offset 1: zero gradient.
    const dPos = f[1 + ps.names().indexOf("pos.w")];
    assert.deepEqual(dPos.slice(0, 5), [0, 0, 0, 0, 0]);
    assert.deepEqual(dPos.slice(25, 30), [0, 0, 0, 0, 0]);
    tf.dispose([x, up]);
    ps.dispose();
  });
});

describe("regression: positional embedding between two linear layers (wasm heap corruption)", () => {
  // The organism's encoders run linear → addPositional → …; fast addPositional hands its incoming
  // gradient on unchanged, and that one buffer then reached the wasm matMul as the right operand
  // with two shapes ([B, T·d] for the positional column sums, [B·T, d] for linear's weight
  // gradient). The stock kernel's operator cache (keyed by tensor id, not shape) then read and
  // wrote out of bounds: "Aborted()" and a hung test. Fixed in backend/index.ts (cache guard).
  it("gradients equal the reference implementation, repeatedly, without leaking tensors", { timeout: 60_000 }, () => {
    const ps = new ParamStore(9);
    initLinear(ps, "in", 5, 12);
    ps.create("pos.w", [7, 12], { normal: 1 });
    initLinear(ps, "out", 12, 3);
    const x = tf.randomNormal([3, 6, 5], 0, 1, "float32", 4);
    const up = tf.randomNormal([3, 6, 3], 0, 1, "float32", 5);
    const grads = (impl: "fast" | "reference") =>
      tf.tidy(() => {
        const f = () => tf.sum(tf.mul(linear(ps, "out", addPositional(ps, "pos", linear(ps, "in", x, { impl }), 0, impl), { impl }), up)) as tf.Scalar;
        const { value, grads: g } = tf.variableGrads(f, ps.variables());
        return [vals(value), ...ps.variables().map((v) => vals(g[v.name]))];
      });
    const r = grads("reference");
    const n0 = tf.memory().numTensors;
    // With the fused kernels off, the fast layers use their composite form, whose column sums are
    // matMuls: that is the path that used to crash.
    for (const kernels of [false, true]) {
      const prev = setJsKernels(kernels);
      try {
        for (let rep = 0; rep < 3; rep++) {
          const f = grads("fast");
          r.forEach((a, i) => close(f[i], a, 1e-5, `kernels ${kernels}, rep ${rep}, output ${i}`));
        }
      } finally {
        setJsKernels(prev);
      }
    }
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose([x, up]);
    ps.dispose();
  });
});

describe("decoder and encoder", () => {
  it("returns logits [B, T, V] and L+1 hidden states; hidden[0] = token + position embeddings", () => {
    const ps = new ParamStore(5);
    initDecoder(ps, "dec", tiny);
    tf.tidy(() => {
      const emb = embedTokens(ps, "dec", ids);
      const { logits, hidden } = decoderForward(ps, "dec", tiny, emb, { returnHidden: true });
      assert.deepEqual(logits.shape, [2, 5, 11]);
      assert.equal(hidden!.length, 3);
      const tokRow1 = vals(tf.slice(ps.get("dec.tok.w"), [ids[0][1], 0], [1, 8]));
      const posRow1 = vals(tf.slice(ps.get("dec.pos.w"), [1, 0], [1, 8]));
      close(vals(tf.slice(hidden![0], [0, 1, 0], [1, 1, 8])), tokRow1.map((v, i) => v + posRow1[i]), 1e-7, "hidden[0]");
    });
    assert.equal(ps.nParams(), 11 * 8 + 6 * 8 + 2 * (4 * 8 + 8 * 24 + 24 + 8 * 8 + 8 + 8 * 32 + 32 + 32 * 8 + 8) + 16 + 8 * 11);
    assert.throws(() => tf.tidy(() => decoderForward(ps, "dec", tiny, tf.zeros([1, 7, 8])).logits), /exceeds maxLen 6/);
    assert.throws(() => tf.tidy(() => embedTokens(ps, "dec", [[0, 11]])), /id 11 at flat index 1 is out of range/);
    ps.dispose();
  });

  it("the encoder is bidirectional", () => {
    const ps = new ParamStore(2);
    const cfg = { dModel: 8, nHeads: 2, nLayers: 1, maxLen: 4 };
    initEncoder(ps, "enc", cfg);
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 8], 0, 1, "float32", 3);
      const x2 = tf.concat([tf.slice(x, [0, 0, 0], [1, 3, 8]), tf.ones([1, 1, 8])], 1);
      const a = vals(encoderForward(ps, "enc", cfg, x).output);
      const b = vals(encoderForward(ps, "enc", cfg, x2).output);
      assert.ok(Math.abs(a[0] - b[0]) > 1e-6);
    });
    ps.dispose();
  });
});

describe("losses", () => {
  it("tokenCrossEntropy: uniform logits give log V; the mask selects tokens; fast = reference incl. gradient", () => {
    const z = tf.zeros([2, 3, 5]);
    close([tokenCrossEntropy(z, [[0, 1, 2], [3, 4, 0]]).dataSync()[0]], [Math.log(5)], 1e-6, "uniform");
    const logits = tf.tensor2d([[2, 0, 0], [0, 1, 0]]);
    // row 0 target 0: -log(e²/(e²+2)); row 1 target 2: -log(1/(2+e)); mask keeps row 1 only
    const l1 = Math.log(2 + Math.E);
    close([tokenCrossEntropy(logits, [0, 2], [0, 1]).dataSync()[0]], [l1], 1e-6, "masked");
    const l0 = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
    close([tokenCrossEntropy(logits, [0, 2], undefined, "reference").dataSync()[0]], [(l0 + l1) / 2], 1e-6, "mean");
    const g = (impl: "fast" | "reference") => vals(tf.grad((t: tf.Tensor) => tokenCrossEntropy(t, [0, 2], [1, 0.5], impl))(logits));
    close(g("fast"), g("reference"), 1e-6, "CE gradient");
    assert.throws(() => tokenCrossEntropy(logits, [0, 2], [0, 0]), /selects no token/);
    tf.dispose([z, logits]);
  });

  it("nextTokenLoss shifts by one", () => {
    const logits = tf.tensor3d([[[5, 0], [0, 5], [9, 9]]]);
    // positions 0,1 predict ids[1]=1 and ids[2]=0: both wrong by margin 5
    const expected = Math.log(1 + Math.exp(5));
    close([nextTokenLoss(logits, [[0, 1, 0]]).dataSync()[0]], [expected], 1e-5, "shift");
    close([nextTokenLoss(logits, [[0, 1, 0]], [[1, 0, 1]]).dataSync()[0]], [expected], 1e-5, "masked shift");
    logits.dispose();
  });

  it("infoNCE matches a hand computation and is log(n+m) for orthogonal inputs", () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const p = tf.tensor2d([[1, 0], [0, 1]]);
    const neg = tf.tensor2d([[-1, 0]]);
    // anchor 0: sims [1, 0, -1]/τ; anchor 1: [0, 1, 0]/τ
    const tau = 0.5;
    const l0 = -Math.log(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-2)));
    const l1 = -Math.log(Math.exp(2) / (1 + Math.exp(2) + 1));
    close([infoNCE(a, p, { negatives: neg, tau }).dataSync()[0]], [(l0 + l1) / 2], 1e-5, "infoNCE");
    const z = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
    const q = tf.tensor2d([[0, 0, 1], [0, 0, 1]]);
    close([infoNCE(z, q).dataSync()[0]], [Math.log(2)], 1e-5, "chance");
    tf.dispose([a, p, neg, z, q]);
  });
});

describe("optimisation", () => {
  for (const fused of [true, false]) {
    it(`AdamW (fused ${fused}): first step moves each weight by lr·sign(g); weight decay shrinks matrices only`, () => {
      const ps = new ParamStore(0);
      const w = ps.create("w", [1, 2], "ones");
      const b = ps.create("b", [2], "ones");
      const opt = new AdamW({ lr: 0.1, weightDecay: 0.5, fused });
      opt.apply([w, b], [tf.tensor2d([[2, -3]]), tf.tensor1d([0.5, -0.5])]);
      // Adam: m̂ = g, v̂ = g², step = lr·g/|g| ; decay: w -= lr·λ·w = 0.05
      close(vals(w), [1 - 0.1 - 0.05, 1 + 0.1 - 0.05], 1e-6, "w");
      close(vals(b), [0.9, 1.1], 1e-6, "b");
      // Second step with g = 0: m = 0.9·0.1·g1, v = 0.999·0.001·g1²;
      // m̂ = 0.09·g1/(1-0.9²), v̂ = 0.000999·g1²/(1-0.999²)
      opt.apply([w, b], [tf.tensor2d([[0, 0]]), tf.tensor1d([0, 0])]);
      const stepSize = (0.1 * (0.09 / 0.19)) / Math.sqrt(0.000999 / 0.001999);
      close(vals(b), [0.9 - stepSize, 1.1 + stepSize], 1e-6, "b after step 2");
      opt.dispose();
      ps.dispose();
    });
  }

  it("getState/setState resume training exactly (fused and tensor updates)", () => {
    for (const fused of [true, false]) {
      const make = () => {
        const ps = new ParamStore(2);
        ps.create("w", [2, 3], { normal: 1 });
        return ps;
      };
      const grad = (k: number) => tf.tensor2d([[k, -1, 0.5], [2, k * k, -3]]);
      const a = make();
      const optA = new AdamW({ lr: 0.01, fused });
      for (let k = 0; k < 3; k++) optA.apply(a.variables(), [grad(k)]);
      const named = () => [["w", a.get("w")]] as [string, tf.Variable][];
      const saved = optA.getState(named());
      assert.deepEqual(Object.keys(saved), ["w.m", "w.v"]);
      const weights = a.toNdArrays();
      optA.apply(a.variables(), [grad(3)]);
      const b = make();
      b.loadNdArrays(weights);
      const optB = new AdamW({ lr: 0.01, fused });
      optB.setState([["w", b.get("w")]], saved, 3);
      optB.apply(b.variables(), [grad(3)]);
      assert.equal(optB.step, 4);
      close(vals(b.get("w")), vals(a.get("w")), 0, `fused ${fused}: resumed = uninterrupted`);
      assert.throws(() => optB.setState([["w", b.get("w")]], { "w.m": { data: new Float32Array(2), shape: [2], dtype: "float32" }, "w.v": saved["w.v"] }, 1), /has 2\/6 values/);
      optA.dispose();
      optB.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it("cosineSchedule: linear warm-up, peak, half, floor", () => {
    const s = cosineSchedule({ lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
    close([s(0), s(3), s(4), s(9), s(14), s(99)], [0.25, 1, 1, 0.55, 0.1, 0.1], 1e-12, "schedule");
  });

  it("trainStep lowers the loss, keeps numTensors flat and trains only the given variables", () => {
    const ps = new ParamStore(11);
    initDecoder(ps, "dec", tiny);
    const opt = new AdamW({ lr: 1e-2 });
    const head = vals(ps.get("dec.head.w"));
    const vars = ps.variables((n) => !n.startsWith("dec.head"));
    const lossFn = () => tf.tidy(() => nextTokenLoss(decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", ids)).logits, ids));
    const losses: number[] = [];
    let n1 = 0;
    for (let i = 0; i < 12; i++) {
      losses.push(trainStep(lossFn, vars, opt, { clipNorm: 1 }).loss);
      if (i === 0) n1 = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, n1, "no tensor growth");
    assert.ok(losses[11] < losses[0] - 0.1, `loss fell: ${losses[0]} → ${losses[11]}`);
    assert.deepEqual(vals(ps.get("dec.head.w")), head, "frozen head unchanged");
    opt.dispose();
    ps.dispose();
  });
});

describe("LoRA", () => {
  it("starts as the base model, trains only adapters, and merges to the same function", () => {
    const ps = new ParamStore(21);
    initDecoder(ps, "dec", tiny);
    const fwd = () => tf.tidy(() => vals(decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", ids)).logits));
    const base = fwd();
    const adapted = addLora(ps, { targets: blockLinears("dec"), rank: 2, alpha: 4, dropout: 0.1, seed: 5 });
    assert.equal(adapted.length, 8);
    assert.ok(adapted.includes("dec.h1.mlp.fc2") && !adapted.includes("dec.head"));
    close(fwd(), base, 0, "B = 0 at init");
    const baseW = vals(ps.get("dec.h0.attn.qkv.w"));
    const opt = new AdamW({ lr: 1e-2 });
    let s = 0;
    const lossFn = () =>
      tf.tidy(() => nextTokenLoss(decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", ids), { training: true, dropoutSeed: s }).logits, ids));
    for (s = 0; s < 5; s++) trainStep(lossFn, ps.variables(LORA_PARAMS), opt);
    assert.deepEqual(vals(ps.get("dec.h0.attn.qkv.w")), baseW, "base weights frozen");
    const before = fwd();
    assert.ok(Math.max(...before.map((v, i) => Math.abs(v - base[i]))) > 1e-4, "adapters changed the function");
    // Freezing the base weights changes speed only: same loss and adapter gradients.
    const adapterGrads = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => nextTokenLoss(decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", ids)).logits, ids), ps.variables(LORA_PARAMS));
        return [vals(value), ...ps.variables(LORA_PARAMS).map((v) => vals(grads[v.name]))];
      });
    const unfrozen = adapterGrads();
    assert.equal(ps.setTrainable(LORA_PARAMS), ps.nParams(LORA_PARAMS));
    adapterGrads().forEach((g, i) => close(g, unfrozen[i], 1e-6, `frozen base: gradient ${i}`));
    assert.throws(() => trainStep(lossFn, ps.variables(/\.head\./), opt), /all frozen/);
    ps.setTrainable(() => true);
    const merged = mergeLora(ps);
    assert.equal(merged.length, 8);
    assert.equal(ps.names(LORA_PARAMS).length, 0);
    close(fwd(), before, 1e-5, "merged = adapted");
    opt.dispose();
    ps.dispose();
  });
});

describe("greedy decoding", () => {
  it("follows a fixed next-token rule and stops at eos", () => {
    // logits favour (last id + 1) mod 5; eos = 4
    const fn = (x: tf.Tensor2D) => {
      const last = tf.slice(x, [0, x.shape[1] - 1], [x.shape[0], 1]).reshape([-1]).toInt();
      return tf.oneHot(tf.mod(tf.add(last, tf.scalar(1, "int32")), tf.scalar(5, "int32")), 5).toFloat().reshape([x.shape[0], 1, 5]);
    };
    assert.deepEqual(greedyDecode(fn, [[0], [2]], { maxNewTokens: 6, eosId: 4 }), [[1, 2, 3], [3]]);
    assert.deepEqual(greedyDecode(fn, [[1, 1]], { maxNewTokens: 2 }), [[2, 3]]);
  });

  it("decoderGreedy equals argmax of repeated forward passes", () => {
    const ps = new ParamStore(8);
    initDecoder(ps, "dec", tiny);
    const out = decoderGreedy(ps, "dec", tiny, [[1, 2]], { maxNewTokens: 3 });
    const seq = [1, 2];
    for (let i = 0; i < 3; i++) {
      const next = tf.tidy(() => {
        const l = decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", [seq])).logits;
        return tf.argMax(tf.slice(l, [0, seq.length - 1, 0], [1, 1, 11]).reshape([11])).dataSync()[0];
      });
      seq.push(next);
    }
    assert.deepEqual(out[0], seq.slice(2));
    ps.dispose();
  });
});
