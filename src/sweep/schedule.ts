/**
 * The order in which `lco sweep local` starts ready jobs: the longest chain of work first.
 *
 * A plan's jobs form a graph (a measurement needs its run's pretraining, a collect needs every
 * measurement). Run stage by stage, a pool of two workers idles while the slowest pretraining of
 * a stage finishes alone; run as a graph with the largest models first, the measurements of the
 * runs already trained fill that time. The order changes when a job runs, never what it computes:
 * every job draws from its own seeds and writes only its own folder.
 *
 * Costs are estimates in seconds of one core of the 2-core reference machine, from the model's
 * widths and the job's steps. Only their order matters, so they need not be exact; a job whose
 * config names no model costs {@link DEFAULT_COST}.
 *
 * @module
 */
import type { Profile } from "../config";
import { FAMILY, organismConfig } from "../organism/config";
import type { PretrainSpec } from "../organism/family";
import type { SweepJob } from "./types";

/** Cost of a job whose model is unknown (seconds). */
export const DEFAULT_COST = 10;

/**
 * Seconds per pretraining step of a family member: a fixed part (kernel launches, the optimiser,
 * batch assembly) plus a part growing with the widths Σ layers·d² of its decoder and encoders.
 * Fitted on the full profile's pretraining jobs (native BLAS, two at a time on 2 cores, their
 * checkpoint evaluations included): S 64 s, M 112 s, L 229 s for 2000 steps.
 */
export function stepSeconds(profile: Profile, size: string): number {
  const s = FAMILY[profile]?.find((f) => f.name === size);
  if (!s) return DEFAULT_COST / 1000;
  const widths = s.decoderLayers * s.decoderD ** 2 + s.encoderLayers * s.encoderD ** 2;
  return STEP_FIXED + STEP_PER_WIDTH * widths;
}
const STEP_FIXED = 0.02;
const STEP_PER_WIDTH = 2.1e-6;

/**
 * Pretraining steps' worth of work in a measurement (refining one checkpoint, 200 contrastive
 * steps, once or twice, plus its retrieval evaluations). Measured: P2's cells take 34 s (S) and
 * 56 s (M) at the full profile, about 1000 steps of each size's pretraining.
 */
const MEASURE_STEPS = 1000;
const COLLECT_SECONDS = 5;

/** The model a job trains or reads: its own `spec`, its `run.spec` (GRSL), else that of the first job it needs that names one. */
function specOf(job: SweepJob, byHash: ReadonlyMap<string, SweepJob>, depth = 0): PretrainSpec | undefined {
  const c = job.config as { spec?: PretrainSpec; run?: { spec?: PretrainSpec } };
  const own = c.spec ?? c.run?.spec;
  if (own || depth > 2) return own;
  for (const h of job.deps) {
    const dep = byHash.get(h);
    const s = dep && specOf(dep, byHash, depth + 1);
    if (s) return s;
  }
  return undefined;
}

/** The estimated seconds of each job of a plan (see the module's description). */
export function jobCosts(jobs: readonly SweepJob[]): number[] {
  const byHash = new Map(jobs.map((j) => [j.hash, j]));
  return jobs.map((job) => {
    if (job.stage === "collect") return COLLECT_SECONDS;
    const spec = specOf(job, byHash);
    if (!spec) return DEFAULT_COST;
    const step = stepSeconds(spec.profile, spec.size);
    if (job.stage === "pretrain" || job.stage === "continue") {
      const steps = spec.numSteps ?? organismConfig({ profile: spec.profile, size: spec.size }).train.numSteps;
      return steps * step;
    }
    return MEASURE_STEPS * step;
  });
}

/**
 * Each job's priority: its own cost plus the costliest chain of jobs that need it (directly or
 * not), i.e. the least time left after it starts. Starting the ready job with the longest chain
 * first is the classic list-scheduling rule for a graph on a few workers.
 * @param costs one per job, as {@link jobCosts}.
 */
export function chainCosts(jobs: readonly SweepJob[], costs: readonly number[]): number[] {
  const index = new Map(jobs.map((j, i) => [j.hash, i]));
  const dependents: number[][] = jobs.map(() => []);
  jobs.forEach((j, i) => j.deps.forEach((h) => dependents[index.get(h)!]?.push(i)));
  const chain = new Array<number>(jobs.length).fill(0);
  // A plan lists every job after the jobs it needs, so one pass from the end sees dependents first.
  for (let i = jobs.length - 1; i >= 0; i--) chain[i] = costs[i] + Math.max(0, ...dependents[i].map((d) => chain[d]));
  return chain;
}
