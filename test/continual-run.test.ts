// P5's run part at a tiny smoke size: four arms × 3 seeds (plus the base model as a control),
// text → low-resource-document retrieval with its chance level; each measurement is the one an
// independent call gives; the reading diagnosis of each model likewise; a rerun loads; tensors stay flat.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../src/array";
import { initBackend } from "../src/backend";
import { resolveConfig } from "../src/config";
import { checkContinualResults, CONTINUAL_ARMS, CONTINUAL_PRESET, continualGeneralConfig, continualSpecs, continualSummary, continualUnitDirs, generalComparison, loadPublishedContinual, readingScore, runContinual } from "../src/experiments/continual";
import { experimentByName } from "../src/experiments/registry";
import { galleryRetrieval, mixedGallery } from "../src/experiments/grsl";
import { p5Section } from "../src/experiments/report";
import { loadOrganism } from "../src/organism/checkpoint";
import { pretrain, specConfig, specData } from "../src/organism/family";
import { createOrganism, disposeOrganism, featureCacheSpec } from "../src/organism/model";

const made: string[] = [];
/** The first test's runs folder and results, which the general variant's test shares. */
let shared: { root: string; r: Awaited<ReturnType<typeof runContinual>> } | null = null;
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

test("runContinual: four arms × 3 seeds with chance, the continual arm equals a direct measurement, a rerun loads, tensors flat", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-continual-run-"));
  made.push(root);
  const cfg = resolveConfig(CONTINUAL_PRESET, { numSteps: 6, continualSteps: 3, refineSteps: 2, galleryItems: 8 }, { profile: "smoke" });
  const n0 = tf.memory().numTensors;
  const r = await runContinual("smoke", cfg, { root });
  assert.equal(tf.memory().numTensors, n0, "tensor count flat");
  checkContinualResults(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(r.rows.map((x) => `${x.arm}/${x.seed}`), [0, 1, 2].flatMap((s) => CONTINUAL_ARMS.map((a) => `${a}/${s}`)));
  assert.equal(r.baseline!.length, 3);
  // Chance on a 16-document gallery, from the definitions.
  let dcg = 0;
  for (let k = 1; k <= 10; k++) dcg += 1 / Math.log2(k + 1);
  assert.equal(r.chance.recallAt1, 1 / 16);
  assert.ok(Math.abs(r.chance.ndcgAt10 - dcg / 16) < 1e-12);
  // The continual arm (no refinement) of seed 1, measured directly: the continual run's last
  // checkpoint, text queries against low-resource-script documents.
  const specs = continualSpecs("smoke", cfg, 1);
  assert.equal(specs.continual.documentScript, "lowres");
  assert.deepEqual(specs.control.parent, { spec: specs.base, seed: 1 });
  assert.equal(specs.control.mixture, undefined, "the control keeps the original mixture");
  const cont = await pretrain(specs.continual, 1, { root, evalSteps: [] });
  assert.equal(cont.loaded, true);
  const data = specData({ ...specs.base, documentScript: "lowres" });
  const { model } = loadOrganism(cont.dir);
  try {
    const g = galleryRetrieval(model, data, mixedGallery(data, 8), "text", "document");
    const row = r.rows.find((x) => x.arm === "continual" && x.seed === 1)!;
    assert.equal(row.ndcgAt10, g.ndcgAt10);
    assert.equal(row.recallAt1, g.recallAt1);
  } finally {
    disposeOrganism(model);
  }
  // The reading diagnosis: per seed a random init, the base (Latin and low-res documents), the
  // continual run and the control, each the measurement a direct call gives on the same gallery.
  const reading = r.reading!;
  assert.deepEqual(
    reading.rows.map((x) => `${x.model}/${x.script}/${x.seed}`),
    [0, 1, 2].flatMap((s) => ["random/lowres", "base/latin", "base/lowres", "continual/lowres", "control/lowres"].map((m) => `${m}/${s}`)),
  );
  assert.equal(reading.uniformNll, Math.log(data.tokenizer.vocabSize));
  const of = (model: string, script = "lowres") => reading.rows.find((x) => x.model === model && x.script === script && x.seed === 1)!;
  const base = await pretrain(specs.base, 1, { root, evalSteps: [] });
  const direct = (m: ReturnType<typeof loadOrganism>["model"], d = data) => {
    try {
      return readingScore(m, d, mixedGallery(d, 8));
    } finally {
      disposeOrganism(m);
    }
  };
  const strip = ({ model: _m, script: _s, seed: _e, ...score }: (typeof reading.rows)[number]) => score;
  assert.deepEqual(strip(of("base")), direct(loadOrganism(base.dir).model));
  assert.deepEqual(strip(of("base", "latin")), direct(loadOrganism(base.dir).model, specData(specs.base)));
  assert.deepEqual(strip(of("continual")), direct(loadOrganism(cont.dir).model));
  assert.deepEqual(strip(of("random")), direct(createOrganism(specConfig(specs.base, data.tokenizer.vocabSize), featureCacheSpec(data.cache), 1)));
  assert.equal(of("base").n, 16);
  // Other weights or other pixels give another NLL: each row measured its own model on its own documents.
  const nlls = [of("random"), of("base"), of("base", "latin"), of("continual"), of("control")].map((x) => x.nll);
  assert.equal(new Set(nlls).size, 5, `${nlls}`);
  // The summary and the verdict rule run on it (3 seeds: a verdict, whichever it is).
  assert.ok(continualSummary(r).some((x) => x.arm === "continual+refine − refine"));
  assert.notEqual(p5Section(r, "smoke").verdict, "not yet measured");
  assert.match(p5Section(r, "smoke").measurement.at(-1)!, /^reading score before → after the continual stage \(/);
  assert.match(p5Section({ ...r, reading: undefined }, "smoke").measurement.at(-1)!, /not in these results, which predate it/);
  assert.deepStrictEqual(await runContinual("smoke", cfg, { root }), r, "a rerun loads the same results");
  shared = { root, r };
  assert.throws(() => resolveConfig(CONTINUAL_PRESET, { continualSteps: 0 }, { profile: "smoke" }), (e: Error) => e instanceof InputError && /continualSteps/.test(e.message));
});

test("the general variant in the same runs folder: only its continual runs are new, the shared units give the same rows, and the registry's table compares it", async () => {
  assert.ok(shared, "needs the first test's runs");
  const { root, r } = shared;
  const small = { numSteps: 6, continualSteps: 3, refineSteps: 2, galleryItems: 8 };
  const cfg = continualGeneralConfig("smoke", small);
  assert.equal(cfg.generalCaptions, specConfig(continualSpecs("smoke", cfg, 0).base, 1).mixture.caption.image);
  const def = resolveConfig(CONTINUAL_PRESET, small, { profile: "smoke" });
  const existed = new Set(continualUnitDirs("smoke", def, root));
  const fresh = continualUnitDirs("smoke", cfg, root).filter((d) => !existed.has(d));
  assert.equal(fresh.length, 9, "retrieval, refined retrieval and reading of 3 continual runs");
  for (const d of fresh) assert.equal(fs.existsSync(d), false, `${d} is not computed yet`);
  const g = await runContinual("smoke", cfg, { root });
  assert.equal(g.generalCaptions, cfg.generalCaptions);
  checkContinualResults(JSON.parse(JSON.stringify(g)));
  assert.ok(g.setup.includes(`+ ${cfg.generalCaptions} general captions per step`));
  // Shared units are loaded, so their rows are the default's to the bit; the continual rows are the variant's own.
  const pick = (x: typeof r, arm: string) => x.rows.filter((y) => y.arm === arm);
  assert.deepEqual(pick(g, "refine"), pick(r, "refine"));
  assert.deepEqual(pick(g, "control+refine"), pick(r, "control+refine"));
  assert.deepEqual(g.baseline, r.baseline);
  const c = generalComparison(g, r);
  assert.equal(c.sharedAgree, true);
  const nll = (x: typeof r) => x.reading!.rows.filter((y) => y.model === "continual").map((y) => y.nll);
  assert.notDeepEqual(nll(g), nll(r), "another continual run reads differently");
  // The registry's run of the variant: its table ends with the variant's own rule (nothing published at smoke).
  const out = await experimentByName("continual").run(cfg, { profile: "smoke", root });
  assert.deepStrictEqual(out.result, g);
  const last = out.table.at(-1)!;
  assert.equal(last.arm, "verdict (general captions)");
  if (!loadPublishedContinual("smoke")) assert.equal(last.seeds, "not yet measured", "no published default at smoke to pair with");
  assert.ok(!out.table.some((x) => x.arm === "verdict (P5)"), "P5's verdict is the default's");
});
