// The family's worker processes: `pretrainFamily` with `workers > 1` runs each job in a child
// process through the library entry point `src/organism/worker.ts` (never the CLI). The runs it
// writes must equal in-process runs bit for bit, a second call must load them, and `force` must
// retrain each run exactly once (in its worker; the parent only loads the results).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { checkpointDir, listCheckpoints, pretrain, pretrainFamily, pretrainSpec, runPretrainJob } from "../src/organism";
import { InputError } from "../src/array";

// Workers run with one BLAS thread (pretrainFamily sets LCO_NATIVE_THREADS=1 for them); bits are
// promised for the same backend and thread count, so the in-process runs here use one thread too.
process.env.LCO_NATIVE_THREADS = "1";

const SPEC = { numSteps: 3, evalItems: 4 };
const sha = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
const startedAt = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as { startedAt: string }).startedAt;

test("family workers: child processes train through the library entry point, equal in-process runs, and force retrains once", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-family-workers-"));
  const lines: string[] = [];
  const first = await pretrainFamily("smoke", { sizes: ["S"], seeds: [0, 1], workers: 2, root, spec: SPEC, log: (l) => lines.push(l) });
  assert.equal(first.length, 2);
  // The workers computed the runs; the parent only loaded their results.
  for (const r of first) assert.equal(r.loaded, true, `${r.dir} was retrained in the parent`);
  assert.ok(lines.some((l) => /^\[S\/seed 0\] trained S\/seed 0/.test(l)), `no worker log line in ${JSON.stringify(lines)}`);

  // Bit-identical to the same run trained in this process.
  const here = fs.mkdtempSync(path.join(os.tmpdir(), "lco-family-inproc-"));
  const ref = await pretrain(pretrainSpec("smoke", "S", SPEC), 1, { root: here });
  const worker = first.find((r) => r.seed === 1)!;
  assert.deepEqual(listCheckpoints(worker.dir), listCheckpoints(ref.dir));
  for (const s of listCheckpoints(ref.dir)) {
    assert.equal(sha(path.join(checkpointDir(worker.dir, s), "model.safetensors")), sha(path.join(checkpointDir(ref.dir, s), "model.safetensors")));
  }
  assert.deepEqual(worker.checkpoints, ref.checkpoints);

  // force: every run is trained again, once, by its worker.
  const before = first.map((r) => startedAt(r.dir));
  const forced = await pretrainFamily("smoke", { sizes: ["S"], seeds: [0, 1], workers: 2, root, spec: SPEC, force: true });
  forced.forEach((r, i) => {
    assert.equal(r.loaded, true, "the parent must not train a forced run a second time");
    assert.notEqual(startedAt(r.dir), before[i], `${r.dir} was not retrained`);
    assert.deepEqual(r.checkpoints, first[i].checkpoints);
  });
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(here, { recursive: true, force: true });
});

test("runPretrainJob rejects a malformed job with an InputError", async () => {
  await assert.rejects(runPretrainJob({ spec: pretrainSpec("smoke"), seed: 0.5, root: "x" }), InputError);
});
