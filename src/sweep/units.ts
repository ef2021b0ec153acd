/**
 * A sweep made from an in-process experiment's units (`experiments/units.ts`): the one mechanism
 * behind the refinement, strategies, generate-embed and continual sweeps.
 *
 *   pretrain  one job per pretraining run the units read (no parent)
 *   continue  one job per run that starts from another run's checkpoint (its `parent`); needs the parent's job
 *   measure   one job per unit: the unit's own `run`, in its own folder; needs its runs' jobs
 *   collect   one job: the registered experiment run in-process (`lco experiment <name>`), which
 *             then loads every unit; needs every unit
 *
 * The units come from the experiment's plan function, the same one its `runX` walks, so a sweep
 * computes exactly the folders `lco experiment <name>` loads. The config is the one
 * `lco experiment <name> --profile P` uses (the experiment's preset or its own `config`), with
 * `--with "key=value …"` as further overrides.
 *
 * @module
 */
import * as path from "node:path";
import { InputError } from "../array";
import { parseOverrides, type Profile } from "../config";
import { pretrainDir } from "../organism/family";
import { experimentByName, resolveExperimentConfig } from "../experiments/registry";
import type { ExperimentUnit, UnitRun } from "../experiments/units";
import { loadRun, runOrLoad } from "../runs/cache";
import { collectDir } from "./alignment";
import { pretrainJobDone, runPretrainJob, type PretrainJobConfig } from "./pretrain";
import { resultExists } from "./result";
import type { JobSpec, SweepExperiment, SweepJob, SweepOptions } from "./types";

/** What a units sweep declares: its registry name, one line of help, and the experiment's plan function. */
export interface UnitSweepDeclaration<C extends object> {
  /** The registered experiment's name (`lco experiment <name>`), also the sweep's. */
  name: string;
  summary: string;
  /** The experiment's units at a config, under the (absolute) runs folder `root`. */
  units(profile: Profile, cfg: C, root: string): ExperimentUnit<unknown>[];
}

interface UnitJobConfig {
  profile: Profile;
  config: Record<string, unknown>;
  /** Runs folder, relative to the sweep's working folder unless absolute. */
  root: string;
  /** A measure job's unit: its folder relative to `root` (unique, and it names the unit's identity hash). */
  unit?: string;
}

/** The experiment's config of a sweep: `lco experiment <name> --profile P`'s, with `o.overrides`. */
function sweepConfig(name: string, o: SweepOptions): Record<string, unknown> {
  for (const [flag, v] of [["--sizes", o.sizes], ["--steps", o.steps], ["--clip-steps", o.clipSteps], ["--eval-items", o.evalItems]] as const) {
    if (v !== undefined) throw new InputError(`the ${name} sweep takes its config from the experiment's preset; set fields with --with "key=value" instead of ${flag}`);
  }
  return resolveExperimentConfig(experimentByName(name), o.profile, o.overrides ?? {}) as Record<string, unknown>;
}

/** Turn an experiment's plan function into a sweep (see the module's description). */
export function unitSweep<C extends object>(d: UnitSweepDeclaration<C>): SweepExperiment {
  // A plan's relative runs folder is relative to the sweep's working folder (sbatch's --chdir):
  // resolve it here, before the experiment would resolve it against the project root.
  const unitsOf = (c: UnitJobConfig) => d.units(c.profile, c.config as C, path.resolve(c.root));
  return {
    name: d.name,
    summary: d.summary,

    overrides(pairs: readonly string[]): Record<string, unknown> {
      return parseOverrides(pairs.map((p) => `--${p}`), { defaults: experimentByName(d.name).preset.defaults });
    },

    jobs(o: SweepOptions): JobSpec[] {
      const c: UnitJobConfig = { profile: o.profile, config: sweepConfig(d.name, o), root: o.root };
      const jobs: JobSpec[] = [];
      const runJobs = new Map<string, number>();
      const runJob = (r: UnitRun): number => {
        const dir = pretrainDir(o.root, r.spec, r.seed);
        const known = runJobs.get(dir);
        if (known !== undefined) return known;
        const parent = r.spec.parent;
        if (parent?.spec.parent) throw new InputError(`run ${dir} starts from a run that itself has a parent; the sweep chains one level (pretrain → continue)`);
        const needs = parent ? [runJob({ spec: parent.spec, seed: parent.seed, evalSteps: [] })] : [];
        const pre: PretrainJobConfig = { spec: r.spec, seed: r.seed, root: o.root, ...(r.evalSteps ? { evalSteps: r.evalSteps } : {}) };
        runJobs.set(dir, jobs.length);
        jobs.push({ stage: parent ? "continue" : "pretrain", label: path.relative(o.root, dir), config: { ...pre }, dir, needs });
        return jobs.length - 1;
      };
      const measures: number[] = [];
      for (const u of unitsOf(c)) {
        const needs = u.runs.map(runJob);
        measures.push(jobs.length);
        const unit = path.relative(path.resolve(o.root), u.dir);
        jobs.push({ stage: "measure", label: u.label, config: { ...c, unit }, dir: path.join(o.root, unit), needs });
      }
      jobs.push({ stage: "collect", label: `${o.profile} ${d.name}`, config: { ...c }, dir: collectDir(o.root, d.name, c), needs: measures });
      return jobs;
    },

    isDone(job: SweepJob): boolean {
      if (job.stage === "pretrain" || job.stage === "continue") return pretrainJobDone(job);
      // A unit's folder name carries the hash of its identity (and its seed): a result there is its result.
      if (job.stage === "measure") return loadRun(job.dir) !== null;
      return resultExists(job.dir, job.config, null);
    },

    async run(job: SweepJob, ctx): Promise<unknown> {
      if (job.stage === "pretrain" || job.stage === "continue") return runPretrainJob(job, ctx);
      const c = job.config as unknown as UnitJobConfig;
      if (job.stage === "measure") {
        const unit = unitsOf(c).find((u) => u.dir === path.resolve(c.root, c.unit ?? ""));
        if (!unit) throw new InputError(`the ${d.name} sweep has no unit ${c.unit} at this config (job ${job.index}); plan it again`);
        return unit.run(ctx.log);
      }
      if (job.stage === "collect") {
        const exp = experimentByName(d.name);
        return runOrLoad<unknown, UnitJobConfig>({ dir: job.dir, cfg: c, profile: c.profile, log: ctx.log, compute: async () => (await exp.run(c.config, { profile: c.profile, root: path.resolve(c.root), log: ctx.log })).result });
      }
      throw new InputError(`the ${d.name} sweep has no ${job.stage} stage (job ${job.index})`);
    },
  };
}
