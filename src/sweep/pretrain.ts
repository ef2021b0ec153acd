/**
 * The pretraining stage every organism sweep shares: one job per run, the same `pretrain` call
 * (and run folder) as the in-process experiment, resuming from the run's checkpoints.
 *
 * @module
 */
import * as path from "node:path";
import { listCheckpoints } from "../organism/checkpoint";
import { pretrain, pretrainIdentity, type PretrainSpec } from "../organism/family";
import { resultExists } from "./result";
import type { JobContext, SweepJob } from "./types";

/** The config of a pretraining job. */
export interface PretrainJobConfig {
  spec: PretrainSpec;
  seed: number;
  /** Runs folder, relative to the sweep's working folder unless absolute. */
  root: string;
  /** Checkpoints to evaluate generatively after training (`pretrain`'s option); absent: every kept one. */
  evalSteps?: number[];
}

/** True when the pretraining job's run is trained (same training identity and seed). */
export function pretrainJobDone(job: SweepJob): boolean {
  const c = job.config as unknown as PretrainJobConfig;
  return resultExists(job.dir, pretrainIdentity(c.spec), c.seed);
}

/**
 * Run (or load) a pretraining job. A plan's relative runs folder is relative to the sweep's working
 * folder (sbatch's --chdir), so it is resolved here, before `pretrain` would resolve it against the
 * project root.
 */
export async function runPretrainJob(job: SweepJob, ctx: JobContext): Promise<unknown> {
  const c = job.config as unknown as PretrainJobConfig;
  const ck = listCheckpoints(job.dir);
  if (!pretrainJobDone(job) && ck.length > 0) ctx.log(`resuming pretraining ${job.label} from checkpoint step ${ck[ck.length - 1]}`);
  const { loaded: _loaded, ...r } = await pretrain(c.spec, c.seed, { root: path.resolve(c.root), log: ctx.log, evalSteps: c.evalSteps });
  return r;
}
