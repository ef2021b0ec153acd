import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalJson, roundNumber, roundNumbers } from "../src/figures/canonical";
import { FIGURES, checkFigureList, figureById } from "../src/figures/registry";
import { changedPath, compareSnapshot, snapshotPath } from "../src/figures/snapshot";
import { sha256 } from "../src/io/hash";
import { checkFigureTags, findFigureTags } from "../src/figures/tags";
import { buildFigures, checkFigures, readManifest } from "../src/figures/pipeline";
import type { FigureSpec } from "../src/figures/types";

const ROOT = path.resolve(__dirname, "..");
const FIG_DIR = path.join(ROOT, "figures");
const NB_DIR = path.join(ROOT, "notebooks");
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `lco-${name}-`));

// ---------------------------------------------------------------------------------------------
// canonical JSON

test("roundNumber keeps 6 significant digits, maps -0 to 0 and non-finite to null", () => {
  assert.equal(roundNumber(0.1 + 0.2), 0.3);
  assert.equal(roundNumber(123456.789), 123457);
  assert.equal(roundNumber(123456.789, 3), 123000);
  assert.equal(roundNumber(1.23456789e-9), 1.23457e-9);
  assert.ok(Object.is(roundNumber(-0), 0));
  assert.equal(roundNumber(NaN), null);
  assert.equal(roundNumber(-Infinity), null);
  assert.throws(() => roundNumber(1, 0), /digits.*got 0/);
});

test("canonicalJson sorts keys, rounds, flattens typed arrays and prints flat arrays on one line", () => {
  const fig = {
    layout: { width: 400, title: { text: "t" } },
    data: [{ y: Float32Array.of(0.1, 2), x: [3, 1 / 3, NaN], name: "a", skip: undefined }],
  };
  const expected = [
    "{",
    '  "data": [',
    "    {",
    '      "name": "a",',
    '      "x": [3, 0.333333, null],',
    '      "y": [0.1, 2]',
    "    }",
    "  ],",
    '  "layout": {',
    '    "title": {',
    '      "text": "t"',
    "    },",
    '    "width": 400',
    "  }",
    "}",
    "",
  ].join("\n");
  assert.equal(canonicalJson(fig), expected);
  // Same content written in another key order with float noise: identical text.
  const noisy = { data: [{ name: "a", x: [3, 0.33333333333, NaN], y: [0.1000000000001, 2] }], layout: { title: { text: "t" }, width: 400 } };
  assert.equal(canonicalJson(noisy), expected);
  assert.deepEqual(JSON.parse(canonicalJson(fig)), roundNumbers(fig));
});

test("roundNumbers refuses values JSON cannot hold, naming where", () => {
  assert.throws(() => roundNumbers({ data: [{ f: () => 1 }] }), /function \(at \$\.data\[0\]\.f\)/);
  assert.throws(() => roundNumbers({ n: 1n }), /bigint \(at \$\.n\)/);
});

// ---------------------------------------------------------------------------------------------
// registry

const fixture = (id: string, y: number[] = [1, 2, 3], notebook = "99_fixture.ipynb"): FigureSpec => ({
  id,
  title: `fixture ${id}`,
  notebook,
  inputs: [],
  build: () => ({ data: [{ type: "scatter", y }], layout: { title: { text: id } } }),
});

test("checkFigureList rejects duplicate and non-kebab ids, naming them", () => {
  assert.throws(() => checkFigureList([fixture("a-b"), fixture("a-b")]), /duplicate figure id "a-b"/);
  assert.throws(() => checkFigureList([fixture("Bad_Id")]), /kebab-case.*"Bad_Id"/);
  assert.throws(() => checkFigureList([{ ...fixture("x"), notebook: "sub/x.ipynb" }]), /notebook must be a file name/);
  assert.deepEqual(checkFigureList([fixture("a"), fixture("b")]).map((s) => s.id), ["a", "b"]);
});

test("figureById finds a figure and lists the known ids when it cannot", () => {
  const specs = [fixture("one"), fixture("two")];
  assert.equal(figureById("two", specs).id, "two");
  assert.throws(() => figureById("three", specs), /unknown figure id "three"; known ids: one, two/);
  assert.throws(() => figureById("x", []), /\(none registered\)/);
});

// ---------------------------------------------------------------------------------------------
// snapshot mechanism, on a fixture figure in a temp folder

test("compareSnapshot: missing → changed file; match → same (stale changed file removed); edit → changed", () => {
  const dir = tmp("snap");
  const spec = fixture("demo-fig");
  const first = compareSnapshot(spec, dir);
  assert.equal(first.status, "missing");
  assert.equal(fs.readFileSync(changedPath(dir, "demo-fig"), "utf8"), canonicalJson(spec.build()));
  fs.writeFileSync(snapshotPath(dir, "demo-fig"), first.actual);
  assert.equal(compareSnapshot(spec, dir).status, "same");
  assert.equal(fs.existsSync(changedPath(dir, "demo-fig")), false);
  const edited = fixture("demo-fig", [1, 2, 4]);
  const r = compareSnapshot(edited, dir);
  assert.equal(r.status, "changed");
  assert.match(fs.readFileSync(r.changedFile!, "utf8"), /"y": \[1, 2, 4\]/);
  const rep = checkFigures([edited], dir);
  assert.deepEqual(rep.mismatched.map((m) => m.id), ["demo-fig"]);
  fs.writeFileSync(path.join(dir, "gone.plotly.json"), "{}\n");
  assert.deepEqual(checkFigures([spec], dir).orphans, ["gone.plotly.json"]);
});

// ---------------------------------------------------------------------------------------------
// notebook tags, on fixture notebooks

function writeNb(dir: string, name: string, cells: { tags?: string[]; id?: string }[]): void {
  const nb = {
    cells: cells.map((c, i) => ({ cell_type: "code", id: c.id ?? `c${i}`, metadata: c.tags ? { tags: c.tags } : {}, source: [], outputs: [], execution_count: null })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(path.join(dir, name), JSON.stringify(nb));
}

test("findFigureTags and checkFigureTags catch untagged, doubly tagged, unknown and misplaced figures", () => {
  const dir = tmp("tags");
  writeNb(dir, "01_a.ipynb", [{}, { tags: ["figure:alpha", "slow"], id: "x1" }, { tags: ["figure:beta"] }]);
  writeNb(dir, "02_b.ipynb", [{ tags: ["figure:beta"] }, { tags: ["figure:nope"] }, { tags: ["figure:gamma"] }]);
  const tags = findFigureTags(dir);
  assert.deepEqual(
    tags.map((t) => [t.id, t.notebook, t.cellIndex]),
    [["alpha", "01_a.ipynb", 1], ["beta", "01_a.ipynb", 2], ["beta", "02_b.ipynb", 0], ["nope", "02_b.ipynb", 1], ["gamma", "02_b.ipynb", 2]],
  );
  assert.equal(tags[0].cellId, "x1");
  const specs = [fixture("alpha", [1], "01_a.ipynb"), fixture("beta", [1], "01_a.ipynb"), fixture("gamma", [1], "01_a.ipynb"), fixture("delta", [1], "01_a.ipynb")];
  const problems = checkFigureTags(specs, tags);
  assert.equal(problems.length, 5, problems.join("\n"));
  assert.ok(problems.some((p) => /"beta" is tagged in 2 cells/.test(p)));
  assert.ok(problems.some((p) => /"gamma" is registered for 01_a.ipynb but tagged in 02_b.ipynb cell 2/.test(p)));
  assert.ok(problems.some((p) => /"delta" is shown by no notebook cell/.test(p)));
  assert.ok(problems.some((p) => /02_b.ipynb cell 1 is tagged "figure:nope"/.test(p)));
  assert.deepEqual(checkFigureTags(specs.slice(0, 1), tags.slice(0, 1)), []);
});

// ---------------------------------------------------------------------------------------------
// the build pipeline, on a fixture figure (no browser needed)

test("buildFigures writes JSON + HTML + manifest, skips unchanged figures and rebuilds on an input change", async () => {
  const root = tmp("pipeline");
  fs.mkdirSync(path.join(root, "data"));
  fs.mkdirSync(path.join(root, "notebooks"));
  const input = path.join(root, "data", "points.json");
  fs.writeFileSync(input, JSON.stringify([1, 2, 3]));
  writeNb(path.join(root, "notebooks"), "05_demo.ipynb", [{}, { tags: ["figure:points"], id: "cellx" }]);
  const spec: FigureSpec = {
    id: "points",
    title: "Points",
    notebook: "05_demo.ipynb",
    inputs: ["data/points.json"],
    build: () => ({ data: [{ type: "scatter", y: JSON.parse(fs.readFileSync(input, "utf8")) }], layout: {} }),
  };
  const outDir = path.join(root, "figures");
  const opts = { specs: [spec], outDir, root, images: false, log: () => undefined };
  const r1 = await buildFigures(opts);
  assert.deepEqual(r1.built, ["points"]);
  assert.match(r1.imagesSkipped ?? "", /images switched off/);
  const m = readManifest(path.join(outDir, "MANIFEST.json"));
  assert.equal(m.figures.length, 1);
  const e = m.figures[0];
  assert.deepEqual(e.cell, { notebook: "05_demo.ipynb", index: 1, id: "cellx" });
  assert.deepEqual(e.inputs, [{ path: "data/points.json", sha256: sha256(fs.readFileSync(input)) }]);
  assert.equal(e.outputs.json.sha256, sha256(fs.readFileSync(path.join(outDir, "points.plotly.json"))));
  assert.equal(fs.readFileSync(path.join(outDir, "points.plotly.json"), "utf8"), canonicalJson(spec.build()));
  assert.match(fs.readFileSync(path.join(outDir, "points.html"), "utf8"), /plotly\.js-dist\/plotly\.js/);
  assert.equal(e.outputs.png, null);

  const r2 = await buildFigures(opts);
  assert.deepEqual([r2.built, r2.upToDate], [[], ["points"]]);
  fs.writeFileSync(input, JSON.stringify([1, 2, 5]));
  const r3 = await buildFigures(opts);
  assert.deepEqual(r3.built, ["points"]);
  assert.match(fs.readFileSync(path.join(outDir, "points.plotly.json"), "utf8"), /"y": \[1, 2, 5\]/);
  assert.deepEqual((await buildFigures({ ...opts, force: true })).built, ["points"]);
  // Building another figure alone keeps this one's manifest entry only when asked to.
  const other = { ...spec, id: "other", inputs: [] };
  await buildFigures({ ...opts, specs: [other], keep: ["points", "other"] });
  assert.deepEqual(readManifest(path.join(outDir, "MANIFEST.json")).figures.map((f) => f.id), ["other", "points"]);
  await buildFigures({ ...opts, specs: [spec] });
  assert.deepEqual(readManifest(path.join(outDir, "MANIFEST.json")).figures.map((f) => f.id), ["points"]);
  fs.rmSync(input);
  const r4 = await buildFigures(opts);
  assert.deepEqual([r4.built, r4.missingInputs], [[], [{ id: "points", files: ["data/points.json"] }]]);
  assert.deepEqual(readManifest(path.join(outDir, "MANIFEST.json")).figures.map((f) => f.id), ["points"], "the old entry is kept");
});

// ---------------------------------------------------------------------------------------------
// the real registry: snapshots, notebook cells, manifest

test("every registered figure's JSON equals its committed snapshot", async (t) => {
  if (FIGURES.length === 0) t.diagnostic("no figures registered yet; the mechanism is tested on fixtures above");
  for (const spec of FIGURES) {
    await t.test(spec.id, () => {
      const r = compareSnapshot(spec, FIG_DIR);
      assert.equal(
        r.status,
        "same",
        `figure "${spec.id}": ${r.status === "missing" ? "no committed snapshot" : "differs from figures/" + spec.id + ".plotly.json"}; ` +
          `rebuilt JSON written to ${r.changedFile}. If intended: npm run figures, then commit.`,
      );
    });
  }
});

test("every registered figure is shown by exactly one notebook cell tagged figure:<id>, and every tag names a registered figure", async (t) => {
  const tags = findFigureTags(NB_DIR);
  const problems = checkFigureTags(FIGURES, tags);
  // A figure whose chapter notebook is not written yet is reported as a todo, not a pass.
  const missingNb = FIGURES.filter((s) => !fs.existsSync(path.join(NB_DIR, s.notebook)));
  const pending = problems.filter((p) => missingNb.some((s) => p.startsWith(`figure "${s.id}" is shown by no notebook cell`)));
  const real = problems.filter((p) => !pending.includes(p));
  if (pending.length) {
    await t.test(`notebooks not written yet: ${[...new Set(missingNb.map((s) => s.notebook))].join(", ")}`, { todo: pending.join("; ") }, () => {
      assert.fail(pending.join("\n"));
    });
  }
  assert.deepEqual(real, [], real.join("\n"));
});

test("figures/MANIFEST.json has one entry per registered figure, with the committed JSON's hash", () => {
  const m = readManifest(path.join(FIG_DIR, "MANIFEST.json"));
  assert.deepEqual(m.figures.map((e) => e.id).sort(), FIGURES.map((s) => s.id).sort(), "run npm run figures to refresh figures/MANIFEST.json");
  for (const e of m.figures) {
    const file = path.join(FIG_DIR, e.outputs.json.file);
    assert.equal(sha256(fs.readFileSync(file)), e.outputs.json.sha256, `${e.id}: ${e.outputs.json.file} changed since the manifest was written; run npm run figures`);
  }
});
