import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { organismTrainCommand, embedCommand } from "../src/cli/organism";
import { UsageError } from "../src/cli/command";
import { readNpy } from "../src/io";
import { listCheckpoints } from "../src/organism";

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test("organism train rejects bad flags with a UsageError naming the value", async () => {
  const c = capture();
  await assert.rejects(organismTrainCommand.run(["--size", "XL", "--profile", "smoke"], c.io), (e: Error) => e instanceof UsageError && /XL/.test(e.message));
  await assert.rejects(organismTrainCommand.run(["--profile", "tiny"], c.io), (e: Error) => e instanceof UsageError && /tiny/.test(e.message));
  await assert.rejects(organismTrainCommand.run(["--answer-format", "two-words", "--profile", "smoke"], c.io), (e: Error) => e instanceof UsageError && /two-words/.test(e.message));
  await assert.rejects(embedCommand.run(["somewhere", "--modality", "smell", "--out", "x.npy"], c.io), (e: Error) => e instanceof UsageError && /smell/.test(e.message));
});

test("organism train (smoke, 3 steps) writes checkpoints and a JSON summary; embed writes [L+1, n, d] .npy; a rerun loads", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-organism-cli-"));
  const args = ["--profile", "smoke", "--size", "S", "--steps", "3", "--eval-items", "4", "--root", root, "--json"];
  const c = capture();
  assert.equal(await organismTrainCommand.run(args, c.io), 0);
  const res = JSON.parse(c.out[c.out.length - 1]);
  assert.equal(res.runs.length, 1);
  const run = res.runs[0];
  assert.equal(run.numSteps, 3);
  assert.equal(run.loaded, false);
  assert.ok(run.generativeScore.iid >= 0 && run.generativeScore.iid <= 1);
  // 5, 10, 20, 30, 50 and 100 % of 3 steps → steps 1, 2 and 3 (the small fractions round to 1; 0.5·3 to 2).
  assert.deepEqual(listCheckpoints(run.dir), [1, 2, 3]);
  assert.ok(fs.existsSync(path.join(run.dir, "organism.json")));
  assert.ok(fs.existsSync(path.join(run.dir, "checkpoints", "step-000003", "model.safetensors")));

  const out = path.join(root, "img.npy");
  const e = capture();
  assert.equal(await embedCommand.run([run.dir, "--modality", "image", "--split", "ood", "--out", out, "--json"], e.io), 0);
  const info = JSON.parse(e.out[e.out.length - 1]);
  const arr = readNpy(out);
  assert.deepEqual(arr.shape, info.shape);
  assert.equal(arr.shape.length, 3);
  assert.equal(arr.shape[0], 2); // smoke S: 1 decoder block → 2 hidden states
  const items = JSON.parse(fs.readFileSync(path.join(root, "img.items.json"), "utf8"));
  assert.equal(items.length, arr.shape[1]);

  const again = capture();
  assert.equal(await organismTrainCommand.run(args, again.io), 0);
  assert.equal(JSON.parse(again.out[again.out.length - 1]).runs[0].loaded, true);
  fs.rmSync(root, { recursive: true, force: true });
});

test("lco experiment alignment (smoke, one size, one seed) runs the preset with overrides and prints a JSON table; bad names and keys are InputErrors", async () => {
  const { experimentCommand } = await import("../src/cli/experiment");
  const { InputError } = await import("../src/array");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-experiment-cli-"));
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: () => {} };
  const code = await experimentCommand.run(["alignment", "--profile", "smoke", "--root", root, "--json", "--sizes=S", "--seeds=0", "--clipSteps=3", "--numSteps=3"], io);
  assert.equal(code, 0);
  const j = JSON.parse(out[out.length - 1]) as { config: { sizes: string[]; seeds: number[]; clipSteps: number; numSteps: number }; table: Record<string, unknown>[]; published: string[] };
  assert.deepEqual(j.config, { sizes: ["S"], seeds: [0], clipSteps: 3, numSteps: 3 });
  // One row per condition × split × modality (3 × 2 × 2), all for size S.
  assert.equal(j.table.length, 12);
  assert.ok(j.table.every((r) => r.size === "S"));
  assert.deepEqual(j.published, []);
  await assert.rejects(experimentCommand.run(["nosuch", "--profile", "smoke"], io), (e: Error) => e instanceof InputError && /unknown experiment "nosuch"/.test(e.message));
  await assert.rejects(experimentCommand.run(["alignment", "--profile", "smoke", "--clipStep=3"], io), (e: Error) => e instanceof InputError && /clipStep/.test(e.message));
  fs.rmSync(root, { recursive: true, force: true });
});
