import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { nativeMatMulActive } from "../src/backend/native";
import { rng, splitSeed } from "../src/random";
import {
  organismConfig,
  createOrganism,
  featureCacheSpec,
  buildFeatureCache,
  assembleBatch,
  buildSequence,
  forward,
  encodeModality,
  gatherInputs,
  maskedNextTokenLoss,
  embed,
  embedIndices,
  trainOrganism,
  trainingBatch,
  prefixTokens,
  batchLoss,
  saveCheckpoint,
  loadOrganism,
  listCheckpoints,
  evaluateGenerative,
  answerAttributeAccuracy,
  featurize,
  organismDataFromWorld,
  organismWorld,
} from "../src/organism";
import { measureAlignment, clipControl } from "../src/experiments";
import { summaryPrompt } from "../src/world";
import { describeSequence, embedTexts, maxWeightDifference, promptEndStates, textPromptEndStates } from "../src/organism";
import { organismExercises, ORGANISM_EXERCISE_ANSWERS } from "../src/exercises/organism";
import type { OrganismData, OrganismItem, OrganismTokenizer, Organism } from "../src/organism";
import { decoderForward, embedTokens } from "../src/nn/transformer";

// ---------------------------------------------------------------------------------------------
// A tiny fixture world (2 sizes × 2 colours × 2 shapes × 2 positions), independent of src/world
// so these tests pin the organism alone.

function fixtureTokenizer(words: string[]): OrganismTokenizer {
  const vocab = ["<pad>", "<bos>", "<eos>", ...words];
  const id = new Map(vocab.map((w, i) => [w, i]));
  const split = (t: string) => t.toLowerCase().replace(/:/g, " :").split(/\s+/).filter(Boolean);
  return {
    vocabSize: vocab.length,
    pad: 0,
    bos: 1,
    eos: 2,
    encode(text: string) {
      return split(text).map((w) => {
        const i = id.get(w);
        if (i === undefined) throw new Error(`unknown word "${w}"`);
        return i;
      });
    },
    decode(ids: readonly number[]) {
      return ids.filter((i) => i > 2).map((i) => vocab[i]).join(" ");
    },
  };
}

function fixtureData(): OrganismData {
  const sizes = ["small", "big"], colours = ["red", "blue"], shapes = ["circle", "square"], positions = ["left", "right"];
  const items: OrganismItem[] = [];
  const words = new Set<string>(["a", "on", "the", "summarize", "above", "text", "image", "audio", "document", "in", "one", "word", "few", "words", ":"]);
  for (const s of sizes) for (const c of colours) for (const sh of shapes) for (const p of positions) {
    [s, c, sh, p, `${s}-${c}-${sh}`].forEach((w) => words.add(w));
    const r = rng(splitSeed(7, `${s}${c}${sh}${p}`));
    const img = new Float32Array(12 * 12 * 3);
    for (let i = 0; i < img.length; i++) img[i] = (c === "red" ? (i % 3 === 0 ? 1 : 0) : (i % 3 === 2 ? 1 : 0)) * (s === "big" ? 1 : 0.5) + 0.05 * r.normal();
    const mel = new Float32Array(8 * 4);
    for (let i = 0; i < mel.length; i++) mel[i] = (sh === "circle" ? 1 : -1) * ((i % 4) / 4) + (p === "left" ? 0.5 : -0.5) + 0.05 * r.normal();
    const doc = new Float32Array(8 * 16);
    for (let i = 0; i < doc.length; i++) doc[i] = ((i * (sizes.indexOf(s) + 2) + colours.indexOf(c)) % 5) / 5;
    items.push({
      id: `${s}-${c}-${sh}-${p}`,
      captions: [`a ${s} ${c} ${sh} on the ${p}`, `a ${c} ${sh} on the ${p}`],
      summaryWord: `${s}-${c}-${sh}`,
      fewWords: `${s} ${c} ${sh} ${p}`,
      attributes: { size: s, colour: c, shape: sh, position: p },
      inputs: {
        image: { data: img, shape: [12, 12, 3] },
        audio: { data: mel, shape: [8, 4] },
        document: { data: doc, shape: [8, 16] },
      },
    });
  }
  const tokenizer = fixtureTokenizer([...words]);
  const cfg = tinyConfig(tokenizer.vocabSize);
  const all = items.map((_, i) => i);
  return {
    items,
    tokenizer,
    cache: buildFeatureCache(items, cfg),
    splits: { train: all.filter((i) => i % 4 !== 0), iid: all.filter((i) => i % 4 === 0), ood: [0] },
  };
}

function tinyConfig(vocabSize: number, numSteps = 6) {
  return organismConfig({
    profile: "smoke",
    size: "M",
    vocabSize,
    overrides: {
      encoders: {
        image: { dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, patch: 6 },
        audio: { dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, patch: 4 },
        document: { dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, patch: 8 },
      },
      mixture: { caption: { image: 2, audio: 2, document: 1 }, textLm: 2, instruct: { text: 2, image: 2, audio: 1, document: 1 } },
      train: { numSteps, warmupSteps: 1, lr: 5e-3 },
    },
  });
}

let data: OrganismData;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "lco-organism-"));

before(async () => {
  await initBackend();
  data = fixtureData();
});

function build(seed = 3, numSteps = 6): Organism {
  return createOrganism(tinyConfig(data.tokenizer.vocabSize, numSteps), featureCacheSpec(data.cache), seed);
}

function weights(model: Organism): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.params.toNdArrays())) out[k] = Array.from(v.data as Float32Array);
  return out;
}

// ---------------------------------------------------------------------------------------------

test("featurize: image patches are row-major squares; audio stacks frames with zero padding", () => {
  // 4×4 single-channel image with values 0..15, patch 2 → 4 patches of 4 values.
  const img = { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [4, 4, 1] };
  const f = featurize(img, "image", 2);
  assert.equal(f.tokens, 4);
  assert.equal(f.dim, 4);
  assert.deepEqual(Array.from(f.data.subarray(0, 4)), [0, 1, 4, 5]);
  assert.deepEqual(Array.from(f.data.subarray(12, 16)), [10, 11, 14, 15]);
  // 5 frames × 2 mels, stack 2 → 3 tokens, last one half zeros.
  const mel = { data: Float32Array.from({ length: 10 }, (_, i) => i + 1), shape: [5, 2] };
  const a = featurize(mel, "audio", 2);
  assert.equal(a.tokens, 3);
  assert.deepEqual(Array.from(a.data.subarray(8, 12)), [9, 10, 0, 0]);
  assert.throws(() => featurize({ data: new Float32Array(25), shape: [5, 5, 1] }, "image", 2), /not a multiple of patch 2/);
});

test("forward shapes: every encoder gives [b, P, d]; the decoder gives logits [B, T, V] and L+1 hidden states", () => {
  const model = build();
  const d = model.config.decoder.dModel, V = model.config.vocabSize, L = model.config.decoder.nLayers;
  tf.tidy(() => {
    for (const m of ["image", "audio", "document"] as const) {
      const x = gatherInputs(data.cache, m, [0, 1, 2]);
      const P = data.cache.byModality[m]!.tokens;
      assert.deepEqual(encodeModality(model, m, x).shape, [3, P, d]);
    }
    const batch = trainingBatch(model, data, 1, 0);
    const out = forward(model, batch, data.cache, { hidden: true });
    assert.deepEqual(out.logits.shape, [batch.B, batch.T, V]);
    assert.equal(out.hidden!.length, L + 1);
    for (const h of out.hidden!) assert.deepEqual(h.shape, [batch.B, batch.T, d]);
  });
  model.params.dispose();
});

test("sequence layout: only the answer (and EOS) is a target of the instruction task", () => {
  const tok = data.tokenizer;
  const it = data.items[5];
  const s = buildSequence(tok, it, 5, "image", "instruct", "one-word");
  const prompt = tok.encode(summaryPrompt("image", "one-word"));
  assert.deepEqual(s.ids, [tok.bos, ...prompt, ...tok.encode(it.summaryWord), tok.eos]);
  // Position promptEnd (the ":") predicts the answer word; the answer word predicts EOS.
  assert.equal(s.promptEnd, prompt.length);
  assert.deepEqual(s.lossOn, s.ids.map((_, j) => (j === prompt.length || j === prompt.length + 1 ? 1 : 0)));
  const c = buildSequence(tok, it, 5, "audio", "caption", "one-word", 1);
  assert.deepEqual(c.ids, [tok.bos, ...tok.encode(it.captions[1]), tok.eos]);
  assert.equal(c.lossOn.reduce((a, b) => a + b, 0), c.ids.length - 1);
  // As chapter 21 prints it: the modality's token count, then the text with targets in brackets.
  const P = data.cache.byModality.image!.tokens;
  const words = (text: string) => tok.encode(text).map((id) => tok.decode([id]));
  assert.equal(describeSequence(s, data), [`[${P} image tokens] <bos>`, ...words(summaryPrompt("image", "one-word")), `[${it.summaryWord}]`, "[<eos>]"].join(" "));
  const text = buildSequence(tok, it, 5, "text", "caption", "one-word", 0);
  assert.equal(describeSequence(text, data), ["<bos>", ...words(it.captions[0]).map((w) => `[${w}]`), "[<eos>]"].join(" "));
});

test("loss mask: changing the target of a masked-out position leaves the loss unchanged; a counted one changes it", () => {
  const model = build();
  const batch = trainingBatch(model, data, 2, 0);
  const loss = (targets: Int32Array) =>
    tf.tidy(() => maskedNextTokenLoss(forward(model, batch, data.cache).logits, targets, batch.mask).dataSync()[0]);
  const base = loss(batch.targets);
  const off = batch.mask.findIndex((v) => v === 0);
  const on = batch.mask.findIndex((v) => v === 1);
  const t1 = batch.targets.slice();
  t1[off] = (t1[off] + 5) % model.config.vocabSize;
  assert.equal(loss(t1), base);
  const t2 = batch.targets.slice();
  t2[on] = (t2[on] + 5) % model.config.vocabSize;
  assert.notEqual(loss(t2), base);
  // At initialisation the loss is close to log V (near-uniform predictions).
  assert.ok(Math.abs(base - Math.log(model.config.vocabSize)) < 0.5, `initial loss ${base} vs log V ${Math.log(model.config.vocabSize)}`);
  model.params.dispose();
});

test("embedding extraction returns [L+1, n, d] and reads the state at the prompt's last token", () => {
  const model = build();
  const L = model.config.decoder.nLayers, d = model.config.decoder.dModel;
  const idx = [0, 3, 6, 9];
  const E = embedIndices(model, data, idx, "text");
  assert.deepEqual(E.shape, [L + 1, idx.length, d]);
  // Hand-built reference for item 3: run the nn decoder directly on [BOS] caption prompt and take
  // the last position (no padding, no answer), at every layer.
  const tok = data.tokenizer;
  const ids = [tok.bos, ...tok.encode(data.items[3].captions[0]), ...tok.encode("Summarize the above text in one word:")];
  const ref = tf.tidy(() => {
    const x = embedTokens(model.params, "dec", tf.tensor2d([ids], [1, ids.length], "int32"));
    const { hidden } = decoderForward(model.params, "dec", { ...model.config.decoder, vocabSize: model.config.vocabSize }, x, { returnHidden: true });
    return hidden!.map((h) => Array.from(h.slice([0, ids.length - 1, 0], [1, 1, d]).dataSync()));
  });
  const data32 = E.data as Float32Array;
  for (let l = 0; l <= L; l++) {
    const got = Array.from(data32.subarray((l * idx.length + 1) * d, (l * idx.length + 2) * d));
    got.forEach((v, j) => assert.ok(Math.abs(v - ref[l][j]) < 1e-5, `layer ${l} dim ${j}: ${v} vs ${ref[l][j]}`));
  }
  // Not the state of the token before the prompt's end: the ":" position is what counts.
  const before = tf.tidy(() => {
    const x = embedTokens(model.params, "dec", tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], "int32"));
    const { hidden } = decoderForward(model.params, "dec", { ...model.config.decoder, vocabSize: model.config.vocabSize }, x, { returnHidden: true });
    return Array.from(hidden![L].slice([0, ids.length - 2, 0], [1, 1, d]).dataSync());
  });
  const last = Array.from(data32.subarray((L * idx.length + 1) * d, (L * idx.length + 2) * d));
  assert.ok(last.some((v, j) => Math.abs(v - before[j]) > 1e-4));
  // The public embed() (featurizing on the fly) agrees with the cached path for images.
  const items = idx.map((i) => data.items[i]);
  const a = embed(model, items, "image", { tokenizer: tok });
  const b = embedIndices(model, data, idx, "image");
  assert.deepEqual(a.shape, b.shape);
  (a.data as Float32Array).forEach((v, j) => assert.ok(Math.abs(v - (b.data as Float32Array)[j]) < 1e-6));
  // Layer 0 of the image embedding is the same for every item: the last token is ":" at a fixed position.
  const l0 = Array.from((a.data as Float32Array).subarray(0, idx.length * d));
  for (let i = 1; i < idx.length; i++) for (let j = 0; j < d; j++) assert.equal(l0[i * d + j], l0[j]);
  model.params.dispose();
});

test("checkpoint save/load round trip gives identical logits", () => {
  const dir = tmp();
  const model = build(11);
  // Perturb the weights so that the test does not pass by re-initialising with the same seed.
  model.params.variables().forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, 0.01 * ((i % 3) + 1)))));
  const { writeRunConfig } = require("../src/organism/checkpoint") as typeof import("../src/organism/checkpoint");
  writeRunConfig(dir, model);
  saveCheckpoint(dir, model, { step: 7, losses: [1, 2], seconds: 0 });
  const batch = trainingBatch(model, data, 5, 0);
  const logits = (m: Organism) => tf.tidy(() => Array.from(forward(m, batch, data.cache).logits.dataSync()));
  const a = logits(model);
  const { model: loaded, step } = loadOrganism(dir);
  assert.equal(step, 7);
  assert.deepEqual(logits(loaded), a);
  assert.ok(fs.existsSync(path.join(dir, "checkpoints", "step-000007", "model.safetensors")));
  model.params.dispose();
  loaded.params.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("training resumed from a checkpoint ends with the same weights as an uninterrupted run", async () => {
  const a = tmp(), b = tmp();
  const m1 = build(5, 6);
  const r1 = await trainOrganism(m1, data, { runDir: a, resumeEvery: 2 });
  assert.equal(r1.step, 6);
  const w1 = weights(m1);
  m1.params.dispose();
  // Interrupted after 4 updates …
  const m2 = build(5, 6);
  const r2 = await trainOrganism(m2, data, { runDir: b, resumeEvery: 2, stopAfter: 4 });
  assert.equal(r2.step, 4);
  m2.params.dispose();
  // … and resumed in a fresh model object.
  const m3 = build(5, 6);
  const r3 = await trainOrganism(m3, data, { runDir: b, resumeEvery: 2 });
  assert.equal(r3.resumedFrom, 4);
  assert.deepEqual(weights(m3), w1);
  assert.deepEqual(r3.losses, r1.losses);
  // The difference chapter 21 prints: 0 against a model trained the same way, > 0 against another seed.
  const again = build(5, 6);
  await trainOrganism(again, data, {});
  assert.equal(maxWeightDifference(m3, again), 0);
  const otherSeed = build(6, 6);
  assert.ok(maxWeightDifference(m3, otherSeed) > 0);
  again.params.dispose();
  otherSeed.params.dispose();
  // Kept checkpoints at 5, 10, 20, 30, 50 and 100 % of 6 steps = 1, 2, 3, 6; the rolling one at 4 is dropped.
  assert.deepEqual(listCheckpoints(b), [1, 2, 3, 6]);
  // Running again does not redo any work.
  const r4 = await trainOrganism(m3, data, { runDir: b });
  assert.equal(r4.resumedFrom, 6);
  assert.equal(r4.losses.length, 6);
  m3.params.dispose();
  fs.rmSync(a, { recursive: true, force: true });
  fs.rmSync(b, { recursive: true, force: true });
});

test("tf.memory().numTensors stays flat over training steps and embedding extraction", async () => {
  const model = build(9, 8);
  const counts: number[] = [];
  // After the first update (which creates the Adam moments) the count must not move.
  await trainOrganism(model, data, { onProgress: () => counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 8);
  for (const c of counts.slice(1)) assert.equal(c, counts[1]);
  const n0 = tf.memory().numTensors;
  embedIndices(model, data, [0, 1, 2], "image");
  embedIndices(model, data, [0, 1, 2], "text");
  assert.equal(tf.memory().numTensors, n0);
  model.params.dispose();
});

test("an error inside training or the CLIP control frees the optimiser (try/finally): the tensor count returns to the model's own", async () => {
  const model = build(9, 8);
  const n0 = tf.memory().numTensors;
  await assert.rejects(
    trainOrganism(model, data, { onProgress: (p) => { if (p.step === 3) throw new Error("interrupted on purpose"); } }),
    /interrupted on purpose/,
  );
  assert.equal(tf.memory().numTensors, n0);
  // The read-out inside the contrastive loss throws on a bad layer index: nothing may leak.
  const empty = { ...data, splits: { ...data.splits, train: [] as number[] } };
  assert.throws(() => clipControl(model, empty, { steps: 2 }));
  assert.equal(tf.memory().numTensors, n0);
  model.params.dispose();
});

test("the prompt-end read-out: the differentiable form equals the evaluation form at every layer, and embedTexts of a caption equals the item's text embedding", async () => {
  // On wasm the two forms are bit-identical. With the native BLAS path a product with another
  // number of rows (one text vs a batch of four) may take another OpenBLAS kernel, which moves
  // the last float bit: there the forms must agree to float rounding (1e-5 relative).
  const same = (got: number[], want: number[]): void => {
    if (!nativeMatMulActive()) return assert.deepEqual(got, want);
    assert.equal(got.length, want.length);
    const scale = Math.max(1, ...want.map(Math.abs));
    const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
    assert.ok(worst <= 1e-5 * scale, `max |difference| ${worst} > ${1e-5 * scale}`);
  };
  const model = build(5, 4);
  const idx = [0, 1, 2, 3];
  const E = embedIndices(model, data, idx, "image");
  const [L1, n, d] = E.shape;
  for (let l = 0; l < L1; l++) {
    const t = promptEndStates(model, data, idx, "image", { layer: l });
    const got = Array.from(t.dataSync());
    t.dispose();
    same(got, Array.from((E.data as Float32Array).subarray(l * n * d, (l + 1) * n * d)));
  }
  const T = embedIndices(model, data, idx, "text");
  const X = embedTexts(model, data.tokenizer, idx.map((i) => data.items[i].captions[0]));
  same(Array.from(X.data as Float32Array), Array.from(T.data as Float32Array));
  const last = textPromptEndStates(model, data.tokenizer, [data.items[0].captions[0]]);
  same(Array.from(last.dataSync()), Array.from((T.data as Float32Array).subarray((L1 - 1) * n * d, (L1 - 1) * n * d + d)));
  last.dispose();
  assert.throws(() => promptEndStates(model, data, idx, "image", { layer: L1 }), /invalid layer/);
  model.params.dispose();
});

test("a tiny model's loss decreases over a few steps (fixed seed, same batch before and after)", async () => {
  const model = build(1, 25);
  const batch = trainingBatch(model, data, 99, 0);
  const before = batchLoss(model, data, batch);
  const r = await trainOrganism(model, data, {});
  const after = batchLoss(model, data, batch);
  assert.ok(after < before - 0.3, `loss ${before} → ${after}`);
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0], `training loss ${r.losses[0]} → ${r.losses[r.losses.length - 1]}`);
  model.params.dispose();
});

test("answer attribute accuracy compares parts position-wise", () => {
  assert.equal(answerAttributeAccuracy("big-red-circle", "big-red-circle", "one-word"), 1);
  assert.equal(answerAttributeAccuracy("big-blue-circle", "big-red-circle", "one-word"), 2 / 3);
  assert.equal(answerAttributeAccuracy("red circle", "big red circle left", "few-words"), 0);
  assert.equal(answerAttributeAccuracy("big red square", "big red circle left", "few-words"), 0.5);
  // One-word answers: only the first generated word counts; words after it cannot add matches.
  assert.equal(answerAttributeAccuracy("big small-red-circle", "small-red-circle", "one-word"), 0);
  assert.equal(answerAttributeAccuracy("small-red-square big red", "small-red-circle", "one-word"), 2 / 3);
});

test("generative evaluation reports every modality and a score in [0, 1]", () => {
  const model = build(2);
  const ev = evaluateGenerative(model, data, data.splits.iid, "iid");
  assert.deepEqual(ev.byModality.map((b) => b.modality).sort(), ["audio", "document", "image", "text"]);
  assert.ok(ev.generativeScore >= 0 && ev.generativeScore <= 1);
  for (const b of ev.byModality) if (b.modality !== "text") assert.ok(b.captionNll > 0);
  // An untrained model at init does not caption exactly.
  assert.equal(ev.byModality.find((b) => b.modality === "image")!.captionExact, 0);
  model.params.dispose();
});

test("assembleBatch right-pads and places targets after the modality tokens", () => {
  const tok = data.tokenizer;
  const s1 = buildSequence(tok, data.items[1], 1, "image", "caption", "one-word", 0);
  const s2 = buildSequence(tok, data.items[2], 2, "text", "caption", "one-word", 1);
  const P = prefixTokens(data.cache).image!;
  const b = assembleBatch([s2, s1], prefixTokens(data.cache), tok, 64);
  assert.equal(b.T, Math.max(P + s1.ids.length, s2.ids.length));
  assert.deepEqual(b.groups.map((g) => g.modality), ["image", "text"]);
  // Row 0 (the image caption): the first target is the first caption word, at position P (BOS).
  assert.equal(b.targets[P], s1.ids[1]);
  assert.equal(b.mask[P - 1], 0);
  assert.equal(b.mask[P], 1);
});

test("alignment measurement: per-layer curves of length L+1, chance levels, and a CLIP control that raises R@1", () => {
  const model = build(4);
  const idx = data.items.map((_, i) => i); // 16 items
  const L = model.config.decoder.nLayers;
  const [img] = measureAlignment(model, data, idx, { modalities: ["image"], k: 3, trials: 2 });
  assert.equal(img.layers.mutualKnn.length, L + 1);
  assert.equal(img.mutualKnnChance, 3 / 15);
  assert.equal(img.detail.recallAt1Chance, 1 / 16);
  // Layer 0 is the same vector for every image: anisotropy 1 up to rounding.
  assert.ok(Math.abs(img.layers.anisotropy[0] - 1) < 1e-5);
  // Attribute chance levels follow the fixture's balanced design (2 values per attribute).
  for (const a of ["size", "colour", "shape", "position"]) assert.equal(img.detail.attributeTop1[a].chance, 0.5);
  const before = img.detail.recallAt1;
  // Train with paired contrastive loss on all 16 items (the fixture's train split is 12 of them).
  const allTrain = { ...data, splits: { ...data.splits, train: idx } };
  const losses = clipControl(model, allTrain, { steps: 40, batchSize: 16, lr: 1e-3 });
  assert.ok(losses[losses.length - 1] < losses[0], `contrastive loss ${losses[0]} → ${losses[losses.length - 1]}`);
  const [after] = measureAlignment(model, data, idx, { modalities: ["image"], k: 3, trials: 2 });
  assert.ok(after.detail.recallAt1 > before, `R@1 ${before} → ${after.detail.recallAt1}`);
  model.params.dispose();
});

test("exercise answers 21.1–21.3 follow from the organism's definitions on the real world", () => {
  const cfg0 = organismConfig({ profile: "smoke", size: "M" });
  const wdata = organismDataFromWorld(organismWorld("smoke", cfg0, 0), cfg0, { modalities: ["image"] });
  const model = createOrganism({ ...cfg0, vocabSize: wdata.tokenizer.vocabSize }, featureCacheSpec(wdata.cache), 0);
  const i = wdata.splits.iid[0];
  const E = embedIndices(model, wdata, [i], "image");
  assert.equal(E.shape[0], model.config.decoder.nLayers + 1);
  assert.equal(ORGANISM_EXERCISE_ANSWERS["21.1"], 3 + 1);
  const s = buildSequence(wdata.tokenizer, wdata.items[i], i, "image", "instruct", "one-word", 0, false);
  const b = assembleBatch([s], prefixTokens(wdata.cache), wdata.tokenizer, 64);
  assert.equal(prefixTokens(wdata.cache).image, 16);
  assert.equal(b.promptEnd[0], ORGANISM_EXERCISE_ANSWERS["21.2"]);
  const ex = organismExercises.find((e) => e.id === "21.3")!;
  assert.equal(ex.check("the answer and EOS").ok, true);
  assert.equal(ex.check("every token").ok, false);
  model.params.dispose();
});
