/**
 * `lco sweep …`: an experiment's runs as a plan of independent jobs, run one at a time, with a
 * local process pool, or as Slurm job arrays; then collected into the experiment's tables.
 *
 *   lco sweep plan alignment --profile full --seeds 0,1,2 > sweep.jsonl
 *   lco sweep slurm sweep.jsonl --partition gpu --gres gpu:1 --time 04:00:00 > sweep.sbatch
 *   lco sweep submit sweep.sbatch
 *   lco sweep status sweep.jsonl
 *   lco sweep collect sweep.jsonl --out tables.json
 *
 * @module
 */
import * as path from "node:path";
import { initBackend } from "../backend";
import { writeJsonAtomic } from "../io/atomic";
import { collectSweep } from "../sweep/collect";
import { runLocal, runLocalPlans } from "../sweep/local";
import { defaultWorkers } from "../organism/family";
import { planJsonl, planSweep, readPlan, refreshDone } from "../sweep/plan";
import { SWEEP_EXPERIMENTS, sweepExperiment } from "../sweep/registry";
import { runJob } from "../sweep/run";
import { sbatchScript, submitScript, sweepStatus } from "../sweep/slurm";
import { parseCommandArgs, parseIntList, parseIntStrict, parseProfile, printJson } from "./args";
import type { CliIO, Command } from "./command";
import { UsageError } from "./command";

const PLAN_USAGE = `usage: lco sweep plan EXPERIMENT [--profile smoke|full|large] [--seeds 0,1,2] [--sizes S,M,L]
                       [--root DIR] [--steps N] [--clip-steps N] [--eval-items N]
                       [--with "KEY=VALUE …"] > sweep.jsonl

Write the jobs of a sweep, one JSON object per line: its stage (pretrain, continue, refine, measure,
collect), full config, config hash, the hashes of the jobs it needs, and the run folder it
writes. Jobs whose results already exist under --root are marked "done".

  EXPERIMENT    ${SWEEP_EXPERIMENTS.map((e) => `${e.name}: ${e.summary}`).join("\n                ")}
  --profile     run size (default full)
  --seeds       seeds (default 0,1,2)
  --sizes       family members (default: all of the profile's)
  --root        runs folder (default runs); on a cluster, a folder every node sees
  --steps       override the pretraining steps; --clip-steps the contrastive steps;
  --eval-items  items per split of the generative evaluation
  --with        further fields of the experiment's preset, space-separated (grsl: e.g.
                --with "corruptionRates=0.5 checkpoints=0,6 galleryItems=16"; alignment:
                only --with answerFormat=few-words, P1's few-word variant). refinement,
                strategies, generate-embed and continual take the config \`lco experiment\`
                uses at the profile, changed only by --with (e.g. --with "seeds=0,1
                generalCaptions=4"); --seeds, --sizes, --steps … are for alignment and grsl`;

const RUN_USAGE = `usage: lco sweep run PLAN --index N [--json]

Run job N of the plan (its line N, 0-based) and nothing else. Idempotent: a finished job loads
its result; an interrupted pretraining resumes from its last checkpoint. Writes only the job's
run folder (atomically). Refuses (exit 2) when a job it needs has no result yet.`;

const SLURM_USAGE = `usage: lco sweep slurm PLAN [--partition P] [--gres gpu:1] [--cpus-per-task N] [--time T]
                        [--max-parallel M] [--account A] [--workdir DIR] [--log-dir DIR]
                        [--lco CMD] > sweep.sbatch

Write a bash script that submits the plan's pending jobs to Slurm: one job array per stage
(#SBATCH --array=…%M, task N runs \`lco sweep run PLAN --index N\`), each stage after the
previous one succeeded (--dependency=afterok). Read it, edit it, then \`lco sweep submit\` it.

  --cpus-per-task  cores per task (default 1); --time per task (default 02:00:00)
  --max-parallel   tasks of one array running at once (default 8)
  --workdir        folder the tasks run in (default: this one); --log-dir logs (slurm-logs/EXP)
  --lco            command that runs lco on the nodes (default: node + this bin/lco.js)`;

const SUBMIT_USAGE = `usage: lco sweep submit SCRIPT [--json]

Submit a script written by \`lco sweep slurm\` (bash runs it; it calls sbatch once per stage) and
print each stage's Slurm job id.`;

const STATUS_USAGE = `usage: lco sweep status PLAN [--json]

Progress of a sweep: per stage, jobs done (from the run folders) and, where Slurm is configured,
what squeue says about the stage's tasks.`;

const COLLECT_USAGE = `usage: lco sweep collect PLAN [--out FILE.json] [--json]

Merge a finished sweep's results into the experiment's tables (the same objects the in-process
experiment returns), stored in the collect job's run folder; --out also writes them to FILE.json.`;

const LOCAL_USAGE = `usage: lco sweep local PLAN [PLAN …] [--workers N] [--process-per-job] [--json]

Run the plan's pending jobs on this machine in a pool of N worker processes (default: one per
core). A job starts as soon as the jobs it needs are done, the longest chain of work first; a
failed job stops only the jobs that need it. Each worker is long-lived and runs job after job with
what a Slurm array task runs, so the kit, the backend and the world load once per worker.
Several plans run as one graph (no core waits for one plan's last job); a folder two plans both
write is one job.
  --process-per-job   a fresh process for every job instead, as a Slurm array task (slower by
                      each job's start-up; to compare the two)`;

function positiveInt(v: string | boolean | undefined, flag: string): number | undefined {
  return v === undefined ? undefined : parseIntStrict(v as string, flag, 1);
}

/** `--with "a=1 b=2,3"` → the experiment's overrides (only sweeps that take overrides accept it). */
function withOverrides(experiment: string, w: string | undefined): Record<string, unknown> | undefined {
  if (w === undefined) return undefined;
  const exp = sweepExperiment(experiment);
  if (!exp.overrides) throw new UsageError(`--with is for sweeps that take config overrides (${SWEEP_EXPERIMENTS.filter((e) => e.overrides).map((e) => e.name).join(", ")}); got it for "${experiment}"`);
  return exp.overrides(w.split(/\s+/).filter(Boolean));
}

/** `lco sweep plan`. */
export const sweepPlanCommand: Command = {
  name: "sweep plan",
  summary: "write an experiment's sweep as JSON Lines (one job per line)",
  usage: PLAN_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      { profile: "string", seeds: "string", sizes: "string", root: "string", steps: "string", "clip-steps": "string", "eval-items": "string", with: "string" },
      ["EXPERIMENT"],
    );
    const sizes = flags.sizes !== undefined ? (flags.sizes as string).split(",").map((s) => s.trim()) : undefined;
    if (sizes?.some((s) => s === "")) throw new UsageError(`invalid --sizes; need names separated by commas, got ${JSON.stringify(flags.sizes)}`);
    const jobs = planSweep(positionals[0], {
      profile: parseProfile(flags.profile),
      seeds: flags.seeds !== undefined ? parseIntList(flags.seeds as string, "--seeds", 0) : [0, 1, 2],
      sizes,
      root: (flags.root as string | undefined) ?? "runs",
      steps: positiveInt(flags.steps, "--steps"),
      clipSteps: positiveInt(flags["clip-steps"], "--clip-steps"),
      evalItems: positiveInt(flags["eval-items"], "--eval-items"),
      overrides: withOverrides(positionals[0], flags.with as string | undefined),
    });
    for (const line of planJsonl(jobs).trimEnd().split("\n")) io.out(line);
    io.err(`${jobs.length} jobs (${jobs.filter((j) => j.done).length} done) for ${positionals[0]}`);
    return 0;
  },
};

/** `lco sweep run`. */
export const sweepRunCommand: Command = {
  name: "sweep run",
  summary: "run one job of a sweep plan (idempotent, resumes from checkpoints)",
  usage: RUN_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { index: "string", json: "boolean" }, ["PLAN"]);
    if (flags.index === undefined) throw new UsageError("missing --index N");
    const index = parseIntStrict(flags.index as string, "--index", 0);
    const jobs = readPlan(positionals[0]);
    await initBackend();
    const out = await runJob(jobs, index, { log: (l) => io.err(l) });
    const summary = { command: "sweep run", index, stage: out.job.stage, label: out.job.label, dir: out.job.dir, wasDone: out.wasDone, seconds: out.seconds };
    if (flags.json) printJson(io, summary);
    else io.out(`job ${index} (${out.job.stage} ${out.job.label}) ${out.wasDone ? "was done" : "done"}: ${out.job.dir}`);
    return 0;
  },
};

/** `lco sweep slurm`. */
export const sweepSlurmCommand: Command = {
  name: "sweep slurm",
  summary: "write a Slurm submit script (one job array per stage) for a sweep plan",
  usage: SLURM_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      {
        partition: "string", gres: "string", "cpus-per-task": "string", time: "string", "max-parallel": "string", account: "string",
        workdir: "string", "log-dir": "string", lco: "string",
      },
      ["PLAN"],
    );
    const jobs = refreshDone(readPlan(positionals[0]));
    const workdir = path.resolve((flags.workdir as string | undefined) ?? ".");
    const abs = path.resolve(positionals[0]);
    const rel = path.relative(workdir, abs);
    const planFile = rel.startsWith("..") || path.isAbsolute(rel) ? abs : rel;
    const script = sbatchScript(jobs, planFile, {
      partition: flags.partition as string | undefined,
      gres: flags.gres as string | undefined,
      cpusPerTask: positiveInt(flags["cpus-per-task"], "--cpus-per-task"),
      time: flags.time as string | undefined,
      maxParallel: positiveInt(flags["max-parallel"], "--max-parallel"),
      account: flags.account as string | undefined,
      workdir,
      logDir: flags["log-dir"] as string | undefined,
      lco: flags.lco as string | undefined,
    });
    for (const line of script.split("\n")) io.out(line);
    return 0;
  },
};

/** `lco sweep submit`. */
export const sweepSubmitCommand: Command = {
  name: "sweep submit",
  summary: "submit a script from `lco sweep slurm` (sbatch per stage)",
  usage: SUBMIT_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { json: "boolean" }, ["SCRIPT"]);
    const r = submitScript(positionals[0]);
    if (flags.json) printJson(io, { command: "sweep submit", script: positionals[0], stages: r.stages });
    else for (const s of r.stages) io.out(`${s.stage}: Slurm job ${s.jobId}`);
    return 0;
  },
};

/** `lco sweep status`. */
export const sweepStatusCommand: Command = {
  name: "sweep status",
  summary: "progress of a sweep (run folders, and squeue where Slurm is configured)",
  usage: STATUS_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { json: "boolean" }, ["PLAN"]);
    const s = sweepStatus(readPlan(positionals[0]));
    if (flags.json) {
      printJson(io, { command: "sweep status", slurm: s.slurm, stages: s.stages, pending: s.pending.map((j) => j.index) });
      return 0;
    }
    for (const st of s.stages) {
      const q = Object.entries(st.queue).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(", ");
      io.out(`${st.stage.padEnd(9)} ${st.done}/${st.jobs} done${s.slurm ? `; queue: ${q || "none"}` : ""}`);
    }
    if (!s.slurm) io.out("(Slurm not configured here: progress from the run folders only)");
    return 0;
  },
};

/** `lco sweep collect`. */
export const sweepCollectCommand: Command = {
  name: "sweep collect",
  summary: "merge a finished sweep's results into the experiment's tables",
  usage: COLLECT_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { out: "string", json: "boolean" }, ["PLAN"]);
    const jobs = readPlan(positionals[0]);
    const tables = await collectSweep(jobs, { log: (l) => io.err(l) });
    const dir = jobs.find((j) => j.stage === "collect")!.dir;
    if (flags.out !== undefined) writeJsonAtomic(flags.out as string, tables);
    if (flags.json) printJson(io, { command: "sweep collect", dir, result: path.join(dir, "result.json"), out: flags.out ?? null });
    else io.out(`collected ${jobs.length - 1} jobs: ${path.join(dir, "result.json")}${flags.out ? ` and ${flags.out}` : ""}`);
    return 0;
  },
};

/** "; 2 workers busy 96 % of the time" (nothing when no job ran). */
function busyText(busy: number, workers: number): string {
  return busy > 0 ? `; ${workers} worker${workers === 1 ? "" : "s"} busy ${(100 * busy).toFixed(0)} % of the time` : "";
}

/** `lco sweep local`. */
export const sweepLocalCommand: Command = {
  name: "sweep local",
  summary: "run a sweep plan on this machine with a pool of worker processes",
  usage: LOCAL_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { workers: "string", "process-per-job": "boolean", json: "boolean" }, ["PLAN…"]);
    const workers = flags.workers === undefined || flags.workers === "auto" ? defaultWorkers() : parseIntStrict(flags.workers as string, "--workers", 1);
    const processPerJob = flags["process-per-job"] === true;
    const options = { workers, processPerJob, log: (l: string) => io.err(l) };
    if (positionals.length === 1) {
      const r = await runLocal(positionals[0], options);
      if (flags.json) printJson(io, { command: "sweep local", workers, processPerJob, ...r });
      else io.out(`ran ${r.ran.length} jobs, ${r.skipped.length} were done, in ${r.seconds.toFixed(1)} s${busyText(r.busy, workers)}`);
      return 0;
    }
    const r = await runLocalPlans(positionals, options);
    if (flags.json) printJson(io, { command: "sweep local", workers, processPerJob, ...r });
    else {
      for (const p of r.plans) io.out(`${p.file}: ran ${p.ran.length} jobs, ${p.skipped.length} were done`);
      io.out(`in ${r.seconds.toFixed(1)} s${busyText(r.busy, workers)}`);
    }
    return 0;
  },
};

/** The sweep commands, for the registry. */
export const sweepCommands: Command[] = [sweepPlanCommand, sweepRunCommand, sweepSlurmCommand, sweepSubmitCommand, sweepStatusCommand, sweepCollectCommand, sweepLocalCommand];
