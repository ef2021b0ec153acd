/**
 * Plans: an experiment's jobs as JSON Lines, one job per line, stages in order, each job marked
 * done when its result already exists. A plan is data: `lco sweep run` reads one line of it,
 * `lco sweep slurm` turns it into a submit script, `lco sweep local` runs it with a process pool.
 *
 * @module
 */
import * as fs from "node:fs";
import { InputError } from "../array";
import { writeFileAtomic } from "../io/atomic";
import { configHash } from "../runs/hash";
import { sweepExperiment } from "./registry";
import { PLAN_FORMAT, STAGES, type Stage, type SweepJob, type SweepOptions } from "./types";

/**
 * The plan of a sweep: the experiment's jobs with their hashes and dependencies, sorted by stage
 * (stable within a stage), each marked `done` when its result exists.
 * @throws InputError for an unknown experiment (naming the known ones) or bad options.
 */
export function planSweep(experiment: string, options: SweepOptions): SweepJob[] {
  const exp = sweepExperiment(experiment);
  if (options.seeds.length === 0) throw new InputError("a sweep needs at least one seed; got an empty --seeds");
  if (new Set(options.seeds).size !== options.seeds.length) throw new InputError(`--seeds lists a seed twice: ${options.seeds.join(",")}`);
  const specs = exp.jobs(options);
  const hashes = specs.map((s) => configHash({ experiment: exp.name, stage: s.stage, config: s.config }));
  const order = specs.map((_, i) => i).sort((a, b) => STAGES.indexOf(specs[a].stage) - STAGES.indexOf(specs[b].stage) || a - b);
  const jobs: SweepJob[] = order.map((i, index) => {
    const s = specs[i];
    for (const n of s.needs) {
      if (!(n >= 0 && n < specs.length) || STAGES.indexOf(specs[n].stage) >= STAGES.indexOf(s.stage)) {
        throw new Error(`sweep ${exp.name}: job "${s.label}" (${s.stage}) needs job ${n}, which is not in an earlier stage`);
      }
    }
    return {
      format: PLAN_FORMAT,
      index,
      experiment: exp.name,
      stage: s.stage,
      label: s.label,
      config: s.config,
      hash: hashes[i],
      deps: s.needs.map((n) => hashes[n]),
      dir: s.dir,
      done: false,
    };
  });
  if (new Set(hashes).size !== hashes.length) throw new Error(`sweep ${exp.name}: two jobs have the same config`);
  for (const j of jobs) j.done = exp.isDone(j);
  return jobs;
}

/** The plan as JSON Lines (one job per line, trailing newline). */
export function planJsonl(jobs: readonly SweepJob[]): string {
  return jobs.map((j) => JSON.stringify(j)).join("\n") + "\n";
}

/** Write a plan atomically. */
export function writePlan(file: string, jobs: readonly SweepJob[]): void {
  writeFileAtomic(file, planJsonl(jobs));
}

function checkJob(j: unknown, line: number, file: string): SweepJob {
  const bad = (what: string) => new InputError(`${file} line ${line}: ${what}; write plans with \`lco sweep plan\``);
  if (j === null || typeof j !== "object") throw bad("not a JSON object");
  const o = j as Record<string, unknown>;
  if (o.format !== PLAN_FORMAT) throw bad(`format is ${JSON.stringify(o.format)}, expected "${PLAN_FORMAT}"`);
  if (o.index !== line - 1) throw bad(`index is ${JSON.stringify(o.index)}, expected ${line - 1} (lines must stay in order)`);
  if (!(STAGES as readonly unknown[]).includes(o.stage)) throw bad(`unknown stage ${JSON.stringify(o.stage)}`);
  for (const k of ["experiment", "label", "hash", "dir"]) if (typeof o[k] !== "string") throw bad(`field "${k}" is missing or not a string`);
  if (!Array.isArray(o.deps) || !o.deps.every((d) => typeof d === "string")) throw bad(`field "deps" is not a list of hashes`);
  if (o.config === null || typeof o.config !== "object") throw bad(`field "config" is not an object`);
  if (configHash({ experiment: o.experiment, stage: o.stage, config: o.config }) !== o.hash) throw bad(`the config does not match its hash ${String(o.hash).slice(0, 12)} (edited by hand?)`);
  return o as unknown as SweepJob;
}

/**
 * Read a plan written by {@link writePlan}, checking every line (format, order, hash of the config,
 * dependencies that exist and come earlier).
 * @throws InputError naming the file and line of the first problem, or a missing file.
 */
export function readPlan(file: string): SweepJob[] {
  if (!fs.existsSync(file)) throw new InputError(`no plan file ${file}; write one with \`lco sweep plan <experiment> > ${file}\``);
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new InputError(`${file} holds no jobs`);
  const jobs = lines.map((l, i) => {
    let j: unknown;
    try {
      j = JSON.parse(l);
    } catch (e) {
      throw new InputError(`${file} line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
    return checkJob(j, i + 1, file);
  });
  const seen = new Map<string, Stage>();
  for (const j of jobs) {
    for (const d of j.deps) {
      const st = seen.get(d);
      if (st === undefined) throw new InputError(`${file} line ${j.index + 1}: dependency ${d.slice(0, 12)} is not an earlier job of the plan`);
    }
    seen.set(j.hash, j.stage);
  }
  const experiments = new Set(jobs.map((j) => j.experiment));
  if (experiments.size !== 1) throw new InputError(`${file} mixes experiments (${[...experiments].join(", ")}); one plan per experiment`);
  return jobs;
}

/** The plan with `done` re-checked against the run folders now. */
export function refreshDone(jobs: readonly SweepJob[]): SweepJob[] {
  if (jobs.length === 0) return [];
  const exp = sweepExperiment(jobs[0].experiment);
  return jobs.map((j) => ({ ...j, done: exp.isDone(j) }));
}

/** The stages present in a plan, in order, with their jobs. */
export function planStages(jobs: readonly SweepJob[]): { stage: Stage; jobs: SweepJob[] }[] {
  return STAGES.map((stage) => ({ stage, jobs: jobs.filter((j) => j.stage === stage) })).filter((s) => s.jobs.length > 0);
}
