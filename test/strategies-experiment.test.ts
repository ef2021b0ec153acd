// P3 as an experiment: the variants of a config, the columns and the ordering rule on hand-made
// cells against the paper's table, and one small smoke run (cached, published without timings).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { presetDefaults } from "../src/config";
import {
  chapterStrategies,
  chapterStrategiesConfig,
  experimentByName,
  experimentConfig,
  loadPublishedStrategies,
  p3Section,
  publishStrategies,
  runStrategies,
  STRATEGIES_PRESET,
  STRATEGIES_SMOKE_DEMO,
  strategiesCellDirs,
  strategiesConfig,
  strategiesPlan,
  strategiesOrdering,
  strategiesTable,
  strategiesVerdict,
  strategyColumns,
  strategyVariants,
  type ConditionMeasurement,
  type StrategiesConfig,
  type StrategyCell,
  type StrategyName,
} from "../src/experiments";
import { loadTrainingStrategies, trainingAverage } from "../src/paper";
import { refinementStrategiesFigure } from "../src/figures";

before(async () => {
  await initBackend();
});

/** A measurement whose image, audio and document R@1 and mean probe accuracy are all `v`. */
const meas = (v: number): ConditionMeasurement => ({
  splits: [{ split: "iid", alignment: (["image", "audio", "document"] as const).map((modality) => ({ modality, detail: { recallAt1: v } })) as never }],
  probes: [{ modality: "image", attribute: "colour", accuracy: v, majority: 0.2 }],
  text: null,
});
const cell = (strategy: StrategyName, seed: number, v: number): StrategyCell => ({ size: "S", seed, variant: strategy, strategy, refine: null, measurement: meas(v) });

test("variants: the strategies, then the grid one field at a time, skipping the default point", () => {
  const c: StrategiesConfig = presetDefaults(STRATEGIES_PRESET, "full");
  assert.deepEqual(c.seeds, [0, 1, 2], "the preset measures 3 seeds");
  const v = strategyVariants("full", c, "S").map((x) => x.variant);
  assert.deepEqual(v, ["none", "linear", "full", "lora", "clip", "lora tau=0.02", "lora tau=0.1", "lora rank=4", "lora rank=16", "lora batch=128"]);
  const r16 = strategyVariants("full", c, "S").find((x) => x.variant === "lora rank=16")!.refine!;
  assert.equal(r16.lora.rank, 16);
  assert.equal(r16.lora.alpha, 32, "α/r kept at the default's 2");
  assert.equal(strategyVariants("full", { ...c, gridSizes: [] }, "S").length, 5);
  assert.equal(strategyVariants("full", c, "S")[0].refine, null, "none refines nothing");
});

test("columns average the paper categories present; the ordering rule against the paper's table", () => {
  const cols = strategyColumns(meas(0.3));
  assert.deepEqual(cols, { image: 0.3, vsts: 0.3, probe: 0.3, audio: 0.3, avg: 0.3 });
  const paper = loadTrainingStrategies();
  // Ours: lora > full > linear clearly in every seed; clip equal to lora.
  const val: Record<string, number> = { none: 0.1, linear: 0.2, full: 0.3, lora: 0.4, clip: 0.4 };
  const cells = (Object.keys(val) as StrategyName[]).flatMap((s) => [0, 1, 2].map((seed) => cell(s, seed, val[s] + 0.01 * seed * (s === "clip" ? -1 : 1))));
  const pairs = strategiesOrdering(cells, paper);
  const by = Object.fromEntries(pairs.map((p) => [`${p.a}-${p.b}`, p]));
  assert.equal(by["lora-full"].ours, ">");
  assert.equal(by["lora-full"].agreement, "agrees", "the paper has LoRA above full fine-tuning on both backbones");
  assert.equal(by["full-linear"].agreement, "agrees");
  assert.ok(Math.abs(by["lora-full"].diff - 0.1) < 1e-12);
  // lora − clip = 0.02·seed: 0, 0.02, 0.04: interval includes 0 → ties.
  assert.equal(by["lora-clip"].ours, "≈");
  assert.equal(by["lora-clip"].agreement, "ties");
  // The paper's 3B linear projection is above its CLIP-style row, its 7B one too; its "no training" rows are below LoRA.
  assert.deepEqual(by["lora-none"].paper, Object.fromEntries([...new Set(paper.map((r) => r.backbone))].map((b) => [b, ">"])));
  assert.equal(strategiesVerdict(pairs).verdict, "reproduced");
  // Reverse full and linear: the core pair disagrees.
  const swapped = cells.map((c) => (c.strategy === "full" ? cell("full", c.seed, 0.15) : c));
  assert.equal(strategiesVerdict(strategiesOrdering(swapped, paper)).verdict, "not reproduced");
  assert.equal(strategiesVerdict(strategiesOrdering(cells.filter((c) => c.strategy !== "full"), paper)).verdict, "not yet measured");
  // The figure: our avg per strategy (mean over seeds) beside the paper's recomputed Avg per backbone.
  const fig = refinementStrategiesFigure({ cells } as never, paper);
  const ours = fig.data.find((t) => t.name === "ours, S")!;
  assert.deepEqual(ours.x, ["none", "linear", "full", "lora", "clip"]);
  assert.deepEqual(ours.y, [0.11, 0.21, 0.31, 0.41, 0.39]);
  const b7 = fig.data.find((t) => t.name === "Qwen2.5-VL-7B")!;
  assert.equal((b7.y as number[])[3], Math.round(trainingAverage(paper.find((r) => r.backbone === "Qwen2.5-VL-7B" && r.strategy === "LoRA")!) * 1e4) / 1e4);
  const empty = refinementStrategiesFigure(null, paper);
  assert.ok(!empty.data.some((t) => String(t.name).startsWith("ours")));
  assert.match(JSON.stringify(empty.layout.annotations), /ours: not yet measured/);
  const table = strategiesTable(cells);
  assert.equal(table.length, 5);
  assert.equal(table.find((r) => r.variant === "lora")!.avg, "0.410 ± 0.025");
});

test("lco experiment strategies at smoke: every variant cached per seed, published without timings, tensors flat", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-p3-exp-"));
  try {
    // Two seeds and four strategies keep the test short (the preset's 3 seeds and 5 strategies are checked above).
    const cfg: StrategiesConfig = { ...presetDefaults(STRATEGIES_PRESET, "smoke"), seeds: [0, 1], strategies: ["none", "full", "lora", "clip"], numSteps: 4, steps: 2, batchSize: 4, probeItems: 12, gridTau: [0.1], gridRank: [8], gridBatch: [4] };
    const n0 = tf.memory().numTensors;
    const { results, dirs, seconds } = await runStrategies("smoke", cfg, { root });
    assert.equal(tf.memory().numTensors, n0);
    // The folders computed from the config alone are those the run wrote (what lets a chapter find a reproduce's cells).
    assert.deepEqual(strategiesCellDirs("smoke", cfg, root), dirs);
    assert.ok(dirs.every((d) => fs.existsSync(path.join(d, "result.json"))), "each folder holds a finished run");
    // 4 strategies + 1 grid point (tau 0.1) per seed.
    assert.equal(results.cells.length, 5 * 2);
    assert.deepEqual(Object.keys(seconds).sort(), ["S clip", "S full", "S lora", "S lora tau=0.1"]);
    const lora = results.cells.find((c) => c.variant === "lora")!, clip = results.cells.find((c) => c.variant === "clip")!;
    assert.equal(lora.refine!.trainableParams, clip.refine!.trainableParams, "CLIP-style trains the same parameters as LoRA");
    assert.equal(clip.refine!.examplesSeen, 2 * lora.refine!.examplesSeen, "paired image and audio examples");
    const full = results.cells.find((c) => c.variant === "full")!;
    assert.ok(full.refine!.trainableParams > lora.refine!.trainableParams);
    const logs: string[] = [];
    const again = await runStrategies("smoke", cfg, { root, log: (l) => logs.push(l) });
    assert.equal(logs.filter((l) => /^loaded .*organism-strategies/.test(l)).length, 10);
    assert.deepEqual(again.results.cells, results.cells);
    const files = publishStrategies(results, dirs, seconds, { outRoot: path.join(root, "data") });
    assert.ok(!fs.readFileSync(files.result, "utf8").includes('"seconds"'));
    const back = loadPublishedStrategies("smoke", path.join(root, "data"))!;
    assert.equal(back.verdict, results.verdict);
    assert.deepEqual(JSON.parse(fs.readFileSync(files.provenance, "utf8")).timings.refineSeconds, seconds);
    const sec = p3Section(loadTrainingStrategies(), back);
    assert.equal(sec.measurement[0], `${results.verdict}.`);
    assert.equal(sec.verdict, strategiesVerdict(back.ordering).verdict);
    assert.equal(p3Section(loadTrainingStrategies()).verdict, "not yet measured");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("chapter 24 and `lco experiment strategies` resolve the same config, hence the same cell folders", () => {
  const exp = experimentByName("strategies");
  const root = path.join(os.tmpdir(), "lco-p3-ids"); // only joined into paths, never created
  // Full: the chapter's fallback is the command without flags.
  const cli = experimentConfig(exp, "full", []) as StrategiesConfig;
  assert.deepEqual(chapterStrategiesConfig("full"), cli);
  const dirs = strategiesCellDirs("full", chapterStrategiesConfig("full"), root);
  assert.deepEqual(dirs, strategiesCellDirs("full", cli, root));
  assert.equal(new Set(dirs).size, dirs.length, "one folder per cell");
  assert.ok(dirs.every((d) => d.startsWith(path.join(root, "organism-strategies") + path.sep)));
  assert.match(path.basename(path.dirname(dirs[0])), /answerFormat-few-words/, "the experiment's few-word pretraining runs, not the one-word default's");
  // The published full results were made by this configuration: same config, same cells in the same order.
  const published = loadPublishedStrategies("full");
  assert.ok(published, "data/organism/full/strategies.json is committed");
  assert.deepEqual(published.config, cli);
  assert.deepEqual(strategiesPlan("full", cli).map((c) => `${c.spec.size} ${c.seed} ${c.variant.variant}`), published.cells.map((c) => `${c.size} ${c.seed} ${c.variant}`));
  // Smoke: the chapter's demonstration is the command with the flags its TSDoc names.
  const flags = ["--format=one-word", "--gridTau=0.02", "--gridRank=8", "--gridBatch=8"];
  const demo = chapterStrategiesConfig("smoke");
  assert.deepEqual(demo, strategiesConfig("smoke", STRATEGIES_SMOKE_DEMO));
  assert.deepEqual(experimentConfig(exp, "smoke", flags), demo);
  assert.deepEqual(strategiesCellDirs("smoke", demo, root), strategiesCellDirs("smoke", experimentConfig(exp, "smoke", flags) as StrategiesConfig, root));
  // 5 strategies + tau=0.02 per seed: rank 8 and batch 8 are smoke's default LoRA point (the `lora` cell).
  assert.deepEqual(strategiesPlan("smoke", demo).filter((c) => c.seed === 0).map((c) => c.variant.variant), ["none", "linear", "full", "lora", "clip", "lora tau=0.02"]);
  assert.notDeepEqual(strategiesCellDirs("smoke", demo, root), strategiesCellDirs("smoke", strategiesConfig("smoke"), root), "another format is another identity");
});

test("chapter 24 at full with published results trains nothing and writes nothing under runs/", async () => {
  const published = loadPublishedStrategies("full");
  assert.ok(published, "data/organism/full/strategies.json is committed");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-p3-chapter-"));
  try {
    const logs: string[] = [];
    const n0 = tf.memory().numTensors;
    const { results, source } = await chapterStrategies("full", { root, log: (l) => logs.push(l) });
    assert.equal(source, "published");
    assert.deepEqual(results, published);
    assert.deepEqual(fs.readdirSync(root), [], "the runs folder stays empty");
    assert.deepEqual(logs, []);
    assert.equal(tf.memory().numTensors, n0);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
