/**
 * The shapes of a sweep: a plan is a list of independent jobs (one JSON object per line of a
 * `.jsonl` file), each naming its stage, its full config, its config hash, the hashes of the jobs
 * it needs, and the one run folder it writes. An experiment takes part in sweeps by implementing
 * {@link SweepExperiment} in one file (see `./alignment.ts`) and adding it to `./registry.ts`.
 *
 * @module
 */
import type { Profile } from "../config";

/** The stages of a sweep, in the order they run (a stage only needs jobs of earlier stages). */
export const STAGES = ["pretrain", "continue", "refine", "measure", "collect"] as const;
/**
 * One stage: `pretrain` (generative pretraining), `continue` (pretraining that starts from a
 * pretrained run's checkpoint, e.g. P5's continual pretraining), `refine` (contrastive refinement),
 * `measure`, `collect` (merge into tables).
 */
export type Stage = (typeof STAGES)[number];

/** The format tag on every plan line. */
export const PLAN_FORMAT = "lco-sweep v1";

/** One job of a plan (one line of `sweep.jsonl`). */
export interface SweepJob {
  format: typeof PLAN_FORMAT;
  /** Position in the plan (0-based line number); the Slurm array task id of this job. */
  index: number;
  /** The experiment's name in the sweep registry, e.g. `"alignment"`. */
  experiment: string;
  stage: Stage;
  /** A short readable label, e.g. `"S/seed 1"`. */
  label: string;
  /** Everything the job needs, as JSON data: the experiment reads it back in `run`. */
  config: Record<string, unknown>;
  /** `configHash({experiment, stage, config})`: the job's identity. */
  hash: string;
  /** Hashes of the jobs whose results this job reads (all in earlier stages). */
  deps: string[];
  /** The run folder this job writes (relative to the working folder of the sweep, or absolute). */
  dir: string;
  /** True when the job's result already existed when the plan was written. */
  done: boolean;
}

/** A job as an experiment declares it (the plan adds `format`, `index`, `experiment`, `hash`, `done`). */
export interface JobSpec {
  stage: Stage;
  label: string;
  config: Record<string, unknown>;
  dir: string;
  /** Positions (in the list returned by `jobs`) of the jobs this one reads. */
  needs: number[];
}

/** The options every sweep understands (an experiment ignores what it does not use). */
export interface SweepOptions {
  profile: Profile;
  /** Seeds. Default `[0, 1, 2]`. */
  seeds: number[];
  /** Family members; default: every size of the profile. */
  sizes?: string[];
  /** Runs folder (default `"runs"`); on a cluster, a folder every node sees. */
  root: string;
  /** Override of the pretraining steps (smoke tests). */
  steps?: number;
  /** Override of the steps of a contrastive stage (the CLIP control of alignment, refinement). */
  clipSteps?: number;
  /** Items per split for the generative evaluation. */
  evalItems?: number;
  /** Further fields of the experiment's preset (e.g. GRSL's `corruptionRates`); an experiment rejects fields it does not have. */
  overrides?: Record<string, unknown>;
}

/** What a job's `run` receives besides the job. */
export interface JobContext {
  /** Every job of the plan, by hash (a job reads its dependencies' `dir` from here). */
  byHash: ReadonlyMap<string, SweepJob>;
  /** One line per event (loaded, computed, resumed), for the task's log. */
  log: (line: string) => void;
}

/**
 * An experiment that can be run as a sweep. Every job writes only its own `dir`, through
 * `runs.runOrLoad` (atomic, `result.json` last), so running a job twice loads the first result.
 */
export interface SweepExperiment {
  /** Registry name (`lco sweep plan <name>`). */
  name: string;
  /** One line for `lco sweep plan --help`. */
  summary: string;
  /** `--with "key=value …"` pairs (without the dashes) as overrides of the experiment's config; absent: the sweep takes none. */
  overrides?(pairs: readonly string[]): Record<string, unknown>;
  /** The jobs of a sweep, dependencies first. */
  jobs(options: SweepOptions): JobSpec[];
  /** True when the job's result exists in its folder (same config and seed). */
  isDone(job: SweepJob): boolean;
  /**
   * Run one job (compute, or load when already done). The caller has checked that every
   * dependency is done. Long jobs resume from their checkpoints.
   * @returns the job's stored result (JSON data).
   */
  run(job: SweepJob, ctx: JobContext): Promise<unknown>;
}
