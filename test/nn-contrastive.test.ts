// The pieces of contrastive refinement in `nn`: InfoNCE (value and gradient against an independent
// float64 reference with finite differences), the warm-up + linear-decay schedule, and LoRA
// adapters (merge = unmerged function, unmerge restores the base, save/load round trip, no tensor
// growth over hundreds of contrastive steps).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import {
  AdamW,
  LORA_PARAMS,
  ParamStore,
  addLora,
  blockLinears,
  decoderForward,
  embedTokens,
  infoNCE,
  infoNCEChance,
  initDecoder,
  linearSchedule,
  loadLoraAdapter,
  loraParamCount,
  mergeLora,
  readLoraAdapter,
  removeLora,
  saveLoraAdapter,
  trainStep,
  unmergeLora,
  type DecoderConfig,
} from "../src/nn";
import { normalArray, rng } from "../src/random";

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length, "lengths differ");
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};
const vals = (t: tf.Tensor) => Array.from(t.dataSync());

before(async () => {
  await initBackend();
});

/**
 * Float64 reference of one-directional InfoNCE with L2 normalisation, written from the definition
 * (not from the TF.js code): rows of `a` [n][d] against [p; neg].
 */
function infoNCERef(a: number[][], p: number[][], neg: number[][], tau: number, symmetric: boolean): number {
  const unit = (x: number[]) => {
    const s = Math.sqrt(x.reduce((t, v) => t + v * v, 0) + 1e-12);
    return x.map((v) => v / s);
  };
  const dot = (x: number[], y: number[]) => x.reduce((t, v, i) => t + v * y[i], 0);
  const ce = (q: number[][], cand: number[][]) => {
    let loss = 0;
    q.forEach((row, i) => {
      const s = cand.map((c) => dot(row, c) / tau);
      const mx = Math.max(...s);
      const lse = mx + Math.log(s.reduce((t, v) => t + Math.exp(v - mx), 0));
      loss += lse - s[i];
    });
    return loss / q.length;
  };
  const A = a.map(unit), P = p.map(unit), N = neg.map(unit);
  const fwd = ce(A, [...P, ...N]);
  return symmetric ? (fwd + ce(P, A)) / 2 : fwd;
}

describe("InfoNCE", () => {
  it("equals the float64 reference, and its gradient equals central finite differences of it", () => {
    const r = rng(7);
    const draw = (rows: number, d: number) => Array.from({ length: rows }, () => Array.from(normalArray(d, r)));
    const n = 4, m = 3, d = 5;
    const a = draw(n, d), p = draw(n, d), neg = draw(m, d);
    for (const symmetric of [false, true]) {
      for (const tau of [0.05, 0.5]) {
        const A = tf.tensor2d(a), P = tf.tensor2d(p), N = tf.tensor2d(neg);
        const value = infoNCE(A, P, { negatives: N, tau, symmetric });
        const ref = infoNCERef(a, p, neg, tau, symmetric);
        assert.ok(Math.abs(value.dataSync()[0] - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `value ${value.dataSync()[0]} vs ${ref}`);
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => infoNCE(x, y, { negatives: z, tau, symmetric }))([A, P, N]);
        const inputs = [a, p, neg];
        grads.forEach((g, which) => {
          const got = vals(g);
          const want: number[] = [];
          const h = 1e-5;
          inputs[which].forEach((row, i) =>
            row.forEach((_, j) => {
              const plus = inputs.map((x) => x.map((rr) => [...rr]));
              const minus = inputs.map((x) => x.map((rr) => [...rr]));
              plus[which][i][j] += h;
              minus[which][i][j] -= h;
              want.push((infoNCERef(plus[0], plus[1], plus[2], tau, symmetric) - infoNCERef(minus[0], minus[1], minus[2], tau, symmetric)) / (2 * h));
            }),
          );
          const scale = Math.max(...want.map(Math.abs));
          assert.ok(scale > 1e-3, "the gradient is not trivially zero");
          const err = maxDiff(got, want);
          assert.ok(err < 2e-3 * scale + 1e-4, `τ ${tau} symmetric ${symmetric} input ${which}: gradient error ${err} (scale ${scale})`);
        });
        tf.dispose([A, P, N, value, ...grads]);
      }
    }
  });

  it("a hard negative identical to the positive costs exactly log 2 more than none at a perfect match; chance levels", () => {
    // Orthonormal anchors = positives: with τ → small the in-batch negatives vanish, and a hard
    // negative equal to its positive splits the mass in two.
    const I = tf.eye(3);
    const tau = 0.01;
    const withDup = infoNCE(I, I, { negatives: tf.eye(3), tau }).dataSync()[0];
    assert.ok(Math.abs(withDup - Math.log(2)) < 1e-6, `duplicate negative: ${withDup}`);
    // All-equal similarities: the chance value log(n + m), and for symmetric the mean of both directions.
    const same = tf.ones([4, 2]);
    const chance = infoNCE(same, same, { negatives: tf.ones([2, 2]) }).dataSync()[0];
    assert.ok(Math.abs(chance - infoNCEChance(4, 2)) < 1e-5);
    const sym = infoNCE(same, same, { negatives: tf.ones([2, 2]), symmetric: true }).dataSync()[0];
    assert.ok(Math.abs(sym - infoNCEChance(4, 2, true)) < 1e-5);
    assert.ok(Math.abs(infoNCEChance(4, 2, true) - (Math.log(6) + Math.log(4)) / 2) < 1e-12);
    assert.throws(() => infoNCEChance(0), /invalid batch/);
    assert.throws(() => infoNCE(I, I, { tau: 0 }), /invalid tau/);
    assert.throws(() => infoNCE(I, I, { negatives: tf.ones([2, 4]) }), /negatives must be \[m, 3\]/);
    const before = tf.memory().numTensors;
    infoNCE(I, I, { negatives: I, symmetric: true }).dispose();
    assert.equal(tf.memory().numTensors, before, "infoNCE keeps no intermediate tensor");
    tf.dispose([I, same]);
  });
});

describe("linearSchedule", () => {
  it("warms up linearly, then decays linearly to 0 at totalSteps", () => {
    const s = linearSchedule({ lr: 1, warmupSteps: 4, totalSteps: 14 });
    const got = [0, 3, 4, 9, 13, 14, 99].map(s);
    assert.ok(maxDiff(got, [0.25, 1, 1, 0.5, 0.1, 0, 0]) < 1e-12, `schedule ${got}`);
    assert.equal(linearSchedule({ lr: 2, totalSteps: 4 })(0), 2, "no warm-up starts at the peak");
    assert.throws(() => linearSchedule({ lr: 1, warmupSteps: 5, totalSteps: 5 }), /invalid totalSteps/);
    assert.throws(() => linearSchedule({ lr: 0, totalSteps: 5 }), /invalid lr/);
  });
});

const tiny: DecoderConfig = { vocabSize: 13, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 6 };
const ids = [
  [1, 2, 3, 4, 5],
  [6, 7, 8, 9, 10],
  [2, 4, 6, 8, 10],
  [11, 12, 1, 3, 5],
];

/** Last-position final hidden state `[B, d]` of the tiny decoder (a stand-in for the prompt-end read-out). */
function lastState(ps: ParamStore, x: number[][], training = false, dropoutSeed = 0): tf.Tensor2D {
  const { hidden } = decoderForward(ps, "dec", tiny, embedTokens(ps, "dec", x), { returnHidden: true, training, dropoutSeed });
  const h = hidden![hidden!.length - 1];
  const T = x[0].length;
  return tf.squeeze(tf.slice(h, [0, T - 1, 0], [x.length, 1, tiny.dModel]), [1]) as tf.Tensor2D;
}

describe("LoRA adapters for contrastive refinement", () => {
  it("merged equals unmerged, unmerge restores the base weights, and a saved adapter reloads to the same function", () => {
    const ps = new ParamStore(31);
    initDecoder(ps, "dec", tiny);
    const out = () => tf.tidy(() => vals(lastState(ps, ids)));
    const base = out();
    const baseW = vals(ps.get("dec.h1.mlp.fc1.w"));
    addLora(ps, { targets: blockLinears("dec"), rank: 2, alpha: 8, dropout: 0, seed: 3 });
    // r·(in + out) per layer: qkv 2·(8+24), out 2·(8+8), fc1 2·(8+32), fc2 2·(32+8), twice.
    assert.equal(loraParamCount(ps), 2 * (2 * 32 + 2 * 16 + 2 * 40 + 2 * 40));
    // Give B non-zero values so the adapters change the function.
    for (const n of ps.names(/\.lora_b$/)) {
      const v = ps.get(n);
      tf.tidy(() => v.assign(tf.tensor(normalArray(v.size, rng(v.size)), v.shape).mul(0.3)));
    }
    const adapted = out();
    assert.ok(maxDiff(adapted, base) > 1e-3, "the adapters change the function");
    assert.deepEqual(mergeLora(ps, { keep: true }).length, 8);
    assert.ok(maxDiff(out(), adapted) < 1e-5, "merged = unmerged");
    assert.ok(maxDiff(vals(ps.get("dec.h1.mlp.fc1.w")), baseW) > 1e-3, "merging changed the base weight");
    assert.equal(mergeLora(ps, { keep: true }).length, 0, "merging twice adds nothing");
    assert.ok(maxDiff(out(), adapted) < 1e-5, "still merged once");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-lora-"));
    try {
      saveLoraAdapter(dir, ps, { base: "tiny" });
      assert.equal(unmergeLora(ps).length, 8);
      assert.ok(maxDiff(vals(ps.get("dec.h1.mlp.fc1.w")), baseW) < 1e-6, "unmerge restores the base weight");
      assert.ok(maxDiff(out(), adapted) < 1e-5, "unmerged adapters give the same function");
      removeLora(ps);
      assert.ok(maxDiff(out(), base) < 1e-6, "removed = base");
      const { config, tensors } = readLoraAdapter(dir);
      assert.equal(config.layers["dec.h0.attn.qkv"].alpha, 8);
      assert.deepEqual(tensors["dec.h0.attn.qkv.lora_a"].shape, [8, 2]);
      assert.equal(config.meta?.base, "tiny");
      loadLoraAdapter(ps, dir);
      assert.ok(maxDiff(out(), adapted) < 1e-6, "reloaded adapter = saved adapter");
      removeLora(ps);
      loadLoraAdapter(ps, dir, { merge: true });
      assert.ok(maxDiff(out(), adapted) < 1e-5, "reloaded and merged");
      removeLora(ps);
      assert.ok(maxDiff(vals(ps.get("dec.h1.mlp.fc1.w")), baseW) < 1e-6, "removing a merged adapter unmerges it");
      // A model without the adapted layers cannot take the adapter.
      const other = new ParamStore(1);
      initDecoder(other, "enc", tiny);
      assert.throws(() => loadLoraAdapter(other, dir), /targets layer "dec\.h0\.attn\.qkv"/);
      other.dispose();
      assert.throws(() => readLoraAdapter(path.join(dir, "nope")), /no LoRA adapter/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      ps.dispose();
    }
  });

  it("300 contrastive LoRA steps keep the tensor count flat, leave the base frozen and lower the loss (τ 0.5, so it starts far from its floor)", () => {
    const ps = new ParamStore(5);
    initDecoder(ps, "dec", tiny);
    const baseW = vals(ps.get("dec.h0.attn.qkv.w"));
    addLora(ps, { targets: blockLinears("dec"), rank: 2, alpha: 4, dropout: 0.05, seed: 1 });
    ps.setTrainable(LORA_PARAMS);
    const steps = 300;
    const opt = new AdamW({ lr: linearSchedule({ lr: 1e-2, warmupSteps: 10, totalSteps: steps }) });
    // Anchor i and positive i share their last two tokens; the hard negative shares the first ones.
    const anchors = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [2, 4, 6, 8, 11], [11, 12, 1, 3, 12]];
    const positives = [[7, 7, 3, 4, 5], [1, 1, 8, 9, 10], [3, 3, 6, 8, 11], [9, 9, 1, 3, 12]];
    const negatives = [[1, 2, 3, 5, 4], [6, 7, 8, 10, 9], [2, 4, 6, 11, 8], [11, 12, 1, 12, 3]];
    const losses: number[] = [];
    let count = 0;
    for (let s = 0; s < steps; s++) {
      const { loss } = trainStep(
        () => infoNCE(lastState(ps, anchors, true, s), lastState(ps, positives, true, s + 1e6), { negatives: lastState(ps, negatives, true, s + 2e6), tau: 0.5 }),
        ps.variables(LORA_PARAMS),
        opt,
        { clipNorm: 1 },
      );
      losses.push(loss);
      if (s === 0) count = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, count, "no tensor growth over 300 steps");
    assert.deepEqual(vals(ps.get("dec.h0.attn.qkv.w")), baseW, "base frozen");
    const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10, last = losses.slice(-10).reduce((a, b) => a + b) / 10;
    assert.ok(last < first - 0.25, `loss fell: ${first} → ${last}`);
    opt.dispose();
    ps.dispose();
  });
});

describe("infoNCEFromSimilarities (by hand, chapter 23)", () => {
  it("equals the tensor InfoNCE on the cosine matrix of the same embeddings, with hard negatives", async () => {
    const { infoNCEFromSimilarities } = await import("../src/nn");
    const a = tf.tensor2d([[1, 0.2, 0], [0.1, 1, 0.3], [0, 0.4, 1]]);
    const p = tf.tensor2d([[0.9, 0.1, 0.1], [0.2, 0.8, 0], [0.1, 0.1, 1]]);
    const n = tf.tensor2d([[1, 0.5, 0.2], [0.3, 1, 0.6], [0.2, 0.3, 0.9]]);
    const cos = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 2, -1, true)) as tf.Tensor2D;
    const sim = tf.matMul(cos(a), cos(tf.concat([p, n], 0) as tf.Tensor2D), false, true).arraySync() as number[][];
    const want = infoNCE(a, p, { negatives: n, tau: 0.1 }).dataSync()[0];
    const got = infoNCEFromSimilarities(sim, 0.1);
    assert.ok(Math.abs(got.loss - want) < 1e-5, `${got.loss} vs ${want}`);
    for (const row of got.probabilities) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-12);
    tf.dispose([a, p, n]);
  });
  it("equal similarities give the chance level log(n + m); a perfect diagonal at small τ gives ~0; bad input is named", async () => {
    const { infoNCEFromSimilarities } = await import("../src/nn");
    const flat = Array.from({ length: 4 }, () => Array(8).fill(0.3));
    assert.ok(Math.abs(infoNCEFromSimilarities(flat, 0.05).loss - infoNCEChance(4, 4)) < 1e-12);
    const eye = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    assert.ok(infoNCEFromSimilarities(eye, 0.01).loss < 1e-10);
    // τ = 1: each row's loss is log(1 + 3e^-1) exactly.
    assert.ok(Math.abs(infoNCEFromSimilarities(eye, 1).loss - Math.log(1 + 3 * Math.exp(-1))) < 1e-12);
    assert.throws(() => infoNCEFromSimilarities(eye, 0), /invalid tau/);
    assert.throws(() => infoNCEFromSimilarities([[1, 0], [0]], 1), /row 1 has 1 candidates/);
  });
});
