import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as P from "../src/paper";
import { PAPER_EXERCISE_ANSWERS, paperExercises } from "../src/exercises/paper";
import { paperFigures } from "../src/figures/paper";
import * as io from "../src/io";
import * as probes from "../src/probes";

// Tests import the area barrels from src (like the other tests), so they do not need a build.
const lco = { paper: P, io, probes };
const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: got ${a}, expected ${b} ± ${tol}`);

test("GRSL fits on the published points match paper-notes §4.2 to 3 decimals", () => {
  const panels = P.loadGrslPanels();
  assert.deepEqual(panels.map((p) => p.name), ["ocr", "video", "audio"]);
  const ref = {
    ocr: { n: 5, a: 0.4246, b: 38.866, r2: 0.812, r: 0.901, rho: 0.9 },
    video: { n: 4, a: 1.5458, b: -66.025, r2: 0.834, r: 0.914, rho: 1.0 },
    audio: { n: 2, a: 0.1184, b: 15.922, r2: 1, r: 1, rho: 1 },
  } as const;
  for (const p of panels) {
    const f = P.fitGrslPanel(p);
    const e = ref[p.name as keyof typeof ref];
    assert.equal(f.fit.n, e.n);
    close(f.fit.slope, e.a, 5e-4, `${p.name} slope`);
    close(f.fit.intercept, e.b, 5e-4, `${p.name} intercept`);
    close(f.fit.r2, e.r2, 5e-4, `${p.name} R²`);
    close(f.fit.pearson, e.r, 5e-4, `${p.name} Pearson`);
    close(f.fit.spearman, e.rho, 5e-4, `${p.name} Spearman`);
  }
});

test("audio panel (n = 2) is exact by construction: no band, permutation p = 1", () => {
  const f = P.fitGrslPanel(P.grslPanel("audio"));
  assert.equal(f.exactByConstruction, true);
  assert.equal(f.permutationP, 1);
  assert.equal(f.permutations, 2);
  assert.ok(Number.isNaN(f.band[0].lo) && Number.isNaN(f.fit.slopeCI[0]));
  // Slope by hand: (24.195 − 23.745) / (69.86 − 66.06) = 0.45 / 3.8.
  close(f.fit.slope, 0.45 / 3.8, 1e-12, "audio slope by hand");
});

test("exact permutation p-values: enumeration counts and hand values", () => {
  const ocr = P.fitGrslPanel(P.grslPanel("ocr"));
  assert.equal(ocr.permutations, 120);
  close(ocr.permutationP, 3 / 120, 1e-12, "OCR permutation p");
  const video = P.fitGrslPanel(P.grslPanel("video"));
  assert.equal(video.permutations, 24);
  // Only the observed (sorted) pairing reaches |r| ≥ 0.9135 among the 24: p = 1/24.
  close(video.permutationP, 1 / 24, 1e-12, "video permutation p");
  // Perfectly linear data: the reversed pairing also reaches |r| = 1, so p = 2/24.
  close(P.exactPermutationPValue([1, 2, 3, 4], [2, 4, 6, 8]).p, 2 / 24, 1e-12, "linear n = 4");
  assert.throws(() => P.exactPermutationPValue([1, 2], [1]), /same length/);
  assert.throws(() => P.exactPermutationPValue([1], [1]), /n = 1/);
});

test("confidence band is narrowest near the mean of x and contains the fitted line", () => {
  const f = P.fitGrslPanel(P.grslPanel("ocr"));
  const widths = f.band.map((b) => b.hi - b.lo);
  const iMin = widths.indexOf(Math.min(...widths));
  const xAtMin = f.band[iMin].x;
  const step = f.band[1].x - f.band[0].x;
  assert.ok(Math.abs(xAtMin - f.fit.xMean) <= step, `narrowest at ${xAtMin}, mean x ${f.fit.xMean}`);
  for (const b of f.band) assert.ok(b.lo < b.fit && b.fit < b.hi);
});

test("reconstructed x-scores match the notes (unweighted means of published benchmarks)", () => {
  close(P.reconstructGenerativeScore({ a: 79.8, b: 93.3, c: 82.8, d: 51.7 }), 76.9, 1e-9, "Omni-3B OCR");
  close(P.reconstructGenerativeScore([67.6, 67.0]), 67.3, 1e-9, "VL-3B video");
  const table = P.reconstructionTable(P.loadGrslPanels());
  const get = (panel: string, model: string) => table.find((r) => r.panel === panel && r.model === model)!;
  close(get("ocr", "Qwen2.5-Omni-3B").xReconstructed!, 76.9, 1e-9, "Omni-3B OCR from file");
  close(get("ocr", "Qwen2.5-VL-3B").xReconstructed!, 77.875, 1e-9, "VL-3B OCR");
  close(get("ocr", "Qwen2.5-Omni-7B").xReconstructed!, 80.675, 1e-9, "Omni-7B OCR");
  close(get("ocr", "Qwen2.5-VL-7B").xReconstructed!, 81.05, 1e-9, "VL-7B OCR");
  close(get("video", "Qwen2.5-Omni-3B").xReconstructed!, 68.65, 1e-9, "Omni-3B video");
  close(get("audio", "Qwen2.5-Omni-3B").xReconstructed!, 66.055, 1e-9, "Omni-3B audio");
  close(get("audio", "Qwen2.5-Omni-7B").xReconstructed!, 69.86, 1e-9, "Omni-7B audio");
  assert.equal(get("ocr", "Qwen2.5-Omni-3B").formula, "(79.8+93.3+82.8+51.7)/4");
  // LLaVA-Next-8B's components are not recovered: no reconstruction, the digitised x is kept.
  const llava = get("ocr", "LLaVA-Next-8B");
  assert.equal(llava.xReconstructed, null);
  assert.equal(llava.difference, null);
  assert.equal(llava.xDigitised, 63.91);
  // The other 10 points agree with the digitised x to ≤ 0.015 (paper-notes §4.1).
  const diffs = table.filter((r) => r.difference !== null).map((r) => Math.abs(r.difference!));
  assert.equal(diffs.length, 10);
  assert.ok(Math.max(...diffs) <= 0.0150001, `max |diff| ${Math.max(...diffs)}`);
  assert.throws(() => P.reconstructGenerativeScore([]), /at least one/);
  assert.throws(() => P.reconstructGenerativeScore({ TextVQA: Number.NaN }), /TextVQA/);
});

test("fitting on the reconstructed x changes the OCR fit only slightly", () => {
  const p = P.grslPanel("ocr");
  const a = P.fitGrslPanel(p);
  const b = P.fitGrslPanel(p, { useReconstructed: true });
  assert.notEqual(a.fit.slope, b.fit.slope);
  close(b.fit.slope, a.fit.slope, 0.01, "slope on reconstructed x");
});

test("addModel appends a point, refits, and leaves the input panel unchanged", () => {
  const p = P.grslPanel("ocr");
  const before = P.fitGrslPanel(p);
  const comps = { TextVQA_val: 70, DocVQA_test: 90, ChartQA_avg: 80, "OCRBench-V2_en": 40 };
  const r = P.addModel(p, { name: "Hypothetical-4B", components: comps, representationScore: 68, nParams: 4e9 });
  assert.equal(p.points.length, 5);
  assert.equal(r.panel.points.length, 6);
  assert.equal(r.fit.fit.n, 6);
  assert.equal(r.warnings.length, 0);
  const added = r.panel.points[5];
  assert.equal(added.x, 70);
  assert.equal(added.xDigitised, null);
  assert.notEqual(r.fit.fit.slope, before.fit.slope);
  // Same slope as an OLS fit written out by hand on the six points.
  const xs = [...before.x, 70];
  const ys = [...before.y, 68];
  const mx = xs.reduce((s, v) => s + v, 0) / 6;
  const my = ys.reduce((s, v) => s + v, 0) / 6;
  const sxy = xs.reduce((s, v, i) => s + (v - mx) * (ys[i] - my), 0);
  const sxx = xs.reduce((s, v) => s + (v - mx) ** 2, 0);
  close(r.fit.fit.slope, sxy / sxx, 1e-12, "refitted slope");
  close(r.fit.fit.slope, PAPER_EXERCISE_ANSWERS["10.3"], 5e-4, "exercise 10.3 answer");
  const w = P.addModel(p, { name: "Other", components: { MMMU: 50 }, representationScore: 60, nParams: 2e9 });
  assert.equal(w.warnings.length, 1);
  assert.throws(() => P.addModel(p, { name: "Qwen2.5-VL-7B", components: comps, representationScore: 1, nParams: 1 }), /already/);
  assert.throws(() => P.addModel(p, { name: "Z", components: comps, representationScore: Number.NaN, nParams: 1 }), /representationScore/);
});

test("training table: recomputed averages and both inconsistency flags", () => {
  const rows = P.loadTrainingStrategies();
  assert.equal(rows.length, 10);
  const { rows: checked, flags } = P.checkTrainingTable(rows);
  const clip7 = checked.find((r) => r.backbone === "Qwen2.5-VL-7B" && r.strategy === "CLIP-style CL")!;
  close(clip7.avgRecomputed, (18.24 + 73.92 + 68.7 + 65.41 + 44.89 + 38.93) / 6, 1e-9, "7B CLIP avg");
  close(clip7.avgRecomputed, 51.68, 0.005, "7B CLIP avg ≈ 51.68");
  assert.equal(clip7.avgMismatch, true);
  // Every other printed Avg reproduces to within rounding.
  for (const r of checked) {
    if (r !== clip7) assert.ok(Math.abs(r.avgDifference) <= 0.006, `${r.backbone} ${r.strategy}: ${r.avgDifference}`);
  }
  const lora3 = checked.find((r) => r.backbone === "Qwen2.5-VL-3B" && r.strategy === "LoRA")!;
  close(lora3.avgRecomputed, 66.285, 1e-9, "3B LoRA avg");
  assert.equal(flags.length, 2);
  const mismatch = flags.find((f) => f.kind === "average-mismatch");
  assert.ok(mismatch && mismatch.kind === "average-mismatch");
  assert.equal(mismatch.printed, 50.02);
  assert.equal(mismatch.backbone, "Qwen2.5-VL-7B");
  const same = flags.find((f) => f.kind === "identical-columns");
  assert.ok(same && same.kind === "identical-columns");
  assert.deepEqual(same.columns, ["vsts_en", "vsts_cross", "doc_understanding", "linear_probe"]);
  assert.deepEqual(same.values, [73.82, 59.03, 28.82, 46.96]);
  assert.deepEqual(same.rows, ["Qwen2.5-VL-3B (no training)", "Qwen2.5-VL-7B (no training)"]);
  // A stricter tolerance flags rounding-only rows too; a looser one drops the CLIP flag.
  assert.ok(P.checkTrainingTable(rows, { tolerance: 0 }).flags.filter((f) => f.kind === "average-mismatch").length > 1);
  assert.equal(P.checkTrainingTable(rows, { tolerance: 2 }).flags.filter((f) => f.kind === "average-mismatch").length, 0);
});

test("training gains per GPU-hour", () => {
  const gains = P.trainingGains(P.loadTrainingStrategies());
  assert.equal(gains.length, 8);
  const lora7 = gains.find((g) => g.backbone === "Qwen2.5-VL-7B" && g.strategy === "LoRA")!;
  const base7 = (40.31 + 73.82 + 59.03 + 68.56 + 28.82 + 46.96) / 6;
  const l7 = (56.64 + 85.05 + 85.3 + 83.48 + 67.49 + 53.91) / 6;
  close(lora7.gain, l7 - base7, 1e-9, "7B LoRA gain");
  close(lora7.gainPerGpuHour, (l7 - base7) / 9.3, 1e-9, "7B LoRA gain per GPU-h");
  const clip7 = gains.find((g) => g.backbone === "Qwen2.5-VL-7B" && g.strategy === "CLIP-style CL")!;
  assert.ok(clip7.gain < 0, "CLIP-style CL lowers the 7B average");
});

test("MIEB-Lite tables load with secondary provenance; hand means", () => {
  const means = P.loadMiebLiteMeans();
  const cats = P.loadMiebLiteCategories();
  assert.equal(means.length, 9);
  assert.equal(cats.length, 4);
  assert.ok([...means, ...cats].every((r) => r.provenance === "secondary"));
  const clip = cats.find((r) => r.model.startsWith("CLIP"))!;
  close(P.miebShownCategoryMean(clip), 409.1 / 7, 1e-9, "CLIP shown-category mean");
  const gaps = P.miebGapsToBestBaseline(means);
  const omni = gaps.find((g) => g.model.startsWith("LCO-Emb-Omni"))!;
  assert.equal(omni.bestBaseline, "GME (7B)");
  close(omni.gapMean51, 4.3, 1e-9, "Omni gap");
  close(omni.gapMeanEn47, 4.2, 1e-9, "Omni gap en");
});

test("theory toy: hand value, decreasing in mutual information, increasing in KL", () => {
  const base = { kl: 0, nPairs: 1000, nCandidates: 100, delta: 0.05 };
  const v = P.theoryBound({ ...base, mutualInfo: 2 });
  // ln 100 − 2 = 2.605170186; sqrt(ln(2·√1000 / 0.05) / 2000) = sqrt(7.142759 / 2000) = 0.059761012.
  close(v.infoTerm, 2.605170186, 1e-8, "info term");
  close(v.complexityTerm, 0.059761012, 1e-8, "complexity term");
  close(v.bound, 2.664931198, 1e-8, "bound");
  const mi = P.grid(0, 4.5, 0.5);
  const curve = P.theoryBoundCurve(mi, base).bound;
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i] < curve[i - 1], `not decreasing at I = ${mi[i]}`);
  // Past log N the info term is clipped at 0: the bound stops falling.
  const past = P.theoryBound({ ...base, mutualInfo: 10 });
  assert.equal(past.infoTerm, 0);
  const kls = [0, 1, 10, 100, 1000];
  const byKl = kls.map((kl) => P.theoryBound({ ...base, kl, mutualInfo: 2 }).bound);
  for (let i = 1; i < byKl.length; i++) assert.ok(byKl[i] > byKl[i - 1], `not increasing at KL = ${kls[i]}`);
  // More data (n) shrinks the complexity term.
  assert.ok(P.theoryBound({ ...base, mutualInfo: 2, nPairs: 100000 }).complexityTerm < v.complexityTerm);
  assert.throws(() => P.theoryBound({ ...base, mutualInfo: 2, delta: 1 }), /delta/);
  assert.throws(() => P.theoryBound({ ...base, mutualInfo: -1 }), /mutualInfo/);
  assert.deepEqual(P.grid(0, 0.3, 0.1), [0, 0.1, 0.2, 0.3]);
});

test("every paperFigures builder returns JSON with traces; ids unique and notebooks set", () => {
  const ids = new Set<string>();
  assert.ok(paperFigures.length >= 8);
  for (const spec of paperFigures) {
    assert.ok(!ids.has(spec.id), `duplicate ${spec.id}`);
    ids.add(spec.id);
    assert.match(spec.notebook, /^1[0-4]_[a-z-]+\.ipynb$/);
    for (const inp of spec.inputs) assert.ok(fs.existsSync(path.join(P.PROJECT_ROOT, inp)), `missing input ${inp}`);
    const fig = spec.build();
    const json = JSON.parse(JSON.stringify(fig));
    assert.deepEqual(json, fig, `${spec.id} is not plain JSON`);
    assert.ok(Array.isArray(fig.data) && fig.data.length > 0, `${spec.id} has no traces`);
    assert.equal(typeof fig.layout, "object");
    // Same inputs → same JSON.
    assert.equal(JSON.stringify(spec.build()), JSON.stringify(fig));
  }
  const grsl = paperFigures.find((s) => s.id === "grsl-panels")!.build();
  // OCR + video: band lo, band hi, line, points; audio (n = 2): line, points.
  assert.equal(grsl.data.length, 4 + 4 + 2);
  const annotations = grsl.layout.annotations as { text: string }[];
  assert.ok(annotations.some((a) => a.text.includes("R² = 0.812") && a.text.includes("n = 5")));
  assert.ok(annotations.some((a) => a.text.includes("exact by construction")));
  const slider = paperFigures.find((s) => s.id === "theory-bound-slider")!.build();
  const steps = (slider.layout.sliders as { steps: unknown[] }[])[0].steps;
  assert.equal(steps.length, slider.data.length);
});

test("synthetic example: files equal the seeded generator; alignment rises with depth", () => {
  const s = P.makeSyntheticLayerStacks();
  assert.deepEqual(s.image.shape, [5, 200, 32]);
  const img = lco.io.readNpy(path.join(P.PROJECT_ROOT, P.SYNTHETIC_FILES.imageNpy));
  assert.deepEqual(img.shape, [5, 200, 32]);
  assert.deepEqual(Array.from(img.data as Float32Array), Array.from(s.image.data as Float32Array));
  const st = lco.io.readSafetensors(path.join(P.PROJECT_ROOT, P.SYNTHETIC_FILES.safetensors));
  assert.deepEqual(Array.from(st.tensors.text.data as Float32Array), Array.from(s.text.data as Float32Array));
  // Round trip into a temp dir gives the same bytes as the shipped files.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-paper-"));
  try {
    P.writeSyntheticExamples(dir);
    for (const rel of Object.values(P.SYNTHETIC_FILES)) {
      assert.deepEqual(fs.readFileSync(path.join(dir, rel)), fs.readFileSync(path.join(P.PROJECT_ROOT, rel)), rel);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const mknn = lco.probes.measureByLayer("mutual_knn", s.image, s.text, { k: 10 });
  const chance = lco.probes.chanceLevel("mutual_knn", 200, 10)!;
  close(mknn[0], chance, 0.03, "layer-0 alignment near chance");
  assert.ok(mknn[4] > mknn[2] && mknn[2] > mknn[0], `not rising: ${mknn}`);
  const an = lco.probes.anisotropyByLayer(s.image);
  assert.ok(an[0] > 0.8 && an[4] < an[0], `anisotropy ${an}`);
  // A different seed gives different numbers.
  const other = P.makeSyntheticLayerStacks({ seed: 1 }).image.data as Float32Array;
  assert.notDeepEqual(Array.from(other.slice(0, 5)), Array.from((s.image.data as Float32Array).slice(0, 5)));
});

test("exercises: ids unique, answers accepted, wrong values and types rejected with a message", () => {
  const ids = paperExercises.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  const A = PAPER_EXERCISE_ANSWERS as Record<string, unknown>;
  for (const e of paperExercises) {
    assert.match(e.id, /^1[0-4]\.\d+$/);
    assert.equal(e.check(A[e.id]).ok, true, e.id);
    const wrong = Array.isArray(A[e.id]) ? ["nope"] : (A[e.id] as number) + 10;
    const w = e.check(wrong);
    assert.equal(w.ok, false);
    assert.ok(w.hint);
    assert.equal(e.check("a string").ok, false);
  }
  // The answers agree with the kit's own computations.
  close(P.fitGrslPanel(P.grslPanel("ocr")).fit.slope, A["10.1"] as number, 5e-4, "10.1");
  close(P.fitGrslPanel(P.grslPanel("video")).permutationP, A["10.2"] as number, 1e-12, "10.2");
  const flags = P.checkTrainingTable(P.loadTrainingStrategies()).flags;
  const same = flags.find((f) => f.kind === "identical-columns");
  assert.ok(same && same.kind === "identical-columns");
  assert.equal(paperExercises.find((e) => e.id === "11.2")!.check(same.columns).ok, true);
  const anis = lco.probes.anisotropy([[2, 0], [3, 4], [1, 1]]);
  close(anis, A["13.1"] as number, 1e-9, "13.1");
  const m = lco.probes.measure("mutual_knn", [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], [[1, 0], [0.95, 0.05], [0, 1], [0.6, 0.4]], { k: 1 });
  assert.equal(m, A["13.2"]);
  close(P.theoryBound({ mutualInfo: 0, kl: 0, nPairs: 1000, nCandidates: 2, delta: 0.05 }).complexityTerm, A["14.1"] as number, 1e-12, "14.1");
  const b3 = P.theoryBound({ mutualInfo: 3, kl: 5, nPairs: 1000, nCandidates: 1056, delta: 0.05 }).bound;
  const b4 = P.theoryBound({ mutualInfo: 4, kl: 5, nPairs: 1000, nCandidates: 1056, delta: 0.05 }).bound;
  close(b3 - b4, A["14.2"] as number, 1e-12, "14.2");
  close(P.theoryBound({ mutualInfo: 0, kl: A["14.3"] as number, nPairs: 276000, nCandidates: 2, delta: 0.05 }).complexityTerm, 0.1, 1e-12, "14.3");
});

test("loaders reject bad cells naming the file, row and column", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-paper-bad-"));
  try {
    const src = fs.readFileSync(path.join(P.PROJECT_ROOT, "data/paper/grsl_points.csv"), "utf8");
    fs.mkdirSync(path.join(dir, "data/paper"), { recursive: true });
    fs.writeFileSync(path.join(dir, "data/paper/grsl_points.csv"), src.replace("63.91", "abc"));
    assert.throws(() => P.loadGrslPoints(dir), /grsl_points\.csv row 1: column x_digitised must be a number, got "abc"/);
    fs.writeFileSync(path.join(dir, "data/paper/grsl_points.csv"), src.replace(",digitised,", ",guessed,"));
    assert.throws(() => P.loadGrslPoints(dir), /provenance must be one of/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("each paper figure is shown by exactly one notebook cell tagged figure:<id>, in its own notebook", async () => {
  const { findFigureTags } = await import("../src/figures/tags");
  const tags = findFigureTags(path.join(P.PROJECT_ROOT, "notebooks"));
  for (const spec of paperFigures) {
    const hits = tags.filter((t) => t.id === spec.id);
    assert.equal(hits.length, 1, `${spec.id}: ${hits.length} tagged cells`);
    assert.equal(hits[0].notebook, spec.notebook, `${spec.id} is tagged in ${hits[0].notebook}, registered for ${spec.notebook}`);
  }
});
