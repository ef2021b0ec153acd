/**
 * Handing a plan to Slurm: a submit script a user can read and edit (one job array per stage,
 * stages chained with `--dependency=afterok`), submitting it, and reading progress back from the
 * queue and the run folders.
 *
 * The kit does not schedule anything itself: every array task runs `lco sweep run PLAN --index
 * $SLURM_ARRAY_TASK_ID`, and Slurm decides where and when.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { sha256 } from "../io/hash";
import { planStages, refreshDone } from "./plan";
import { STAGES, type Stage, type SweepJob } from "./types";

/** Options of {@link sbatchScript} (the `#SBATCH` lines each array gets). */
export interface SlurmOptions {
  /** `--partition`. Default: the cluster's default partition. */
  partition?: string;
  /** `--gres`, e.g. `"gpu:1"`. */
  gres?: string;
  /** `--cpus-per-task`. Default 1 (the organism's runs use one core well). */
  cpusPerTask?: number;
  /** `--time` per task (`MM`, `HH:MM:SS`, `D-HH:MM`, …). Default `"02:00:00"`. */
  time?: string;
  /** At most this many tasks of one array at once (`--array=…%M`). Default 8. */
  maxParallel?: number;
  /** `--account`. */
  account?: string;
  /** Folder the tasks run in (`--chdir`); the plan's run folders are relative to it. Default: the current folder. */
  workdir?: string;
  /** Folder of the task logs, relative to `workdir`. Default `slurm-logs/<experiment>`. */
  logDir?: string;
  /** The command that runs `lco` on the nodes. Default: `node` + this installation's `bin/lco.js`. */
  lco?: string;
}

const NAME = /^[A-Za-z0-9_.+-]+$/;
const GRES = /^[A-Za-z0-9_.:,+-]+$/;
// Slurm's --time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
const TIME = /^(\d+-\d{1,2}(:\d{1,2}){0,2}|\d+(:\d{1,2}){0,2})$/;

function checkOptions(o: SlurmOptions): void {
  if (o.partition !== undefined && !NAME.test(o.partition)) throw new InputError(`invalid --partition "${o.partition}"; use letters, digits, "_", ".", "+" and "-"`);
  if (o.account !== undefined && !NAME.test(o.account)) throw new InputError(`invalid --account "${o.account}"; use letters, digits, "_", ".", "+" and "-"`);
  if (o.gres !== undefined && !GRES.test(o.gres)) throw new InputError(`invalid --gres "${o.gres}"; expected e.g. gpu:1 or gpu:a100:2`);
  if (o.time !== undefined && !TIME.test(o.time)) throw new InputError(`invalid --time "${o.time}"; expected minutes, HH:MM:SS or D-HH:MM:SS`);
  for (const [flag, v] of [["--cpus-per-task", o.cpusPerTask], ["--max-parallel", o.maxParallel]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InputError(`invalid ${flag} ${v}; need an integer ≥ 1`);
  }
}

/** `[0,1,2,5,7,8]` → `"0-2,5,7-8"` (Slurm's array syntax). */
export function arrayRanges(indices: readonly number[]): string {
  const s = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** Single-quote a string for bash. */
function sh(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Slurm job name of one stage: `lco-<experiment>-<stage>`. */
export function stageJobName(experiment: string, stage: Stage): string {
  return `lco-${experiment}-${stage}`;
}

/** The default `lco` command on the nodes: this node binary and this installation's CLI. */
function defaultLco(): string {
  const bin = path.resolve(__dirname, "..", "..", "bin", "lco.js");
  return `node ${sh(bin)}`;
}

/**
 * A bash script that submits the plan's pending jobs to Slurm: one `sbatch` per stage, each a job
 * array whose task N runs plan line N, each stage after the previous one succeeded.
 * @param jobs the plan (jobs already done are left out; `refreshDone` first for an up-to-date view).
 * @param planFile the plan's path as the tasks will see it (relative to `workdir`, or absolute).
 * @throws InputError for a bad option (naming the value) or a plan with nothing left to run.
 */
export function sbatchScript(jobs: readonly SweepJob[], planFile: string, options: SlurmOptions = {}): string {
  checkOptions(options);
  if (jobs.length === 0) throw new InputError("the plan holds no jobs");
  const experiment = jobs[0].experiment;
  const workdir = path.resolve(options.workdir ?? process.cwd());
  const logDir = options.logDir ?? path.join("slurm-logs", experiment);
  const lco = options.lco ?? defaultLco();
  const max = options.maxParallel ?? 8;
  const stages = planStages(jobs).map((s) => ({ ...s, todo: s.jobs.filter((j) => !j.done) }));
  const pending = stages.reduce((n, s) => n + s.todo.length, 0);
  if (pending === 0) throw new InputError(`every job of the plan ${planFile} is done; nothing to submit (collect the results with \`lco sweep collect ${planFile}\`)`);
  const planText = jobs.map((j) => JSON.stringify({ ...j, done: false })).join("\n");
  const lines = [
    "#!/bin/bash",
    `# Slurm submit script for the lco sweep "${experiment}": ${jobs.length} jobs, ${pending} to run`,
    `# (${stages.map((s) => `${s.stage} ${s.todo.length}/${s.jobs.length}`).join(", ")}), from the plan ${planFile} (sha256 ${sha256(planText).slice(0, 12)}).`,
    "# Generated by `lco sweep slurm`. Read it, add what your cluster needs (module load, a",
    "# container, …) to the job scripts below, then submit it from any folder:",
    "#     bash THIS_FILE        (or: lco sweep submit THIS_FILE)",
    "# Each stage is one job array; array task N runs plan line N (`lco sweep run PLAN --index N`).",
    "# A stage starts only when every task of the previous stage succeeded (--dependency=afterok).",
    "# Jobs that were already done when this script was written are left out; a task that runs",
    "# twice loads its result, and an interrupted pretraining resumes from its last checkpoint.",
    "set -euo pipefail",
    `cd ${sh(workdir)}`,
    `mkdir -p ${sh(logDir)}`,
    "",
  ];
  let prev: string | null = null;
  for (const s of stages) {
    if (s.todo.length === 0) {
      lines.push(`# Stage ${s.stage}: all ${s.jobs.length} jobs done; not submitted.`, "");
      continue;
    }
    const v = s.stage;
    const sbatch = ["sbatch", "--parsable", ...(prev ? [`--dependency=afterok:$${prev}`, "--kill-on-invalid-dep=yes"] : [])].join(" ");
    lines.push(
      `# Stage ${s.stage}: ${s.todo.length} job${s.todo.length === 1 ? "" : "s"} (${s.todo.map((j) => j.label).join("; ")})`,
      `${v}=$(${sbatch} <<'SBATCH'`,
      "#!/bin/bash",
      `#SBATCH --job-name=${stageJobName(experiment, s.stage)}`,
      `#SBATCH --array=${arrayRanges(s.todo.map((j) => j.index))}%${max}`,
      `#SBATCH --output=${logDir}/${s.stage}-%A_%a.log`,
      `#SBATCH --chdir=${workdir}`,
      `#SBATCH --cpus-per-task=${options.cpusPerTask ?? 1}`,
      `#SBATCH --time=${options.time ?? "02:00:00"}`,
      ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
      ...(options.account ? [`#SBATCH --account=${options.account}`] : []),
      ...(options.gres ? [`#SBATCH --gres=${options.gres}`] : []),
      "# One TF.js wasm thread (and one BLAS thread) per core this task was given.",
      'export LCO_WASM_THREADS="${SLURM_CPUS_PER_TASK:-1}" LCO_NATIVE_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
      `exec ${lco} sweep run ${sh(planFile)} --index "$SLURM_ARRAY_TASK_ID"`,
      "SBATCH",
      ")",
      `${v}=\${${v}%%;*}`,
      `echo "${s.stage}: job $${v} (${s.todo.length} task${s.todo.length === 1 ? "" : "s"}, logs in ${logDir}/)"`,
      "",
    );
    prev = v;
  }
  return lines.join("\n");
}

/** What {@link submitScript} returns: the Slurm job id of each submitted stage. */
export interface Submitted {
  stages: { stage: Stage; jobId: string }[];
}

/**
 * Run a submit script written by {@link sbatchScript} (with `bash`; it calls `sbatch` per stage).
 * @param env the environment (`SLURM_CONF` for a cluster that is not the machine's default).
 * @throws InputError when the script is missing or `sbatch` fails (with its message).
 */
export function submitScript(file: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Submitted {
  if (!fs.existsSync(file)) throw new InputError(`no submit script ${file}; write one with \`lco sweep slurm PLAN > ${file}\``);
  const r = spawnSync("bash", [file], { encoding: "utf8", env, timeout: timeoutMs });
  if (r.error) throw new InputError(`could not run ${file}: ${r.error.message}`);
  if (r.status !== 0) throw new InputError(`submitting ${file} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  const stages: Submitted["stages"] = [];
  for (const m of r.stdout.matchAll(new RegExp(`^(${STAGES.join("|")}): job (\\d+)`, "gm"))) stages.push({ stage: m[1] as Stage, jobId: m[2] });
  if (stages.length === 0) throw new InputError(`${file} printed no job ids; is it a script from \`lco sweep slurm\`? output: ${r.stdout.trim().slice(0, 200)}`);
  return { stages };
}

/**
 * True when the Slurm client tools can be asked: `squeue` is on the PATH and a configuration is
 * named (`SLURM_CONF`) or installed (`/etc/slurm/slurm.conf`). Without a configuration the tools
 * would look for a controller through DNS, which is never what a user of this kit wants.
 */
export function slurmAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const onPath = (env.PATH ?? "").split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, "squeue")));
  return onPath && (Boolean(env.SLURM_CONF) || fs.existsSync("/etc/slurm/slurm.conf"));
}

/** One array task as `squeue` shows it. */
export interface QueueTask {
  jobId: string;
  name: string;
  /** Plan index (the array task id), or `null` for a pending array's remaining range. */
  index: number | null;
  state: string;
  reason: string;
}

/**
 * The tasks of a sweep in the Slurm queue (including finished ones the controller still
 * remembers), or `null` when Slurm cannot be asked.
 */
export function queueTasks(experiment: string, env: NodeJS.ProcessEnv = process.env): QueueTask[] | null {
  if (!slurmAvailable(env)) return null;
  const names = STAGES.map((s) => stageJobName(experiment, s)).join(",");
  const r = spawnSync("squeue", ["-h", "-r", "-t", "all", "-n", names, "-o", "%i|%j|%T|%r"], { encoding: "utf8", env, timeout: 15_000 });
  if (r.status !== 0) return null;
  return r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [id, name, state, reason] = l.split("|");
      const m = /_(\d+)$/.exec(id);
      return { jobId: id, name, index: m ? Number(m[1]) : null, state, reason };
    });
}

/** Progress of one stage, from the run folders (and the queue when Slurm is there). */
export interface StageStatus {
  stage: Stage;
  jobs: number;
  done: number;
  /** Queue states of this stage's tasks, counted (empty without Slurm). */
  queue: Record<string, number>;
}

/** Progress of a plan: per stage, jobs done (run folders) and what the queue says. */
export function sweepStatus(jobs: readonly SweepJob[], env: NodeJS.ProcessEnv = process.env): { stages: StageStatus[]; slurm: boolean; pending: SweepJob[] } {
  const now = refreshDone(jobs);
  const queue = jobs.length > 0 ? queueTasks(jobs[0].experiment, env) : null;
  const stages = planStages(now).map(({ stage, jobs: js }) => {
    const counts: Record<string, number> = {};
    for (const t of queue ?? []) if (t.name === stageJobName(js[0].experiment, stage)) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return { stage, jobs: js.length, done: js.filter((j) => j.done).length, queue: counts };
  });
  return { stages, slurm: queue !== null, pending: now.filter((j) => !j.done) };
}
