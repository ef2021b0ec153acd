/**
 * The alignment experiment (claim P1: does generative pretraining align modalities?) as a sweep:
 *
 *   pretrain  one job per size × seed  (the family's pretraining runs, with checkpoints)
 *   measure   one job per size × seed  (pretrained, random-init and CLIP control, IID and OOD;
 *                                       needs that size × seed's pretraining)
 *   collect   one job                  (needs every measurement; the experiment's tables)
 *
 * Each job writes the same run folder, through the same `runOrLoad`, as the in-process
 * `pretrain` / `alignmentExperiment`, so a sweep and a notebook share their results both ways.
 *
 * @module
 */
import * as path from "node:path";
import { InputError } from "../array";
import { FAMILY } from "../organism/config";
import { pretrain, pretrainDir, pretrainSpec, type PretrainResult, type PretrainSpec } from "../organism/family";
import { ALIGNMENT_PRESET, alignmentComparison, alignmentDir, alignmentExperiment, alignmentRunConfig, type AlignmentComparisonRow, type AlignmentRow } from "../experiments/alignment";
import { parseOverrides, type Profile } from "../config";
import { runOrLoad } from "../runs/cache";
import { configHash } from "../runs/hash";
import { pretrainJobDone, runPretrainJob, type PretrainJobConfig } from "./pretrain";
import { resultExists } from "./result";
import type { JobSpec, SweepExperiment, SweepJob, SweepOptions } from "./types";

/** CLIP-control steps when none are given (the experiment's default). */
const DEFAULT_CLIP_STEPS = 150;

/** The tables of the alignment sweep: what `collect` returns. */
export interface AlignmentTables {
  profile: Profile;
  sizes: string[];
  seeds: number[];
  /** Every pretraining run's result (as `pretrain` returns it, without `loaded`), size-major. */
  family: (PretrainResult & { dir: string })[];
  /** `alignmentExperiment(profile, size, …)` for every size: the rows chapter 22 reads. */
  bySize: Record<string, AlignmentRow[]>;
  /** `alignmentComparison(bySize)`. */
  comparison: AlignmentComparisonRow[];
}

interface MeasureJobConfig extends PretrainJobConfig {
  clipSteps: number;
}
interface CollectJobConfig {
  profile: Profile;
  sizes: string[];
  seeds: number[];
  root: string;
  specOverrides: Partial<PretrainSpec>;
  clipSteps: number;
}

/**
 * The pretraining spec's overrides of a sweep: `--steps`, `--eval-items`, and the one preset field
 * the alignment sweep takes through `--with`, `answerFormat` (P1's few-word variant). Absent
 * fields stay absent, so the default plan's jobs keep their hashes.
 */
function specOverrides(o: SweepOptions): Partial<PretrainSpec> {
  const { answerFormat, ...rest } = o.overrides ?? {};
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new InputError(`the alignment sweep takes only answerFormat through --with (sizes, seeds and steps have their own flags); got ${extra.join(", ")}`);
  if (answerFormat !== undefined && answerFormat !== "one-word" && answerFormat !== "few-words") throw new InputError(`invalid answerFormat ${JSON.stringify(answerFormat)}; expected one-word or few-words`);
  return {
    ...(o.steps !== undefined ? { numSteps: o.steps } : {}),
    ...(o.evalItems !== undefined ? { evalItems: o.evalItems } : {}),
    ...(answerFormat === "few-words" ? { answerFormat } : {}),
  };
}

/** The folder of a sweep's collected tables. */
export function collectDir(root: string, experiment: string, config: object): string {
  return path.join(root, "sweep-collect", experiment, configHash(config).slice(0, 12));
}

/** Load the tables of a finished alignment sweep (every job done), as the in-process run computes them. */
// A plan's relative runs folder is relative to the sweep's working folder (the folder `lco sweep`
// runs in; sbatch's --chdir), not to the kit's install: resolve it here, before pretrain and the
// alignment experiment resolve relative folders against the project root.
async function alignmentTables(c: CollectJobConfig, log: (line: string) => void): Promise<AlignmentTables> {
  const family: (PretrainResult & { dir: string })[] = [];
  const bySize: Record<string, AlignmentRow[]> = {};
  for (const size of c.sizes) {
    const spec = pretrainSpec(c.profile, size, c.specOverrides);
    for (const seed of c.seeds) {
      const { loaded: _loaded, ...r } = await pretrain(spec, seed, { root: path.resolve(c.root), log });
      family.push(r);
    }
    bySize[size] = await alignmentExperiment(c.profile, size, { seeds: c.seeds, root: path.resolve(c.root), spec: c.specOverrides, clipSteps: c.clipSteps, log });
  }
  return { profile: c.profile, sizes: c.sizes, seeds: c.seeds, family, bySize, comparison: alignmentComparison(bySize) };
}

/** The alignment experiment's sweep. */
export const alignmentSweep: SweepExperiment = {
  name: "alignment",
  summary: "P1: does generative pretraining align modalities? pretrain size × seed → measure → collect",
  // Sizes, seeds and steps have their own flags; the preset's one other field is the answer format.
  overrides: (pairs) => parseOverrides(pairs.map((p) => `--${p}`), { defaults: { answerFormat: ALIGNMENT_PRESET.defaults.answerFormat } }),

  jobs(o: SweepOptions): JobSpec[] {
    const names = FAMILY[o.profile].map((f) => f.name);
    const sizes = o.sizes ?? names;
    for (const s of sizes) if (!names.includes(s)) throw new InputError(`invalid size "${s}"; the ${o.profile} family has ${names.join(", ")}`);
    const over = specOverrides(o);
    const clipSteps = o.clipSteps ?? DEFAULT_CLIP_STEPS;
    const jobs: JobSpec[] = [];
    const measures: number[] = [];
    for (const size of sizes) {
      const spec = pretrainSpec(o.profile, size, over);
      for (const seed of o.seeds) {
        const pre: PretrainJobConfig = { spec, seed, root: o.root };
        jobs.push({ stage: "pretrain", label: `${size}/seed ${seed}`, config: { ...pre }, dir: pretrainDir(o.root, spec, seed), needs: [] });
        const m: MeasureJobConfig = { ...pre, clipSteps };
        measures.push(jobs.length);
        jobs.push({ stage: "measure", label: `${size}/seed ${seed}`, config: { ...m }, dir: alignmentDir(o.root, spec, seed, clipSteps), needs: [jobs.length - 1] });
      }
    }
    const c: CollectJobConfig = { profile: o.profile, sizes, seeds: o.seeds, root: o.root, specOverrides: over, clipSteps };
    jobs.push({ stage: "collect", label: `${o.profile} ${sizes.join(",")} × seeds ${o.seeds.join(",")}`, config: { ...c }, dir: collectDir(o.root, "alignment", c), needs: measures });
    return jobs;
  },

  isDone(job: SweepJob): boolean {
    if (job.stage === "pretrain") return pretrainJobDone(job);
    if (job.stage === "measure") {
      const c = job.config as unknown as MeasureJobConfig;
      return resultExists(job.dir, alignmentRunConfig(c.spec, c.clipSteps), c.seed);
    }
    return resultExists(job.dir, job.config, null);
  },

  async run(job: SweepJob, ctx): Promise<unknown> {
    if (job.stage === "pretrain") return runPretrainJob(job, ctx);
    if (job.stage === "measure") {
      const c = job.config as unknown as MeasureJobConfig;
      return alignmentExperiment(c.spec.profile, c.spec.size, { seeds: [c.seed], root: path.resolve(c.root), spec: c.spec, clipSteps: c.clipSteps, log: ctx.log });
    }
    if (job.stage === "collect") {
      const c = job.config as unknown as CollectJobConfig;
      return runOrLoad<AlignmentTables, CollectJobConfig>({ dir: job.dir, cfg: c, profile: c.profile, log: ctx.log, compute: () => alignmentTables(c, ctx.log) });
    }
    throw new InputError(`the alignment sweep has no ${job.stage} stage (job ${job.index})`);
  },
};
