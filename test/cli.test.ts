/**
 * `lco` CLI tests: in-process runs through `main()` with a recording `CliIO` (values must equal
 * calling the probes directly; every bad input exits 2 with a one-line message naming the
 * problem and prints nothing on stdout), dispatch of two-word names, and real spawns of
 * `node bin/lco.js` (needs `npm run build`, which `npm test` runs first) for exit codes and the
 * last-line JSON contract.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../src/array";
import type { NdArray } from "../src/array";
import { UsageError } from "../src/cli/command";
import type { CliIO, Command } from "../src/cli/command";
import { findCommand, main } from "../src/cli/main";
import { COMMANDS } from "../src/cli/registry";
import { alignCommand } from "../src/cli/align";
import { anisotropyCommand } from "../src/cli/anisotropy";
import { benchTrainCommand } from "../src/cli/bench";
import { experimentCommand } from "../src/cli/experiment";
import { notebookCommand } from "../src/cli/notebook";
import { embedCommand, organismTrainCommand } from "../src/cli/organism";
import { refineCommand } from "../src/cli/refine";
import { retrievalCommand } from "../src/cli/retrieval";
import { sweepCommands } from "../src/cli/sweep";
import { readNpy, writeNpy, writeSafetensors } from "../src/io";
import { anisotropy, anisotropyByLayer, chanceLevel, measure, measureByLayer, shuffledPairsControl } from "../src/probes";
import type { MetricName } from "../src/probes";
import { normalArray, rng } from "../src/random";
import { retrievalScores } from "../src/retrieval";

const ROOT = path.join(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lco-cli-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);

// Paired data: B = A·W + noise, so A and B are aligned but not identical; n = 40.
const N = 40;
const r = rng(20251122);
const Adata = normalArray(N * 8, r);
const A: NdArray = { dtype: "float32", shape: [N, 8], data: Adata };
const W = normalArray(8 * 6, r);
const Bdata = new Float32Array(N * 6);
for (let i = 0; i < N; i++) {
  for (let j = 0; j < 6; j++) {
    let s = 0.3 * r.normal();
    for (let t = 0; t < 8; t++) s += Adata[i * 8 + t] * W[t * 6 + j];
    Bdata[i * 6 + j] = s;
  }
}
const B: NdArray = { dtype: "float32", shape: [N, 6], data: Bdata };
const stackOf = (m: NdArray, L: number, seed: number): NdArray => {
  const rr = rng(seed);
  const [n, d] = m.shape;
  const data = new Float32Array(L * n * d);
  for (let l = 0; l < L; l++) for (let i = 0; i < n * d; i++) data[l * n * d + i] = (m.data[i] as number) + l * 0.5 * rr.normal();
  return { dtype: "float32", shape: [L, n, d], data };
};
const SA = stackOf(A, 3, 1);
const SB = stackOf(B, 3, 2);
writeNpy(file("A.npy"), A);
writeNpy(file("B.npy"), B);
writeNpy(file("SA.npy"), SA);
writeNpy(file("SB.npy"), SB);
writeNpy(file("SB4.npy"), stackOf(B, 4, 3));
writeSafetensors(file("pair.safetensors"), { image: A, text: B });
// A noisy copy of A (same width, for retrieval).
writeNpy(file("Anoisy.npy"), { ...A, data: Float32Array.from(A.data as Float32Array, (x) => x + 1.2 * r.normal()) });
writeNpy(file("B30.npy"), { dtype: "float32", shape: [30, 6], data: Bdata.slice(0, 30 * 6) });
writeNpy(file("C7.npy"), { dtype: "float32", shape: [N, 7], data: normalArray(N * 7, r) });
const withValue = (m: NdArray, index: number, v: number): NdArray => {
  const data = Float32Array.from(m.data as Float32Array);
  data[index] = v;
  return { ...m, data };
};
writeNpy(file("nan.npy"), withValue(A, 3 * 8 + 2, NaN)); // row 3, column 2
writeNpy(file("inf_stack.npy"), withValue(SA, N * 8 + 5 * 8 + 1, Infinity)); // layer 1, row 5, column 1
const zero = Float32Array.from(A.data as Float32Array);
zero.fill(0, 7 * 8, 8 * 8); // row 7 all zeros
writeNpy(file("zero.npy"), { ...A, data: zero });
writeNpy(file("vec.npy"), { dtype: "float32", shape: [5], data: new Float32Array(5) });
writeNpy(file("one_row.npy"), { dtype: "float32", shape: [1, 3], data: new Float32Array([1, 2, 3]) });
const good = fs.readFileSync(file("A.npy"));
fs.writeFileSync(file("truncated.npy"), good.subarray(0, good.length - 10));
fs.writeFileSync(file("garbage.safetensors"), Buffer.from("this is not a safetensors file at all"));
fs.writeFileSync(file("feats.txt"), "1 2 3\n");
const FIX = path.join(__dirname, "fixtures", "io");

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** Run `lco ...args` in-process and record its output. */
async function lco(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(args, io);
  return { code, out, err };
}

/** Parse the last stdout line as JSON (the --json contract). */
function lastJson(run: Run): Record<string, unknown> {
  assert.equal(run.code, 0, run.err.join("\n"));
  return JSON.parse(run.out[run.out.length - 1]) as Record<string, unknown>;
}

test("anisotropy: 2-D and layer-stack values equal the probe's; chance 0 reported", async () => {
  const j = lastJson(await lco("anisotropy", file("A.npy"), "--json"));
  assert.equal(j.metric, "anisotropy");
  assert.equal(j.value, anisotropy(readNpy(file("A.npy"))));
  assert.equal(j.n, N);
  assert.equal(j.d, 8);
  assert.equal(j.layers, 1);
  assert.equal(j.chance, 0);
  assert.equal(j.backend, "js");
  const s = lastJson(await lco("anisotropy", file("SA.npy"), "--json"));
  assert.deepEqual(s.value, anisotropyByLayer(readNpy(file("SA.npy"))));
  assert.equal(s.layers, 3);
  // Human-readable output: one line per layer.
  const h = await lco("anisotropy", file("SA.npy"));
  assert.equal(h.code, 0);
  assert.equal(h.out.filter((l) => /^\s+layer\s+\d/.test(l)).length, 3);
});

test("anisotropy of identical rows is 1 (hand-computed)", async () => {
  const same: NdArray = { dtype: "float64", shape: [4, 2], data: new Float64Array([1, 2, 1, 2, 1, 2, 1, 2]) };
  writeNpy(file("same.npy"), same);
  const j = lastJson(await lco("anisotropy", file("same.npy"), "--json"));
  assert.ok(Math.abs((j.value as number) - 1) < 1e-12);
});

test("align: every metric equals measure() on the same files, with chance and k", async () => {
  const a = readNpy(file("A.npy"));
  const b = readNpy(file("B.npy"));
  const metrics: [MetricName, boolean][] = [
    ["mutual_knn", true],
    ["cycle_knn", true],
    ["cka", false],
    ["unbiased_cka", false],
    ["cknna", true],
  ];
  for (const [metric, knn] of metrics) {
    const args = ["align", file("A.npy"), file("B.npy"), "--metric", metric, "--json", ...(knn ? ["--k", "5"] : [])];
    const j = lastJson(await lco(...args));
    assert.equal(j.metric, metric);
    assert.equal(j.value, measure(metric, a, b, knn ? { k: 5 } : {}), metric);
    assert.equal(j.k, knn ? 5 : null);
    assert.equal(j.n, N);
    assert.equal(j.layers, 1);
    assert.equal(j.chance, chanceLevel(metric, N, 5));
    assert.deepEqual(j.inputs, { A: file("A.npy"), B: file("B.npy") });
  }
  // Hand-known values: a set aligned with itself has mutual_knn 1; chance is k/(n−1) = 5/39.
  const self = lastJson(await lco("align", file("A.npy"), file("A.npy"), "--metric", "mutual_knn", "--k", "5", "--json"));
  assert.equal(self.value, 1);
  assert.equal(self.chance, 5 / 39);
  // Default metric mutual_knn with the paper's k = 10.
  const dflt = lastJson(await lco("align", file("A.npy"), file("B.npy"), "--json"));
  assert.equal(dflt.metric, "mutual_knn");
  assert.equal(dflt.k, 10);
  assert.equal(dflt.value, measure("mutual_knn", a, b, { k: 10 }));
});

test("align: layer stacks give per-layer values (measureByLayer); a stack against a 2-D file repeats it", async () => {
  const j = lastJson(await lco("align", file("SA.npy"), file("SB.npy"), "--metric", "cka", "--json"));
  assert.deepEqual(j.value, measureByLayer("cka", readNpy(file("SA.npy")), readNpy(file("SB.npy"))));
  assert.equal(j.layers, 3);
  const mixed = lastJson(await lco("align", file("SA.npy"), file("B.npy"), "--metric", "mutual_knn", "--k", "3", "--json"));
  const sa = readNpy(file("SA.npy"));
  const b = readNpy(file("B.npy"));
  const [L, n, d] = sa.shape;
  const want = Array.from({ length: L }, (_, l) =>
    measure("mutual_knn", { rows: n, cols: d, data: (sa.data as Float32Array).subarray(l * n * d, (l + 1) * n * d) }, b, { k: 3 }),
  );
  assert.deepEqual(mixed.value, want);
});

test("align --control reports the shuffled-pairs control of shuffledPairsControl()", async () => {
  const j = lastJson(await lco("align", file("A.npy"), file("B.npy"), "--metric", "cka", "--control", "4", "--seed", "7", "--json"));
  const c = shuffledPairsControl("cka", readNpy(file("A.npy")), readNpy(file("B.npy")), { seed: 7, trials: 4 });
  assert.deepEqual(j.control, { mean: c.mean, sd: c.sd, trials: 4, seed: 7 });
});

test("align --metric svcca --cca-dim equals measure() with ccaDim", async () => {
  const j = lastJson(await lco("align", file("A.npy"), file("B.npy"), "--metric", "svcca", "--cca-dim", "4", "--json"));
  assert.equal(j.value, measure("svcca", readNpy(file("A.npy")), readNpy(file("B.npy")), { ccaDim: 4 }));
  assert.equal(j.ccaDim, 4);
});

test("align reads FILE.safetensors:NAME", async () => {
  const j = lastJson(await lco("align", `${file("pair.safetensors")}:image`, `${file("pair.safetensors")}:text`, "--metric", "cka", "--json"));
  assert.equal(j.value, measure("cka", A, B));
});

test("retrieval: equals retrievalScores() in both directions; identical sets score 1; chance 1/n", async () => {
  const j = lastJson(await lco("retrieval", file("A.npy"), file("A.npy"), "--json"));
  assert.equal(j.metric, "retrieval");
  const q2c = j.queryToCandidate as Record<string, number>;
  assert.deepEqual(Object.keys(q2c), ["recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"]);
  for (const v of Object.values(q2c)) assert.equal(v, 1);
  assert.equal((j.chance as Record<string, number>)["recall@1"], 1 / N);
  // A against a noisy copy: values equal the library's.
  const k = lastJson(await lco("retrieval", file("A.npy"), file("Anoisy.npy"), "--k", "1,3", "--ndcg-k", "5", "--json"));
  const want = retrievalScores(readNpy(file("A.npy")), readNpy(file("Anoisy.npy")), { ks: [1, 3], ndcgK: 5 });
  assert.deepEqual(k.queryToCandidate, want.queryToCandidate.scores);
  assert.deepEqual(k.candidateToQuery, want.candidateToQuery.scores);
  assert.deepEqual(k.chance, want.queryToCandidate.chance);
  assert.deepEqual(k.k, [1, 3]);
  assert.equal(k.ndcgK, 5);
  // --layer picks one layer of a stack.
  const l = lastJson(await lco("retrieval", file("SA.npy"), file("SA.npy"), "--layer", "2", "--json"));
  assert.equal((l.queryToCandidate as Record<string, number>)["recall@1"], 1);
  assert.equal(l.layer, 2);
});

test("bad inputs: exit 2, nothing on stdout, one line on stderr naming the problem", async () => {
  const f = file;
  const cases: [string[], RegExp][] = [
    [["anisotropy", f("missing.npy")], /missing\.npy: no such file/],
    [["anisotropy", f("feats.txt")], /unsupported file type "\.txt"; expected \.npy or \.safetensors/],
    [["anisotropy", f("truncated.npy")], /truncated\.npy is truncated/],
    [["anisotropy", f("garbage.safetensors")], /garbage\.safetensors: .*(corrupt|truncated)/],
    [["anisotropy", path.join(FIX, "u8.npy")], /unsupported dtype '<u8'/],
    [["anisotropy", path.join(FIX, "fortran.npy")], /Fortran/],
    [["anisotropy", f("vec.npy")], /must be 2-D \[n, d\] or 3-D \[layers, n, d\]; got shape \[5\]/],
    [["anisotropy", f("one_row.npy")], /needs at least 2 rows/],
    [["anisotropy", f("nan.npy")], /nan\.npy has a non-finite value NaN at row 3, column 2/],
    [["anisotropy", f("inf_stack.npy")], /inf_stack\.npy layer 1 has a non-finite value Infinity at row 5, column 1/],
    [["anisotropy", f("zero.npy")], /zero\.npy row 7 has zero norm/],
    [["anisotropy", f("pair.safetensors")], /holds 2 tensors \(image, text\)/],
    [["anisotropy", `${f("pair.safetensors")}:audio`], /no tensor named "audio"; available: image, text/],
    [["anisotropy", f("A.npy"), "--bogus"], /unknown flag --bogus/],
    [["anisotropy"], /missing argument X/],
    [["anisotropy", f("A.npy"), f("B.npy")], /unexpected extra argument/],
    [["anisotropy", f("A.npy"), "--json=yes"], /flag --json takes no value/],
    [["align", f("A.npy"), f("B30.npy")], /row counts differ: .*A\.npy has 40 rows, .*B30\.npy has 30/],
    [["align", f("SA.npy"), f("SB4.npy")], /layer counts differ: .*3 layers, .*4/],
    [["align", f("A.npy"), f("B.npy"), "--k", "0"], /invalid --k; need an integer ≥ 1, got 0/],
    [["align", f("A.npy"), f("B.npy"), "--k", "40"], /need 1 ≤ k < n = 40, got 40/],
    [["align", f("A.npy"), f("B.npy"), "--k", "-3"], /invalid --k; need an integer ≥ 1, got -3/],
    [["align", f("A.npy"), f("B.npy"), "--metric", "cka", "--cca-dim", "3"], /--cca-dim applies only to svcca/],
    [["align", f("A.npy"), f("B.npy"), "--k", "ten"], /invalid --k; need an integer, got "ten"/],
    [["align", f("A.npy"), f("B.npy"), "--k"], /flag --k needs a value/],
    [["align", f("A.npy"), f("B.npy"), "--metric", "foo"], /unknown metric "foo"; expected one of mutual_knn/],
    [["align", f("A.npy"), f("B.npy"), "--metric", "cka", "--k", "5"], /--k applies only to the kNN metrics/],
    [["align", f("A.npy"), f("nan.npy")], /nan\.npy has a non-finite value NaN at row 3/],
    [["align", f("zero.npy"), f("B.npy")], /zero\.npy row 7 has zero norm/],
    [["align", f("A.npy"), f("missing.npy")], /missing\.npy: no such file/],
    [["retrieval", f("A.npy"), f("B30.npy")], /row counts differ/],
    [["retrieval", f("A.npy"), f("C7.npy")], /widths differ: .*d = 8, .*d = 7/],
    [["retrieval", f("A.npy"), f("A.npy"), "--k", "1,40"], /need 1 ≤ k < n = 40, got 40/],
    [["retrieval", f("A.npy"), f("A.npy"), "--k", "1,,5"], /invalid --k/],
    [["retrieval", f("A.npy"), f("A.npy"), "--ndcg-k", "0"], /need 1 ≤ k < n = 40, got 0/],
    [["retrieval", f("SA.npy"), f("SA.npy")], /layer stack \[3, 40, 8\]; choose a layer with --layer/],
    [["retrieval", f("SA.npy"), f("SA.npy"), "--layer", "3"], /has layers 0\.\.2, got 3/],
    [["retrieval", f("A.npy"), f("zero.npy")], /zero\.npy row 7 has zero norm/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ];
  for (const [args, pattern] of cases) {
    const run = await lco(...args);
    const label = args.map((a) => path.basename(a)).join(" ");
    assert.equal(run.code, 2, `${label}: exit code (stderr: ${run.err.join(" | ")})`);
    assert.deepEqual(run.out, [], `${label}: stdout must be empty`);
    assert.equal(run.err.length, 1, `${label}: one line on stderr`);
    assert.ok(!run.err[0].includes("\n"), `${label}: one line`);
    assert.match(run.err[0], pattern, label);
  }
});

test("help: lco --help lists every command; lco <cmd> --help prints its usage; no arguments is a usage error", async () => {
  const h = await lco("--help");
  assert.equal(h.code, 0);
  for (const c of COMMANDS) assert.ok(h.out.join("\n").includes(c.name), c.name);
  for (const name of ["anisotropy", "align", "retrieval"]) {
    const u = await lco(name, "--help");
    assert.equal(u.code, 0);
    assert.match(u.out.join("\n"), new RegExp(`^usage: lco ${name} `));
  }
  const v = await lco("--version");
  assert.equal(v.code, 0);
  assert.deepEqual(v.out, [JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version]);
  const none = await lco();
  assert.equal(none.code, 2);
  assert.deepEqual(none.out, []);
});

test("registry: each lazily loaded command's name and summary equal its module's, and usage/run come from it", () => {
  const modules: Command[] = [
    anisotropyCommand, alignCommand, retrievalCommand, benchTrainCommand, organismTrainCommand, refineCommand, embedCommand,
    experimentCommand, ...sweepCommands, notebookCommand,
  ];
  assert.deepEqual(COMMANDS.map((c) => [c.name, c.summary]), modules.map((c) => [c.name, c.summary]));
  COMMANDS.forEach((c, i) => assert.equal(c.usage, modules[i].usage, c.name));
});

test("start-up: lco --help and a probe command on the JS engine load neither TF.js nor the command modules they do not run", () => {
  // What a process has loaded is an invariant of the import graph (no timing involved): a
  // top-level import of TF.js or of every command module anywhere on these paths fails this.
  const loaded = (args: string[]) => {
    const code = `const m = require("./src/cli/main.ts"); m.main(${JSON.stringify(args)}, { out() {}, err() {} }).then((c) => ` +
      `process.stdout.write(JSON.stringify({ code: c, files: Object.keys(require.cache) })));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { cwd: ROOT, encoding: "utf8", env: { ...process.env, LCO_NATIVE: "0" } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { code: number; files: string[] };
  };
  const help = loaded(["--help"]);
  assert.equal(help.code, 0);
  assert.deepEqual(help.files.filter((f) => /@tensorflow|[\\/]src[\\/](cli[\\/](align|args|organism|experiment|sweep)|probes|io)[\\/.]/.test(f)), []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-cli-startup-"));
  try {
    const a = path.join(dir, "a.npy");
    writeNpy(a, { data: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i + 1)), shape: [10, 4], dtype: "float32" });
    const run = loaded(["align", a, a, "--metric", "cka", "--json"]);
    assert.equal(run.code, 0);
    assert.ok(run.files.some((f) => f.endsWith(path.join("src", "cli", "align.ts"))), "align's module is loaded when it runs");
    assert.deepEqual(run.files.filter((f) => /@tensorflow|[\\/]src[\\/](cli[\\/](organism|experiment|sweep)|organism|experiments)[\\/.]/.test(f)), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("dispatch: two-word names, longest match first; InputError → 2, other errors → 1", async () => {
  const calls: string[][] = [];
  const mk = (name: string, behaviour: "ok" | "input" | "usage" | "bug" = "ok"): Command => ({
    name,
    summary: name,
    usage: `usage: lco ${name}`,
    async run(argv) {
      calls.push([name, ...argv]);
      if (behaviour === "input") throw new InputError("bad value 42");
      if (behaviour === "usage") throw new UsageError("unknown flag --x");
      if (behaviour === "bug") throw new Error("boom\nsecond line");
      return 0;
    },
  });
  const cmds = [mk("bench"), mk("bench train"), mk("figures"), mk("bad input", "input"), mk("bad usage", "usage"), mk("bad bug", "bug")];
  assert.equal(findCommand(["bench", "train", "--x"], cmds)?.command.name, "bench train");
  assert.deepEqual(findCommand(["bench", "other"], cmds)?.rest, ["other"]);
  const io = { out: [] as string[], err: [] as string[] };
  const rec: CliIO = { out: (l) => io.out.push(l), err: (l) => io.err.push(l) };
  assert.equal(await main(["bench", "train", "--profile", "smoke"], rec, cmds), 0);
  assert.deepEqual(calls.at(-1), ["bench train", "--profile", "smoke"]);
  assert.equal(await main(["bad", "input"], rec, cmds), 2);
  assert.equal(io.err.at(-1), "lco bad input: bad value 42");
  assert.equal(await main(["bad", "usage"], rec, cmds), 2);
  assert.equal(await main(["bad", "bug"], rec, cmds), 1);
  assert.equal(io.err.at(-1), "lco bad bug: internal error: boom second line");
  // A group word alone lists the group's sub-commands.
  assert.equal(await main(["bad"], rec, cmds), 2);
  assert.match(io.err.at(-1) ?? "", /lco bad needs a sub-command: bad input, bad usage, bad bug/);
  // --help after a two-word name prints that command's usage without running it.
  const before = calls.length;
  assert.equal(await main(["bench", "train", "--help"], rec, cmds), 0);
  assert.equal(io.out.at(-1), "usage: lco bench train");
  assert.equal(calls.length, before);
});

// --- Real processes: `node bin/lco.js` runs the built dist/ ---------------------------------

const BIN = path.join(ROOT, "bin", "lco.js");
const built = fs.existsSync(path.join(ROOT, "dist", "cli", "main.js"));

function spawnLco(...args: string[]) {
  const p = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
}

test("spawned lco: exit 0 and the last stdout line is one JSON object equal to the in-process result", { skip: !built && "dist/ not built; run npm run build" }, async () => {
  for (const args of [
    ["anisotropy", file("SA.npy"), "--json"],
    ["align", file("A.npy"), file("B.npy"), "--metric", "cknna", "--k", "5", "--json"],
    ["retrieval", file("A.npy"), file("Anoisy.npy"), "--json"],
  ]) {
    const p = spawnLco(...args);
    assert.equal(p.code, 0, p.stderr);
    const lines = p.stdout.trimEnd().split("\n");
    const json = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    assert.deepEqual(json, lastJson(await lco(...args)));
  }
});

test("spawned lco: bad input exits 2 with one stderr line and empty stdout; --help exits 0", { skip: !built && "dist/ not built; run npm run build" }, () => {
  for (const [args, pattern] of [
    [["anisotropy", file("missing.npy")], /no such file/],
    [["align", file("A.npy"), file("B30.npy"), "--json"], /row counts differ/],
    [["align", file("A.npy"), file("B.npy"), "--nope"], /unknown flag --nope/],
    [["retrieval", file("nan.npy"), file("A.npy"), "--json"], /non-finite value NaN at row 3, column 2/],
  ] as [string[], RegExp][]) {
    const p = spawnLco(...args);
    assert.equal(p.code, 2, `${args.join(" ")}: ${p.stderr}`);
    assert.equal(p.stdout, "");
    assert.equal(p.stderr.trimEnd().split("\n").length, 1, p.stderr);
    assert.match(p.stderr, pattern);
  }
  const h = spawnLco("--help");
  assert.equal(h.code, 0);
  assert.match(h.stdout, /anisotropy/);
});
