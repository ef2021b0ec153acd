/**
 * `npm run bench -- gpu`: one training step (`lco bench train`, fast path, serial) on every
 * backend that runs here: wasm, and webgpu on a GPU adapter, each in its own process, printed
 * as a table with ratios to wasm, ready to paste into an issue.
 *
 * Without a GPU, webgpu runs on the project's software adapter (Mesa lavapipe, set up by
 * environment/install.sh): a CPU emulation of a GPU. Its times say how slow the emulation is,
 * nothing about GPU speed; the table labels them so. On a machine with a GPU driver the hardware
 * adapter is used (LCO_WEBGPU_ADAPTER=software forces the emulation).
 * Environment: BENCH_TRAIN_STEPS (default 10), BENCH_MODELS (default tiny,reference).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { gpuDriverPresent, softwareAdapterIcd } from "../src/backend/webgpu";

const LCO = path.join(__dirname, "..", "bin", "lco.js");
const steps = process.env.BENCH_TRAIN_STEPS ?? "10";
const models = (process.env.BENCH_MODELS ?? "tiny,reference").split(",");

const gpuEnv: NodeJS.ProcessEnv = { ...process.env };
if (!gpuEnv.LCO_WEBGPU_ADAPTER && !gpuDriverPresent().present && softwareAdapterIcd()) gpuEnv.LCO_WEBGPU_ADAPTER = "software";

interface Row {
  model: string;
  backend: string;
  adapter?: string;
  msPerStep?: number;
  minMsPerStep?: number;
  error?: string;
}

function run(model: string, backend: string, env: NodeJS.ProcessEnv): Row {
  const r = spawnSync("node", [LCO, "bench", "train", "--model", model, "--backend", backend, "--workers", "1", "--steps", steps, "--warmup", "2", "--json"], { env, encoding: "utf8" });
  if (r.status !== 0) return { model, backend, error: (r.stderr || "").trim().split("\n").filter((l) => !/artificially reduced/.test(l)).pop() ?? `exit ${r.status}` };
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!) as { msPerStep: number; minMsPerStep: number; adapter?: string };
  return { model, backend, adapter: j.adapter, msPerStep: j.msPerStep, minMsPerStep: j.minMsPerStep };
}

const rows: Row[] = [];
for (const model of models) {
  rows.push(run(model, "wasm", process.env));
  rows.push(run(model, "webgpu", gpuEnv));
}
console.log(`training step, fast path, serial, ${steps} timed steps after 2 warm-up (median ms; min in brackets)`);
console.log("| model | backend | ms/step | vs wasm | adapter |");
console.log("|---|---|---|---|---|");
for (const r of rows) {
  const wasm = rows.find((w) => w.model === r.model && w.backend === "wasm")?.msPerStep;
  const ratio = r.msPerStep && wasm ? `${(r.msPerStep / wasm).toFixed(1)}×` : "–";
  const adapter = r.adapter ? `${r.adapter}${/software adapter/.test(r.adapter) ? " (CPU emulation: not a GPU speed)" : ""}` : r.backend === "wasm" ? "–" : "";
  console.log(`| ${r.model} | ${r.backend} | ${r.error ? `failed: ${r.error}` : `${r.msPerStep!.toFixed(1)} (${r.minMsPerStep!.toFixed(1)})`} | ${ratio} | ${adapter} |`);
}
