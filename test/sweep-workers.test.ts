// The long-lived workers of `lco sweep local` (runs/pool.ts `startWorkers`, sweep/worker.ts):
// a job's results do not depend on the jobs that ran before it in the same worker (byte for byte
// against one fresh process per job), nothing accumulates across jobs, and a failing or killed
// job fails alone (the pool goes on, and only the jobs that need it do not start; no process is
// left behind).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startWorkers, type WorkerStats } from "../src/runs";
import { planSweep, refreshDone, runLocal, writePlan, type SweepJob } from "../src/sweep";

// One BLAS thread, as every worker gets (see test/sweep.test.ts).
process.env.LCO_NATIVE_THREADS = "1";

const made: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-sweep-workers-"));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const entry = path.join(__dirname, "../src/sweep/worker.ts");
const env = { LCO_WASM_THREADS: "1", LCO_NATIVE_THREADS: "1" };

/** A tiny GRSL sweep: size S, seeds 0 and 1, 3 pretraining steps (checkpoints 0…3), no corruption arm: 2 pretrain, 8 measure, 1 collect. */
function tinyGrsl(root: string): SweepJob[] {
  return planSweep("grsl", { profile: "smoke", sizes: ["S"], seeds: [0, 1], root, steps: 3, clipSteps: 2, evalItems: 4, overrides: { corruptionRates: [] } });
}

/** Every file under `dir` (relative paths, sorted). */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** The wall-clock fields of a pretraining result or checkpoint state, which differ from run to run. */
const TIMINGS = new Set(["seconds", "msPerStep", "tokensPerSec"]);

/** A JSON file's text with the wall-clock fields removed (at any depth). */
function withoutTimings(buf: Buffer): string {
  return JSON.stringify(JSON.parse(buf.toString()), (k, v: unknown) => (TIMINGS.has(k) ? undefined : v));
}

/** Process ids of this process's live `node` children (Linux `ps`; not the `ps` itself). */
function childPids(): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    // ps exits 1 when there is no such process.
  }
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === "node")
    .map(([pid]) => Number(pid));
}

test("one long-lived worker running every job gives the same files, byte for byte, as a fresh process per job", async () => {
  const base = tmp();
  // Both passes write the same runs folder (the plan's configs name it, and so do the hashes in result.json); the first is moved aside.
  const root = path.join(base, "runs");
  const file = path.join(base, "grsl.jsonl");
  const jobs = tinyGrsl(root);
  assert.equal(jobs.length, 11);
  writePlan(file, jobs);
  const fresh = await runLocal(file, { workers: 2, processPerJob: true });
  assert.equal(fresh.ran.length, jobs.length);
  fs.renameSync(root, path.join(base, "fresh"));
  const lines: string[] = [];
  const long = await runLocal(file, { workers: 1, log: (l) => lines.push(l) });
  assert.deepEqual(long.ran, jobs.map((j) => j.index));
  assert.ok(lines.some((l) => l.startsWith("[7 measure S/seed 1@1] job 7:")), "the worker's lines carry the tag of the job it runs");
  const a = filesUnder(path.join(base, "fresh")), b = filesUnder(root);
  assert.deepEqual(b, a);
  // Every job's own folder has its result in both passes.
  for (const j of jobs) assert.ok(a.includes(path.join(path.relative(root, j.dir), "result.json")), `no result of job ${j.index}`);
  const differ: string[] = [];
  let sameBytes = 0;
  for (const f of a) {
    // meta.json holds timings and the host; every other file (results, weights, optimiser states, configs) is identical, byte for
    // byte, except the pretraining's wall-clock fields (result.json, a checkpoint's state.json), compared without them.
    if (path.basename(f) === "meta.json") continue;
    const x = fs.readFileSync(path.join(base, "fresh", f)), y = fs.readFileSync(path.join(root, f));
    if (x.equals(y)) sameBytes++;
    else if (!f.endsWith(".json") || withoutTimings(x) !== withoutTimings(y)) differ.push(f);
  }
  assert.deepEqual(differ, []);
  // Every weight file and every measure/collect result compares byte for byte.
  assert.ok(sameBytes >= a.filter((f) => f.endsWith(".safetensors")).length + 8 + 1);
});

test("a refused job (missing dependency, exit 2) fails alone: the same worker runs the next jobs, and no job leaves live tensors", async () => {
  const base = tmp();
  const file = path.join(base, "grsl.jsonl");
  const jobs = tinyGrsl(path.join(base, "runs"));
  writePlan(file, jobs);
  const lines: string[] = [];
  const stats: (WorkerStats & { pid: number; tag: string })[] = [];
  const pool = startWorkers({ entry, workers: 1, env, log: (l) => lines.push(l), onStats: (tag, s) => stats.push({ ...s, tag }) });
  try {
    // Job 2 (S/seed 0@0) needs job 0's pretraining, not run yet.
    assert.equal(await pool.run({ file, index: 2 }, "[2]"), 2);
    assert.ok(lines.some((l) => l.startsWith("[2] ") && /needs the result of job 0/.test(l)), "the refusal reaches the log, tagged");
    const [pid] = pool.pids();
    for (const index of [0, 2, 3, 4, 5]) assert.equal(await pool.run({ file, index }, `[${index}]`), 0, `job ${index}`);
    assert.deepEqual(pool.pids(), [pid], "one worker served every job");
    assert.deepEqual(refreshDone(jobs).map((j) => j.done).slice(0, 6), [true, false, true, true, true, true]);
    // Every job, refused, pretraining or measuring, leaves no live tensor behind (weights, optimiser state, embeddings are disposed).
    assert.equal(stats.length, 6);
    assert.ok(stats.every((s) => s.pid === pid));
    assert.deepEqual(stats.map((s) => s.tensors), [0, 0, 0, 0, 0, 0]);
  } finally {
    await pool.close();
  }
  assert.deepEqual(childPids(), [], "close() leaves no worker behind");
});

test("a worker killed during a job fails that job; a fresh worker takes the next one", async () => {
  const base = tmp();
  const file = path.join(base, "grsl.jsonl");
  writePlan(file, tinyGrsl(path.join(base, "runs")));
  const pool = startWorkers({ entry, workers: 1, env });
  try {
    assert.equal(await pool.run({ file, index: 0 }, "[0]"), 0);
    const [first] = pool.pids();
    // A second pool whose worker is killed as soon as job 1 has started (its first line is logged before it computes anything).
    const lines: string[] = [];
    let killed = false;
    const pool2 = startWorkers({ entry, workers: 1, env, log: (l) => {
      lines.push(l);
      if (l.startsWith("[1] job 1:") && !killed) {
        killed = true;
        process.kill(pool2.pids()[0], "SIGKILL");
      }
    } });
    try {
      assert.equal(await pool2.run({ file, index: 1 }, "[1]"), 1);
      assert.ok(lines.some((l) => /\[1\] worker \d+ died \(SIGKILL\); the job failed/.test(l)), lines.join("\n"));
      assert.deepEqual(pool2.pids(), []);
      assert.equal(await pool2.run({ file, index: 1 }, "[1]"), 0, `a fresh worker runs the job again:\n${lines.join("\n")}`);
      assert.equal(pool2.pids().length, 1);
    } finally {
      await pool2.close();
    }
    // The other pool was not disturbed.
    assert.deepEqual(pool.pids(), [first]);
    assert.equal(await pool.run({ file, index: 2 }, "[2]"), 0);
  } finally {
    await pool.close();
  }
  assert.deepEqual(childPids(), []);
});

test("runLocal: a job whose worker dies fails; only the jobs that need it do not start; the others run; no worker is left", async () => {
  const base = tmp();
  const file = path.join(base, "grsl.jsonl");
  const jobs = tinyGrsl(path.join(base, "runs"));
  writePlan(file, jobs);
  let killed = 0;
  const log = (l: string) => {
    if (l.startsWith("[0 pretrain S/seed 0] job 0:") && !killed) {
      for (const pid of childPids()) process.kill(pid, "SIGKILL");
      killed++;
    }
  };
  // Jobs 2–5 measure S/seed 0's checkpoints and job 10 collects every measurement: they need job 0.
  await assert.rejects(runLocal(file, { workers: 1, log }), (e: Error) => e.message === "job 0 (pretrain S/seed 0) exited with 1; not started, because they need it: jobs 2, 3, 4, 5, 10");
  assert.equal(killed, 1);
  // S/seed 1's pretraining and its four measurements ran on the replacement worker.
  assert.deepEqual(refreshDone(jobs).map((j) => j.done), [false, true, false, false, false, false, true, true, true, true, false]);
  assert.deepEqual(childPids(), []);
});
