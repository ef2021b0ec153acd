// P2 as an experiment: cells cached per size × seed × format (a rerun loads), the comparison's
// paired differences recomputed from the cells, the verdict rule on hand-made rows, publishing
// without timings, and the tensor count flat over a whole run.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { refinementBeforeAfterFigure } from "../src/figures";
import { presetDefaults } from "../src/config";
import {
  cellVerdict,
  p2Section,
  conditionColumns,
  loadPublishedExperiment,
  publishRefinement,
  REFINEMENT_PRESET,
  refinementComparison,
  refinementVerdict,
  refinementVerdicts,
  runRefinement,
  type RefinementComparisonRow,
  type RefinementConfig,
  type RefinementResults,
} from "../src/experiments";

before(async () => {
  await initBackend();
});

const row = (over: Partial<RefinementComparisonRow>): RefinementComparisonRow => ({
  size: "S", format: "few-words", split: "iid", modality: "image", metric: "colour top1", seeds: 3,
  before: "", after: "", "after − before": "", "after > before": "", chance: 0.167, "shuffled before": "", "shuffled after": "", "init before": "", "init after": "",
  deltaMean: 0, deltaLo: 0, wins: 0, initAfterMean: 0, afterMean: 0, beforeMean: 0, beforeHalf: NaN, afterHalf: NaN, initAfterHalf: NaN, ...over,
});

test("the P2 rule: a cell transfers with its interval above 0 and above the refined random init; partly with a positive mean in a majority of seeds", () => {
  assert.equal(cellVerdict(row({ deltaMean: 0.2, deltaLo: 0.05, wins: 3, afterMean: 0.6, initAfterMean: 0.2 })), "yes");
  // Interval above 0 but the refined random init does as well: the gain does not need pretraining.
  assert.equal(cellVerdict(row({ deltaMean: 0.2, deltaLo: 0.05, wins: 3, afterMean: 0.3, initAfterMean: 0.3 })), "partial");
  assert.equal(cellVerdict(row({ deltaMean: 0.2, deltaLo: -0.1, wins: 2, afterMean: 0.6, initAfterMean: 0.2 })), "partial");
  assert.equal(cellVerdict(row({ deltaMean: 0.2, deltaLo: -0.1, wins: 1, afterMean: 0.6, initAfterMean: 0.2 })), "no");
  assert.equal(cellVerdict(row({ deltaMean: -0.1, deltaLo: -0.3, wins: 0 })), "no");
  const yes = { deltaMean: 0.2, deltaLo: 0.05, wins: 3, afterMean: 0.6, initAfterMean: 0.2 };
  const rows = [
    row({ ...yes }),
    row({ ...yes, modality: "audio" }),
    row({ metric: "object top1", deltaMean: 0.1, deltaLo: -0.1, wins: 2 }),
    row({ metric: "object top1", modality: "audio" }),
    row({ metric: "R@1" }),
    row({ metric: "R@1", modality: "audio" }),
    // OOD and kernel metrics do not enter the verdict.
    row({ ...yes, split: "ood", metric: "R@1" }),
    row({ ...yes, metric: "cka" }),
    row({ format: "one-word" }),
    row({ format: "one-word", modality: "audio" }),
  ];
  const v = refinementVerdicts(rows);
  assert.deepEqual(v.map((e) => `${e.format}/${e.metric}=${e.verdict}`), ["few-words/colour top1=yes", "few-words/object top1=partial", "few-words/R@1=no", "one-word/colour top1=no"]);
  assert.equal(refinementVerdict(rows), "P2 (lora, S, 3 seeds, IID): few-words — yes for colour; partial for object; one-word — no");
  // The text-side control is appended, never part of the verdict.
  const withText = [...rows, row({ modality: "text", metric: "R@1", before: "0.100", after: "0.300", chance: 0.004 })];
  assert.equal(refinementVerdict(withText), "P2 (lora, S, 3 seeds, IID): few-words — yes for colour; partial for object; one-word — no [control: text paraphrase R@1 S few-words 0.100 → 0.300 (chance 0.004)]");
  assert.equal(refinementVerdict([]), "P2: not yet measured");
});

test("lco experiment refinement at smoke: 3 seeds cached per cell (a rerun loads), the table recomputed from the cells, published without timings, tensors flat", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-p2-exp-"));
  try {
    const cfg: RefinementConfig = { ...presetDefaults(REFINEMENT_PRESET, "smoke"), formats: ["one-word"], numSteps: 4, steps: 3, batchSize: 4, probeItems: 12 };
    assert.deepEqual(cfg.seeds, [0, 1, 2], "the preset measures 3 seeds");
    const n0 = tf.memory().numTensors;
    const { results, dirs } = await runRefinement("smoke", cfg, { root });
    assert.equal(tf.memory().numTensors, n0, "every model is disposed");
    assert.equal(results.cells.length, 3);
    assert.equal(dirs.length, 3);
    assert.equal(results.refine.steps, 3);
    for (const c of results.cells) {
      assert.equal(c.refinements.pretrained.losses.length, 3);
      assert.ok(c.conditions["pretrained"].probes.length > 0, "linear probes measured");
      // The refined model's adapters start at zero (B = 0): the first step's loss is the pretrained model's.
      assert.ok(Number.isFinite(c.refinements.pretrained.losses[0]));
    }
    const rows = refinementComparison(results.cells);
    // Independent recomputation of one paired difference from the cells.
    const r1 = rows.find((r) => r.split === "iid" && r.modality === "image" && r.metric === "mutual_knn")!;
    const pick = (cond: "pretrained" | "pretrained + refined") =>
      results.cells.map((c) => conditionColumns(c.conditions[cond], c.seed).find((x) => x.split === "iid" && x.modality === "image")!.mutual_knn as number);
    const b = pick("pretrained"), a = pick("pretrained + refined");
    const d = a.map((x, i) => x - b[i]);
    assert.ok(Math.abs(r1.deltaMean - d.reduce((s, v) => s + v, 0) / 3) < 1e-12);
    assert.equal(r1.wins, d.filter((x) => x > 0).length);
    assert.equal(r1.seeds, 3);
    // R@1 chance is 1/n on the IID gallery.
    const rr = rows.find((r) => r.split === "iid" && r.modality === "image" && r.metric === "R@1")!;
    const n = results.cells[0].conditions["pretrained"].splits[0].alignment[0].n;
    assert.equal(rr.chance, Math.round(1000 / n) / 1000);
    assert.ok(results.verdict.startsWith(refinementVerdict(rows)));
    // The loss control: mean of the last 10 % of steps (here the last step of 3) over seeds, and the chance level log(4 + 4).
    const last = results.cells.reduce((s, c) => s + c.refinements.pretrained.losses[2], 0) / 3;
    assert.ok(results.verdict.endsWith(`[final loss/chance: S one-word ${last.toFixed(2)}/${Math.log(8).toFixed(2)} (init ${(results.cells.reduce((s, c) => s + c.refinements.init.losses[2], 0) / 3).toFixed(2)})]`), results.verdict);
    // The loop's positive control: paraphrase R@1 on the refinement's own triples, chance 1/n.
    const text = results.cells[0].conditions["pretrained"].text!;
    assert.ok(text.n >= 2 && text.recallAt1 >= 0 && text.recallAt1 <= 1);
    assert.equal(text.chance, 1 / text.n);
    const tr = rows.find((r) => r.modality === "text" && r.metric === "R@1")!;
    assert.equal(tr.chance, Math.round(1000 / text.n) / 1000);
    // A rerun loads every cell and gives the same numbers.
    const logs: string[] = [];
    const again = await runRefinement("smoke", cfg, { root, log: (l) => logs.push(l) });
    assert.equal(logs.filter((l) => /^loaded .*organism-refine/.test(l)).length, 3);
    assert.deepEqual(again.results.cells, results.cells);
    // Published without timings; read back.
    const files = publishRefinement(results, dirs, { outRoot: path.join(root, "data") });
    const back = JSON.parse(fs.readFileSync(files.result, "utf8")) as RefinementResults;
    assert.ok(!JSON.stringify(back).includes('"seconds"'), "no timings in the result file");
    assert.equal(back.verdict, results.verdict);
    const prov = JSON.parse(fs.readFileSync(files.provenance, "utf8"));
    assert.equal(prov.timing.runs, 3);
    assert.deepEqual(loadPublishedExperiment("smoke", "refinement", "lco-organism-refinement v1", path.join(root, "data")), back);
    assert.equal(loadPublishedExperiment("smoke", "nothing-here", "x", path.join(root, "data")), null);
    // The report's P2 section reads the same verdict entries.
    const sec = p2Section(back);
    assert.deepEqual(sec.measurement, [`${results.verdict}.`]);
    const entries = refinementVerdicts(rows);
    assert.equal(sec.table!.rows.length, entries.length);
    assert.equal(sec.verdict, entries.some((e) => e.verdict !== "no") ? (entries.every((e) => e.verdict === "yes") ? "reproduced" : "partly") : "not reproduced");
    assert.equal(p2Section(null).verdict, "not yet measured");
    // The before/after figure draws exactly the comparison's numbers: 3 bar groups + chance per format × modality.
    const fig = refinementBeforeAfterFigure(results);
    assert.equal(fig.data.length, 1 * 2 * 4);
    const sel = rows.filter((r) => r.split === "iid" && r.modality === "image" && (r.metric === "R@1" || r.metric.endsWith(" top1")));
    const after = fig.data.find((t) => t.name === "pretrained + refined" && t.xaxis === "x")!;
    assert.deepEqual(after.y, sel.map((r) => Math.round(r.afterMean * 1e4) / 1e4));
    const empty = refinementBeforeAfterFigure(null);
    assert.equal(empty.data.length, 0);
    assert.match(JSON.stringify(empty.layout.annotations), /not yet measured.*lco experiment refinement --profile full --publish/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
