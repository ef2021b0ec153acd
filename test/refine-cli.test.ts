// `lco refine` and `lco embed --adapter`: a refinement folder round-trips (embedding through the
// adapter equals embedding the refined model in memory), an adapter made for another model is
// refused, bad input exits 2 with the bad value named.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import { main } from "../src/cli/main";
import { readNpy } from "../src/io";
import { dataForRun, disposeOrganism, embedIndices, loadOrganism, pretrain, pretrainSpec, refine, readRefinement } from "../src/organism";

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

let root: string;
let run: string;
let other: string;
before(async () => {
  await initBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), "lco-refine-cli-"));
  run = (await pretrain(pretrainSpec("smoke", "S", { numSteps: 3 }), 0, { root })).dir;
  other = (await pretrain(pretrainSpec("smoke", "S", { numSteps: 3, answerFormat: "few-words" }), 0, { root })).dir;
});

test("lco refine writes a LoRA refinement; lco embed --adapter equals the refined model in memory; the base embedding differs", async () => {
  const dir = path.join(root, "ref-lora");
  const c = capture();
  assert.equal(await main(["refine", run, "--out", dir, "--steps", "3", "--batch-size", "4", "--seed", "1", "--json"], c.io), 0, c.err.join("\n"));
  const s = JSON.parse(c.out[c.out.length - 1]);
  assert.equal(s.strategy, "lora");
  assert.equal(s.steps, 3);
  assert.ok(fs.existsSync(path.join(dir, "adapter.safetensors")));
  const file = readRefinement(dir);
  assert.equal(file.losses.length, 3);
  assert.equal(file.config.batchSize, 4);
  // The same refinement in memory (same config, seed and data) gives the same weights.
  const { model } = loadOrganism(run);
  const data = dataForRun(run);
  const idx = data.splits.iid;
  const base = embedIndices(model, data, idx, "image");
  refine(model, data, file.config, 1);
  const mem = embedIndices(model, data, idx, "image");
  disposeOrganism(model);
  const out = path.join(root, "img.npy"), outBase = path.join(root, "img-base.npy");
  const e = capture();
  assert.equal(await main(["embed", run, "--modality", "image", "--adapter", dir, "--out", out, "--json"], e.io), 0, e.err.join("\n"));
  assert.equal(JSON.parse(e.out[e.out.length - 1]).adapter, path.resolve(dir));
  assert.equal(await main(["embed", run, "--modality", "image", "--out", outBase], capture().io), 0);
  const got = readNpy(out).data as Float32Array, b = readNpy(outBase).data as Float32Array;
  let dMem = 0, dBase = 0;
  for (let i = 0; i < got.length; i++) {
    dMem = Math.max(dMem, Math.abs(got[i] - (mem.data as Float32Array)[i]));
    dBase = Math.max(dBase, Math.abs(b[i] - (base.data as Float32Array)[i]));
  }
  // Merged (adapter file) vs unmerged (in memory) LoRA: equal up to float rounding.
  assert.ok(dMem < 1e-4, `adapter vs in-memory: ${dMem}`);
  assert.equal(dBase, 0, "without --adapter the base model embeds as before");
  let moved = 0;
  for (let i = 0; i < got.length; i++) moved = Math.max(moved, Math.abs(got[i] - b[i]));
  assert.ok(moved > 0, "the refinement changed the embedding");
});

test("lco refine --strategy linear writes weights; another run's adapter and bad flags exit 2 naming the value", async () => {
  const dir = path.join(root, "ref-linear");
  assert.equal(await main(["refine", run, "--out", dir, "--strategy", "linear", "--steps", "2", "--batch-size", "4"], capture().io), 0);
  assert.ok(fs.existsSync(path.join(dir, "weights.safetensors")));
  const bad = async (args: string[], re: RegExp) => {
    const c = capture();
    assert.equal(await main(args, c.io), 2, args.join(" "));
    assert.match(c.err.join("\n"), re);
  };
  await bad(["refine", run, "--out", path.join(root, "x"), "--strategy", "bogus"], /bogus/);
  await bad(["refine", run, "--out", path.join(root, "x"), "--tau", "0"], /--tau.*"0"/);
  await bad(["refine", run, "--out", path.join(root, "x"), "--data", "poems"], /poems/);
  await bad(["refine", run], /--out/);
  await bad(["refine", path.join(root, "nowhere"), "--out", path.join(root, "x")], /no checkpoint/);
  await bad(["refine", run, "--out", dir], /already holds a refinement/);
  // The verse condition needs a tokenizer that knows the verses: refused, with the reason.
  await bad(["refine", run, "--out", path.join(root, "v"), "--data", "verses", "--steps", "2"], /verse words/);
  await bad(["embed", run, "--modality", "image", "--adapter", path.join(root, "nowhere"), "--out", path.join(root, "y.npy")], /no refinement/);
  // The few-word run has another config (and vocabulary): its adapter is refused by name.
  // The experiments' presets validate before any work: a bad answer format or strategy is named.
  await bad(["experiment", "refinement", "--profile", "smoke", "--root", root, "--formats=two-words"], /invalid formats entry "two-words"/);
  await bad(["experiment", "strategies", "--profile", "smoke", "--root", root, "--strategies=none,magic"], /invalid strategies entry "magic"/);
  await bad(["experiment", "refinement", "--profile", "smoke", "--root", root, "--tua=0.1"], /tua/);
  await bad(["embed", other, "--modality", "image", "--adapter", dir, "--out", path.join(root, "y.npy")], /made for another model/);
});
