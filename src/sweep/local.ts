/**
 * `lco sweep local`: the same plan on one machine, stage by stage, with a pool of worker
 * processes (each runs one job through `./worker.ts`, exactly what a Slurm array task runs).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { defaultWorkers } from "../organism/family";
import { runChild, runPool } from "../runs";
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

function runWorker(file: string, job: SweepJob, threads: number, log: (line: string) => void): Promise<number> {
  return runChild({ entry: workerEntry(), args: [file, String(job.index)], env: { LCO_WASM_THREADS: String(threads), LCO_NATIVE_THREADS: String(threads) }, tag: `[${job.index} ${job.stage} ${job.label}]` }, log);
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
  const t0 = Date.now();
  const jobs = refreshDone(readPlan(file));
  const ran: number[] = [], skipped: number[] = [];
  for (const { stage, jobs: stageJobs } of planStages(jobs)) {
    const todo = stageJobs.filter((j) => !j.done);
    skipped.push(...stageJobs.filter((j) => j.done).map((j) => j.index));
    log(`stage ${stage}: ${todo.length} to run, ${stageJobs.length - todo.length} done`);
    const failed = await runPool(todo, workers, (job) => runWorker(file, job, options.threadsPerWorker ?? 1, log), (job, code) => {
      if (code === 0) ran.push(job.index);
    });
    if (failed.length > 0) {
      throw new Error(`stage ${stage}: ${failed.map((f) => `job ${f.job.index} (${f.job.label}) exited with ${f.code}`).join("; ")}; later stages not started`);
    }
  }
  return { ran: ran.sort((a, b) => a - b), skipped, seconds: (Date.now() - t0) / 1000 };
}
