/**
 * `lco sweep local`: the same plan on one machine, each job started as soon as the jobs it needs
 * are done, on a pool of long-lived worker processes (`./worker.ts`; each runs job after job with
 * the same `runJob` as a Slurm array task, so the kit, the backend and the seeded world load once
 * per worker, not once per job).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { defaultWorkers } from "../organism/family";
import { runChild, runGraph, startWorkers, type WorkerPool } from "../runs";
import { planStages, readPlan, refreshDone } from "./plan";
import { chainCosts, jobCosts } from "./schedule";
import type { SweepJob } from "./types";

/** Options of {@link runLocal}. */
export interface LocalOptions {
  /** Parallel worker processes. Default: one per core (`os.availableParallelism()`). */
  workers?: number;
  /** Receives progress lines and the workers' output (prefixed with the job). */
  log?: (line: string) => void;
  /** Threads of each worker's wasm backend and BLAS (`LCO_WASM_THREADS`, `LCO_NATIVE_THREADS`). Default 1: the workers already use one core each. */
  threadsPerWorker?: number;
  /**
   * Run every job in a fresh process (`node worker.js PLAN INDEX`, as a Slurm array task does)
   * instead of long-lived workers. Slower by the start-up of each job (loading the kit, the
   * backend, the world); for comparisons. Default false.
   */
  processPerJob?: boolean;
}

/** What {@link runLocal} did. */
export interface LocalOutcome {
  /** Jobs that ran (not done before), by index. */
  ran: number[];
  /** Jobs already done, by index. */
  skipped: number[];
  /** Wall-clock seconds of the call. */
  seconds: number;
  /** Share of the workers' time spent in jobs: Σ job seconds ÷ (workers × `seconds`); 1 = no worker ever waited. */
  busy: number;
}

/** What {@link runLocalPlans} did, plan by plan (in the order given). */
export interface LocalPlansOutcome {
  plans: { file: string; ran: number[]; skipped: number[] }[];
  seconds: number;
  busy: number;
}

/** This installation's worker module (`dist/sweep/worker.js`, or `src/sweep/worker.ts` under tsx). */
function workerEntry(): string {
  const f = path.join(__dirname, `worker${path.extname(__filename)}`);
  if (!fs.existsSync(f)) throw new InputError(`cannot find the sweep worker at ${f}`);
  return f;
}

/** The tag of a job's output lines: `[12 measure S/seed 0@100]`, or with several plans `[grsl:12 measure S/seed 0@100]`. */
function jobTag(job: SweepJob, plan: string | null): string {
  return `[${plan === null ? "" : `${plan}:`}${job.index} ${job.stage} ${job.label}]`;
}

function threadEnv(threads: number): Record<string, string> {
  return { LCO_WASM_THREADS: String(threads), LCO_NATIVE_THREADS: String(threads) };
}

/**
 * Run every job of the plan in `file` that is not done, at most `workers` at a time. A job starts
 * as soon as every job it needs has succeeded (as `afterok` on Slurm, but per job rather than per
 * stage), the ready job with the longest chain of work behind it first (`./schedule.ts`).
 * @throws Error after every job that could run has run, naming the failed jobs and the jobs not
 *   started because they need one of them.
 */
export async function runLocal(file: string, options: LocalOptions = {}): Promise<LocalOutcome> {
  const r = await runLocalPlans([file], options);
  return { ran: r.plans[0].ran, skipped: r.plans[0].skipped, seconds: r.seconds, busy: r.busy };
}

/** One node of the combined graph: a job of one plan, and the jobs of other plans that write the same folder. */
interface Node {
  plan: number;
  job: SweepJob;
  /** The same job in later plans (same folder and stage): done when this one is. */
  aliases: { plan: number; index: number }[];
}

/**
 * Run several plans as one graph (as {@link runLocal} runs one): no worker waits for the last
 * job of one plan before the jobs of the next start. A folder that two plans both write (e.g. a
 * pretraining run two experiments read) is one job, run once: a run folder's name carries the
 * hash of what it holds, so the same folder in the same stage is the same job.
 * @throws InputError when two plans write the same folder in different stages.
 */
export async function runLocalPlans(files: readonly string[], options: LocalOptions = {}): Promise<LocalPlansOutcome> {
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1) throw new InputError(`invalid number of workers ${workers}; need an integer ≥ 1`);
  if (files.length === 0) throw new InputError("no plan given");
  const log = options.log ?? (() => {});
  const env = threadEnv(options.threadsPerWorker ?? 1);
  const t0 = Date.now();
  const plans = files.map((file) => refreshDone(readPlan(file)));
  const names = files.length === 1 ? [null] : files.map((f) => path.basename(f, ".jsonl"));
  const outcome: LocalPlansOutcome = { plans: files.map((file) => ({ file, ran: [], skipped: [] })), seconds: 0, busy: 0 };
  // The pending jobs of every plan as one list of nodes; a job's needs by (plan, hash).
  const nodes: Node[] = [];
  const byDir = new Map<string, number>();
  const nodeOf = plans.map(() => new Map<string, number>());
  plans.forEach((jobs, p) => {
    for (const job of jobs) {
      if (job.done) {
        outcome.plans[p].skipped.push(job.index);
        continue;
      }
      const dir = path.resolve(job.dir);
      const same = byDir.get(dir);
      if (same !== undefined) {
        const n = nodes[same];
        if (n.job.stage !== job.stage) {
          throw new InputError(`${files[n.plan]} job ${n.job.index} (${n.job.stage} ${n.job.label}) and ${files[p]} job ${job.index} (${job.stage} ${job.label}) both write ${job.dir}, in different stages`);
        }
        n.aliases.push({ plan: p, index: job.index });
        nodeOf[p].set(job.hash, same);
        continue;
      }
      byDir.set(dir, nodes.length);
      nodeOf[p].set(job.hash, nodes.length);
      nodes.push({ plan: p, job, aliases: [] });
    }
  });
  plans.forEach((jobs, p) => {
    for (const { stage, jobs: stageJobs } of planStages(jobs)) {
      log(`${names[p] === null ? "" : `${names[p]}: `}stage ${stage}: ${stageJobs.filter((j) => !j.done).length} to run, ${stageJobs.filter((j) => j.done).length} done`);
    }
  });
  // One pool for the whole call (its workers keep their memos across jobs); started lazily, so plans with nothing to do start none.
  const pool: WorkerPool | null = options.processPerJob ? null : startWorkers({ entry: workerEntry(), workers, env, log });
  let jobSeconds = 0;
  const runOne = async (n: Node): Promise<number> => {
    const tag = jobTag(n.job, names[n.plan]);
    const start = Date.now();
    try {
      return await (pool ? pool.run({ file: files[n.plan], index: n.job.index }, tag) : runChild({ entry: workerEntry(), args: [files[n.plan], String(n.job.index)], env, tag }, log));
    } finally {
      jobSeconds += (Date.now() - start) / 1000;
    }
  };
  try {
    // A job starts when the jobs it needs are done (not when its whole previous stage is), the
    // longest remaining chain of work first (./schedule.ts).
    const chains = plans.map((jobs) => chainCosts(jobs, jobCosts(jobs)));
    const graph = nodes.map((n) => ({
      job: n,
      needs: [...new Set(n.job.deps.flatMap((h) => (nodeOf[n.plan].has(h) ? [nodeOf[n.plan].get(h)!] : [])))],
      priority: chains[n.plan][n.job.index],
    }));
    const { failed, blocked } = await runGraph(graph, workers, runOne, (n, code) => {
      if (code !== 0) return;
      outcome.plans[n.plan].ran.push(n.job.index);
      for (const a of n.aliases) outcome.plans[a.plan].ran.push(a.index);
    });
    if (failed.length > 0) {
      // "12", or "12 of grsl" with several plans.
      const id = (n: Node) => `${n.job.index}${names[n.plan] === null ? "" : ` of ${names[n.plan]}`}`;
      const why = failed.map((f) => `job ${id(f.job)} (${f.job.job.stage} ${f.job.job.label}) exited with ${f.code}`).join("; ");
      throw new Error(`${why}; ${blocked.length === 0 ? "no other job needed it" : `not started, because they need it: ${blocked.length === 1 ? "job" : "jobs"} ${blocked.map(id).join(", ")}`}`);
    }
  } finally {
    await pool?.close();
  }
  for (const p of outcome.plans) p.ran.sort((a, b) => a - b);
  outcome.seconds = (Date.now() - t0) / 1000;
  outcome.busy = outcome.seconds > 0 ? jobSeconds / (workers * outcome.seconds) : 0;
  return outcome;
}
