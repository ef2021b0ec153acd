import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkGrslResults,
  grslPanelStatistics,
  panelPoints,
  representationScore,
  syntheticGrslResults,
  type GrslResults,
} from "../src/experiments/grsl";
import { grslOrganismFigure, grslPanelAnnotation } from "../src/figures/grsl-organism";
import { canonicalJson } from "../src/figures/canonical";
import { loadGrslPanels } from "../src/paper/grsl";
import { lineStatistics } from "../src/stats";
import { InputError } from "../src/array";

const FIXTURE = path.join(__dirname, "fixtures", "grsl-organism-synthetic.plotly.json");

test("representationScore is the mean of R@1 and nDCG@10 and refuses values outside [0, 1]", () => {
  assert.equal(representationScore({ recallAt1: 0.2, ndcgAt10: 0.6 }), 0.4);
  assert.equal(representationScore({ recallAt1: 0, ndcgAt10: 0 }), 0);
  assert.throws(() => representationScore({ recallAt1: 1.2, ndcgAt10: 0.5 }), /invalid recallAt1.*got 1.2/);
  assert.throws(() => representationScore({ recallAt1: 0.1, ndcgAt10: NaN }), InputError);
});

test("panelPoints: one point per checkpoint and modality; combined averages x and y over modalities", () => {
  const r = syntheticGrslResults(1, { sizes: ["S", "M"], seeds: [0, 1], steps: [0, 100, 300], modalities: ["document", "audio"] });
  const doc = panelPoints(r, "document", "after");
  assert.equal(doc.length, 2 * 2 * 3);
  assert.equal(new Set(doc.map((p) => p.cluster)).size, 4, "one cluster per run");
  const comb = panelPoints(r, "combined", "after");
  assert.equal(comb.length, 12);
  const audio = panelPoints(r, "audio", "after");
  comb.forEach((c, i) => {
    assert.ok(Math.abs(c.x - (doc[i].x + audio[i].x) / 2) < 1e-12);
    assert.ok(Math.abs(c.y - (doc[i].y + audio[i].y) / 2) < 1e-12);
  });
  assert.deepEqual(panelPoints(r, "video", "after"), []);
  assert.throws(() => panelPoints(r, "smell" as never, "after"), /unknown GRSL modality "smell"/);
});

test("grslPanelStatistics equals lineStatistics on the panel's points, and says why when it cannot fit", () => {
  const r = syntheticGrslResults(2);
  const s = grslPanelStatistics(r, "document", "after", { seed: 3, nBoot: 300 });
  assert.deepEqual(s.stats, lineStatistics(panelPoints(r, "document", "after"), { seed: 3, nBoot: 300 }));
  assert.equal(s.stats?.nClusters, 9);
  // The synthetic law is built with a positive slope that doubles after refinement.
  assert.ok(s.stats!.ols.slope > 0.4, `slope ${s.stats!.ols.slope}`);
  const b = grslPanelStatistics(r, "document", "before", { seed: 3, nBoot: 300 });
  assert.ok(b.stats!.ols.slope < s.stats!.ols.slope);
  assert.equal(grslPanelStatistics(r, "video", "after").reason, "not yet measured");
  const two: GrslResults = { ...r, points: r.points.filter((p) => p.modality === "audio").slice(0, 2) };
  assert.equal(grslPanelStatistics(two, "audio", "after").reason, "only 2 point(s)");
  const flat: GrslResults = { ...r, points: r.points.map((p) => ({ ...p, generativeScore: 0.5 })) };
  assert.equal(grslPanelStatistics(flat, "audio", "after").reason, "no spread in the generative score");
});

test("checkGrslResults rejects a wrong format tag and out-of-range values, naming them", () => {
  const r = syntheticGrslResults(0, { sizes: ["S"], seeds: [0], steps: [0, 10] });
  assert.equal(checkGrslResults(JSON.parse(JSON.stringify(r))).points.length, r.points.length);
  assert.throws(() => checkGrslResults({ ...r, format: "x" }), /expected format "lco-grsl v1", got "x"/);
  const bad = { ...r, points: [{ ...r.points[0], generativeScore: 2 }] };
  assert.throws(() => checkGrslResults(bad), /points\[0\]\.generativeScore is 2/);
});

test("the GRSL figure puts the paper's points and ours side by side, with n, CI and ρ per panel", () => {
  const paper = loadGrslPanels();
  const r = syntheticGrslResults(5);
  const fig = grslOrganismFigure(paper, r, { nBoot: 300 });
  const cols = ["document", "video", "audio", "image", "combined"];
  const titles = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  for (const c of cols) assert.ok(titles.some((t) => t.startsWith(`<b>${c}`)), `column ${c}`);
  // The paper's OCR panel: n = 5 and its published slope 0.4246 (paper-notes §4.2).
  assert.ok(titles.some((t) => t.includes("paper: n = 5 models") && t.includes("slope 0.425")));
  assert.ok(titles.some((t) => t.includes("paper: n = 2 models") && t.includes("no interval")), "audio n = 2 has no CI");
  // Ours: video was not measured in this fixture; documents have n, both CIs and ρ.
  assert.equal(titles.filter((t) => t === "<b>ours: not yet measured</b>").length, 1);
  const doc = grslPanelStatistics(r, "document", "after", { nBoot: 300 });
  const ann = grslPanelAnnotation(doc, grslPanelStatistics(r, "document", "before", { nBoot: 300 }));
  assert.ok(titles.includes(ann));
  assert.match(ann, /^n = 36 models, 9 runs<br>after: slope [0-9.]+ \[t [0-9.-]+, [0-9.]+; runs [0-9.-]+, [0-9.]+\]<br>  ρ = 0\.\d{3} \(perm\. p < 0\.001; runs/);
  assert.match(ann, /before: slope/);
  // Each measured panel of ours has a before and an after line.
  const lines = fig.data.filter((d) => d.mode === "lines").map((d) => d.name);
  assert.equal(lines.filter((n) => n === "ours: OLS after").length, 4); // document, audio, image, combined
  assert.equal(lines.filter((n) => n === "ours: OLS before").length, 4);
  assert.equal(lines.filter((n) => n === "paper: OLS fit").length, 3);
});

test("the GRSL figure without results shows the paper's panels and says 'not yet measured' everywhere else", () => {
  const fig = grslOrganismFigure(loadGrslPanels(), null);
  const titles = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  assert.equal(titles.filter((t) => t === "<b>ours: not yet measured</b>").length, 4); // document, video, audio, combined
  assert.ok(!fig.data.some((d) => String(d.name).startsWith("ours")), "no trace of ours is drawn");
});

test("the GRSL figure on the synthetic fixture equals its committed snapshot", () => {
  const json = canonicalJson(grslOrganismFigure(loadGrslPanels(), syntheticGrslResults(5), { nBoot: 300 }));
  if (process.env.UPDATE_SNAPSHOTS === "1") fs.writeFileSync(FIXTURE, json);
  assert.equal(json, fs.readFileSync(FIXTURE, "utf8"), "snapshot differs; if intended, rerun with UPDATE_SNAPSHOTS=1 and commit");
});

test("chapter 25's exercises accept the values computed independently here and reject others", async () => {
  const { check } = await import("../src/exercises");
  const { EXERCISE_25_1 } = await import("../src/exercises/grsl");
  const { deming, ols } = await import("../src/stats");
  const { captionDonors } = await import("../src/organism/corruption");
  // Deming − OLS on the exercise data: 0.7538784086 (numpy closed form) − 0.7158844528 (scipy linregress).
  assert.ok(Math.abs(deming(EXERCISE_25_1.x, EXERCISE_25_1.y).slope - ols(EXERCISE_25_1.x, EXERCISE_25_1.y).slope - 0.0379939558) < 1e-9);
  assert.equal(check("25.1", 0.038).ok, true);
  assert.equal(check("25.1", 0.05).ok, false);
  assert.equal(check("25.2", 9).ok, true);
  assert.equal(check("25.2", 54).ok, false, "54 checkpoints are not 54 clusters");
  assert.equal(captionDonors(Array.from({ length: 200 }, (_, i) => i), { rate: 0.3, seed: 4 }).size, 60);
  assert.equal(check("25.3", 60).ok, true);
});

test("theoryOrderings: the synthetic models follow the bound's three orderings; swapping LoRA and full breaks the second", async () => {
  const { theoryOrderings } = await import("../src/experiments/grsl");
  const { grslTheoryFigure } = await import("../src/figures/grsl-organism");
  const r = syntheticGrslResults(4);
  const o = theoryOrderings(r.theory!, { nBoot: 300 });
  assert.deepEqual(o.map((x) => x.holds), [true, true, true]);
  assert.equal(o[1].value, 1, "LoRA moves less than full fine-tuning for every checkpoint by construction");
  assert.equal(o[1].n, 36);
  // Swap the strategies: now "LoRA" moves more, so ordering 2 does not hold (share 0).
  const swapped = r.theory!.map((p) => ({ ...p, strategy: p.strategy === "lora" ? ("full" as const) : ("lora" as const) }));
  const s = theoryOrderings(swapped, { nBoot: 300 });
  assert.equal(s[1].value, 0);
  assert.equal(s[1].holds, false);
  assert.deepEqual(theoryOrderings([]).map((x) => x.holds), [null, null, null]);
  const fig = grslTheoryFigure(r, { nBoot: 300 });
  const ann = (fig.layout.annotations as { text: string }[]).map((a) => a.text).join("\n");
  assert.match(ann, /LoRA closer to the prior: holds: share = 1\.000/);
  const empty = grslTheoryFigure(null);
  assert.equal((empty.layout.annotations as { text: string }[]).filter((a) => a.text === "<b>not yet measured</b>").length, 2);
  assert.equal(empty.data.length, 0, "nothing is drawn that was not measured");
});
