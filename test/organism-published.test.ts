// Published organism results (data/organism/<profile>/) and the family figure builders over them.
// Pure JSON work: no TF.js, no training. The rows are built by hand so every plotted number is known.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  alignmentComparison,
  alignmentDir,
  loadPublishedAlignment,
  loadPublishedFamily,
  loadProvenance,
  publishOrganismResults,
  publishedFiles,
  stageTiming,
} from "../src/experiments";
import { alignmentFamilyFigure, attributeAgreementFigure } from "../src/figures/organism";
import type { AlignmentRow, ModalityAlignment } from "../src/experiments";
import type { FamilyRun, PretrainSpec } from "../src/organism";

/** A modality alignment whose layer curves are `base + layer/10` (layer 0 = `base`). */
function alignment(modality: "image" | "audio", base: number, r1: number): ModalityAlignment {
  const curve = [0, 1, 2].map((l) => base + l / 10);
  return {
    modality,
    n: 41,
    layers: { anisotropy: curve, anisotropyText: curve, mutualKnn: curve, cka: curve, recallAt1: curve },
    layer: 2,
    detail: {
      recallAt1: r1,
      recallAt1Chance: 1 / 41,
      recallAt5: r1,
      recallAt5Chance: 5 / 41,
      classR1: r1,
      classR1Chance: 0.1,
      withinClassR1: r1,
      withinClassR1Chance: 0.25,
      attributeTop1: { size: { score: 0.9, chance: 0.5 }, colour: { score: r1, chance: 1 / 6 } },
    },
    mutualKnnChance: 10 / 40,
    mutualKnnShuffled: 0.2,
    ckaShuffled: 0.05,
  };
}

function rows(): AlignmentRow[] {
  const out: AlignmentRow[] = [];
  for (const seed of [0, 1]) {
    for (const split of ["iid", "ood"] as const) {
      // pretrained: base 0.3 (seed 0) and 0.5 (seed 1); random init: 0.1 for both seeds.
      out.push({ seed, condition: "pretrained", split, alignment: [alignment("image", 0.3 + 0.2 * seed, 0.2 + 0.4 * seed), alignment("audio", 0.2, 0.1)] });
      out.push({ seed, condition: "random init", split, alignment: [alignment("image", 0.1, 0), alignment("audio", 0.1, 0)] });
    }
  }
  return out;
}

test("alignmentFamilyFigure: one panel per modality × size, layer 0 left out, mean and min–max over seeds, chance line", () => {
  const fig = alignmentFamilyFigure({ S: rows(), M: rows() }, "mutualKnn", ["image", "audio"]);
  assert.deepEqual((fig.layout.grid as { rows: number; columns: number }).rows, 2);
  assert.deepEqual((fig.layout.grid as { rows: number; columns: number }).columns, 2);
  // Panels 1..4 have axes x, x2, x3, x4 in row-major order (image S, image M, audio S, audio M).
  assert.ok(fig.layout.xaxis4 && fig.layout.yaxis4 && !fig.layout.xaxis5);
  const pre = fig.data.find((t) => t.name === "pretrained · IID" && t.xaxis === "x")!;
  assert.deepEqual(pre.x, [1, 2]);
  // Seed means at layers 1 and 2: (0.4 + 0.6)/2 = 0.5 and (0.5 + 0.7)/2 = 0.6; spread ±0.1.
  assert.deepEqual(pre.y, [0.5, 0.6]);
  assert.deepEqual((pre.error_y as { array: number[] }).array, [0.1, 0.1]);
  assert.deepEqual((pre.error_y as { arrayminus: number[] }).arrayminus, [0.1, 0.1]);
  const chance = fig.data.filter((t) => t.name === "chance k/(n−1) · IID");
  assert.equal(chance.length, 4);
  assert.deepEqual(chance[0].y, [0.25, 0.25]);
  assert.equal(fig.data.filter((t) => t.name === "chance k/(n−1) · OOD").length, 4);
  // Each legend entry once.
  const shown = fig.data.filter((t) => t.showlegend).map((t) => t.name);
  assert.equal(new Set(shown).size, shown.length);
  // No CLIP-control rows → no CLIP traces.
  assert.ok(!fig.data.some((t) => String(t.name).startsWith("CLIP")));
  assert.throws(() => alignmentFamilyFigure({}, "cka"), /no sizes/);
});

test("attributeAgreementFigure: bars per condition with chance markers, per size", () => {
  const fig = attributeAgreementFigure({ S: rows() }, "iid", "image");
  const pre = fig.data.find((t) => t.type === "bar" && t.name === "pretrained")!;
  assert.deepEqual(pre.x, ["R@1", "class R@1", "within-class R@1", "size", "colour"]);
  // R@1 over seeds 0.2 and 0.6 → mean 0.4, bars 0.2 either side; size agreement 0.9 in both.
  assert.equal((pre.y as number[])[0], 0.4);
  assert.equal((pre.error_y as { array: number[] }).array[0], 0.2);
  assert.equal((pre.y as number[])[3], 0.9);
  const chance = fig.data.filter((t) => t.name === "chance");
  assert.equal(chance.length, 1);
  assert.deepEqual(chance[0].y, [0.024, 0.1, 0.25, 0.5, 0.167]);
});

test("publishOrganismResults: writes family, alignment and provenance atomically; loaders round-trip; timing from meta.json", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lco-publish-"));
  const runDirs = [0, 1].map((seed) => {
    const dir = path.join(tmp, "runs", "organism", "x", `seed-${seed}`);
    fs.mkdirSync(dir, { recursive: true });
    // Run 0: 10:00:00–10:10:00 (600 s); run 1: 10:05:00–10:20:00 (900 s) → wall 20 min, sum 25 min.
    const [start, end, dur] = seed === 0 ? ["2026-01-01T10:00:00.000Z", "2026-01-01T10:10:00.000Z", 600] : ["2026-01-01T10:05:00.000Z", "2026-01-01T10:20:00.000Z", 900];
    fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ format: "lco-run v1", profile: "smoke", backend: { name: "wasm" }, startedAt: start, endedAt: end, durationSec: dur }));
    return dir;
  });

  const t = stageTiming(runDirs);
  assert.equal(t.wallSeconds, 1200);
  assert.equal(t.sumSeconds, 1500);
  assert.equal(t.runs, 2);
  assert.throws(() => stageTiming([path.join(tmp, "nope")]), /no meta\.json/);

  const samples = [{ id: "a", caption: "c", answer: "w" }];
  const evalOf = (score: number) => ({ split: "iid", generativeScore: score, byModality: [{ modality: "image", n: 1, score, samples }] });
  const family = runDirs.map((dir, seed) => ({
    spec: { profile: "smoke", size: "S", answerFormat: "one-word", worldSeed: 0, evalItems: 8 },
    seed,
    dir,
    nParams: { total: 10 },
    numSteps: 40,
    losses: [2, 1],
    lossEvery: 20,
    seconds: 5,
    msPerStep: 125,
    tokensPerSec: 1000,
    checkpoints: [
      { step: 0, iid: evalOf(0), ood: evalOf(0) },
      { step: 40, iid: evalOf(0.5), ood: evalOf(0.25) },
    ],
  })) as unknown as FamilyRun[];
  // Alignment runs: seed 0 11:00–11:01, seed 1 11:01–11:03; an unrelated run in the same root
  // (another spec) must not count.
  const spec = (family[0] as unknown as { spec: PretrainSpec }).spec;
  const alignRuns: [string, string, string, number][] = [
    [alignmentDir(path.join(tmp, "runs"), spec, 0), "2026-01-01T11:00:00.000Z", "2026-01-01T11:01:00.000Z", 60],
    [alignmentDir(path.join(tmp, "runs"), spec, 1), "2026-01-01T11:01:00.000Z", "2026-01-01T11:03:00.000Z", 120],
    [alignmentDir(path.join(tmp, "runs"), { ...spec, numSteps: 7 }, 0), "2025-01-01T00:00:00.000Z", "2025-01-01T00:01:00.000Z", 60],
  ];
  for (const [dir, startedAt, endedAt, durationSec] of alignRuns) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ profile: "smoke", startedAt, endedAt, durationSec }));
  }
  const outRoot = path.join(tmp, "data", "organism");
  const files = publishOrganismResults("smoke", family, { S: rows() }, { root: path.join(tmp, "runs"), outRoot });
  assert.deepEqual(files, publishedFiles("smoke", outRoot));
  // No temp files left next to the results.
  assert.deepEqual(fs.readdirSync(path.dirname(files.family)).sort(), ["alignment.json", "family.json", "provenance.json"]);

  const back = loadPublishedFamily("smoke", files.family);
  assert.equal(back.length, 2);
  // Samples kept at the last checkpoint only.
  assert.equal((back[0].checkpoints[0].iid.byModality[0] as { samples?: unknown }).samples, undefined);
  assert.deepEqual((back[0].checkpoints[1].iid.byModality[0] as { samples?: unknown }).samples, samples);
  assert.equal(back[1].checkpoints[1].ood.generativeScore, 0.25);
  // Timings and folders live in the provenance only, so republishing the same numbers changes nothing.
  for (const key of ["dir", "seconds", "msPerStep", "tokensPerSec"]) assert.ok(!(key in back[0]), `published family.json keeps ${key}`);
  const familyText = fs.readFileSync(files.family, "utf8");
  publishOrganismResults("smoke", family, { S: rows() }, { root: path.join(tmp, "runs"), outRoot });
  assert.equal(fs.readFileSync(files.family, "utf8"), familyText);
  assert.deepEqual(loadPublishedAlignment("smoke", files.alignment), { S: rows() });
  const prov = loadProvenance("smoke", files.provenance);
  assert.equal(prov.pretraining.wallSeconds, 1200);
  assert.equal(prov.alignment.wallSeconds, 180);
  assert.equal(prov.alignment.sumSeconds, 180);
  assert.equal(prov.alignment.runs, 2);
  assert.deepEqual(prov.runs.map((r) => [r.size, r.seed, r.msPerStep]), [["S", 0, 125], ["S", 1, 125]]);

  assert.throws(() => publishOrganismResults("smoke", [], { S: rows() }, { outRoot }), /no runs/);
  assert.throws(() => publishOrganismResults("smoke", family, { S: [] }, { outRoot }), /no alignment rows for size "S"/);
  assert.throws(() => loadPublishedFamily("smoke", path.join(tmp, "missing.json")), /no published results at .*missing\.json/);
  assert.throws(() => loadPublishedAlignment("smoke", files.family), /expected format "lco-organism-alignment v1", got "lco-organism-family v1"/);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("alignmentComparison: mean ± t-CI over seeds per condition, chance, and paired wins over random init", () => {
  const cmp = alignmentComparison({ S: rows() });
  // 1 size × 2 modalities × 2 splits × 4 metrics.
  assert.equal(cmp.length, 16);
  const m = cmp.find((r) => r.modality === "image" && r.split === "iid" && r.metric === "mutual_knn")!;
  // Last layer (2): seeds 0.5 and 0.7 → mean 0.6, sd 0.1414, se 0.1, t(0.975, df 1) = 12.706 → ± 1.271.
  assert.equal(m.pretrained, "0.600 ± 1.271");
  // Both seeds 0.3: a value that does not vary prints without "± 0.000".
  assert.equal(m["random init"], "0.300");
  assert.equal(m["CLIP control"], "");
  assert.equal(m.chance, 0.25);
  assert.equal(m["pretrained > init"], "2/2");
  const cka = cmp.find((r) => r.modality === "image" && r.split === "iid" && r.metric === "cka")!;
  assert.equal(cka.chance, 0.05);
  // Audio: pretrained base 0.2 vs init 0.1 → wins; R@1 0.1 vs 0 → wins in both seeds.
  const r1 = cmp.find((r) => r.modality === "audio" && r.split === "ood" && r.metric === "R@1")!;
  assert.equal(r1["pretrained > init"], "2/2");
  assert.equal(r1.chance, 0.024);
});

test("chapter 22's prose numbers and exercise answers match the published full-profile data", async () => {
  const { alignmentTable } = await import("../src/experiments");
  const { chanceLevel } = await import("../src/probes");
  const { ORGANISM_EXERCISE_ANSWERS, organismExercises } = await import("../src/exercises/organism");
  const bySize = loadPublishedAlignment("full");
  const flat: Record<string, string | number>[] = Object.entries(bySize).flatMap(([size, rows]) => alignmentTable(rows).map((r) => ({ ...r, size })));
  const r2 = (v: number) => Math.round(v * 100) / 100;
  // "3 seeds per size, 240 IID and 48 OOD items"
  for (const rows of Object.values(bySize)) assert.deepEqual([...new Set(rows.map((r) => r.seed))].sort(), [0, 1, 2]);
  assert.deepEqual([...new Set(flat.filter((r) => r.split === "iid").map((r) => r.n))], [240]);
  assert.deepEqual([...new Set(flat.filter((r) => r.split === "ood").map((r) => r.n))], [48]);
  // "R@1 chance 0.004 IID, 0.021 OOD"
  assert.equal(Math.round(1000 * (flat.find((r) => r.split === "iid")!["R@1 chance"] as number)) / 1000, 0.004);
  assert.equal(Math.round(1000 * (flat.find((r) => r.split === "ood")!["R@1 chance"] as number)) / 1000, 0.021);
  // "higher in 3 of 3 seeds for every size, modality and split"
  for (const row of alignmentComparison(bySize)) assert.equal(row["pretrained > init"], "3/3", `${row.size} ${row.modality} ${row.split} ${row.metric}`);
  // Position top-1 per size (min–max over seeds, splits, image and audio): "S 0.23–0.39, M 0.52–0.95, L 0.75–1.00".
  const position = (size: string) => {
    const v = flat.filter((r) => r.size === size && r.condition === "pretrained").map((r) => r["position top1"] as number);
    return [r2(Math.min(...v)), r2(Math.max(...v))];
  };
  assert.deepEqual(position("S"), [0.23, 0.39]);
  assert.deepEqual(position("M"), [0.52, 0.95]);
  assert.deepEqual(position("L"), [0.75, 1]);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const cell = (size: string, split: string, modality: string, condition: string, key: string, rows = flat) =>
    mean(rows.filter((r) => r.size === size && r.split === split && r.modality === modality && r.condition === condition).map((r) => r[key] as number));
  // "anisotropy ≈ 0.93–1.00" at random init; "≈ −0.01–0.04" pretrained (every seed, split and modality, last layer).
  const range = (condition: string, key: string) => {
    const v = flat.filter((r) => r.condition === condition).map((r) => r[key] as number);
    return [r2(Math.min(...v)), r2(Math.max(...v))];
  };
  assert.deepEqual(range("random init", "aniso mod"), [0.93, 1]);
  assert.deepEqual(range("pretrained", "aniso mod"), [-0.01, 0.04]);
  // "lifts L's within-class R@1 to ≈ 0.9": every L mean (split × modality) within 0.85–0.95.
  for (const split of ["iid", "ood"]) for (const m of ["image", "audio"]) {
    const v = cell("L", split, m, "pretrained", "within-class R@1");
    assert.ok(v > 0.85 && v < 0.95, `L ${split} ${m} within-class R@1 ${v}`);
  }
  // "IID means ≈ 0.56 vs 0.63; S ≈ 0.56": the final checkpoint's IID generative score, mean over seeds.
  const family = loadPublishedFamily("full");
  const score = (size: string) => r2(mean(family.filter((r) => r.spec.size === size).map((r) => r.checkpoints[r.checkpoints.length - 1].iid.generativeScore)));
  assert.deepEqual([score("S"), score("M"), score("L")], [0.56, 0.63, 0.56]);
  // The CLIP control: "raises image R@1 (IID, by 0.08–0.37 across sizes) and moves image mutual-kNN
  // and CKA by less than 0.1; it lowers audio R@1 and mutual-kNN in every size".
  const delta = (size: string, split: string, m: string, key: string) => cell(size, split, m, "CLIP control", key) - cell(size, split, m, "pretrained", key);
  const gains = ["S", "M", "L"].map((z) => delta(z, "iid", "image", "R@1"));
  assert.deepEqual([r2(Math.min(...gains)), r2(Math.max(...gains))], [0.08, 0.37]);
  for (const z of ["S", "M", "L"]) for (const split of ["iid", "ood"]) {
    for (const key of ["mutual_knn", "cka"]) assert.ok(Math.abs(delta(z, split, "image", key)) < 0.1, `${z} ${split} image ${key}`);
    for (const key of ["R@1", "mutual_knn"]) assert.ok(delta(z, split, "audio", key) < 0, `${z} ${split} audio ${key}`);
  }
  // Few-word answers (S, image, IID): "size ≈ 0.99 … colour and object near chance, R@1 ≈ 0.02, CKA ≈ 0.94".
  const fw = loadPublishedAlignment("full", publishedFiles("full", undefined, "few-words").alignment);
  const fwRows: Record<string, string | number>[] = alignmentTable(fw.S).map((r) => ({ ...r, size: "S" }));
  const fwv = (key: string) => r2(cell("S", "iid", "image", "pretrained", key, fwRows));
  assert.deepEqual([fwv("size top1"), fwv("R@1"), fwv("cka")], [0.99, 0.02, 0.94]);
  for (const a of ["colour", "object"]) assert.ok(fwv(`${a} top1`) - fwv(`${a} chance`) < 0.1, `few-words ${a} top1 ${fwv(`${a} top1`)}`);
  // Exercises 22.1 and 22.2 follow from the definitions.
  assert.equal(ORGANISM_EXERCISE_ANSWERS["22.1"], chanceLevel("mutual_knn", 240, 10));
  const ex = (id: string) => organismExercises.find((e) => e.id === id)!;
  assert.equal(ex("22.1").check(0.042).ok, true);
  assert.equal(ex("22.1").check(10 / 240 + 0.01).ok, false);
  assert.equal(ex("22.2").check("b").ok, true);
  assert.equal(ex("22.2").check("a").ok, false);
});
