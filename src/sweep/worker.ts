/**
 * The entry point of a local-pool worker process, in two modes, both running jobs with the same
 * `runJob` as `lco sweep run` and a Slurm array task, each ending with an exit code 0 (done),
 * 2 (bad input, e.g. a missing dependency) or 1 (anything else):
 *
 * - `node worker.js PLAN INDEX` runs one job of the plan and exits with its code;
 * - started by the pool's `startWorkers` (no arguments, an IPC channel), it serves job after job
 *   (`{ file, index }`) and reports each code, so the kit, the backend and the world memo are
 *   loaded once per worker instead of once per job (`lco sweep local`).
 *
 * A library entry point, so the experiments layer starts workers without going through the CLI.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { initBackend } from "../backend";
import { serveJobs } from "../runs";
import { readPlan } from "./plan";
import { runJob } from "./run";

/** One job as the local pool sends it to a long-lived worker. */
export interface WorkerJob {
  /** The plan file (JSONL). */
  file: string;
  /** The job's index in it. */
  index: number;
}

/**
 * Run job `index` of the plan in `file` with this process's backend; resolve to the exit code.
 * The plan is read at every call (it is small), so a long-lived worker sees the current `done`.
 * @param log receives the job's lines and, on failure, the error message. Default: stderr.
 */
export async function workerMain(file: string, index: number, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<number> {
  try {
    await initBackend();
    const jobs = readPlan(file);
    await runJob(jobs, index, { log });
    return 0;
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
    return e instanceof InputError ? 2 : 1;
  }
}

if (require.main === module) {
  const [file, index] = process.argv.slice(2);
  if (file === undefined && process.send) {
    serveJobs((job, log) => workerMain((job as WorkerJob).file, (job as WorkerJob).index, log), () => ({ tensors: tf.memory().numTensors }));
  } else {
    // Exit explicitly: a threaded wasm backend keeps its worker threads (and the process) alive.
    void workerMain(file, Number(index)).then((code) => process.exit(code));
  }
}
