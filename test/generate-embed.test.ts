// P4's mechanism check, generate-then-embed, at a tiny smoke size: reference values computed here
// by hand, the invariant "ground-truth captions retrieve themselves" (up to duplicate captions, which
// tie against the model), the same refinement and direct R@1 as the GRSL unit of the same
// checkpoint, caching in its own folders (rerun = load), and a flat tensor count.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../src/array";
import { initBackend } from "../src/backend";
import { resolveConfig } from "../src/config";
import {
  GENERATE_EMBED_PRESET, generateEmbedLines, generateEmbedRelation, generateEmbedSummary, grslConfigOf, gteRetrievals, gteUnit, gteUnitDir, identicalTextRecallAt1,
  checkGenerateEmbedResults, queryRetrieval, runGenerateEmbed, type GenerateEmbedConfig,
} from "../src/experiments/generate-embed";
import { grslRuns, grslUnit, grslUnitDir, mixedGallery, modelAtStep, syntheticGrslResults } from "../src/experiments/grsl";
import { p4Section } from "../src/experiments/report";
import { loadGrslPanels } from "../src/paper/grsl";
import { listCheckpoints } from "../src/organism/checkpoint";
import { pretrain, specData } from "../src/organism/family";
import { captionIsExact } from "../src/organism/generate";
import { disposeOrganism } from "../src/organism/model";
import { loadRun } from "../src/runs";

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** S × 3 seeds, 6 pretraining steps, 2 refinement steps, a 16-item gallery (8 IID + 8 OOD). */
function tiny(): GenerateEmbedConfig {
  return resolveConfig(GENERATE_EMBED_PRESET, { sizes: ["S"], seeds: [0, 1, 2], numSteps: 6, refineSteps: 2, evalItems: 8, galleryItems: 8, heldOutTriples: 16 }, { profile: "smoke" });
}

test("identicalTextRecallAt1 and queryRetrieval against hand-computed values", () => {
  // Items 0 and 2 share a caption: embedded as itself, each ties with the other and loses.
  assert.equal(identicalTextRecallAt1(["a red ball", "a cat", "a red ball", "a dog"]), 0.5);
  assert.equal(identicalTextRecallAt1(["x", "y", "z"]), 1);
  assert.throws(() => identicalTextRecallAt1([]), InputError);
  const C = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  // Query 1 is closer to candidate 0 (cosine 0.894) than to its own (0.447), and above candidate 2
  // (0), so its target is ranked 2nd; queries 0 and 2 hit.
  const r = queryRetrieval([[2, 0, 0], [1, 0.5, 0], [0, 0, 3]], C);
  assert.deepEqual(r.hits, [1, 0, 1]);
  assert.equal(r.recallAt1, 2 / 3);
  assert.ok(Math.abs(r.ndcgAt10 - (1 + 1 / Math.log2(3) + 1) / 3) < 1e-12);
  // A query equal to two candidates ties them: ties count against the model.
  assert.deepEqual(queryRetrieval([[1, 1], [1, 1]], [[1, 1], [1, 1]]).hits, [0, 0]);
});

test("captionIsExact: one of the paraphrases, spaces and case normalised", () => {
  const item = { captions: ["a red ball", "the ball is red"] };
  assert.equal(captionIsExact(item, "  The Ball  is red "), true);
  assert.equal(captionIsExact(item, "a red"), false);
  assert.equal(captionIsExact(item, ""), false);
});

test("the preset shares the GRSL sweep's gallery and refinement; bad settings are InputErrors", () => {
  const smoke = resolveConfig(GENERATE_EMBED_PRESET, {}, { profile: "smoke" });
  assert.equal(smoke.galleryItems, 16);
  assert.equal(smoke.heldOutTriples, 32);
  const g = grslConfigOf(smoke);
  assert.deepEqual([g.corruptionRates, g.fullFinetune], [[], "none"]);
  assert.throws(() => resolveConfig(GENERATE_EMBED_PRESET, { maxNew: 0 }, { profile: "smoke" }), InputError);
  assert.throws(() => resolveConfig(GENERATE_EMBED_PRESET, { seeds: [] }, { profile: "smoke" }), InputError);
});

test("runGenerateEmbed: per run × modality, the GRSL unit's refinement and direct R@1, the ground-truth invariant, rerun = load", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-gte-"));
  made.push(root);
  const cfg = tiny();
  const n0 = tf.memory().numTensors;
  const { results: r, dirs } = await runGenerateEmbed("smoke", cfg, { root });
  assert.equal(tf.memory().numTensors, n0, "tensor count flat over the experiment");
  assert.deepEqual(checkGenerateEmbedResults(JSON.parse(JSON.stringify(r))), r, "the results survive a JSON round trip");
  assert.equal(r.models.length, 3 * 3);
  assert.deepEqual([...new Set(r.models.map((m) => m.modality))].sort(), ["audio", "document", "image"]);
  assert.match(r.gallery, /n = 16 \(first 8 IID, then 8 OOD\)/);
  for (const m of r.models) {
    assert.equal(m.chanceRecallAt1, 1 / 16);
    assert.equal(m.captionExact, (m.captionExactIid + m.captionExactOod) / 2, "8 IID + 8 OOD items");
  }
  const runs = grslRuns("smoke", grslConfigOf(cfg));
  for (const run of runs) {
    const pre = await pretrain(run.spec, run.seed, { root });
    const kept = listCheckpoints(pre.dir);
    const step = kept[kept.length - 1];
    assert.ok(dirs.includes(gteUnitDir(root, run.spec, run.seed, step, cfg)));
    // Its own folder: never one of the GRSL sweep's.
    assert.notEqual(path.dirname(path.dirname(gteUnitDir(root, run.spec, run.seed, step, cfg))), path.dirname(path.dirname(grslUnitDir(root, run.spec, run.seed, step, grslConfigOf(cfg), false))));
    const runData = specData(run.spec);
    const runGallery = mixedGallery(runData, cfg.galleryItems);
    const u = await gteUnit(pre.dir, run.spec, run.seed, step, cfg, { root });
    // The GRSL unit of the same checkpoint (first run only, to keep the test short): the same
    // refinement, hence the same direct retrieval before and after.
    if (run === runs[0]) {
      const g = await grslUnit(pre.dir, run.spec, run.seed, step, grslConfigOf(cfg), { root, full: false });
      assert.deepEqual(u.refinement.losses, g.refinement.losses, `${run.run}: the same refinement as the GRSL unit`);
      assert.equal(g.modalities.length, u.modalities.length);
      for (const gm of g.modalities) {
        const mm = u.modalities.find((x) => x.modality === gm.modality)!;
        assert.equal(mm.before.direct.recallAt1, gm.before.recallAt1, `${run.run} ${gm.modality}: direct R@1 before`);
        assert.equal(mm.after.direct.recallAt1, gm.after.recallAt1, `${run.run} ${gm.modality}: direct R@1 after`);
        assert.equal(mm.after.direct.ndcgAt10, gm.after.ndcgAt10);
      }
    }
    for (const mm of u.modalities) {
      assert.equal(mm.captionExact, mm.exact.reduce((a, b) => a + b, 0) / 16);
      mm.samples.forEach((s, j) => {
        assert.equal(s.reference, runData.items[runGallery[j]].captions[0]);
        assert.equal(mm.exact[j], captionIsExact(runData.items[runGallery[j]], s.generated) ? 1 : 0);
      });
      const model = r.models.find((x) => x.run === run.run && x.modality === mm.modality)!;
      // x: the run's own generative evaluation at that step, the mean of IID and OOD.
      const ev = pre.checkpoints.find((c) => c.step === step)!;
      const score = (e: typeof ev.iid) => e.byModality.find((b) => b.modality === mm.modality)!.score;
      assert.equal(model.generativeScore, (score(ev.iid) + score(ev.ood)) / 2);
      const hits = mm.after.generated.hits;
      const given = (want: number) => hits.filter((_, j) => mm.exact[j] === want);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      assert.deepEqual([model.recallGivenExact, model.recallGivenWrong], [mean(given(1)), mean(given(0))]);
      assert.equal(mm.after.generated.recallAt1, mean(hits));
      assert.notEqual(model.recallGivenExact ?? model.recallGivenWrong, null, "some item is exact or wrong");
    }
  }
  // The invariant: captions that are the ground truth (each item's canonical caption) retrieve
  // themselves, except items whose caption another gallery item shares (ties count against).
  const run = runs[0];
  const pre = await pretrain(run.spec, run.seed, { root });
  const data = specData(run.spec);
  const gallery = mixedGallery(data, cfg.galleryItems);
  const truth = gallery.map((i) => data.items[i].captions[0]);
  const identity = gallery.map((_, i) => i);
  const model = modelAtStep(pre.dir, data, listCheckpoints(pre.dir).at(-1)!);
  try {
    const q = gteRetrievals(model, data, gallery, "image", truth, identity);
    assert.ok(identicalTextRecallAt1(truth) > 0.5, "most gallery captions are unique, so the check is not vacuous");
    assert.equal(q.generated.recallAt1, identicalTextRecallAt1(truth));
    assert.deepEqual(q.generated.hits, truth.map((c) => (truth.filter((x) => x === c).length === 1 ? 1 : 0)));
    assert.deepEqual(q.shuffled, q.generated, "the identity shuffle changes nothing");
    assert.throws(() => gteRetrievals(model, data, gallery, "image", truth.slice(1), identity), InputError);
  } finally {
    disposeOrganism(model);
  }
  // Rerun = load: the same results, every unit's meta unchanged.
  const metas = dirs.map((d) => fs.readFileSync(path.join(d, "meta.json"), "utf8"));
  const again = await runGenerateEmbed("smoke", cfg, { root });
  assert.deepEqual(again.results, r);
  assert.deepEqual(dirs.map((d) => fs.readFileSync(path.join(d, "meta.json"), "utf8")), metas);
  assert.ok(loadRun(dirs[0]));
  // Summary, relation and report lines over 3 seeds.
  const table = generateEmbedSummary(r);
  assert.equal(table.filter((row) => row.size === "all").length, 3);
  assert.ok(table.every((row) => row.chance === 0.0625 && row.models === 3));
  for (const rel of generateEmbedRelation(r)) {
    assert.equal(rel.n, 3);
    const ms = r.models.filter((m) => m.modality === rel.modality);
    const d = ms.map((m) => m.after.generated.recallAt1 - m.captionExact);
    assert.ok(Math.abs(rel.meanDifference - d.reduce((a, b) => a + b, 0) / 3) < 1e-12);
  }
  const lines = generateEmbedLines(r);
  assert.equal(lines.length, 3);
  const p4 = p4Section(null, loadGrslPanels(), "smoke", 100, r);
  assert.deepEqual(p4.measurement, lines);
  assert.equal(p4.verdict, "not yet measured", "the mechanism check does not enter the verdict");
});

test("the report says 'not yet measured' for the mechanism check when it is not published", () => {
  const paper = loadGrslPanels();
  assert.deepEqual(p4Section(null, paper, "smoke", 100, null).measurement, []);
  // With a GRSL result but no mechanism check, the last line says so.
  const lines = p4Section(syntheticGrslResults(0), paper, "synthetic", 100, null).measurement;
  assert.match(lines.at(-1)!, /^Mechanism check \(generate-then-embed.*not yet measured\.$/);
});
