/**
 * The one process pool of the kit: independent jobs, each in its own `node` child process, at
 * most `workers` at a time. The family's pretraining (`organism/family.ts`) and `lco sweep local`
 * (`sweep/local.ts`, stage by stage) both run their jobs through it, so a job runs the same way
 * on a laptop as in a Slurm array task.
 *
 * @module
 */
import { spawn } from "node:child_process";

/** One child process: a module run by `node` with the parent's loader flags (e.g. tsx's). */
export interface ChildJob {
  /** The module to run (`dist/…/worker.js`, or `src/…/worker.ts` under tsx). */
  entry: string;
  /** Arguments after the module. */
  args: string[];
  /** Extra environment (added to the parent's). */
  env?: Record<string, string>;
  /** Prefix of the child's output lines in `log` (e.g. `[S/seed 0]`). */
  tag: string;
}

/**
 * Run one child process to its end, relaying its stdout and stderr line by line to `log`.
 * @returns its exit code (1 when killed by a signal).
 */
export function runChild(job: ChildJob, log: (line: string) => void = () => {}): Promise<number> {
  const args = [...process.execArgv.filter((a) => !a.startsWith("--inspect")), job.entry, ...job.args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...job.env } });
    const relay = (buf: Buffer) => {
      for (const line of buf.toString().split(/[\r\n]+/)) if (line.trim()) log(`${job.tag} ${line.trim()}`);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Run `jobs` through `runOne`, at most `workers` at a time, in the given order (a job starts when
 * any earlier one finishes). Every job runs even when another fails.
 * @param onDone called when a job finishes, with its exit code and the number finished so far.
 * @returns the jobs whose exit code was not 0, in the order they finished.
 */
export async function runPool<J>(jobs: readonly J[], workers: number, runOne: (job: J) => Promise<number>, onDone?: (job: J, code: number, finished: number) => void): Promise<{ job: J; code: number }[]> {
  const failed: { job: J; code: number }[] = [];
  let next = 0, finished = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const code = await runOne(job);
      if (code !== 0) failed.push({ job, code });
      onDone?.(job, code, ++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, worker));
  return failed;
}
