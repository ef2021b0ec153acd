// P5's general-captions variant: the count is resolved in one place by its stated principle, the
// default config is untouched, publishing names follow the variant, and the paired comparison
// with the default matches numbers computed independently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../src/array";
import { resolveConfig } from "../src/config";
import {
  CONTINUAL_FORMAT, CONTINUAL_PRESET, checkContinualResults, continualConfig, continualGeneralConfig, continualPublishName, continualSpecs, continualUnitDirs,
  generalCaptionsPerStep, generalComparison, generalComparisonTable, generalVerdict, pairedDifference,
  type ContinualArm, type ContinualResults, type ReadingRow,
} from "../src/experiments/continual";
import { experimentByName, experimentConfig } from "../src/experiments/registry";
import { pretrainSpec, specConfig } from "../src/organism/family";

test("the general variant's captions per step are the parent's image captions per step; the default config and its unit folders are the preset's", () => {
  for (const p of ["smoke", "full"] as const) {
    const want = specConfig(pretrainSpec(p, "S"), 1).mixture.caption.image;
    assert.ok(want > 0);
    assert.equal(generalCaptionsPerStep(p, "S"), want);
    const g = continualGeneralConfig(p);
    assert.equal(g.generalCaptions, want);
    assert.equal(g.variant, "general");
    // The continual spec keeps the default's documents and adds the parent's image captions.
    const d = continualConfig(p);
    assert.deepEqual(d, resolveConfig(CONTINUAL_PRESET, {}, { profile: p }));
    assert.equal(d.generalCaptions, 0);
    const sd = continualSpecs(p, d, 0), sg = continualSpecs(p, g, 0);
    assert.equal(sg.continual.mixture!.caption.document, sd.continual.mixture!.caption.document);
    assert.equal(sg.continual.mixture!.caption.image, want);
    assert.deepEqual(sg.base, sd.base);
    assert.deepEqual(sg.control, sd.control);
    // Only the continual run's units differ: 3 per seed (retrieval, refined retrieval, reading).
    const dd = continualUnitDirs(p, d, "/R"), gd = continualUnitDirs(p, g, "/R");
    const differ = gd.filter((x) => !dd.includes(x));
    assert.equal(differ.length, 3 * d.seeds.length);
    assert.ok(differ.every((x) => /\/S-continual(-refined|-reading-lowres)?__[0-9a-f]{12}\/seed-\d$/.test(x)), differ.join(" "));
  }
  // Another size or base length gets its own parent's count.
  assert.equal(continualGeneralConfig("full", { size: "M" }).generalCaptions, specConfig(pretrainSpec("full", "M"), 1).mixture.caption.image);
  // The CLI resolves through the same place.
  const exp = experimentByName("continual");
  assert.deepEqual(experimentConfig(exp, "full", ["--variant=general"]), continualGeneralConfig("full"));
  assert.deepEqual(experimentConfig(exp, "full", []), continualConfig("full"));
  assert.throws(() => experimentConfig(exp, "full", ["--variant=general", "--generalCaptions=3"]), (e: Error) => e instanceof InputError && /drop --generalCaptions=3/.test(e.message));
  assert.throws(() => continualConfig("full", { variant: "mixed" }), (e: Error) => e instanceof InputError && /invalid variant "mixed"/.test(e.message));
  // Published names: the default as before, the variant beside it, an ad-hoc count not at all.
  assert.equal(continualPublishName("full", continualConfig("full")), "continual");
  assert.equal(continualPublishName("full", continualGeneralConfig("full")), "continual-general");
  assert.throws(() => continualPublishName("full", continualConfig("full", { generalCaptions: 3 })), (e: Error) => e instanceof InputError && /ad-hoc/.test(e.message));
});

/** Synthetic results: per arm the nDCG@10 and R@1 of seeds 0, 1, 2; the continual model's word accuracy per seed. */
function results(arms: Record<ContinualArm, [number[], number[]]>, word: number[], generalCaptions?: number): ContinualResults {
  const rows = Object.entries(arms).flatMap(([arm, [nd, r1]]) => nd.map((v, seed) => ({ arm: arm as ContinualArm, seed, ndcgAt10: v, recallAt1: r1[seed] })));
  const read = (model: ReadingRow["model"], seed: number, wordAccuracy: number): ReadingRow => ({ model, script: "lowres", seed, n: 8, nll: 2 - wordAccuracy, exact: 0, wordAccuracy, mismatched: { nll: 2.5, exact: 0, wordAccuracy: 0.1 } });
  const reading = { uniformNll: Math.log(40), rows: word.flatMap((w, seed) => [read("base", seed, 0.2), read("continual", seed, w), read("control", seed, 0.21)]) };
  return { format: CONTINUAL_FORMAT, profile: "synthetic", setup: "synthetic", chance: { ndcgAt10: 0.1, recallAt1: 0.05 }, rows, reading, ...(generalCaptions ? { generalCaptions } : {}) };
}

const shared = { refine: [[0.3, 0.35, 0.32], [0.1, 0.12, 0.08]], continual: [[0.2, 0.2, 0.2], [0.05, 0.05, 0.05]], "control+refine": [[0.29, 0.33, 0.3], [0.09, 0.1, 0.1]] } as const;
const def = results({ ...shared, "continual+refine": [[0.31, 0.34, 0.36], [0.11, 0.1, 0.12]] } as never, [0.7, 0.72, 0.71]);
const gen = results({ ...shared, "continual+refine": [[0.4, 0.38, 0.45], [0.15, 0.1, 0.2]] } as never, [0.8, 0.75, 0.6], 7);

test("generalComparison: paired differences, CIs and wins as computed independently", () => {
  checkContinualResults(JSON.parse(JSON.stringify(gen)));
  const c = generalComparison(gen, def);
  assert.equal(c.generalCaptions, 7);
  assert.equal(c.sharedAgree, true);
  // python3 -c "import numpy as np; from scipy import stats
  // for d in [[.09,.04,.09],[.04,0,.08],[.10,.03,.13],[.05,-.02,.12]]:
  //   d=np.array(d); h=stats.t.ppf(.975,2)*d.std(ddof=1)/np.sqrt(3); print(d.mean(), h, (d>0).sum())"
  // → 0.073333 0.071711 3 | 0.04 0.099366 2 | 0.086667 0.127476 3 | 0.05 0.17389 2
  const want: [string, string, number, number, number][] = [
    ["continual+refine", "ndcgAt10", 0.073333, 0.071711, 3],
    ["continual+refine", "recallAt1", 0.04, 0.099366, 2],
    ["refine", "ndcgAt10", 0.086667, 0.127476, 3],
    ["refine", "recallAt1", 0.05, 0.17389, 2],
  ];
  assert.deepEqual(c.paired.map((p) => [p.against, p.metric]), want.map(([a, m]) => [a, m]));
  c.paired.forEach((p, i) => {
    assert.deepEqual(p.seeds, [0, 1, 2]);
    assert.ok(Math.abs(p.diff.mean - want[i][2]) < 1e-6, `${p.against} ${p.metric} mean ${p.diff.mean}`);
    assert.ok(Math.abs(p.diff.halfWidth - want[i][3]) < 1e-6, `${p.against} ${p.metric} half-width ${p.diff.halfWidth}`);
    assert.equal(p.wins, want[i][4]);
  });
  // Against refine it is the variant's own within-file pairing.
  assert.deepEqual(c.paired[2].diff, pairedDifference(gen, "continual+refine", "refine").diff);
  // The reading of the continual model in each variant, per seed.
  assert.deepEqual(c.reading[0], { metric: "wordAccuracy", seeds: [0, 1, 2], default: [0.7, 0.72, 0.71], general: [0.8, 0.75, 0.6] });
  // The rule: the nDCG@10 interval vs the default's continual+refine is [0.0016, 0.145] (above 0).
  assert.equal(generalVerdict(c), "helps");
  const table = generalComparisonTable(c);
  assert.equal(table[0]["mean ± 95 % CI"], "0.073 ± 0.072");
  assert.equal(table[0].wins, "3/3");
  // python: d=[.1,.03,-.11] → mean 0.006667, half-width 0.265621, 2 of 3 positive
  assert.match(String(table.at(-2)!.comparison), /^reading: word accuracy after continual: default 0\.710 ± 0\.010 → general 0\.717 ± 0\.104/);
  assert.equal(table.at(-2)!["mean ± 95 % CI"], "0.007 ± 0.266");
  assert.equal(table.at(-2)!.wins, "2/3");
});

test("generalComparison invariants: the default against itself, swapped roles, shared units that disagree, fewer seeds", () => {
  // The variant equal to the default: zero differences, no verdict either way.
  const same = { ...def, generalCaptions: 7 };
  const z = generalComparison(same, def);
  assert.ok(z.paired.filter((p) => p.against === "continual+refine").every((p) => p.diff.mean === 0 && p.wins === 0));
  assert.equal(generalVerdict(z), "no difference shown");
  // Swapping which file has the captions mirrors the sign: "hurts".
  const swapped = generalComparison({ ...def, generalCaptions: 7 }, { ...gen, generalCaptions: undefined });
  assert.ok(Math.abs(swapped.paired[0].diff.mean + 0.073333) < 1e-6);
  assert.equal(generalVerdict(swapped), "hurts");
  // A refine unit that differs between the files is flagged.
  const other = { ...gen, rows: gen.rows.map((r) => (r.arm === "refine" && r.seed === 1 ? { ...r, ndcgAt10: 0.5 } : r)) };
  assert.equal(generalComparison(other, def).sharedAgree, false);
  // Two seeds: no verdict.
  const two = { ...gen, rows: gen.rows.filter((r) => r.seed < 2) };
  assert.equal(generalVerdict(generalComparison(two, def)), "not yet measured");
  // The roles are checked.
  assert.throws(() => generalComparison(def, def), (e: Error) => e instanceof InputError && /no general captions/.test(e.message));
  assert.throws(() => generalComparison(gen, gen), (e: Error) => e instanceof InputError && /expected none/.test(e.message));
  assert.throws(() => checkContinualResults({ ...gen, generalCaptions: 0 }), (e: Error) => e instanceof InputError && /generalCaptions/.test(e.message));
});
