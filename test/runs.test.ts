import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  stableJson, configHash, runDir, configDiff, runOrLoad, runOrLoadDetailed, loadRun, listRuns,
  definePreset, resolveConfig, RUN_FORMAT, computePath, computePathsUsed, noteRunUsed, resetComputePathsUsed, assertOneComputePath,
  runGraph, type GraphJob,
} from "../src/runs";
import { InputError } from "../src/array";

const made: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-runs-test-"));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

test("canonical JSON sorts keys recursively; configHash is stable across key order", () => {
  assert.equal(stableJson({ b: 1, a: { d: [3, 1], c: "x" } }), '{"a":{"c":"x","d":[3,1]},"b":1}');
  const h1 = configHash({ lr: 0.001, enc: { d: 64, h: 4 }, tags: ["a", "b"] });
  const h2 = configHash({ tags: ["a", "b"], enc: { h: 4, d: 64 }, lr: 0.001 });
  assert.equal(h1, h2);
  assert.match(h1, /^[0-9a-f]{64}$/);
  // sha256 of the canonical text; echo -n '{"a":1}' | sha256sum
  assert.equal(configHash({ a: 1 }), "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
  assert.notEqual(configHash({ lr: 0.001 }), configHash({ lr: 0.002 }));
  assert.notEqual(configHash({ tags: ["a", "b"] }), configHash({ tags: ["b", "a"] }));
  assert.throws(() => configHash({ lr: NaN }), /config.lr = NaN/);
  assert.throws(() => configHash({ f: () => 1 }), /config.f: a function/);
});

const PRESET = definePreset({
  name: "align",
  defaults: { lr: 0.001, numSteps: 500, act: "gelu", enc: { d: 64 } },
  profiles: { smoke: { numSteps: 20 } },
});

test("runDir names the keys that differ from the preset, plus a hash", () => {
  const root = path.join("runs");
  const def = runDir(root, PRESET, PRESET.defaults, 1);
  assert.match(def, /^runs\/align\/defaults__[0-9a-f]{8}\/seed-1$/);
  const cfg = resolveConfig(PRESET, { lr: 3e-4, "enc.d": 32, act: "re lu/x" }, { profile: "smoke" });
  const d = runDir(root, PRESET, cfg, 7);
  const folder = path.basename(path.dirname(d));
  assert.equal(folder, `act-re~lu~x_enc.d-32_lr-0.0003_numSteps-20__${configHash(cfg).slice(0, 8)}`);
  assert.equal(path.basename(d), "seed-7");
  // Seeds share the config folder; a `seed` field inside the config does not split it.
  const withSeed = (seed: number) => ({ ...cfg, seed }) as unknown as typeof cfg;
  assert.equal(path.dirname(runDir(root, PRESET, withSeed(1), 1)), path.dirname(runDir(root, PRESET, withSeed(2), 2)));
  // Same config in another key order → same folder.
  const reordered = { numSteps: cfg.numSteps, enc: cfg.enc, act: cfg.act, lr: cfg.lr };
  assert.equal(runDir(root, PRESET, reordered, 7), d);
  // An experiment name with explicit defaults works too; long names are cut and keep the hash.
  const long = runDir(root, "exp", { a: "x".repeat(200) }, 0, { defaults: { a: "" } });
  assert.ok(path.basename(path.dirname(long)).length < 100);
  assert.match(long, /\+more__[0-9a-f]{8}\/seed-0$/);
  assert.throws(() => runDir(root, PRESET, cfg, 1.5), /need an integer, got 1.5/);
  assert.throws(() => runDir(root, "../evil", cfg, 1), /invalid experiment name/);
  assert.deepEqual(configDiff({ a: 1, b: { c: 2 } }, { a: 1, b: { c: 3 } }), [["b.c", 3]]);
});

test("runOrLoad computes once, then loads; meta and config are written", async () => {
  const dir = path.join(tmp(), "run");
  let calls = 0;
  const cfg = { lr: 0.1, n: 3 };
  const compute = () => {
    calls++;
    return { score: 0.75, values: [1, 2, 3] };
  };
  const a = await runOrLoadDetailed({ dir, cfg, compute, seed: 4, profile: "smoke" });
  assert.equal(a.loaded, false);
  assert.equal(calls, 1);
  const b = await runOrLoadDetailed({ dir, cfg: { n: 3, lr: 0.1 }, compute, seed: 4 });
  assert.equal(b.loaded, true);
  assert.equal(calls, 1);
  assert.deepEqual(b.value, a.value);
  assert.deepEqual(a.value, { score: 0.75, values: [1, 2, 3] });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
  assert.equal(meta.format, RUN_FORMAT);
  assert.equal(meta.seed, 4);
  assert.equal(meta.profile, "smoke");
  assert.equal(meta.nodeVersion, process.version);
  assert.match(meta.tfjsVersion, /^\d+\.\d+\.\d+/);
  assert.ok(meta.durationSec >= 0);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  assert.deepEqual(config.config, cfg);
  const stored = loadRun(dir);
  assert.equal(stored?.configHash, configHash(cfg));
  assert.equal(stored?.seed, 4);
  assert.equal(a.configHash, configHash(cfg));
  // Another seed is another run, even in the same folder.
  await runOrLoad({ dir, cfg, compute, seed: 5 });
  assert.equal(calls, 2);
  // force recomputes.
  await runOrLoad({ dir, cfg, compute, seed: 5, force: true });
  assert.equal(calls, 3);
});

test("runOrLoad recomputes on a config change and can refuse instead", async () => {
  const dir = path.join(tmp(), "run");
  let calls = 0;
  const compute = ({ cfg }: { cfg: { lr: number } }) => {
    calls++;
    return cfg.lr * 10;
  };
  assert.equal(await runOrLoad({ dir, cfg: { lr: 0.1 }, compute }), 1);
  assert.equal(await runOrLoad({ dir, cfg: { lr: 0.2 }, compute }), 2);
  assert.equal(calls, 2);
  // The stale (lr 0.1) result is gone; asking for lr 0.2 again loads.
  assert.equal(await runOrLoad({ dir, cfg: { lr: 0.2 }, compute }), 2);
  assert.equal(calls, 2);
  await assert.rejects(runOrLoad({ dir, cfg: { lr: 0.3 }, compute, onMismatch: "throw" }), (e: unknown) => e instanceof InputError && /holds a run of config/.test(e.message));
  assert.equal(calls, 2);
  // …and the refused call left the stored run intact.
  assert.equal(await runOrLoad({ dir, cfg: { lr: 0.2 }, compute }), 2);
  assert.equal(calls, 2);
});

test("a compute that throws leaves no result.json; encode/decode round-trips", async () => {
  const dir = path.join(tmp(), "run");
  await assert.rejects(runOrLoad({ dir, cfg: { a: 1 }, compute: () => { throw new Error("boom"); } }), /boom/);
  assert.equal(fs.existsSync(path.join(dir, "result.json")), false);
  assert.equal(loadRun(dir), null);
  // A failed recompute after a config change also leaves no (stale) result behind.
  await runOrLoad({ dir, cfg: { a: 2 }, compute: () => 2 });
  await assert.rejects(runOrLoad({ dir, cfg: { a: 3 }, compute: () => { throw new Error("boom"); } }), /boom/);
  assert.equal(fs.existsSync(path.join(dir, "result.json")), false);
  // No temp files are left in the folder.
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);

  const dir2 = path.join(tmp(), "typed");
  const opts = {
    dir: dir2,
    cfg: { n: 3 },
    compute: () => new Float32Array([0.5, 1.5, 2.5]),
    encode: (v: Float32Array) => Array.from(v),
    decode: (j: unknown) => Float32Array.from(j as number[]),
  };
  const first = await runOrLoadDetailed(opts);
  const second = await runOrLoadDetailed(opts);
  assert.ok(first.value instanceof Float32Array && second.value instanceof Float32Array);
  assert.deepEqual(Array.from(second.value), [0.5, 1.5, 2.5]);
  assert.equal(second.loaded, true);
});

test("listRuns finds finished runs by folder", async () => {
  const root = tmp();
  const cfg = resolveConfig(PRESET, {}, { profile: "smoke" });
  for (const seed of [2, 1]) await runOrLoad({ dir: runDir(root, PRESET, cfg, seed), cfg, seed, compute: () => seed / 10 });
  fs.mkdirSync(runDir(root, PRESET, cfg, 3), { recursive: true }); // unfinished: no result.json
  const runs = listRuns(root, "align");
  assert.deepEqual(runs.map((r) => r.seed), [1, 2]);
  assert.deepEqual(runs[0].config, cfg);
});

test("the seed workflow: one runOrLoad per seed, then mean ± t-interval over seeds", async () => {
  const { summarizeSeeds } = await import("../src/stats");
  const { rng } = await import("../src/random");
  const root = tmp();
  const cfg = resolveConfig(PRESET, { lr: 0.01 }, { profile: "smoke" });
  let calls = 0;
  const measure = (seed: number) => {
    calls++;
    return { score: 0.5 + 0.01 * rng(seed).normal() };
  };
  const runAll = async () => {
    const records = [];
    for (const seed of [1, 2, 3]) {
      const r = await runOrLoad({ dir: runDir(root, PRESET, cfg, seed), cfg, seed, compute: () => measure(seed) });
      records.push({ seed, value: r.score });
    }
    return summarizeSeeds(records);
  };
  const first = await runAll();
  const second = await runAll();
  assert.equal(calls, 3);
  assert.deepEqual(second, first);
  assert.deepEqual(first.values, [1, 2, 3].map((s) => 0.5 + 0.01 * rng(s).normal()));
  assert.equal(listRuns(root, "align").length, 3);
});

test("runsRoot resolves a relative runs folder from the project root whatever the working directory", async () => {
  const { runsRoot } = await import("../src/runs");
  const project = path.resolve(__dirname, "..");
  const here = process.cwd();
  try {
    process.chdir(os.tmpdir()); // a notebook kernel starts in notebooks/, a user anywhere
    assert.equal(runsRoot(), path.join(project, "runs"));
    assert.equal(runsRoot("other/runs"), path.join(project, "other", "runs"));
    assert.equal(runsRoot("/abs/runs"), "/abs/runs");
  } finally {
    process.chdir(here);
  }
  assert.throws(() => runsRoot(""), InputError);
});

// A finished run folder as `runOrLoad` writes it, with a given backend in its meta.json.
function fakeRun(dir: string, cfg: object, backend: object | null): void {
  fs.mkdirSync(dir, { recursive: true });
  const hash = configHash(cfg);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ format: RUN_FORMAT, configHash: hash, seed: 0, config: cfg }));
  fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify({ format: RUN_FORMAT, configHash: hash, seed: 0, profile: null, backend }));
  fs.writeFileSync(path.join(dir, "result.json"), JSON.stringify({ format: RUN_FORMAT, configHash: hash, seed: 0, result: 1 }));
}
const WASM = { name: "wasm", native: { active: false, reason: "LCO_NATIVE=0" } };
const NATIVE_1T = { name: "wasm", native: { active: true, reason: "addon loaded", blas: "OpenBLAS 0.3.21 DYNAMIC_ARCH; core Haswell", threads: 1 } };
const NATIVE_2T = { ...NATIVE_1T, native: { ...NATIVE_1T.native, blas: "OpenBLAS 0.3.21 DYNAMIC_ARCH; core Cooperlake", threads: 2 } };

test("computePath names the backend and, when on, the native BLAS kernel and threads", () => {
  assert.equal(computePath(null), "unknown");
  assert.equal(computePath(WASM as never), "wasm");
  assert.equal(computePath(NATIVE_1T as never), "wasm + native BLAS (core Haswell, 1 thread)");
  assert.equal(computePath(NATIVE_2T as never), "wasm + native BLAS (core Cooperlake, 2 threads)");
});

test("loaded runs are counted by compute path, once per folder; a native/wasm mix is refused, kernels and threads are not", async () => {
  const root = tmp();
  const load = (dir: string, cfg: object) => runOrLoad({ dir, cfg, seed: 0, compute: () => assert.fail(`${dir} should load, not compute`) });
  resetComputePathsUsed();
  try {
    fakeRun(path.join(root, "a"), { a: 1 }, WASM);
    fakeRun(path.join(root, "b"), { b: 1 }, NATIVE_1T);
    fakeRun(path.join(root, "c"), { c: 1 }, NATIVE_2T);
    fakeRun(path.join(root, "old"), { o: 1 }, null);
    await load(path.join(root, "a"), { a: 1 });
    await load(path.join(root, "a"), { a: 1 }); // the same folder twice counts once
    noteRunUsed(path.join(root, "a"));
    await load(path.join(root, "old"), { o: 1 }); // no recorded backend: not counted
    fakeRun(path.join(root, "unfinished"), { u: 1 }, NATIVE_1T);
    fs.rmSync(path.join(root, "unfinished", "result.json")); // not finished: not counted
    noteRunUsed(path.join(root, "unfinished"));
    assert.deepEqual(computePathsUsed().map((u) => [u.path, u.native, u.loaded]), [["wasm", false, 1]]);
    assertOneComputePath();
    // Two native kernels / thread counts: recorded, not refused.
    resetComputePathsUsed();
    await load(path.join(root, "b"), { b: 1 });
    noteRunUsed(path.join(root, "c"));
    assert.deepEqual(computePathsUsed().map((u) => u.path).sort(), ["wasm + native BLAS (core Cooperlake, 2 threads)", "wasm + native BLAS (core Haswell, 1 thread)"]);
    assertOneComputePath();
    // The case that once went unseen: a wasm result built on a run trained with native BLAS.
    await load(path.join(root, "a"), { a: 1 });
    assert.throws(() => assertOneComputePath(), (e: unknown) => e instanceof InputError && /mix the native BLAS path and wasm/.test((e as Error).message) && (e as Error).message.includes(path.join(root, "b")));
  } finally {
    resetComputePathsUsed();
  }
});

/** A graph of named jobs whose `runOne` records start and end, finishing each after a timer tick; `fail` jobs exit 1. */
function recordingRunner(fail: string[] = []) {
  const events: string[] = [];
  let running = 0, most = 0;
  const runOne = async (name: string) => {
    events.push(`start ${name}`);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    events.push(`end ${name}`);
    return fail.includes(name) ? 1 : 0;
  };
  return { events, runOne, most: () => most };
}

//   A(1)   B(5)
//    |      |
//   D(.5)  C(3)
//     \   /
//      E(0)
const GRAPH: GraphJob<string>[] = [
  { job: "A", needs: [], priority: 1 },
  { job: "B", needs: [], priority: 5 },
  { job: "C", needs: [1], priority: 3 },
  { job: "D", needs: [0], priority: 0.5 },
  { job: "E", needs: [2, 3], priority: 0 },
];

test("runGraph: a job starts when the jobs it needs are done, the ready job of highest priority first", async () => {
  const one = recordingRunner();
  const out = await runGraph(GRAPH, 1, one.runOne);
  assert.deepEqual(out, { failed: [], blocked: [] });
  // One worker: B (5) before A (1); then C (3, ready once B is done) before A; D needs A; E last.
  assert.deepEqual(one.events.filter((e) => e.startsWith("start")), ["start B", "start C", "start A", "start D", "start E"]);
  const two = recordingRunner();
  const finished: [number, number][] = [];
  await runGraph(GRAPH, 2, two.runOne, (_j, code, n) => finished.push([n, code]));
  assert.equal(two.most(), 2);
  assert.deepEqual(finished, [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]]);
  for (const [job, needs] of [["C", "B"], ["D", "A"], ["E", "C"], ["E", "D"]]) {
    assert.ok(two.events.indexOf(`start ${job}`) > two.events.indexOf(`end ${needs}`), `${job} started before ${needs} ended`);
  }
});

test("runGraph: a failed job blocks only the jobs that need it, directly or not; bad graphs are refused before any job starts", async () => {
  const r = recordingRunner(["C"]);
  const out = await runGraph(GRAPH, 1, r.runOne);
  assert.deepEqual(out, { failed: [{ job: "C", code: 1 }], blocked: ["E"] });
  assert.ok(r.events.includes("end D"), "D does not need C, so it runs");
  assert.ok(!r.events.includes("start E"));
  const chain: GraphJob<string>[] = [{ job: "X", needs: [], priority: 0 }, { job: "Y", needs: [0], priority: 0 }, { job: "Z", needs: [1], priority: 0 }];
  assert.deepEqual(await runGraph(chain, 2, recordingRunner(["X"]).runOne), { failed: [{ job: "X", code: 1 }], blocked: ["Y", "Z"] });
  const never = recordingRunner();
  await assert.rejects(runGraph([{ job: "P", needs: [1], priority: 0 }, { job: "Q", needs: [0], priority: 0 }, { job: "R", needs: [], priority: 0 }], 2, never.runOne), /positions 0, 1 need each other \(a cycle\)/);
  await assert.rejects(runGraph([{ job: "P", needs: [3], priority: 0 }], 2, never.runOne), /job 0 needs position 3, which is not another job of the list \(0\.\.0\)/);
  assert.deepEqual(never.events, []);
  assert.deepEqual(await runGraph([], 2, never.runOne), { failed: [], blocked: [] });
});
