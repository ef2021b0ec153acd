import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkGrslResults,
  corruptionArmSummary,
  grslCorruptionArm,
  grslGallerySize,
  loadPublishedGrsl,
  type GrslPoint,
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

// ---------------------------------------------------------------------------------------------
// The caption-corruption arm judged on its own (corruptionArmSummary).

/*
 * Reference numbers, computed independently from the committed data/organism/full/grsl.json by
 * numpy/scipy (statistics.stdev; scipy.stats.linregress with t.ppf(0.975, n − 2); average ranks and
 * 400 000 random pairings for the two-sided permutation p), run from the project root:
 *
 *   python3 - <<'PY'
 *   import json, statistics as st, numpy as np
 *   from scipy import stats
 *   p = json.load(open('data/organism/full/grsl.json'))['points']
 *   S = [x for x in p if x['size'] == 'S']; last = max(x['step'] for x in S); rng = np.random.default_rng(1)
 *   for m in ['document', 'audio', 'image']:
 *       for r in [0, 0.1, 0.3, 0.5]:
 *           xs = [x for x in S if x['step'] == last and x['modality'] == m and abs(x['corruptionRate'] - r) < 1e-9]
 *           v = lambda f: [f(x) for x in xs]
 *           g, a = v(lambda x: x['generativeScore']), v(lambda x: x['after']['recallAt1'])
 *           print(m, r, len(xs), '%.6f %.6f %.6f %.6f' % (st.mean(g), st.stdev(g), st.mean(a), st.stdev(a)),
 *                 '%.6f %.6f %.6f' % (st.mean(v(lambda x: x['before']['recallAt1'])), st.mean(v(lambda x: x['after']['ndcgAt10'])), st.mean(v(lambda x: x['before']['ndcgAt10']))))
 *       xs = [x for x in S if x['step'] == last and x['modality'] == m]
 *       G, R = np.array([x['generativeScore'] for x in xs]), np.array([x['corruptionRate'] for x in xs])
 *       A, B = np.array([x['after']['recallAt1'] for x in xs]), np.array([x['before']['recallAt1'] for x in xs])
 *       for name, x, y in [('afterOnGenerative', G, A), ('afterOnRate', R, A), ('beforeOnGenerative', G, B), ('beforeOnRate', R, B)]:
 *           res = stats.linregress(x, y); t = stats.t.ppf(0.975, len(x) - 2)
 *           rx, ry = stats.rankdata(x), stats.rankdata(y); rho = np.corrcoef(rx, ry)[0, 1]
 *           P = np.array([rng.permutation(ry) for _ in range(400000)]); rc = rx - rx.mean(); Pc = P - P.mean(1, keepdims=True)
 *           pv = np.mean(np.abs((Pc @ rc) / np.sqrt((Pc**2).sum(1) * (rc**2).sum())) >= abs(rho) - 1e-12)
 *           print(m, name, len(x), '%.6f %.6f %.6f %.6f %.4f' % (res.slope, res.slope - t * res.stderr, res.slope + t * res.stderr, rho, pv))
 *   PY
 */
const ARM_REF = {
  // rate: [n, gen mean, gen sd, R@1 after mean, R@1 after sd, R@1 before mean, nDCG@10 after mean, nDCG@10 before mean]
  rows: {
    document: [[0, 3, 0.229601, 0.003341, 0.041667, 0.010417, 0.020833, 0.111862, 0.112188], [0.1, 3, 0.213759, 0.008472, 0.038194, 0.026215, 0.027778, 0.11172, 0.113499], [0.3, 3, 0.177951, 0.026735, 0.017361, 0.015912, 0.027778, 0.080621, 0.089174], [0.5, 3, 0.171224, 0.007508, 0.020833, 0.010417, 0.020833, 0.069489, 0.081554]],
    audio: [[0, 3, 0.53125, 0.034957, 0.1875, 0.03125, 0.21875, 0.478828, 0.541566], [0.1, 3, 0.526476, 0.041638, 0.246528, 0.124275, 0.340278, 0.534142, 0.614916], [0.3, 3, 0.37934, 0.029986, 0.152778, 0.051384, 0.197917, 0.394356, 0.487962], [0.5, 3, 0.329644, 0.029074, 0.131944, 0.021684, 0.239583, 0.36646, 0.492757]],
    image: [[0, 3, 0.48329, 0.043888, 0.149306, 0.031823, 0.170139, 0.408252, 0.47298], [0.1, 3, 0.452908, 0.029415, 0.180556, 0.069358, 0.263889, 0.455345, 0.532275], [0.3, 3, 0.312717, 0.006521, 0.107639, 0.021684, 0.111111, 0.326907, 0.347348], [0.5, 3, 0.292535, 0.037384, 0.072917, 0.02756, 0.09375, 0.263316, 0.314842]],
  },
  // fit: [slope, lo, hi, rho, perm p]
  fits: {
    document: { afterOnGenerative: [0.296258, -0.106718, 0.699234, 0.513314, 0.0903], afterOnRate: [-0.048258, -0.102502, 0.005986, -0.568382, 0.0601], beforeOnGenerative: [0.003594, -0.315711, 0.322899, 0.15522, 0.6286], beforeOnRate: [-0.002354, -0.047368, 0.04266, -0.114109, 0.7379] },
    audio: { afterOnGenerative: [0.436372, -0.009502, 0.882246, 0.554389, 0.0648], afterOnRate: [-0.171257, -0.404961, 0.062447, -0.574191, 0.057], beforeOnGenerative: [0.366489, -0.35905, 1.092028, 0.179264, 0.5747], beforeOnRate: [-0.074741, -0.445004, 0.295521, 0, 1] },
    image: { afterOnGenerative: [0.422067, 0.114874, 0.729261, 0.71804, 0.0109], afterOnRate: [-0.190089, -0.332628, -0.047551, -0.778663, 0.0044], beforeOnGenerative: [0.620099, 0.154593, 1.085605, 0.71445, 0.0109], beforeOnRate: [-0.251883, -0.483832, -0.019934, -0.606634, 0.0416] },
  },
} as const;

const near = (got: number | null, want: number, tol: number, what: string) => assert.ok(got !== null && Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} ± ${tol}`);

test("corruptionArmSummary on the published full sweep matches numpy/scipy on the same points", () => {
  const grsl = loadPublishedGrsl("full");
  assert.ok(grsl, "data/organism/full/grsl.json is committed");
  const s = grslCorruptionArm(grsl!)!;
  assert.equal(s.size, "S");
  assert.equal(s.step, 2000);
  assert.deepEqual(s.rates, [0, 0.1, 0.3, 0.5]);
  assert.deepEqual(s.seeds, [0, 1, 2]);
  assert.equal(s.gallerySize, 96);
  assert.equal(s.chanceRecallAt1, 1 / 96);
  assert.deepEqual(s.modalities.map((m) => m.modality), ["document", "audio", "image"]);
  for (const m of s.modalities) {
    const ref = ARM_REF.rows[m.modality as keyof typeof ARM_REF.rows];
    // Rate 0 is the plain S runs of the same seeds (their last checkpoint), the others the arm's runs.
    assert.deepEqual(m.rows[0].runs, ["S/seed 0", "S/seed 1", "S/seed 2"]);
    assert.deepEqual(m.rows[2].runs, ["S/seed 0/corrupt 0.3", "S/seed 1/corrupt 0.3", "S/seed 2/corrupt 0.3"]);
    m.rows.forEach((r, i) => {
      const [rate, n, g, gsd, a, asd, b, na, nb] = ref[i];
      const w = `${m.modality} rate ${rate}`;
      assert.equal(r.rate, rate);
      assert.equal(r.seeds.length, n);
      near(r.generative.mean, g, 1e-6, `${w} gen mean`);
      near(r.generative.sd, gsd, 1e-6, `${w} gen sd`);
      near(r.after.recallAt1.mean, a, 1e-6, `${w} R@1 after`);
      near(r.after.recallAt1.sd, asd, 1e-6, `${w} R@1 after sd`);
      near(r.before.recallAt1.mean, b, 1e-6, `${w} R@1 before`);
      near(r.after.ndcgAt10.mean, na, 1e-6, `${w} nDCG after`);
      near(r.before.ndcgAt10.mean, nb, 1e-6, `${w} nDCG before`);
    });
    const fits = ARM_REF.fits[m.modality as keyof typeof ARM_REF.fits];
    for (const [k, [slope, lo, hi, rho, p]] of Object.entries(fits)) {
      const f = m.fits[k as keyof typeof m.fits];
      const w = `${m.modality} ${k}`;
      assert.equal(f.n, 12, w);
      assert.equal(f.reason, null, w);
      near(f.slope, slope, 1e-6, `${w} slope`);
      near(f.slopeCI![0], lo, 1e-6, `${w} lo`);
      near(f.slopeCI![1], hi, 1e-6, `${w} hi`);
      near(f.rho, rho, 1e-6, `${w} rho`);
      // 10 000 seeded permutations against 400 000: Monte Carlo error ≈ 0.003 at p ≈ 0.07.
      near(f.rhoP, p, 0.015, `${w} perm p`);
    }
  }
  // The rule, applied to the reference intervals: only image's after-slope interval lies above 0.
  assert.deepEqual(s.modalities.map((m) => m.dial), ["no detectable effect", "no detectable effect", "with generation"]);
  assert.match(s.verdict, /with generation in 1 of 3 modalities \(image\); no detectable effect in 2/);
});

/** A synthetic arm: R@1 after = a + b·gen exactly, gen = 0.6 − 0.5·rate + a per-seed offset. */
function exactArm(b: number): GrslPoint[] {
  const pts: GrslPoint[] = [];
  for (const rate of [0, 0.2, 0.4]) {
    for (const seed of [0, 1, 2, 3]) {
      const gen = 0.6 - 0.5 * rate + 0.01 * seed;
      const base = { size: "S", seed, step: 500, modality: "image" as const, generativeScore: gen, captionNll: 1 };
      const scores = { before: { recallAt1: 0.3 - 0.1 * rate, ndcgAt10: 0.5 }, after: { recallAt1: 0.05 + b * gen, ndcgAt10: 0.6 } };
      pts.push(rate === 0 ? { ...base, ...scores, run: `S/seed ${seed}`, arm: "checkpoints", corruptionRate: 0 } : { ...base, ...scores, run: `S/seed ${seed}/corrupt ${rate}`, arm: "corruption", corruptionRate: rate });
    }
    // Checkpoints that are not the arm's: another size, an earlier step of S, a seed outside the arm.
  }
  pts.push({ ...pts[0], size: "M", run: "M/seed 0", after: { recallAt1: 0.99, ndcgAt10: 0.99 } });
  pts.push({ ...pts[0], step: 100, after: { recallAt1: 0.99, ndcgAt10: 0.99 } });
  pts.push({ ...pts[0], seed: 9, run: "S/seed 9", after: { recallAt1: 0.99, ndcgAt10: 0.99 } });
  return pts;
}

test("corruptionArmSummary recovers an exact slope, picks rate 0 from the arm's size, step and seeds, and judges by the rule", () => {
  const s = corruptionArmSummary(exactArm(0.4), { gallerySize: 32 })!;
  assert.equal(s.step, 500);
  assert.deepEqual(s.seeds, [0, 1, 2, 3]);
  assert.equal(s.chanceRecallAt1, 1 / 32);
  const [m] = s.modalities;
  assert.deepEqual(m.rows.map((r) => r.seeds.length), [4, 4, 4], "the M run, the step-100 checkpoint and seed 9 are left out");
  const f = m.fits.afterOnGenerative;
  near(f.slope, 0.4, 1e-12, "exact slope");
  near(f.slopeCI![0], 0.4, 1e-9, "zero-width interval");
  near(f.rho, 1, 1e-12, "rho");
  // after = 0.05 + 0.4·(0.6 − 0.5·rate + 0.01·seed): its slope on the rate, seeds balanced, is −0.2.
  near(m.fits.afterOnRate.slope, -0.2, 1e-12, "slope on the rate");
  near(m.fits.beforeOnRate.slope, -0.1, 1e-12, "before slope on the rate");
  assert.equal(m.dial, "with generation");
  assert.equal(corruptionArmSummary(exactArm(-0.4))!.modalities[0].dial, "against generation");
  const flat = corruptionArmSummary(exactArm(0))!;
  assert.equal(flat.modalities[0].dial, "not measured");
  assert.equal(flat.modalities[0].fits.afterOnGenerative.reason, "no spread in R@1 after");
  assert.match(flat.verdict, /^not measured/);
  // Missing numbers are null, not NaN: the summary survives a result's JSON (cache, publish) unchanged.
  assert.equal(flat.modalities[0].fits.afterOnGenerative.slope, null);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(flat)), flat);
  const one = corruptionArmSummary(exactArm(0.4).filter((p) => p.seed === 0 || p.arm === "checkpoints"))!;
  assert.equal(one.modalities[0].rows[1].after.recallAt1.sd, null, "one seed at a rate: no sd");
  assert.deepStrictEqual(JSON.parse(JSON.stringify(one)), one);
  // One modality fitted, one not: the verdict counts the judged ones and names the other.
  const two = corruptionArmSummary([...exactArm(0.4), ...exactArm(0).map((p) => ({ ...p, modality: "audio" as const }))])!;
  assert.equal(two.verdict, "the dial moves representation after refinement with generation in 1 of 1 modalities (image); no detectable effect in 0; not measured in audio");
  assert.equal(flat.chanceRecallAt1, null, "no gallery size, no chance level");
  assert.equal(corruptionArmSummary(exactArm(0.4).filter((p) => p.arm !== "corruption")), null, "no arm");
  const mixed = exactArm(0.4).map((p) => (p.arm === "corruption" && p.seed === 1 ? { ...p, step: 400 } : p));
  assert.throws(() => corruptionArmSummary(mixed), /one size and one step; got sizes S and steps 500, 400/);
});

test("corruptionArmSummary: relabelling seeds within a rate leaves the table and the fits unchanged", () => {
  const grsl = loadPublishedGrsl("full")!;
  const a = grslCorruptionArm(grsl)!;
  // Rotate the seed labels of the 30 % runs (0 → 1 → 2 → 0) and reverse the points' order.
  const rot = grsl.points.map((p) => (p.corruptionRate === 0.3 ? { ...p, seed: (p.seed + 1) % 3 } : p)).reverse();
  const b = corruptionArmSummary(rot, { gallerySize: grslGallerySize(grsl) })!;
  a.modalities.forEach((m, i) => {
    const n = b.modalities[i];
    m.rows.forEach((r, j) => {
      near(n.rows[j].generative.mean, r.generative.mean, 1e-12, "gen mean");
      near(n.rows[j].after.recallAt1.mean, r.after.recallAt1.mean, 1e-12, "R@1 mean");
      near(n.rows[j].after.recallAt1.sd, r.after.recallAt1.sd!, 1e-12, "R@1 sd");
    });
    near(n.fits.afterOnGenerative.slope, m.fits.afterOnGenerative.slope!, 1e-12, "slope");
    near(n.fits.afterOnGenerative.rho, m.fits.afterOnGenerative.rho!, 1e-12, "rho");
  });
  assert.equal(grslGallerySize({ gallery: "synthetic" }), null);
});
