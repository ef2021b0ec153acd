/**
 * The GRSL experiment (claim P4: representation after refinement rises with generative
 * capability) as a sweep:
 *
 *   pretrain  one job per run: size × seed, and corruption rate × seed (the intervention arm)
 *   measure   one job per (run, checkpoint): the text-only LoRA refinement of that checkpoint and
 *             its retrieval before/after (the refinement lives inside the job: nothing reads the
 *             refined weights afterwards); needs that run's pretraining
 *   collect   one job: the `lco-grsl v1` results, as `runGrsl` returns them; needs every measurement
 *
 * Each job writes the same folder through the same `runOrLoad` as the in-process `runGrsl`, so a
 * sweep and `lco experiment grsl` share their results both ways. The checkpoints of a run are
 * those its config keeps (known before it is trained), plus step 0.
 *
 * @module
 */
import * as path from "node:path";
import { InputError } from "../array";
import { parseOverrides, resolveConfig, type Profile } from "../config";
import { FAMILY } from "../organism/config";
import { pretrainDir } from "../organism/family";
import {
  GRSL_PRESET, grslRuns, grslSteps, grslUnit, grslUnitDir, grslUnitIdentity, plannedCheckpoints, runGrsl, wantsFull, type GrslConfig, type GrslResults, type GrslRunSpec,
} from "../experiments/grsl";
import { runOrLoad } from "../runs/cache";
import { collectDir } from "./alignment";
import { pretrainJobDone, runPretrainJob, type PretrainJobConfig } from "./pretrain";
import { resultExists } from "./result";
import type { JobSpec, SweepExperiment, SweepJob, SweepOptions } from "./types";

interface MeasureJobConfig {
  run: GrslRunSpec;
  step: number;
  full: boolean;
  grsl: GrslConfig;
  root: string;
}
interface CollectJobConfig {
  profile: Profile;
  grsl: GrslConfig;
  root: string;
}

/**
 * The GRSL config of a sweep: the preset at the profile, then the sweep's options (`sizes`,
 * `seeds`, `steps` → `numSteps`, `clipSteps` → `refineSteps`, `evalItems`), then `overrides`
 * (any preset field, e.g. `{corruptionRates: [0.5], checkpoints: [0, 6]}`).
 */
export function grslSweepConfig(o: SweepOptions): GrslConfig {
  const names = FAMILY[o.profile].map((f) => f.name);
  for (const s of o.sizes ?? []) if (!names.includes(s)) throw new InputError(`invalid size "${s}"; the ${o.profile} family has ${names.join(", ")}`);
  return resolveConfig(
    GRSL_PRESET,
    {
      ...(o.sizes ? { sizes: o.sizes } : {}),
      seeds: o.seeds,
      ...(o.steps !== undefined ? { numSteps: o.steps } : {}),
      ...(o.clipSteps !== undefined ? { refineSteps: o.clipSteps } : {}),
      ...(o.evalItems !== undefined ? { evalItems: o.evalItems } : {}),
      ...(o.overrides ?? {}),
    },
    { profile: o.profile },
  );
}

/** `key=value` pairs (the CLI's `--with "a=1 b=2,3"`) as preset overrides of the GRSL config. */
export function grslOverrides(pairs: readonly string[]): Record<string, unknown> {
  return parseOverrides(pairs.map((p) => `--${p}`), { defaults: GRSL_PRESET.defaults });
}

/** The GRSL experiment's sweep. */
export const grslSweep: SweepExperiment = {
  name: "grsl",
  summary: "P4: GRSL — pretrain runs → refine + measure every kept checkpoint → collect",
  overrides: grslOverrides,

  jobs(o: SweepOptions): JobSpec[] {
    const grsl = grslSweepConfig(o);
    const jobs: JobSpec[] = [];
    const measures: number[] = [];
    for (const run of grslRuns(o.profile, grsl)) {
      const pre: PretrainJobConfig = { spec: run.spec, seed: run.seed, root: o.root };
      const preIndex = jobs.length;
      jobs.push({ stage: "pretrain", label: run.run, config: { ...pre }, dir: pretrainDir(o.root, run.spec, run.seed), needs: [] });
      const steps = grslSteps(run, plannedCheckpoints(run.spec), grsl);
      for (const step of steps) {
        const full = wantsFull(grsl, run, step, steps);
        const m: MeasureJobConfig = { run, step, full, grsl, root: o.root };
        measures.push(jobs.length);
        jobs.push({ stage: "measure", label: `${run.run}@${step}`, config: { ...m }, dir: grslUnitDir(o.root, run.spec, run.seed, step, grsl, full), needs: [preIndex] });
      }
    }
    const c: CollectJobConfig = { profile: o.profile, grsl, root: o.root };
    jobs.push({ stage: "collect", label: `${o.profile} ${grsl.sizes.join(",")} × seeds ${grsl.seeds.join(",")}`, config: { ...c }, dir: collectDir(o.root, "grsl", c), needs: measures });
    return jobs;
  },

  isDone(job: SweepJob): boolean {
    if (job.stage === "pretrain") return pretrainJobDone(job);
    if (job.stage === "measure") {
      const c = job.config as unknown as MeasureJobConfig;
      return resultExists(job.dir, grslUnitIdentity(c.run.spec, c.step, c.grsl, c.full), c.run.seed);
    }
    return resultExists(job.dir, job.config, null);
  },

  async run(job: SweepJob, ctx): Promise<unknown> {
    // A plan's relative runs folder is relative to the sweep's working folder (see alignment).
    if (job.stage === "pretrain") return runPretrainJob(job, ctx);
    if (job.stage === "measure") {
      const c = job.config as unknown as MeasureJobConfig;
      const root = path.resolve(c.root);
      return grslUnit(pretrainDir(root, c.run.spec, c.run.seed), c.run.spec, c.run.seed, c.step, c.grsl, { root, full: c.full, log: ctx.log });
    }
    if (job.stage === "collect") {
      const c = job.config as unknown as CollectJobConfig;
      return runOrLoad<GrslResults, CollectJobConfig>({ dir: job.dir, cfg: c, profile: c.profile, log: ctx.log, compute: () => runGrsl(c.profile, c.grsl, { root: path.resolve(c.root), log: ctx.log }) });
    }
    throw new InputError(`the grsl sweep has no ${job.stage} stage (job ${job.index})`);
  },
};
