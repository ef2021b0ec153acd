// The sweep against a real Slurm: a throwaway single-node cluster (environment/local-slurm.sh, on
// loopback only) runs a small alignment sweep as job arrays; the collected tables must equal the
// in-process run of the same sweep bit for bit (runs are deterministic per seed and backend).
// A second test cancels a pretraining task mid-run, resubmits, and checks that it resumed from
// its checkpoint with nothing lost or duplicated. The cluster is stopped (jobs cancelled first)
// whatever happens, and nothing is left running.
//
// Where Slurm cannot start (not root, packages missing), the tests skip with one line saying why;
// with LCO_REQUIRE_SLURM=1 (CI) that is a failure instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { alignmentComparison, alignmentExperiment, type AlignmentRow } from "../src/experiments";
import { listCheckpoints } from "../src/organism/checkpoint";
import { pretrain, pretrainSpec, trainingSpec } from "../src/organism/family";
import { runGrsl, type GrslResults } from "../src/experiments/grsl";
import { collectSweep, grslSweepConfig, planSweep, readPlan, refreshDone, sbatchScript, submitScript, sweepStatus, writePlan, type AlignmentTables, type SweepJob } from "../src/sweep";

// Equality with the in-process run is bit for bit on either path (wasm, or native BLAS when the
// addon is built). OpenBLAS's bits depend on its thread count: the thread partition changes how
// a product is blocked (sgemm/ssyrk at 1 and 2 threads differ in the last bits; each count alone
// is deterministic), so this process uses what every worker and Slurm task gets: one BLAS thread.
process.env.LCO_NATIVE_THREADS = "1";

const REPO = path.resolve(__dirname, "..");
const SCRIPT = path.join(REPO, "environment", "local-slurm.sh");
let cluster: string | null = null;
let skipReason: string | null = null;
const made: string[] = [];
const timings: Record<string, number> = {};

function env(): NodeJS.ProcessEnv {
  return { ...process.env, SLURM_CONF: path.join(cluster!, "slurm.conf") };
}

function slurm(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: env(), timeout: 15_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** Both daemons of our cluster still run (their pids from the cluster folder). */
function daemonsAlive(): boolean {
  return ["slurmctld", "slurmd"].every((d) => {
    try {
      process.kill(Number(fs.readFileSync(path.join(cluster!, `${d}.pid`), "utf8")), 0);
      return true;
    } catch {
      return false;
    }
  });
}

const names = (exp: string) => ["pretrain", "refine", "measure", "collect"].map((s) => `lco-${exp}-${s}`).join(",");

/** Tasks of the sweep's job names as `[id, state]`; `active` = not finished yet. */
function tasks(active: boolean, experiment = "alignment"): [string, string][] {
  const states = active ? "PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED" : "all";
  return slurm("squeue", ["-h", "-r", "-t", states, "-n", names(experiment), "-o", "%i %T"])
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/) as [string, string]);
}

/** Poll until `done()` (every 0.3 s), failing at the deadline or when a daemon died. */
async function waitFor(what: string, seconds: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    assert.ok(daemonsAlive(), `a Slurm daemon died while waiting for ${what}; logs in ${cluster}`);
    if (done()) return;
    assert.ok(Date.now() < deadline, `${what}: not within ${seconds} s; queue: ${JSON.stringify(tasks(false))}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Run `fn` in `dir`: a plan's run folders are relative to the sweep's working folder. */
async function inDir<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
  }
}

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-sweep-slurm-"));
  made.push(d);
  return d;
}

before(() => {
  const t0 = Date.now();
  const r = spawnSync("bash", [SCRIPT, "start"], { encoding: "utf8", timeout: 120_000 });
  if (r.status === 3) {
    skipReason = r.stderr.trim().split("\n").pop() ?? "local Slurm unavailable";
    if (process.env.LCO_REQUIRE_SLURM === "1") throw new Error(`LCO_REQUIRE_SLURM=1 but ${skipReason}`);
    return;
  }
  if (r.status !== 0) throw new Error(`local Slurm did not start (exit ${r.status ?? r.signal}): ${r.stderr}`);
  cluster = r.stdout.trim().split("\n").pop()!;
  timings.startSeconds = (Date.now() - t0) / 1000;
});

after(() => {
  if (cluster) {
    const pids = ["slurmctld", "slurmd"].map((d) => Number(fs.readFileSync(path.join(cluster!, `${d}.pid`), "utf8")));
    const t0 = Date.now();
    const r = spawnSync("bash", [SCRIPT, "stop", cluster], { encoding: "utf8", timeout: 180_000 });
    timings.stopSeconds = (Date.now() - t0) / 1000;
    assert.equal(r.status, 0, `stopping the local Slurm failed: ${r.stderr}`);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `daemon ${pid} still runs after stop`);
    assert.ok(!fs.existsSync(cluster), "the cluster folder is removed");
  }
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  if (Object.keys(timings).length) console.log(`# sweep-slurm timings (s, busy 2-core machine): ${JSON.stringify(timings)}`);
});

/** Write the submit script for the pending `jobs` (checked in `work` now), submit it; the stages' Slurm job ids. */
async function submit(work: string, jobs: SweepJob[]): Promise<{ ids: Record<string, string> }> {
  const script = await inDir(work, () => sbatchScript(refreshDone(jobs), "sweep.jsonl", { workdir: work, maxParallel: 2, time: "10:00" }));
  fs.writeFileSync(path.join(work, "sweep.sbatch"), script);
  const r = submitScript(path.join(work, "sweep.sbatch"), env());
  return { ids: Object.fromEntries(r.stages.map((s) => [s.stage, s.jobId])) };
}

/** Timing fields of a pretraining result differ between runs; everything else must not. */
function withoutTimings<T extends object>(r: T): Partial<T> {
  const { seconds: _s, msPerStep: _m, tokensPerSec: _t, dir: _d, loaded: _l, ...rest } = r as T & { seconds?: number; msPerStep?: number; tokensPerSec?: number; dir?: string; loaded?: boolean };
  return rest as Partial<T>;
}

test("a smoke alignment sweep as Slurm job arrays: every task succeeds and collect equals the in-process run", async (t) => {
  if (skipReason) return t.skip(skipReason);
  const work = tmp();
  const opts = { profile: "smoke" as const, sizes: ["S"], seeds: [0, 1, 2], root: "runs", steps: 12, clipSteps: 5, evalItems: 8 };
  // Plan with a relative root, as a user would, from inside the working folder.
  const jobs = await inDir(work, () => {
    const js = planSweep("alignment", opts);
    writePlan("sweep.jsonl", js);
    return js;
  });
  const t0 = Date.now();
  const { ids } = await submit(work, jobs);
  assert.deepEqual(Object.keys(ids), ["pretrain", "measure", "collect"]);

  // The in-process run of the same sweep, in another folder, while Slurm works.
  await initBackend();
  const t1 = Date.now();
  const refRoot = path.join(work, "ref");
  const refRows: AlignmentRow[] = await alignmentExperiment("smoke", "S", { seeds: opts.seeds, root: refRoot, spec: { numSteps: 12, evalItems: 8 }, clipSteps: 5 });
  timings.inProcessSeconds = (Date.now() - t1) / 1000;

  await waitFor("the sweep to finish", 400, () => tasks(true).length === 0);
  timings.slurmSweepSeconds = (Date.now() - t0) / 1000;
  const all = tasks(false);
  assert.equal(all.length, jobs.length, `one task per job: ${JSON.stringify(all)}`);
  assert.deepEqual(all.filter(([, s]) => s !== "COMPLETED"), [], "every task COMPLETED");
  const status = await inDir(work, () => sweepStatus(readPlan("sweep.jsonl"), env()));
  assert.equal(status.slurm, true);
  assert.deepEqual(status.stages.map((s) => [s.stage, s.done, s.jobs, s.queue.COMPLETED]), [["pretrain", 3, 3, 3], ["measure", 3, 3, 3], ["collect", 1, 1, 1]]);

  // Collect: the collect task already ran on Slurm, so this loads its tables.
  const tables = (await inDir(work, () => collectSweep(readPlan("sweep.jsonl")))) as AlignmentTables;
  assert.deepStrictEqual(tables.bySize, { S: refRows }, "collected alignment rows equal the in-process rows");
  assert.deepStrictEqual(tables.comparison, alignmentComparison({ S: refRows }));
  for (const r of tables.family) {
    const ref = await pretrain(pretrainSpec("smoke", "S", { numSteps: 12, evalItems: 8 }), r.seed, { root: refRoot });
    assert.equal(ref.loaded, true);
    assert.deepStrictEqual(withoutTimings(r), withoutTimings(ref), `pretraining S/seed ${r.seed}`);
  }
  // Every task log names its experiment and stage and ends with the job's summary line.
  const logs = fs.readdirSync(path.join(work, "slurm-logs", "alignment"));
  assert.equal(logs.length, jobs.length);
  for (const st of ["pretrain", "measure", "collect"]) assert.equal(logs.filter((f) => f.startsWith(`${st}-${ids[st]}_`)).length, jobs.filter((j) => j.stage === st).length);
});

test("a pretraining task cancelled mid-run and resubmitted resumes from its checkpoint; nothing lost or duplicated", async (t) => {
  if (skipReason) return t.skip(skipReason);
  const work = tmp();
  const steps = 80;
  const jobs = await inDir(work, () => {
    const js = planSweep("alignment", { profile: "smoke", sizes: ["S"], seeds: [0], root: "runs", steps, clipSteps: 5, evalItems: 8 });
    writePlan("sweep.jsonl", js);
    return js;
  });
  const pre = jobs.find((j) => j.stage === "pretrain")!;
  const preDir = path.join(work, pre.dir);
  const t0 = Date.now();
  const first = await submit(work, jobs);
  // Cancel the pretraining task as soon as it has written a resume checkpoint.
  await waitFor("a first checkpoint", 180, () => listCheckpoints(preDir).some((s) => s > 0));
  slurm("scancel", [`${first.ids.pretrain}_${pre.index}`]);
  await waitFor("the cancelled sweep to leave the queue", 120, () => tasks(true).length === 0);
  timings.killSeconds = (Date.now() - t0) / 1000;
  const kept = listCheckpoints(preDir);
  const resumeFrom = kept[kept.length - 1];
  assert.ok(resumeFrom > 0 && resumeFrom < steps, `cancelled mid-run (last checkpoint ${resumeFrom} of ${steps})`);
  assert.ok(!fs.existsSync(path.join(preDir, "result.json")), "no result from the cancelled run");
  const states = Object.fromEntries(tasks(false).map(([id, s]) => [id.split("_")[0], s]));
  assert.equal(states[first.ids.pretrain], "CANCELLED");
  // The later stages never ran: their dependency can no longer be met (kill_invalid_depend).
  assert.notEqual(states[first.ids.measure], "COMPLETED");

  // Resubmit (the same plan; the script again holds every job that is not done).
  const t1 = Date.now();
  const second = await submit(work, readPlan(path.join(work, "sweep.jsonl")));
  assert.deepEqual(Object.keys(second.ids), ["pretrain", "measure", "collect"]);
  await initBackend();
  const spec = pretrainSpec("smoke", "S", { numSteps: steps, evalItems: 8 });
  const ref = await pretrain(spec, 0, { root: path.join(work, "ref") });
  await waitFor("the resubmitted sweep to finish", 400, () => tasks(true).length === 0);
  timings.resumeSeconds = (Date.now() - t1) / 1000;
  const again = Object.fromEntries(tasks(false).map(([id, s]) => [id.split("_")[0], s]));
  for (const st of ["pretrain", "measure", "collect"]) assert.equal(again[second.ids[st]], "COMPLETED", st);
  const log = fs.readFileSync(path.join(work, "slurm-logs", "alignment", `pretrain-${second.ids.pretrain}_${pre.index}.log`), "utf8");
  assert.match(log, new RegExp(`resuming pretraining S/seed 0 from checkpoint step ${resumeFrom}\\b`));
  const result = JSON.parse(fs.readFileSync(path.join(preDir, "result.json"), "utf8")).result;
  assert.equal(result.losses.length, steps, "one loss per step: none lost, none duplicated");
  // result.json holds the training alone (evaluations live under <run>/eval/): compare that part.
  const { checkpoints: _evals, spec: _spec, ...refTraining } = ref;
  assert.deepStrictEqual(result.spec, trainingSpec(spec));
  assert.deepStrictEqual(withoutTimings({ ...result, spec: undefined }), withoutTimings({ ...refTraining, spec: undefined }), "the resumed run equals an uninterrupted one");
  const state = JSON.parse(fs.readFileSync(path.join(preDir, "checkpoints", `step-${String(steps).padStart(6, "0")}`, "state.json"), "utf8"));
  assert.equal(state.losses.length, steps);
});

test("a smoke GRSL sweep as Slurm job arrays: pretrain → refine + measure every checkpoint → collect equals the in-process runGrsl", async (t) => {
  if (skipReason) return t.skip(skipReason);
  const work = tmp();
  // S × seeds 0, 1; 6 pretraining steps; checkpoints 0 and 6; 2 refinement steps; no corruption arm (tested in-process).
  const opts = { profile: "smoke" as const, sizes: ["S"], seeds: [0, 1], root: "runs", steps: 6, clipSteps: 2, evalItems: 8, overrides: { corruptionRates: [], checkpoints: [0, 6], galleryItems: 8, heldOutTriples: 16 } };
  const jobs = await inDir(work, () => {
    const js = planSweep("grsl", opts);
    writePlan("sweep.jsonl", js);
    return js;
  });
  assert.deepEqual(jobs.map((j) => j.stage), ["pretrain", "pretrain", "measure", "measure", "measure", "measure", "collect"]);
  const t0 = Date.now();
  const script = await inDir(work, () => sbatchScript(refreshDone(jobs), "sweep.jsonl", { workdir: work, maxParallel: 2, time: "10:00" }));
  fs.writeFileSync(path.join(work, "sweep.sbatch"), script);
  const ids = Object.fromEntries(submitScript(path.join(work, "sweep.sbatch"), env()).stages.map((s) => [s.stage, s.jobId]));
  assert.deepEqual(Object.keys(ids), ["pretrain", "measure", "collect"]);
  // The in-process run of the same config, in another folder, while Slurm works.
  await initBackend();
  const t1 = Date.now();
  const ref: GrslResults = await runGrsl("smoke", grslSweepConfig(opts), { root: path.join(work, "ref") });
  timings.grslInProcessSeconds = (Date.now() - t1) / 1000;
  await waitFor("the GRSL sweep to finish", 400, () => tasks(true, "grsl").length === 0);
  timings.grslSlurmSweepSeconds = (Date.now() - t0) / 1000;
  const all = tasks(false, "grsl");
  assert.equal(all.length, jobs.length, `one task per job: ${JSON.stringify(all)}`);
  assert.deepEqual(all.filter(([, s]) => s !== "COMPLETED"), [], "every task COMPLETED");
  const collected = (await inDir(work, () => collectSweep(readPlan("sweep.jsonl")))) as GrslResults;
  assert.deepStrictEqual(collected, ref, "collected GRSL results equal the in-process run");
  assert.equal(collected.points.length, 2 * 2 * 3, "2 runs × 2 checkpoints × 3 modalities");
  const logs = fs.readdirSync(path.join(work, "slurm-logs", "grsl"));
  assert.equal(logs.length, jobs.length);
});
