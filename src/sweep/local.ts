/**
 * `lco sweep local`: the same plan on one machine, stage by stage, with a pool of long-lived
 * worker processes (`./worker.ts`; each runs job after job with the same `runJob` as a Slurm array
 * task, so the kit, the backend and the seeded world load once per worker, not once per job).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { defaultWorkers } from "../organism/family";
import { runChild, runPool, startWorkers, type WorkerPool } from "../runs";
import { planStages, readPlan, refreshDone } from "./plan";
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
 * Run every job of the plan in `file` that is not done, stage after stage, at most `workers` at a
 * time. A stage starts when every job of the previous one succeeded (as `afterok` on Slurm).
 * @throws Error naming the failed jobs when a stage fails (later stages do not start).
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
    for (const { stage, jobs: stageJobs } of planStages(jobs)) {
      const todo = stageJobs.filter((j) => !j.done);
      skipped.push(...stageJobs.filter((j) => j.done).map((j) => j.index));
      log(`stage ${stage}: ${todo.length} to run, ${stageJobs.length - todo.length} done`);
      const failed = await runPool(todo, workers, runOne, (job, code) => {
        if (code === 0) ran.push(job.index);
      });
      if (failed.length > 0) {
        throw new Error(`stage ${stage}: ${failed.map((f) => `job ${f.job.index} (${f.job.label}) exited with ${f.code}`).join("; ")}; later stages not started`);
      }
    }
  } finally {
    await pool?.close();
  }
  return { ran: ran.sort((a, b) => a - b), skipped, seconds: (Date.now() - t0) / 1000 };
}
