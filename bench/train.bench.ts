/**
 * `npm run bench -- train`: training-step speed of the reference transformer (issue 5).
 * Times the fast path (fast layers + wasm patches + wasm threads, or data-parallel workers when the
 * threaded build cannot start) interleaved with the stock and patched paths, plus a few steps of
 * the pure-JS cpu backend, and prints the JSON
 * result of `lco bench train --model reference --compare --json`.
 * Set BENCH_TRAIN_STEPS to change the number of timed steps (default 15).
 */
import { benchTrainCommand } from "../src/cli/bench";

const steps = process.env.BENCH_TRAIN_STEPS ?? "15";
benchTrainCommand
  .run(["--model", "reference", "--steps", steps, "--warmup", "3", "--compare", "--cpu-steps", "2"], {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  })
  .then((code) => {
    process.exitCode = code;
  });
