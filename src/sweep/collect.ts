/**
 * `lco sweep collect`: the experiment's tables from a finished sweep, the same objects the
 * in-process experiment returns. It is the plan's `collect` job, run here (idempotent: a collect
 * that already ran on the cluster is loaded).
 *
 * @module
 */
import { InputError } from "../array";
import { refreshDone } from "./plan";
import { runJob, type RunJobOptions } from "./run";
import type { SweepJob } from "./types";

/**
 * Run (or load) the plan's collect job and return its tables.
 * @throws InputError when the plan has no collect job, or naming the first job whose result is
 *   missing (with `lco sweep status` to see them all).
 */
export async function collectSweep(jobs: readonly SweepJob[], options: RunJobOptions = {}): Promise<unknown> {
  const collect = jobs.find((j) => j.stage === "collect");
  if (!collect) throw new InputError("the plan has no collect job");
  const missing = refreshDone(jobs).filter((j) => !j.done && j.stage !== "collect");
  if (missing.length > 0) {
    throw new InputError(
      `${missing.length} of ${jobs.length - 1} jobs have no result yet (first: job ${missing[0].index}, ${missing[0].stage} ${missing[0].label}, in ${missing[0].dir}); see \`lco sweep status PLAN\``,
    );
  }
  return (await runJob(jobs, collect.index, options)).result;
}
