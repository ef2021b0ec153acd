// The GRSL sweep's run part at a tiny smoke size: every kept checkpoint of every run is refined and
// measured once (cached per unit), the result has the shape and values the figure and report read,
// a rerun loads, an interrupted sweep resumes at the missing unit with the same bits, and the
// tensor count stays flat.
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
  checkGrslResults, GRSL_PRESET, grslPanelStatistics, grslRuns, grslSteps, grslUnitDir, runGrsl, splitTriples, weightChangeSq, wantsFull, type GrslConfig,
} from "../src/experiments/grsl";
import { p4Section } from "../src/experiments/report";
import { loadGrslPanels } from "../src/paper/grsl";
import { listCheckpoints } from "../src/organism/checkpoint";
import { evaluateRun, pretrain, pretrainSpec } from "../src/organism/family";
import { createOrganism } from "../src/organism/model";
import { organismConfig } from "../src/organism/config";
import { addLora } from "../src/nn/lora";
import { disposeOrganism } from "../src/organism/model";

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A tiny GRSL config: S × seeds 0, 1; 6 pretraining steps; 2 refinement steps; one corruption rate. */
function tinyGrsl(): GrslConfig {
  return resolveConfig(GRSL_PRESET, { sizes: ["S"], seeds: [0, 1], numSteps: 6, refineSteps: 2, evalItems: 8, galleryItems: 8, heldOutTriples: 16, corruptionRates: [0.5] }, { profile: "smoke" });
}

test("runGrsl: one point per run × kept checkpoint × modality, chance levels, generative x from the run's evaluations, theory points", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-grsl-run-"));
  made.push(root);
  const cfg = tinyGrsl();
  const n0 = tf.memory().numTensors;
  const r = await runGrsl("smoke", cfg, { root });
  assert.equal(tf.memory().numTensors, n0, "tensor count flat over the sweep");
  assert.equal(r.format, "lco-grsl v1");
  checkGrslResults(JSON.parse(JSON.stringify(r)));
  const runs = grslRuns("smoke", cfg);
  assert.deepEqual(runs.map((x) => x.run), ["S/seed 0", "S/seed 1", "S/seed 0/corrupt 0.5", "S/seed 1/corrupt 0.5"]);
  let expected = 0;
  for (const run of runs) {
    const pre = await pretrain(run.spec, run.seed, { root });
    assert.equal(pre.loaded, true);
    const kept = listCheckpoints(pre.dir);
    const steps = run.arm === "checkpoints" ? [0, ...kept] : [kept[kept.length - 1]];
    const got = [...new Set(r.points.filter((p) => p.run === run.run).map((p) => p.step))];
    assert.deepEqual(got, steps, `${run.run}: steps measured`);
    expected += steps.length * 3;
    // x = the mean of the run's IID and OOD generative evaluation at that step.
    const ev = await evaluateRun(run.spec, run.seed, { root, steps });
    for (const p of r.points.filter((q) => q.run === run.run)) {
      const e = ev.find((k) => k.step === p.step)!;
      const m = (s: typeof e.iid) => s.byModality.find((b) => b.modality === p.modality)!;
      assert.equal(p.generativeScore, (m(e.iid).score + m(e.ood).score) / 2);
      assert.equal(p.captionNll, (m(e.iid).captionNll + m(e.ood).captionNll) / 2);
      assert.equal(p.arm, run.arm);
      assert.equal(p.corruptionRate, run.corruptionRate);
    }
  }
  assert.equal(r.points.length, expected);
  assert.deepEqual([...new Set(r.points.map((p) => p.modality))].sort(), ["audio", "document", "image"]);
  // Chance of ½(R@1 + nDCG@10) on a 16-item gallery, computed here from the definitions.
  const n = 16;
  let dcg = 0;
  for (let k = 1; k <= 10; k++) dcg += 1 / Math.log2(k + 1);
  for (const m of ["audio", "document", "image"] as const) assert.ok(Math.abs(r.chance[m]! - (1 / n + dcg / n) / 2) < 1e-12);
  assert.match(r.gallery, /n = 16/);
  // Theory: a LoRA point per unit, a full fine-tuning point at the last checkpoint of the checkpoint arm only.
  const t = r.theory!;
  assert.equal(t.filter((p) => p.strategy === "lora").length, expected / 3);
  const full = t.filter((p) => p.strategy === "full");
  assert.deepEqual(full.map((p) => [p.run, p.step]), runs.filter((x) => x.arm === "checkpoints").map((x) => [x.run, r.points.filter((p) => p.run === x.run).at(-1)!.step]));
  for (const p of t) {
    assert.ok(p.weightChangeSq > 0 && Number.isFinite(p.contrastiveTrain) && Number.isFinite(p.contrastiveHeldOut));
    const ms = r.points.filter((q) => q.run === p.run && q.step === p.step);
    assert.ok(Math.abs(p.generativeLoss - ms.reduce((s, q) => s + q.captionNll, 0) / ms.length) < 1e-12, "L_g = mean caption NLL");
  }
  // The statistics and the verdict rule run on it.
  assert.ok(grslPanelStatistics(r, "document", "after", { nBoot: 50 }).stats !== null);
  assert.notEqual(p4Section(r, loadGrslPanels(), "smoke", 50).verdict, "not yet measured");

  // A rerun loads every unit (same bits, no unit recomputed).
  // Step 0 of S/seed 0 (not its last checkpoint, so no full fine-tuning).
  assert.equal(wantsFull(cfg, runs[0], 0, [0, 1, 6]), false);
  const unit = grslUnitDir(root, runs[0].spec, runs[0].seed, 0, cfg, false);
  const meta = fs.readFileSync(path.join(unit, "meta.json"), "utf8");
  assert.deepStrictEqual(await runGrsl("smoke", cfg, { root }), r);
  assert.equal(fs.readFileSync(path.join(unit, "meta.json"), "utf8"), meta, "loaded, not recomputed");
  // An interrupted sweep (a unit without its result) resumes there and gives the same bits.
  fs.rmSync(path.join(unit, "result.json"));
  assert.deepStrictEqual(await runGrsl("smoke", cfg, { root }), r);
  assert.notEqual(fs.readFileSync(path.join(unit, "meta.json"), "utf8"), meta, "that unit was recomputed");

  // The CLI runs the same preset (here it only loads) and prints the panels and the verdict.
  const { experimentCommand } = await import("../src/cli/experiment");
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: () => {} };
  const argv = ["grsl", "--profile", "smoke", "--root", root, "--json", "--sizes=S", "--seeds=0,1", "--numSteps=6", "--refineSteps=2", "--evalItems=8", "--galleryItems=8", "--heldOutTriples=16", "--corruptionRates=0.5"];
  assert.equal(await experimentCommand.run(argv, io), 0);
  const j = JSON.parse(out.at(-1)!);
  assert.equal(j.experiment, "grsl");
  assert.ok(j.table.some((row: Record<string, string>) => row.modality === "document" && row.phase === "after"));
  assert.ok(j.table.some((row: Record<string, string>) => row.modality === "verdict (P4)" && row.phase === p4Section(r, loadGrslPanels(), "smoke").verdict));
  await assert.rejects(experimentCommand.run(["grsl", "--profile", "smoke", "--corruptionRates=2"], io), (e: Error) => e instanceof InputError && /corruptionRates entry 2/.test(e.message));
});

test("grsl pieces: ‖ΔW‖² of LoRA equals ‖(α/r)·A·B‖² computed by hand; held-out triples are disjoint; bad input names the value", () => {
  const cfg = organismConfig({ profile: "smoke", size: "S" });
  const model = createOrganism(cfg, {}, 3);
  try {
    const before = model.params.toNdArrays((nm) => nm.startsWith("dec.") && !/\.lora_[ab]$/.test(nm));
    addLora(model.params, { targets: ["dec.h0.mlp.fc1"], rank: 2, alpha: 4, dropout: 0, seed: 1 });
    // LoRA's B starts at 0: give it values, then compare with a plain-JS product.
    const a = model.params.get("dec.h0.mlp.fc1.lora_a"), b = model.params.get("dec.h0.mlp.fc1.lora_b");
    b.assign(tf.tidy(() => tf.randomNormal(b.shape, 0, 0.1, "float32", 7)));
    const A = a.arraySync() as number[][], B = b.arraySync() as number[][];
    let want = 0;
    for (let i = 0; i < A.length; i++) {
      for (let j = 0; j < B[0].length; j++) {
        let s = 0;
        for (let k = 0; k < B.length; k++) s += A[i][k] * B[k][j];
        want += ((4 / 2) * s) ** 2;
      }
    }
    const w = model.params.get("dec.h0.mlp.fc1.w").dataSync().slice();
    assert.ok(Math.abs(weightChangeSq(model, before) - want) / want < 1e-4);
    assert.deepEqual(model.params.get("dec.h0.mlp.fc1.w").dataSync().slice(), w, "the base weights are untouched");
  } finally {
    disposeOrganism(model);
  }
  const triples = Array.from({ length: 20 }, (_, i) => ({ anchor: `a${i}`, positive: `p${i}`, negative: `n${i}` }));
  const s = splitTriples(triples, 5, 0);
  assert.equal(s.train.length, 15);
  assert.equal(s.heldOut.length, 5);
  assert.equal(new Set([...s.train, ...s.heldOut].map((x) => x.anchor)).size, 20);
  assert.deepEqual(splitTriples(triples, 5, 0), s, "seeded");
  assert.throws(() => splitTriples(triples, 20, 0), (e: Error) => e instanceof InputError && /heldOutTriples 20/.test(e.message));
  assert.throws(() => resolveConfig(GRSL_PRESET, { corruptionRates: [1.5] }, { profile: "smoke" }), (e: Error) => e instanceof InputError && /1\.5/.test(e.message));
  const run = grslRuns("smoke", { ...tinyGrsl(), checkpoints: [0, 4] })[0];
  assert.throws(() => grslSteps(run, [1, 2, 6], { ...tinyGrsl(), checkpoints: [0, 4] }), (e: Error) => e instanceof InputError && /step 4/.test(e.message));
  assert.deepEqual(grslSteps(run, [1, 2, 6], { ...tinyGrsl(), checkpoints: [6, 0] }), [0, 6]);
  assert.deepEqual(pretrainSpec("smoke", "S").profile, "smoke");
});
