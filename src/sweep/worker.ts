/**
 * The entry point of a local-pool worker process: `node worker.js PLAN INDEX` runs one job of the
 * plan (the same `runJob` as `lco sweep run` and a Slurm array task) and exits with 0 (done),
 * 2 (bad input, e.g. a missing dependency) or 1 (anything else). A library entry point, so the
 * experiments layer starts workers without going through the CLI.
 *
 * @module
 */
import { InputError } from "../array";
import { initBackend } from "../backend";
import { readPlan } from "./plan";
import { runJob } from "./run";

/** Run job `index` of the plan in `file` with this process's backend; resolve to the exit code. */
export async function workerMain(file: string, index: number): Promise<number> {
  try {
    await initBackend();
    const jobs = readPlan(file);
    await runJob(jobs, index, { log: (l) => process.stderr.write(l + "\n") });
    return 0;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof InputError ? 2 : 1;
  }
}

if (require.main === module) {
  const [file, index] = process.argv.slice(2);
  // Exit explicitly: a threaded wasm backend keeps its worker threads (and the process) alive.
  void workerMain(file, Number(index)).then((code) => process.exit(code));
}
