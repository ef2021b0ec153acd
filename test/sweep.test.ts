// The sweep machinery without Slurm: plans (round trip, validation), one job at a time (refusal
// when a dependency is missing, idempotence), the submit script's structure, the CLI's bad input.
// The test against a real Slurm is test/sweep-slurm.test.ts.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../src/array";
import { initBackend } from "../src/backend";
import { main } from "../src/cli/main";
import { alignmentDir, alignmentExperiment } from "../src/experiments";
import { pretrainDir, pretrainSpec } from "../src/organism/family";
import { chainCosts, jobCosts, stepSeconds } from "../src/sweep/schedule";
import { arrayRanges, collectSweep, planJsonl, planSweep, readPlan, refreshDone, runJob, runLocal, runLocalPlans, sbatchScript, sweepStatus, writePlan, alignmentSweep, type AlignmentTables, type SweepJob } from "../src/sweep";

// Equality with the in-process run is bit for bit on either path (wasm, or native BLAS when the
// addon is built). OpenBLAS's bits depend on its thread count: the thread partition changes how
// a product is blocked (sgemm/ssyrk at 1 and 2 threads differ in the last bits; each count alone
// is deterministic), so this process uses what every worker and Slurm task gets: one BLAS thread.
process.env.LCO_NATIVE_THREADS = "1";

const made: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-sweep-test-"));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

/** A tiny alignment sweep: size S, seeds 0 and 1, 3 pretraining steps, 2 CLIP steps. */
function tinyPlan(root: string): SweepJob[] {
  return planSweep("alignment", { profile: "smoke", sizes: ["S"], seeds: [0, 1], root, steps: 3, clipSteps: 2, evalItems: 4 });
}

test("arrayRanges writes Slurm's array syntax", () => {
  assert.equal(arrayRanges([0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
  assert.equal(arrayRanges([4]), "4");
  assert.equal(arrayRanges([3, 1, 2]), "1-3");
});

test("the alignment plan: stages in order, dependencies by hash, a JSONL round trip, edits detected", () => {
  const root = tmp();
  const jobs = tinyPlan(root);
  assert.deepEqual(jobs.map((j) => j.stage), ["pretrain", "pretrain", "measure", "measure", "collect"]);
  assert.deepEqual(jobs.map((j) => j.index), [0, 1, 2, 3, 4]);
  // measure S/seed s needs pretrain S/seed s; collect needs both measurements.
  assert.deepEqual(jobs[2].deps, [jobs[0].hash]);
  assert.deepEqual(jobs[3].deps, [jobs[1].hash]);
  assert.deepEqual(jobs[4].deps, [jobs[2].hash, jobs[3].hash]);
  assert.equal(new Set(jobs.map((j) => j.hash)).size, 5);
  assert.equal(new Set(jobs.map((j) => j.dir)).size, 5);
  assert.ok(jobs.every((j) => !j.done));
  // Planning again gives the same plan (hashes are of the configs, not of the time).
  assert.equal(planJsonl(tinyPlan(root)), planJsonl(jobs));
  const file = path.join(root, "sweep.jsonl");
  writePlan(file, jobs);
  assert.deepEqual(readPlan(file), jobs);
  // A hand-edited config no longer matches its hash.
  fs.writeFileSync(file, planJsonl(jobs).replace('"seed":1', '"seed":7'));
  assert.throws(() => readPlan(file), (e: Error) => e instanceof InputError && /line 2/.test(e.message) && /hash/.test(e.message));
  fs.writeFileSync(file, "{not json\n");
  assert.throws(() => readPlan(file), (e: Error) => e instanceof InputError && /line 1 is not valid JSON/.test(e.message));
  assert.throws(() => readPlan(path.join(root, "missing.jsonl")), (e: Error) => e instanceof InputError && /missing\.jsonl/.test(e.message));
  assert.throws(() => planSweep("alignment", { profile: "smoke", sizes: ["XL"], seeds: [0], root }), (e: Error) => e instanceof InputError && /"XL"/.test(e.message));
  assert.throws(() => planSweep("grsl-nope", { profile: "smoke", seeds: [0], root }), (e: Error) => e instanceof InputError && /grsl-nope/.test(e.message));
  // P1's few-word variant (--with answerFormat=few-words): the folders the in-process experiment
  // uses for that format; "one-word" is the default plan itself, hashes included.
  const fw = planSweep("alignment", { profile: "smoke", sizes: ["S"], seeds: [0], root, overrides: alignmentSweep.overrides!(["answerFormat=few-words"]) });
  const fwSpec = pretrainSpec("smoke", "S", { answerFormat: "few-words" });
  assert.deepEqual(fw.slice(0, 2).map((j) => j.dir), [pretrainDir(root, fwSpec, 0), alignmentDir(root, fwSpec, 0, 150)]);
  const one = (overrides?: Record<string, unknown>) => planJsonl(planSweep("alignment", { profile: "smoke", sizes: ["S"], seeds: [0], root, ...(overrides ? { overrides } : {}) }));
  assert.equal(one({ answerFormat: "one-word" }), one());
  assert.notEqual(one(alignmentSweep.overrides!(["answerFormat=few-words"])), one());
  assert.throws(() => planSweep("alignment", { profile: "smoke", seeds: [0], root, overrides: { clipSteps: 3 } }), (e: Error) => e instanceof InputError && /takes only answerFormat.*got clipSteps/.test(e.message));
  assert.throws(() => planSweep("alignment", { profile: "smoke", seeds: [0], root, overrides: { answerFormat: "essay" } }), (e: Error) => e instanceof InputError && /"essay"/.test(e.message));
});

test("runJob refuses a job whose dependency has no result, runs one job only, and loads it the second time", async () => {
  await initBackend();
  const root = tmp();
  const jobs = tinyPlan(root);
  await assert.rejects(runJob(jobs, 2), (e: Error) => e instanceof InputError && /needs the result of job 0/.test(e.message) && e.message.includes(jobs[0].dir));
  await assert.rejects(runJob(jobs, 9), (e: Error) => e instanceof InputError && /invalid job index 9/.test(e.message));
  assert.ok(!fs.existsSync(jobs[2].dir), "a refused job writes nothing");
  const first = await runJob(jobs, 0);
  assert.equal(first.wasDone, false);
  assert.deepEqual(refreshDone(jobs).map((j) => j.done), [true, false, false, false, false]);
  // Only job 0's folder exists under the runs root (besides its parents).
  assert.ok(fs.existsSync(path.join(jobs[0].dir, "result.json")));
  assert.ok(!fs.existsSync(jobs[1].dir));
  const resultFile = path.join(jobs[0].dir, "result.json");
  const before = fs.readFileSync(resultFile, "utf8");
  const again = await runJob(jobs, 0);
  assert.equal(again.wasDone, true);
  assert.equal(fs.readFileSync(resultFile, "utf8"), before, "a second run does not rewrite the result");
  assert.deepEqual(again.result, first.result);
  // A plan written now marks the job done; status counts it (no Slurm configured in this env).
  assert.deepEqual(tinyPlan(root).map((j) => j.done), [true, false, false, false, false]);
  const st = sweepStatus(jobs, { PATH: process.env.PATH });
  assert.equal(st.slurm, false);
  assert.deepEqual(st.stages.map((s) => [s.stage, s.done, s.jobs]), [["pretrain", 1, 2], ["measure", 0, 2], ["collect", 0, 1]]);
});

test("the submit script: one array per stage, afterok chaining, names and logs per stage, only pending jobs", () => {
  const root = tmp();
  const jobs = tinyPlan(root);
  jobs[0].done = true;
  const s = sbatchScript(jobs, "sweep.jsonl", { partition: "gpu", gres: "gpu:1", cpusPerTask: 2, time: "1-00:00:00", maxParallel: 3, account: "lab_x", workdir: root, lco: "lco" });
  assert.deepEqual([...s.matchAll(/^#SBATCH --array=(.*)$/gm)].map((m) => m[1]), ["1%3", "2-3%3", "4%3"]);
  assert.deepEqual([...s.matchAll(/^#SBATCH --job-name=(.*)$/gm)].map((m) => m[1]), ["lco-alignment-pretrain", "lco-alignment-measure", "lco-alignment-collect"]);
  assert.deepEqual([...s.matchAll(/^#SBATCH --output=(.*)$/gm)].map((m) => m[1]), ["pretrain", "measure", "collect"].map((st) => `slurm-logs/alignment/${st}-%A_%a.log`));
  assert.deepEqual([...s.matchAll(/--dependency=afterok:\$(\w+)/g)].map((m) => m[1]), ["pretrain", "measure"]);
  for (const line of ["#SBATCH --partition=gpu", "#SBATCH --gres=gpu:1", "#SBATCH --cpus-per-task=2", "#SBATCH --time=1-00:00:00", "#SBATCH --account=lab_x", `#SBATCH --chdir=${root}`]) {
    assert.equal(s.split("\n").filter((l) => l === line).length, 3, line);
  }
  assert.equal(s.split("\n").filter((l) => l === 'exec lco sweep run sweep.jsonl --index "$SLURM_ARRAY_TASK_ID"').length, 3);
  for (const [opt, value] of [["time", "soon"], ["partition", "a b"], ["gres", "gpu;rm"], ["account", "x'y"]] as const) {
    assert.throws(() => sbatchScript(jobs, "p", { [opt]: value }), (e: Error) => e instanceof InputError && e.message.includes(value), `${opt} ${value}`);
  }
  assert.throws(() => sbatchScript(jobs, "p", { maxParallel: 0 }), (e: Error) => e instanceof InputError && /--max-parallel 0/.test(e.message));
  assert.throws(() => sbatchScript(jobs.map((j) => ({ ...j, done: true })), "p"), (e: Error) => e instanceof InputError && /nothing to submit/.test(e.message));
});

test("lco sweep: bad input exits 2 with one line naming the value", async () => {
  const root = tmp();
  const file = path.join(root, "sweep.jsonl");
  writePlan(file, tinyPlan(root));
  const cases: [string[], RegExp][] = [
    [["sweep", "plan", "alignment", "--profile", "tiny"], /"tiny"/],
    [["sweep", "plan", "nosuch", "--profile", "smoke"], /"nosuch"/],
    [["sweep", "plan", "alignment", "--profile", "smoke", "--seeds", "0,x"], /"0,x"|"x"/],
    [["sweep", "plan", "alignment", "--profile", "smoke", "--sizes", "S,Q"], /"Q"/],
    [["sweep", "run", file, "--index", "12"], /invalid job index 12/],
    [["sweep", "run", file, "--index", "3"], /needs the result of job 1/],
    [["sweep", "run", path.join(root, "nope.jsonl"), "--index", "0"], /nope\.jsonl/],
    [["sweep", "slurm", file, "--time", "tomorrow"], /"tomorrow"/],
    [["sweep", "slurm", file, "--max-parallel", "0"], /--max-parallel/],
    [["sweep", "local", file, "--workers", "-1"], /--workers/],
    [["sweep", "submit", path.join(root, "none.sbatch")], /none\.sbatch/],
    [["sweep", "collect", file], /have no result yet/],
    [["sweep", "plan", "grsl", "--profile", "smoke", "--with", "galleryItemz=3"], /galleryItemz/],
    [["sweep", "plan", "grsl", "--profile", "smoke", "--with", "corruptionRates=7"], /7/],
    [["sweep", "plan", "grsl", "--profile", "smoke", "--with", "checkpoints=0,5"], /step 5 is not kept/],
    [["sweep", "plan", "alignment", "--profile", "smoke", "--with", "a=1"], /unknown override key "a"; known keys: answerFormat$/],
  ];
  for (const [argv, re] of cases) {
    const c = capture();
    assert.equal(await main(argv, c.io), 2, argv.join(" "));
    assert.equal(c.err.length, 1, argv.join(" "));
    assert.match(c.err[0], re, argv.join(" "));
  }
  // plan prints one JSON job per line on stdout.
  const c = capture();
  assert.equal(await main(["sweep", "plan", "alignment", "--profile", "smoke", "--sizes", "S", "--seeds", "0,1", "--steps", "3", "--clip-steps", "2", "--eval-items", "4", "--root", root], c.io), 0);
  assert.equal(c.out.join("\n") + "\n", planJsonl(tinyPlan(root)));
});

test("lco sweep local: a pool of worker processes runs the plan stage by stage; collect equals the in-process run", async () => {
  await initBackend();
  const root = tmp();
  const file = path.join(root, "sweep.jsonl");
  const jobs = tinyPlan(path.join(root, "runs"));
  writePlan(file, jobs);
  const lines: string[] = [];
  const r = await runLocal(file, { workers: 2, log: (l) => lines.push(l) });
  assert.deepEqual(r.ran, [0, 1, 2, 3, 4]);
  assert.deepEqual(r.skipped, []);
  // The workers' share of time in jobs: at most one job per worker at a time.
  assert.ok(r.busy > 0 && r.busy <= 1, `busy ${r.busy}`);
  assert.ok(lines.some((l) => l.startsWith("[2 measure S/seed 0] job 2:")), "worker output is relayed with the job's tag");
  assert.deepEqual(refreshDone(jobs).map((j) => j.done), [true, true, true, true, true]);
  // A second pass has nothing to do.
  const again = await runLocal(file, { workers: 2 });
  assert.deepEqual([again.ran, again.busy], [[], 0]);
  // The CLI's --process-per-job recomputes a removed job in a fresh process, to the same bytes as the long-lived worker wrote.
  const measured = path.join(jobs[2].dir, "result.json");
  const bytes = fs.readFileSync(measured);
  fs.rmSync(jobs[2].dir, { recursive: true });
  const c = capture();
  assert.equal(await main(["sweep", "local", file, "--workers", "1", "--process-per-job", "--json"], c.io), 0);
  const out = JSON.parse(c.out.at(-1)!);
  assert.equal(out.processPerJob, true);
  assert.deepEqual(out.ran, [2]);
  assert.ok(fs.readFileSync(measured).equals(bytes), "a fresh process writes the same result as the long-lived worker");
  // The collected tables equal the same experiment run in this process (another folder).
  const tables = (await collectSweep(jobs)) as AlignmentTables;
  const rows = await alignmentExperiment("smoke", "S", { seeds: [0, 1], root: path.join(root, "ref"), spec: { numSteps: 3, evalItems: 4 }, clipSteps: 2 });
  assert.deepStrictEqual(tables.bySize, { S: rows });
});

test("lco sweep local with several plans: one graph; a folder two plans write is one job; one folder in two stages is refused", async () => {
  const root = tmp();
  const runs = path.join(root, "runs");
  const a = path.join(root, "alignment.jsonl"), g = path.join(root, "grsl.jsonl");
  const alignment = tinyPlan(runs);
  // The GRSL plan's S/seed 0 pretraining is the alignment plan's (same spec, seed and folder).
  const grsl = planSweep("grsl", { profile: "smoke", sizes: ["S"], seeds: [0], root: runs, steps: 3, clipSteps: 2, evalItems: 4, overrides: { corruptionRates: [] } });
  assert.equal(grsl[0].dir, alignment[0].dir);
  writePlan(a, alignment);
  writePlan(g, grsl);
  const c = capture();
  assert.equal(await main(["sweep", "local", a, g, "--workers", "2", "--json"], c.io), 0);
  const out = JSON.parse(c.out.at(-1)!);
  assert.deepEqual(out.plans.map((p: { file: string; ran: number[] }) => [p.file, p.ran]), [[a, [0, 1, 2, 3, 4]], [g, grsl.map((j) => j.index)]]);
  assert.ok(refreshDone(alignment).every((j) => j.done) && refreshDone(grsl).every((j) => j.done));
  assert.ok(out.busy > 0 && out.busy <= 1, `busy ${out.busy}`);
  // Trained once, under the alignment plan's job; tags name the plan.
  assert.equal(c.err.filter((l) => /job 0: \w+ pretrain S\/seed 0/.test(l)).length, 1);
  assert.ok(c.err.some((l) => l.startsWith("[alignment:0 pretrain S/seed 0] job 0: alignment pretrain")));
  assert.ok(c.err.some((l) => l.startsWith("[grsl:1 measure S/seed 0@0]")));
  // A folder that one plan pretrains and another measures into is refused, naming both.
  const clash = tinyPlan(path.join(root, "other"));
  clash[2] = { ...clash[2], dir: clash[0].dir };
  const bad = path.join(root, "clash.jsonl");
  writePlan(bad, clash);
  await assert.rejects(runLocalPlans([a, bad], { workers: 1 }), (e: Error) => e instanceof InputError && /clash\.jsonl job 0 \(pretrain S\/seed 0\) and .*clash\.jsonl job 2 \(measure S\/seed 0\) both write .* in different stages/.test(e.message));
  assert.ok(!fs.existsSync(clash[0].dir), "refused before any job ran");
});

test("the local schedule: a pretraining's chain is its cost, its costliest measurement's and the collect's; bigger models first", () => {
  const jobs = planSweep("grsl", { profile: "full", sizes: ["S", "M", "L"], seeds: [0], root: tmp(), overrides: { corruptionRates: [] } });
  const cost = jobCosts(jobs);
  const chain = chainCosts(jobs, cost);
  const pre = (size: string) => jobs.findIndex((j) => j.stage === "pretrain" && j.label === `${size}/seed 0`);
  const collect = jobs.length - 1;
  // A model's cost per step grows with its widths, and a pretraining is 2000 of them at the full profile.
  assert.ok(stepSeconds("full", "S") < stepSeconds("full", "M") && stepSeconds("full", "M") < stepSeconds("full", "L"));
  for (const size of ["S", "M", "L"]) assert.equal(cost[pre(size)], 2000 * stepSeconds("full", size));
  for (const size of ["S", "M", "L"]) {
    const i = pre(size);
    const measures = jobs.flatMap((j, k) => (j.deps.includes(jobs[i].hash) ? [k] : []));
    assert.ok(measures.length >= 6, `${size} has a measurement per kept checkpoint`);
    // (Summed as the chain is: a measurement's chain is its cost plus the collect's.)
    assert.equal(chain[i], cost[i] + Math.max(...measures.map((k) => cost[k] + cost[collect])));
    for (const k of measures) assert.equal(chain[k], cost[k] + cost[collect]);
  }
  assert.equal(chain[collect], cost[collect]);
  assert.ok(chain[pre("L")] > chain[pre("M")] && chain[pre("M")] > chain[pre("S")]);
});

test("the GRSL plan: a pretraining job per run, a measure job per (run, checkpoint) needing its run, one collect needing them all", () => {
  const root = tmp();
  const jobs = planSweep("grsl", { profile: "smoke", sizes: ["S", "M"], seeds: [0, 1], root, steps: 6, overrides: { corruptionRates: [0.3] } });
  const pre = jobs.filter((j) => j.stage === "pretrain");
  assert.deepEqual(pre.map((j) => j.label), ["S/seed 0", "S/seed 1", "M/seed 0", "M/seed 1", "S/seed 0/corrupt 0.3", "S/seed 1/corrupt 0.3"]);
  const measure = jobs.filter((j) => j.stage === "measure");
  // 6 steps keep checkpoints 1, 2, 3, 6 (5 … 100 % rounded, at least 1): step 0 + 4 per run; the corruption arm its last only.
  assert.equal(measure.length, 4 * 5 + 2);
  assert.deepEqual(measure.filter((j) => j.label.startsWith("M/seed 1@")).map((j) => j.label), ["M/seed 1@0", "M/seed 1@1", "M/seed 1@2", "M/seed 1@3", "M/seed 1@6"]);
  for (const m of measure) {
    assert.equal(m.deps.length, 1);
    assert.equal(jobs.find((j) => j.hash === m.deps[0])!.label, m.label.split("@")[0]);
  }
  // Full fine-tuning only at the last checkpoint of the checkpoint arm.
  assert.deepEqual(measure.filter((j) => j.dir.includes("-full__")).map((j) => j.label), ["S/seed 0@6", "S/seed 1@6", "M/seed 0@6", "M/seed 1@6"]);
  const collect = jobs.at(-1)!;
  assert.equal(collect.stage, "collect");
  assert.deepEqual(new Set(collect.deps), new Set(measure.map((j) => j.hash)));
  const file = path.join(root, "grsl.jsonl");
  writePlan(file, jobs);
  assert.deepEqual(readPlan(file), jobs);
});
