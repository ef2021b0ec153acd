// Evaluation apart from training: a pretraining run is identified by what changes its trajectory
// (config, data, seed, steps). Asking for more evaluation items or another checkpoint step loads
// the run and evaluates only what is new; a step the run did not keep is replayed bit-exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { InputError } from "../src/array";
import {
  checkpointDir,
  checkpointSteps,
  createOrganism,
  disposeOrganism,
  evaluateRun,
  featureCacheSpec,
  listCheckpoints,
  organismConfig,
  pretrain,
  pretrainDir,
  pretrainIdentity,
  pretrainSpec,
  removeCheckpoint,
  specConfig,
  specData,
  trainOrganism,
} from "../src/organism";
import { readSafetensors } from "../src/io/safetensors";

const sha = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
const weights = (dir: string, step: number) => readSafetensors(path.join(checkpointDir(dir, step), "model.safetensors")).tensors;

test("run identity: evaluation items and the checkpoint schedule are not part of it", () => {
  const a = pretrainSpec("smoke", "S", { numSteps: 10, evalItems: 4 });
  const b = pretrainSpec("smoke", "S", { numSteps: 10, evalItems: 9 });
  assert.equal(pretrainDir("/r", a, 0), pretrainDir("/r", b, 0));
  assert.deepEqual(pretrainIdentity(a), pretrainIdentity(b));
  // What changes training still changes the folder.
  assert.notEqual(pretrainDir("/r", a, 0), pretrainDir("/r", { ...a, numSteps: 11 }, 0));
  assert.notEqual(pretrainDir("/r", a, 0), pretrainDir("/r", a, 1));
  // The default schedule is dense (5, 10, 20, 30, 50, 100 % of the steps).
  assert.deepEqual(checkpointSteps(organismConfig({ profile: "full", size: "S", vocabSize: 10 })), [100, 200, 400, 600, 1000, 2000]);
});

test("evaluating more items or another step loads the run and never retrains; a missing step is replayed exactly", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-eval-"));
  const spec = pretrainSpec("smoke", "S", { numSteps: 10, evalItems: 4 });
  const first = await pretrain(spec, 0, { root });
  assert.equal(first.loaded, false);
  // Step 0 (the starting weights) and the kept checkpoints round(f · 10) for the default fractions.
  assert.deepEqual(first.checkpoints.map((c) => c.step), [0, 1, 2, 3, 5, 10]);
  const finalSha = sha(path.join(checkpointDir(first.dir, 10), "model.safetensors"));
  const trainedAt = fs.statSync(path.join(first.dir, "result.json")).mtimeMs;

  // More items: same run folder, training loaded, a new evaluation with more items.
  const more = await pretrain({ ...spec, evalItems: 6 }, 0, { root });
  assert.equal(more.dir, first.dir);
  assert.equal(more.loaded, true);
  assert.deepEqual(more.losses, first.losses);
  assert.equal(more.checkpoints[0].iid.byModality[0].n, 6);
  assert.equal(first.checkpoints[0].iid.byModality[0].n, 4);
  // The stored 4-item evaluation is loaded again, unchanged.
  assert.deepEqual(await evaluateRun(spec, 0, { root }), first.checkpoints);

  // A step that was not kept (4): replayed from checkpoint 3, then kept.
  const tensorsBefore = (await import("@tensorflow/tfjs")).memory().numTensors;
  const [at4] = await evaluateRun(spec, 0, { root, steps: [4] });
  assert.equal(at4.step, 4);
  assert.deepEqual(listCheckpoints(first.dir), [1, 2, 3, 4, 5, 10]);
  assert.equal((await import("@tensorflow/tfjs")).memory().numTensors, tensorsBefore);

  // Reference: the same run trained without interruption to step 4 in another folder.
  const data = specData(spec);
  const cfg = specConfig(spec, data.tokenizer.vocabSize);
  const refDir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-eval-ref-"));
  const model = createOrganism(cfg, featureCacheSpec(data.cache), 0);
  try {
    await trainOrganism(model, data, { runDir: refDir, seed: 0, stopAfter: 4 });
  } finally {
    disposeOrganism(model);
  }
  assert.deepEqual(weights(first.dir, 4), weights(refDir, 4));

  // Replay from the starting weights: drop checkpoint 1 and evaluate it again.
  const oneBefore = weights(first.dir, 1);
  removeCheckpoint(first.dir, 1);
  await evaluateRun(spec, 0, { root, steps: [1], force: true });
  assert.deepEqual(weights(first.dir, 1), oneBefore);

  // None of this retrained the run.
  assert.equal(fs.statSync(path.join(first.dir, "result.json")).mtimeMs, trainedAt);
  assert.equal(sha(path.join(checkpointDir(first.dir, 10), "model.safetensors")), finalSha);

  // Bad requests name the value.
  await assert.rejects(evaluateRun(spec, 0, { root, steps: [11] }), (e: Error) => e instanceof InputError && /step 11/.test(e.message));
  await assert.rejects(evaluateRun(spec, 0, { root, items: 0 }), (e: Error) => e instanceof InputError && /got 0/.test(e.message));
  await assert.rejects(evaluateRun(spec, 1, { root }), (e: Error) => e instanceof InputError && /not trained/.test(e.message));
});
