import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildReport, generalSubsection, loadReportInputs, p1Section, p4Section, p5Section, reportHtml, reportMarkdown, writeReport } from "../src/experiments/report";
import { corruptionFitText, grslCorruptionArm, syntheticGrslResults, type GrslResults } from "../src/experiments/grsl";
import { CONTINUAL_FORMAT, GENERAL_RULE, type ContinualResults, type ContinualRow } from "../src/experiments/continual";
import { loadPublishedAlignment } from "../src/experiments/published";
import { alignmentTable } from "../src/experiments/alignment";
import { loadGrslPanels } from "../src/paper/grsl";
import { meanCI } from "../src/stats";

const inputs = loadReportInputs("full");

test("the full report is built from committed results: each claim measured exactly when its result is published, and the paper's numbers beside them", () => {
  const r = buildReport(inputs);
  assert.deepEqual(r.claims.map((c) => c.id), ["P1", "P2", "P3", "P4", "P5"]);
  const p1 = r.claims[0];
  assert.notEqual(p1.verdict, "not yet measured");
  assert.ok(p1.table && p1.table.rows.length === 12, "3 sizes × 2 modalities × 2 splits");
  // No result is invented: claims without published results say so and have no measurement.
  const published: Record<string, unknown> = { P2: inputs.refinement, P3: inputs.strategies, P4: inputs.grsl, P5: inputs.continual };
  for (const c of r.claims.slice(1)) {
    if (published[c.id]) {
      assert.notEqual(c.verdict, "not yet measured", c.id);
      assert.ok(c.measurement.length > 0, c.id);
      continue;
    }
    assert.equal(c.verdict, "not yet measured", c.id);
    assert.deepEqual(c.measurement, [], c.id);
  }
  // The paper's GRSL slopes beside ours (paper-notes §4.2: OCR 0.4246, n = 5).
  assert.ok(r.claims[3].paper.some((l) => l.startsWith("ocr: slope 0.425") && l.includes("n = 5 models")));
  const md = reportMarkdown(r, "figs");
  assert.ok(!/NaN|undefined/.test(md), "no NaN or undefined in the report");
  for (const c of r.claims) assert.ok(md.includes(`**Rule:** ${c.rule}`), `${c.id} states its rule`);
  assert.ok(md.includes("![mutual-kNN by layer, pretrained vs controls](figs/organism-alignment-mutual-knn.png)"));
});

test("P1's table and verdict follow from the published alignment rows (recomputed here)", () => {
  const bySize = loadPublishedAlignment("full");
  const flat = alignmentTable(bySize.S).filter((x) => x.modality === "image" && x.split === "iid");
  const pre = meanCI(flat.filter((x) => x.condition === "pretrained").map((x) => x.mutual_knn as number));
  const row = p1Section(bySize, "full").table!.rows.find((x) => x[0] === "S" && x[1] === "image" && x[2] === "IID")!;
  assert.equal(row[4], `${pre.mean.toFixed(3)} ± ${pre.halfWidth.toFixed(3)}`);
  // Invariant: if the random init scored what the pretrained model did, no cell would be aligned.
  const same = Object.fromEntries(
    Object.entries(bySize).map(([s, rows]) => {
      const preRows = rows.filter((r) => r.condition === "pretrained");
      return [s, [...preRows, ...preRows.map((r) => ({ ...r, condition: "random init" as const }))]];
    }),
  );
  assert.equal(p1Section(same, "full").verdict, "not reproduced");
  assert.equal(p1Section(null, "full").verdict, "not yet measured");
});

test("P4's verdict follows its rule on synthetic sweeps: a law, no law, one modality only", () => {
  const paper = loadGrslPanels();
  const law = syntheticGrslResults(3);
  assert.equal(p4Section(law, paper, "full", 300).verdict, "reproduced");
  // Break the law: after-refinement scores no longer depend on x (a fixed pattern per run step).
  const flat: GrslResults = {
    ...law,
    points: law.points.map((p) => ({ ...p, after: { recallAt1: 0.1 + 0.01 * ((p.seed * 7 + p.step) % 5), ndcgAt10: 0.2 } })),
  };
  assert.equal(p4Section(flat, paper, "full", 300).verdict, "not reproduced");
  const one: GrslResults = { ...law, points: law.points.filter((p) => p.modality === "audio") };
  assert.equal(p4Section(one, paper, "full", 300).verdict, "partly", "one supporting panel is not enough for 'reproduced'");
  const table = p4Section(law, paper, "full", 300).table!;
  assert.equal(table.rows.find((r) => r[0] === "video")![8], "not yet measured");
  assert.ok(p4Section(law, paper, "full", 300).measurement.some((l) => l.startsWith('Bound ordering "LoRA vs full: distance to the prior"') && l.includes(": holds,")));
});

function continual(values: Record<string, number[]>): ContinualResults {
  const rows: ContinualRow[] = Object.entries(values).flatMap(([arm, vs]) =>
    vs.map((v, seed) => ({ arm: arm as ContinualRow["arm"], seed, ndcgAt10: v, recallAt1: v / 2 })),
  );
  return { format: CONTINUAL_FORMAT, profile: "test", setup: "test setup", chance: { ndcgAt10: 0.05, recallAt1: 0.01 }, rows };
}

test("P4's caption-corruption sub-section shows the within-arm table, fits, chance, rule and verdict of grslCorruptionArm", () => {
  const p4 = buildReport(inputs).claims[3];
  const arm = grslCorruptionArm(inputs.grsl!)!;
  assert.equal(p4.subsections?.length, 1);
  const sub = p4.subsections![0];
  assert.equal(sub.title, "The caption-corruption dial (within-arm)");
  assert.equal(sub.verdict, arm.verdict);
  assert.equal(sub.rule, arm.rule);
  const [rates, fits] = sub.tables;
  assert.equal(rates.rows.length, 3 * 4, "3 modalities × 4 rates");
  const image = arm.modalities.find((m) => m.modality === "image")!;
  const r50 = image.rows.find((r) => r.rate === 0.5)!;
  assert.deepEqual(rates.rows.find((r) => r[0] === "image" && r[1] === "0.5")!.slice(2, 5), [
    "3", `${r50.generative.mean.toFixed(3)} ± ${r50.generative.sd!.toFixed(3)}`, `${r50.after.recallAt1.mean.toFixed(3)} ± ${r50.after.recallAt1.sd!.toFixed(3)}`,
  ]);
  const imageFit = fits.rows.find((r) => r[0] === "image")!;
  assert.equal(imageFit[2], corruptionFitText(image.fits.afterOnGenerative));
  // The same fit from numpy/scipy (test/grsl-organism.test.ts, ARM_REF): slope 0.422067 [0.114874, 0.729261], ρ 0.718040.
  assert.ok(imageFit[2].startsWith("0.422 [0.115, 0.729], ρ 0.718"), imageFit[2]);
  assert.equal(imageFit[6], "with generation");
  const md = reportMarkdown(buildReport(inputs), "figs");
  const at = md.indexOf("### The caption-corruption dial (within-arm)");
  assert.ok(at > md.indexOf("## P4.") && at < md.indexOf("## P5."), "inside P4");
  assert.ok(md.includes("0.010 (1/96)"), "chance of R@1 on the 96-item gallery");
  assert.ok(md.includes(`| image | 12 | ${corruptionFitText(image.fits.afterOnGenerative)} |`));
  assert.ok(md.includes(`**Verdict of this sub-section:** ${arm.verdict}.`));
  assert.ok(reportHtml(buildReport(inputs), "figs").includes("<h3>The caption-corruption dial (within-arm)</h3>"));
  // A sweep without the arm has no sub-section.
  assert.deepEqual(p4Section(syntheticGrslResults(3), loadGrslPanels(), "synthetic", 200).subsections, []);
});

test("P5's verdict follows its rule (paired by seed)", () => {
  const refine = [0.3, 0.35, 0.32];
  assert.equal(p5Section(continual({ refine, "continual+refine": [0.5, 0.55, 0.51], "control+refine": [0.31, 0.36, 0.3] }), "full").verdict, "reproduced");
  assert.equal(p5Section(continual({ refine, "continual+refine": [0.5, 0.55, 0.51], "control+refine": [0.5, 0.56, 0.5] }), "full").verdict, "partly");
  assert.equal(p5Section(continual({ refine, "continual+refine": [0.29, 0.36, 0.3], "control+refine": [0.3, 0.3, 0.3] }), "full").verdict, "not reproduced");
  assert.equal(p5Section(continual({ refine: [0.3, 0.3], "continual+refine": [0.5, 0.5], "control+refine": [0.3, 0.3] }), "full").verdict, "not yet measured");
  const s = p5Section(continual({ refine, "continual+refine": [0.5, 0.55, 0.51], "control+refine": [0.31, 0.36, 0.3] }), "full");
  // (0.2 + 0.2 + 0.19) / 3 = 0.197
  assert.ok(s.measurement.some((l) => l.startsWith("continual+refine − refine: 0.197 ±") && l.includes("3/3 positive")));
});

test("P5's sub-section on the general-captions variant: from the two published files, its own rule, not published yet when absent", () => {
  const refine = [0.3, 0.35, 0.32], control = [0.31, 0.36, 0.3];
  const def = continual({ refine, "continual+refine": [0.3, 0.36, 0.31], "control+refine": control });
  const gen = { ...continual({ refine, "continual+refine": [0.5, 0.55, 0.51], "control+refine": control }), setup: "general setup", generalCaptions: 7 };
  const s = p5Section(def, "full", gen);
  // P5's own verdict is the default's, whatever the variant shows.
  assert.equal(s.verdict, p5Section(def, "full").verdict);
  assert.deepEqual(s.sources, ["data/organism/full/continual.json", "data/organism/full/continual-general.json"]);
  const sub = s.subsections![0];
  assert.equal(sub.title, "With general captions mixed in");
  assert.equal(sub.rule, GENERAL_RULE);
  assert.equal(sub.verdict, "helps");
  // python3 -c "import numpy as np; from scipy import stats
  // for d in [[.2,.19,.2],[.1,.095,.1],[.2,.2,.19]]: d=np.array(d); print(d.mean(), stats.t.ppf(.975,2)*d.std(ddof=1)/np.sqrt(3))"
  // → 0.196667 0.014342 | 0.098333 0.007171 | 0.196667 0.014342   (R@1 here is nDCG@10 / 2)
  assert.deepEqual(sub.tables[0].rows.slice(0, 4), [
    ["continual+refine (general) − continual+refine (default)", "nDCG@10", "3", "0.197 ± 0.014", "3/3"],
    ["continual+refine (general) − continual+refine (default)", "R@1", "3", "0.098 ± 0.007", "3/3"],
    ["continual+refine (general) − refine", "nDCG@10", "3", "0.197 ± 0.014", "3/3"],
    ["continual+refine (general) − refine", "R@1", "3", "0.098 ± 0.007", "3/3"],
  ]);
  assert.ok(sub.measurement[0].startsWith("general setup. ") && sub.measurement[0].includes("7 general image captions per step"));
  assert.equal(sub.measurement.length, 1, "the shared units agree, so no warning");
  const md = reportMarkdown({ title: "t", profile: "full", claims: [s] }, "f");
  assert.ok(md.includes("### With general captions mixed in") && md.includes(`**Rule:** ${GENERAL_RULE}`) && md.includes("**Verdict of this sub-section:** helps."));
  // Shared units that differ between the files are flagged.
  const drift = { ...gen, rows: gen.rows.map((r) => (r.arm === "control+refine" && r.seed === 0 ? { ...r, ndcgAt10: 0.9 } : r)) };
  assert.match(generalSubsection(drift, def, "full").measurement.at(-1)!, /different computations/);
  // Absent files.
  const none = generalSubsection(null, def, "full");
  assert.equal(none.verdict, "not yet measured");
  assert.match(none.measurement[0], /^not published yet: `lco experiment continual --profile full --variant=general --publish`/);
  assert.equal(generalSubsection(gen, null, "full").verdict, "not yet measured");
  assert.equal(p5Section(null, "full", null).subsections![0].verdict, "not yet measured");
  // The committed full report: the variant's sub-section follows the published file.
  const p5 = buildReport(inputs).claims[4];
  assert.equal(p5.subsections![0].verdict === "not yet measured", !inputs.continualGeneral);
  assert.equal(p5.sources.includes("data/organism/full/continual-general.json"), !!inputs.continualGeneral);
});

test("writeReport writes REPORT.md and REPORT.html with the same verdicts, escaped", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-report-"));
  const out = writeReport("full", dir);
  const md = fs.readFileSync(out.md, "utf8");
  const html = fs.readFileSync(out.html, "utf8");
  for (const c of out.report.claims) {
    assert.ok(md.includes(`## ${c.id}.`));
    assert.ok(html.includes(`<h2>${c.id}.`));
  }
  assert.ok(html.includes("<b>Rule:</b>"));
  assert.ok(!html.includes("<script"), "a plain page");
  // Figures are referenced in the project's figures/ folder, relative to the report.
  const rel = md.match(/\]\(([^)]+\/organism-alignment-mutual-knn\.png)\)/)![1];
  assert.ok(fs.existsSync(path.resolve(dir, rel)), `figure path ${rel} resolves`);
  // Text is escaped: a title with markup comes out as text.
  const page = reportHtml({ title: "a <i>b</i> & c", profile: "x", claims: [] }, "f");
  assert.ok(page.includes("<h1>a &lt;i&gt;b&lt;/i&gt; &amp; c</h1>"));
});
