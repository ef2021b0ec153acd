/**
 * The entry point of one family worker process (`pretrainFamily` with `workers > 1` spawns
 * `node worker.js '<PretrainJob as JSON>'`): initialise a single-threaded backend, train or load
 * the run, exit. A library entry point, so the organism never depends on the CLI.
 *
 * Exit codes: 0 done, 2 bad input (an `InputError`), 1 anything else.
 *
 * @module
 */
import { InputError } from "../array";
import { initBackend } from "../backend";
import { pretrain, type PretrainJob } from "./family";

/** Train (or load) one job in this process; log lines go to `log`. */
export async function runPretrainJob(job: PretrainJob, log: (line: string) => void = () => {}): Promise<void> {
  if (!job || typeof job !== "object" || !job.spec || !Number.isInteger(job.seed) || typeof job.root !== "string") {
    throw new InputError(`invalid worker job ${JSON.stringify(job)}; need {spec, seed, root, force?}`);
  }
  await initBackend();
  const r = await pretrain(job.spec, job.seed, { root: job.root, force: job.force, log });
  log(`${r.loaded ? "loaded" : "trained"} ${job.spec.size}/seed ${job.seed} → ${r.dir}`);
}

if (require.main === module) {
  let job: PretrainJob;
  try {
    job = JSON.parse(process.argv[2] ?? "") as PretrainJob;
  } catch {
    console.error(`invalid worker job; expected one JSON argument, got ${JSON.stringify(process.argv[2] ?? null)}`);
    process.exit(2);
  }
  // Exit explicitly: a threaded wasm backend keeps its worker threads (and the process) alive.
  runPretrainJob(job, (l) => console.log(l)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof InputError ? e.message : e);
      process.exit(e instanceof InputError ? 2 : 1);
    },
  );
}
