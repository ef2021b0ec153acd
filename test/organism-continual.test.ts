import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { pretrain, pretrainDir, pretrainSpec, specConfig, specData } from "../src/organism/family";
import { readRunConfig } from "../src/organism/checkpoint";
import { InputError } from "../src/array";

test("continual pretraining starts from the parent's checkpoint with a fresh optimiser and its own mixture, and the parent is part of its identity", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-continual-"));
  const parentSpec = pretrainSpec("smoke", "S", { numSteps: 4, evalItems: 8 });
  const base = specConfig(parentSpec, specData(parentSpec).tokenizer.vocabSize).mixture;
  const mixture = { ...base, textLm: 0, caption: { ...base.caption, document: base.caption.document + 2 } };
  const child = pretrainSpec("smoke", "S", { numSteps: 3, evalItems: 8, parent: { spec: parentSpec, seed: 0 }, mixture });
  const c = await pretrain(child, 0, { root });
  const p = await pretrain(parentSpec, 0, { root });
  assert.equal(p.loaded, true, "the parent was trained once, by the child");
  // Step 0 of the child is the parent's last checkpoint: the same weights give the same evaluation.
  assert.deepEqual(c.checkpoints[0].iid, p.checkpoints[p.checkpoints.length - 1].iid);
  assert.notDeepEqual(c.checkpoints[0].iid, p.checkpoints[0].iid, "not the random initialisation");
  // Its own mixture is in its saved config; its schedule restarts (3 steps, fresh warm-up).
  const cfg = readRunConfig(c.dir).config;
  assert.equal(cfg.mixture.textLm, 0);
  assert.equal(cfg.mixture.caption.document, base.caption.document + 2);
  assert.equal(c.numSteps, 3);
  assert.equal(c.losses.length > 0, true);
  // Identity: another parent seed or step is another run; the child never shares the parent's folder.
  const dirs = new Set([
    pretrainDir(root, parentSpec, 0),
    c.dir,
    pretrainDir(root, { ...child, parent: { spec: parentSpec, seed: 1 } }, 0),
    pretrainDir(root, { ...child, parent: { spec: parentSpec, seed: 0, step: 1 } }, 0),
  ]);
  assert.equal(dirs.size, 4);
  // A parent whose weights cannot fit (another size) or a missing checkpoint is an InputError.
  await assert.rejects(pretrain({ ...child, size: "M" }, 0, { root }), InputError);
  await assert.rejects(pretrain({ ...child, parent: { spec: parentSpec, seed: 0, step: 3 } }, 0, { root }), /no checkpoint at step 3/);
});

test("low-resource-script documents: same items, captions and shown caption, other pixels; a continual run can read them from a Latin parent", async () => {
  await initBackend();
  const latin = pretrainSpec("smoke", "S", { numSteps: 4, evalItems: 8 });
  const lowres = { ...latin, documentScript: "lowres" as const };
  const a = specData(latin);
  const b = specData(lowres);
  assert.equal(b.items.length, a.items.length);
  assert.equal(b.meta!.documentScript, "lowres");
  assert.equal(a.meta!.documentScript, undefined, "the Latin data (and its runs) are unchanged");
  let differ = 0;
  a.items.forEach((it, i) => {
    const jt = b.items[i];
    assert.deepEqual(jt.captions, it.captions);
    assert.equal(jt.documentCaption, it.documentCaption, `item ${i} shows the same caption`);
    assert.deepEqual(jt.inputs.document!.shape, it.inputs.document!.shape);
    if (jt.inputs.document!.data.some((v, k) => v !== it.inputs.document!.data[k])) differ++;
    assert.deepEqual(jt.inputs.image!.data, it.inputs.image!.data, "images do not depend on the script");
  });
  assert.equal(differ, a.items.length, "every document is drawn in the other script");
  assert.notEqual(pretrainDir("runs", lowres, 0), pretrainDir("runs", latin, 0));
  // Continual pretraining on the low-resource documents only, from the Latin parent.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-continual-lowres-"));
  const base = specConfig(latin, a.tokenizer.vocabSize).mixture;
  const ocrOnly = { caption: { image: 0, audio: 0, document: base.caption.document + base.caption.image }, textLm: 0, instruct: { text: 0, image: 0, audio: 0, document: 0 } };
  const child = await pretrain({ ...lowres, numSteps: 2, parent: { spec: latin, seed: 0 }, mixture: ocrOnly }, 0, { root });
  assert.equal(child.numSteps, 2);
  assert.ok(child.losses.every(Number.isFinite));
});

test("continualSpec: lowres documents read OCR-style from the parent, optional general captions, nothing else; documentScore reads the document score", async () => {
  const { continualSpec, documentScore } = await import("../src/experiments/continual");
  const parent = pretrainSpec("smoke", "S", { numSteps: 4, evalItems: 8 });
  const base = specConfig(parent, specData(parent).tokenizer.vocabSize).mixture;
  const s = continualSpec(parent, 2, base, { numSteps: 5, generalCaptions: 3 });
  assert.equal(s.documentScript, "lowres");
  assert.deepEqual(s.parent, { spec: parent, seed: 2 });
  assert.equal(s.numSteps, 5);
  assert.equal(s.mixture!.caption.document, base.caption.document + base.caption.image);
  assert.equal(s.mixture!.caption.image, 3);
  assert.equal(s.mixture!.caption.audio, 0);
  assert.equal(s.mixture!.textLm, 0);
  assert.ok(Object.values(s.mixture!.instruct).every((v) => v === 0));
  assert.throws(() => continualSpec(parent, 0, base, { numSteps: 0 }), /invalid numSteps.*got 0/);
  assert.throws(() => continualSpec(parent, 0, base, { numSteps: 2, documents: 0 }), /documents > 0/);
  const fake = { checkpoints: [{ step: 0, iid: { split: "iid", generativeScore: 0, byModality: [{ modality: "document", score: 0.25 }] }, ood: { split: "ood", generativeScore: 0, byModality: [] } }] } as never;
  assert.equal(documentScore(fake, 0), 0.25);
  assert.equal(documentScore(fake, -1), 0.25);
  assert.throws(() => documentScore(fake, 3), /no checkpoint at index 3/);
  assert.throws(() => documentScore(fake, 0, "ood"), /no document evaluation/);
});

test("chapter 26's exercises accept the values computed here and reject others", async () => {
  const { check } = await import("../src/exercises");
  const { CONTINUAL_ARMS } = await import("../src/experiments/continual");
  const m = specConfig(pretrainSpec("smoke", "S"), 1).mixture;
  assert.equal(m.caption.document + m.caption.image, 8, "smoke S: 3 document + 5 image captions per step");
  assert.equal(check("26.1", 8).ok, true);
  assert.equal(check("26.1", 3).ok, false);
  assert.equal(CONTINUAL_ARMS.length, 4);
  assert.equal(check("26.2", 4).ok, true);
  assert.equal(check("26.2", 3).ok, false);
  // 26.3: the default's 8 document sequences plus the parent's 5 image captions per step (smoke S).
  assert.equal(m.caption.image, 5);
  assert.equal(check("26.3", 13).ok, true);
  assert.equal(check("26.3", 8).ok, false);
});

test("readingAccuracy: exact match and position-wise word accuracy against the caption the document shows, hand-computed", async () => {
  const { readingAccuracy } = await import("../src/experiments/continual");
  const items = [
    { captions: ["a red cat", "the red cat"], documentCaption: 1 },
    { captions: ["two blue cubes"] },
    { captions: ["one green ball", "a green ball"], documentCaption: 0 },
  ];
  // 0: "The  red cat" = the shown caption after normalising (exact, 3/3 words); 1: "two blue" has 2/3
  // words; 2: "a green ball" is a paraphrase, not the shown "one green ball" (not exact, 2/3 words).
  const a = readingAccuracy(items, [0, 1, 2], ["The  red cat", "two blue", "a green ball"]);
  assert.equal(a.exact, 1 / 3);
  assert.ok(Math.abs(a.wordAccuracy - 7 / 9) < 1e-12, `${a.wordAccuracy}`); // (1 + 2/3 + 2/3) / 3
  // Indices pick items; extra words neither help nor hurt word accuracy but break exact match.
  const b = readingAccuracy(items, [2, 0], ["one green ball extra", "the red"]);
  assert.equal(b.exact, 0);
  assert.ok(Math.abs(b.wordAccuracy - 5 / 6) < 1e-12, `${b.wordAccuracy}`); // (1 + 2/3) / 2
  assert.throws(() => readingAccuracy(items, [0, 1], ["x"]), /one reading per item/);
});

test("reading before → after: paired by seed against the base on low-resource documents, mean ± sd; the results check rejects bad rows", async () => {
  const { readingChange, readingLine, readingSummary, readingMetric, checkContinualResults, CONTINUAL_FORMAT } = await import("../src/experiments/continual");
  // Own-caption NLL 2 everywhere; the mismatched caption's NLL is 2 + gain; mismatched word accuracy 0.05.
  const row = (model: "random" | "base" | "continual" | "control", seed: number, wordAccuracy: number, gain: number, script: "lowres" | "latin" = "lowres") =>
    ({ model, script, seed, n: 4, nll: 2, exact: 0, wordAccuracy, mismatched: { nll: 2 + gain, exact: 0, wordAccuracy: 0.05 } });
  const reading = {
    uniformNll: Math.log(100),
    rows: [
      ...[0.1, 0.2, 0.3].map((v, s) => row("base", s, v, [0, 0.1, 0.2][s])),
      row("base", 0, 0.9, 1, "latin"), // the Latin reference must not enter the pairing
      ...[0.15, 0.1, 0.5].map((v, s) => row("continual", s, v, [0.3, 0.5, 0.4][s])),
      ...[0.1, 0.2, 0.3].map((v, s) => row("control", s, v, 0)),
      row("random", 0, 0, 0),
    ],
  };
  assert.ok(Math.abs(readingMetric(reading.rows[4], "nllGain") - 0.3) < 1e-12);
  assert.ok(Math.abs(readingMetric(reading.rows[4], "wordGain") - 0.1) < 1e-12);
  const ch = readingChange(reading, "continual", "wordAccuracy");
  assert.deepEqual(ch.seeds, [0, 1, 2]);
  ch.diff.forEach((d, i) => assert.ok(Math.abs(d - [0.05, -0.1, 0.2][i]) < 1e-12));
  // numpy (sd with ddof = 1): word accuracy base 0.200 ± 0.100, continual 0.250 ± 0.218, paired 0.050 ± 0.150;
  // NLL gain base 0.100 ± 0.100, continual 0.400 ± 0.100, paired 0.300 ± 0.100.
  const line = readingLine(reading);
  assert.match(line, /greedy word accuracy 0\.200 ± 0\.100 → 0\.250 ± 0\.218 \(paired change 0\.050 ± 0\.150, higher in 2\/3 seeds; equal-compute control 0\.200 ± 0\.100; random init 0\.000; the base on Latin documents 0\.900\)/);
  assert.match(line, /mismatched caption, 0\.100 ± 0\.100 → 0\.400 ± 0\.100 nats\/token \(paired change 0\.300 ± 0\.100, higher in 3\/3 seeds; equal-compute control 0\.000; random init 0\.000; the base on Latin documents 1\.000\)/);
  assert.match(line, /caption NLL 2\.000 → 2\.000 \(control 2\.000, uniform 4\.605\)$/);
  const t = readingSummary(reading);
  assert.deepEqual(t.map((r) => r.reading), ["random init, low-res docs", "base (before), Latin docs", "base (before), low-res docs", "after continual, low-res docs", "after control, low-res docs", "uniform guess (ln V)"]);
  assert.equal(t[3]["word accuracy"], "0.250 ± 0.218");
  assert.equal(t[3]["NLL gain over mismatched caption"], "0.400 ± 0.100");
  const results = { format: CONTINUAL_FORMAT, profile: "smoke", setup: "", chance: { ndcgAt10: 0.1, recallAt1: 0.1 }, rows: [] };
  assert.doesNotThrow(() => checkContinualResults({ ...results, reading }));
  assert.throws(() => checkContinualResults({ ...results, reading: { ...reading, rows: [{ ...reading.rows[0], wordAccuracy: 1.5 }] } }), /reading\.rows\[0\]\.wordAccuracy is 1\.5/);
  assert.throws(() => checkContinualResults({ ...results, reading: { ...reading, rows: [{ ...reading.rows[0], model: "other" }] } }), /reading\.rows\[0\]\.model is "other"/);
  assert.throws(() => checkContinualResults({ ...results, reading: { ...reading, rows: [{ ...reading.rows[0], mismatched: undefined }] } }), /mismatched\.nll ≥ 0/);
});

test("mismatchedCaptions rotates captions within the gallery and keeps documents; on one document the mismatched score is the own score", async () => {
  await initBackend();
  const { mismatchedCaptions, readingScore } = await import("../src/experiments/continual");
  const { createOrganism, featureCacheSpec, disposeOrganism } = await import("../src/organism/model");
  const spec = { ...pretrainSpec("smoke", "S", { numSteps: 4, evalItems: 8 }), documentScript: "lowres" as const };
  const data = specData(spec);
  const g = [data.splits.iid[0], data.splits.iid[1], data.splits.ood[0]];
  const v = mismatchedCaptions(data, g);
  assert.deepEqual(g.map((i) => v.items[i].captions), [g[1], g[2], g[0]].map((i) => data.items[i].captions));
  assert.deepEqual(g.map((i) => v.items[i].documentCaption), [g[1], g[2], g[0]].map((i) => data.items[i].documentCaption));
  g.forEach((i) => assert.equal(v.items[i].inputs, data.items[i].inputs, "the document stays"));
  assert.equal(v.items[data.splits.train[0]], data.items[data.splits.train[0]], "items outside the gallery are untouched");
  assert.notDeepEqual(data.items[g[0]].captions, data.items[g[1]].captions, "the fixture rotates distinct captions");
  // A rotation of one document is the identity: the mismatched reference is its own caption.
  const model = createOrganism(specConfig(spec, data.tokenizer.vocabSize), featureCacheSpec(data.cache), 3);
  try {
    const one = readingScore(model, data, [g[0]]);
    assert.deepEqual(one.mismatched, { nll: one.nll, exact: one.exact, wordAccuracy: one.wordAccuracy });
    const three = readingScore(model, data, g);
    assert.notEqual(three.mismatched.nll, three.nll, "another caption, another NLL");
  } finally {
    disposeOrganism(model);
  }
});
