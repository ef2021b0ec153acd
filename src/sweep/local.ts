/**
 * `lco sweep local`: the same plan on one machine, each job started as soon as the jobs it needs
 * are done, on a pool of long-lived worker processes (`./worker.ts`; each runs job after job with
 * the same `runJob` as a Slurm array task, so the kit, the backend and the seeded world load once
 * per worker, not once per job).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { defaultWorkers } from "../organism/family";
import { runChild, runGraph, startWorkers, type WorkerPool } from "../runs";
import { planStages, readPlan, refreshDone } from "./plan";
import { chainCosts, jobCosts } from "./schedule";
import type { SweepJob } from "./types";

/** Options of {@link runLocal}. */
export interface LocalOptions {
  /** Parallel worker processes. Default: one per core (`os.availableParallelism()`). */
  workers?: number;
  /** Receives progress lines and the workers' output (prefixed with the job). */
  log?: (line: string) => void;
  /** Threads of each worker's wasm backend and BLAS (`LCO_WASM_THREADS`, `LCO_NATIVE_THREADS`). Default 1: the workers already use one core each. */
  threadsPerWorker?: number;
  /**
   * Run every job in a fresh process (`node worker.js PLAN INDEX`, as a Slurm array task does)
   * instead of long-lived workers. Slower by the start-up of each job (loading the kit, the
   * backend, the world); for comparisons. Default false.
   */
  processPerJob?: boolean;
}

/** What {@link runLocal} did. */
export interface LocalOutcome {
  /** Jobs that ran (not done before), by index. */
  ran: number[];
  /** Jobs already done, by index. */
  skipped: number[];
  seconds: number;
}

/** This installation's worker module (`dist/sweep/worker.js`, or `src/sweep/worker.ts` under tsx). */
function workerEntry(): string {
  const f = path.join(__dirname, `worker${path.extname(__filename)}`);
  if (!fs.existsSync(f)) throw new InputError(`cannot find the sweep worker at ${f}`);
  return f;
}

/** The tag of a job's output lines (`[12 measure S/seed 0@100]`). */
function jobTag(job: SweepJob): string {
  return `[${job.index} ${job.stage} ${job.label}]`;
}

function threadEnv(threads: number): Record<string, string> {
  return { LCO_WASM_THREADS: String(threads), LCO_NATIVE_THREADS: String(threads) };
}

/**
 * Run every job of the plan in `file` that is not done, at most `workers` at a time. A job starts
 * as soon as every job it needs has succeeded (as `afterok` on Slurm, but per job rather than per
 * stage), the ready job with the longest chain of work behind it first (`./schedule.ts`).
 * @throws Error after every job that could run has run, naming the failed jobs and the jobs not
 *   started because they need one of them.
 */
export async function runLocal(file: string, options: LocalOptions = {}): Promise<LocalOutcome> {
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1) throw new InputError(`invalid number of workers ${workers}; need an integer ≥ 1`);
  const log = options.log ?? (() => {});
  const env = threadEnv(options.threadsPerWorker ?? 1);
  const t0 = Date.now();
  const jobs = refreshDone(readPlan(file));
  const ran: number[] = [], skipped: number[] = [];
  // One pool for the whole call (its workers keep their memos across stages); started lazily, so a plan with nothing to do starts none.
  const pool: WorkerPool | null = options.processPerJob ? null : startWorkers({ entry: workerEntry(), workers, env, log });
  const runOne = (job: SweepJob): Promise<number> =>
    pool ? pool.run({ file, index: job.index }, jobTag(job)) : runChild({ entry: workerEntry(), args: [file, String(job.index)], env, tag: jobTag(job) }, log);
  try {
    const todo = jobs.filter((j) => !j.done);
    skipped.push(...jobs.filter((j) => j.done).map((j) => j.index));
    for (const { stage, jobs: stageJobs } of planStages(jobs)) {
      log(`stage ${stage}: ${stageJobs.filter((j) => !j.done).length} to run, ${stageJobs.filter((j) => j.done).length} done`);
    }
    // A job starts when the jobs it needs are done (not when its whole previous stage is), the
    // longest remaining chain of work first (./schedule.ts).
    const position = new Map(todo.map((j, k) => [j.hash, k]));
    const chain = chainCosts(jobs, jobCosts(jobs));
    const graph = todo.map((job) => ({ job, needs: job.deps.flatMap((h) => (position.has(h) ? [position.get(h)!] : [])), priority: chain[job.index] }));
    const { failed, blocked } = await runGraph(graph, workers, runOne, (job, code) => {
      if (code === 0) ran.push(job.index);
    });
    if (failed.length > 0) {
      const why = failed.map((f) => `job ${f.job.index} (${f.job.stage} ${f.job.label}) exited with ${f.code}`).join("; ");
      throw new Error(`${why}; ${blocked.length === 0 ? "no other job needed it" : `not started, because they need it: ${blocked.length === 1 ? "job" : "jobs"} ${blocked.map((j) => j.index).join(", ")}`}`);
    }
  } finally {
    await pool?.close();
  }
  return { ran: ran.sort((a, b) => a - b), skipped, seconds: (Date.now() - t0) / 1000 };
}
