/**
 * Running one job of a plan: `lco sweep run sweep.jsonl --index N`, a Slurm array task, and each
 * worker of the local pool all end here.
 *
 * Why it is safe to run a job twice, or after a kill: the job writes only its own run folder,
 * through `runs.runOrLoad` (every file atomically, `result.json` last), so a finished job loads
 * its result, and an interrupted one resumes from its checkpoints (pretraining) or recomputes
 * (short stages). A job whose dependency has no result refuses before computing anything.
 *
 * @module
 */
import { InputError } from "../array";
import { sweepExperiment } from "./registry";
import type { SweepJob } from "./types";

/** What {@link runJob} returns. */
export interface JobOutcome {
  job: SweepJob;
  /** True when the result existed before this call (nothing was computed). */
  wasDone: boolean;
  /** The job's result (JSON data; for `collect`, the experiment's tables). */
  result: unknown;
  seconds: number;
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /** One line per event (loaded, computed, resumed). Default: silent. */
  log?: (line: string) => void;
}

/**
 * The dependencies of `job` that have no result yet (checked against their run folders now).
 */
export function missingDependencies(jobs: readonly SweepJob[], job: SweepJob): SweepJob[] {
  const exp = sweepExperiment(job.experiment);
  const byHash = new Map(jobs.map((j) => [j.hash, j]));
  return job.deps.map((h) => byHash.get(h)!).filter((d) => !exp.isDone(d));
}

/**
 * Run job `index` of a plan and nothing else (idempotent; resumes from the job's checkpoints).
 * @throws InputError when `index` is not a line of the plan, or when a dependency's result is
 *   missing (naming the dependency, its folder and the command that makes it).
 */
export async function runJob(jobs: readonly SweepJob[], index: number, options: RunJobOptions = {}): Promise<JobOutcome> {
  if (!Number.isInteger(index) || index < 0 || index >= jobs.length) {
    throw new InputError(`invalid job index ${index}; the plan has jobs 0 to ${jobs.length - 1}`);
  }
  const job = jobs[index];
  const exp = sweepExperiment(job.experiment);
  const log = options.log ?? (() => {});
  const missing = missingDependencies(jobs, job);
  if (missing.length > 0) {
    const d = missing[0];
    throw new InputError(
      `job ${index} (${job.stage} ${job.label}) needs the result of job ${d.index} (${d.stage} ${d.label}), which is missing in ${d.dir}` +
        `${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ""}; run it first: lco sweep run PLAN --index ${d.index}`,
    );
  }
  const wasDone = exp.isDone(job);
  log(`job ${index}: ${job.experiment} ${job.stage} ${job.label} → ${job.dir}${wasDone ? " (done; loading)" : ""}`);
  const t0 = Date.now();
  const result = await exp.run(job, { byHash: new Map(jobs.map((j) => [j.hash, j])), log });
  const seconds = (Date.now() - t0) / 1000;
  if (!exp.isDone(job)) throw new Error(`job ${index} (${job.stage} ${job.label}) finished but left no result in ${job.dir}`);
  log(`job ${index}: ${wasDone ? "loaded" : "finished"} in ${seconds.toFixed(1)} s`);
  return { job, wasDone, result, seconds };
}
