// The contrastive refinement loop on a real (smoke) organism: each strategy trains only its part,
// a saved refinement re-applied to the base model embeds exactly like the refined model, the
// read-out used for training is the one used for embedding, runs are deterministic, and the
// general-text condition refuses a tokenizer that does not know the verses.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import {
  applyRefinement,
  createOrganism,
  disposeOrganism,
  embedIndices,
  featureCacheSpec,
  organismConfig,
  organismDataFromWorld,
  organismWorld,
  promptEndStates,
  readRefinement,
  refine,
  refineAsync,
  refineConfig,
  saveRefinement,
  textPromptEndStates,
  verseTriplesFor,
  worldTriples,
  type Organism,
  type OrganismData,
} from "../src/organism";
import { LORA_PARAMS, unmergeLora } from "../src/nn";

let data: OrganismData;
let cfg0: ReturnType<typeof organismConfig>;
const fresh = (seed = 0): Organism => createOrganism({ ...cfg0, vocabSize: data.tokenizer.vocabSize }, featureCacheSpec(data.cache), seed);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};
const lastLayer = (m: Organism, idx: number[], modality: "text" | "image") => {
  const E = embedIndices(m, data, idx, modality);
  const [L1, n, d] = E.shape;
  return (E.data as Float32Array).slice((L1 - 1) * n * d);
};
const snapshot = (m: Organism, sel: (n: string) => boolean) => Object.fromEntries(m.params.names(sel).map((n) => [n, Array.from(m.params.get(n).dataSync())]));
const changed = (a: Record<string, number[]>, b: Record<string, number[]>) => Object.keys(a).filter((k) => maxDiff(a[k], b[k]) > 0);

before(async () => {
  await initBackend();
  cfg0 = organismConfig({ profile: "smoke", size: "S" });
  data = organismDataFromWorld(organismWorld("smoke", cfg0, 0), cfg0, { modalities: ["image"] });
});

test("the training read-out equals the embedding read-out (last layer), for items and for arbitrary texts", () => {
  const m = fresh();
  const idx = data.splits.iid.slice(0, 5);
  for (const mod of ["image", "text"] as const) {
    const got = tf.tidy(() => promptEndStates(m, data, idx, mod).dataSync());
    assert.ok(maxDiff(got, lastLayer(m, idx, mod)) < 1e-5, mod);
  }
  const texts = tf.tidy(() => textPromptEndStates(m, data.tokenizer, idx.map((i) => data.items[i].captions[0])).dataSync());
  assert.ok(maxDiff(texts, lastLayer(m, idx, "text")) < 1e-5, "a caption read as free text = its item read as text");
  disposeOrganism(m);
});

test("LoRA text-only refinement: trains only adapters, is deterministic, keeps tensors flat, and a saved adapter re-applied (merged) embeds like the refined model", async () => {
  const triples = worldTriples(data);
  assert.ok(triples.length > 20);
  assert.ok(triples.every((t) => t.anchor !== t.negative && t.positive !== t.negative));
  const cfg = refineConfig("lora", "smoke", { steps: 5, batchSize: 6 });
  const m = fresh();
  const base = snapshot(m, () => true);
  const idx = data.splits.iid.slice(0, 6);
  const before = lastLayer(m, idx, "image");
  const n0 = tf.memory().numTensors;
  const r = refine(m, data, cfg, 3, { triples });
  const nAfter = tf.memory().numTensors;
  // Adapters were added: 2 tensors per adapted layer (4 sub-layers × nLayers blocks); nothing else.
  assert.equal(nAfter - n0, m.params.names(LORA_PARAMS).length);
  assert.equal(m.params.names(LORA_PARAMS).length, 2 * 4 * cfg0.decoder.nLayers);
  assert.deepEqual(changed(base, snapshot(m, (n) => n in base)), [], "base, encoders and projectors frozen");
  assert.equal(r.losses.length, 5);
  assert.ok(r.losses.every(Number.isFinite));
  assert.ok(Math.abs(r.chance - Math.log(12)) < 1e-12, "6 positives + 6 hard negatives");
  assert.equal(r.examplesSeen, 30);
  assert.equal(r.trainableParams, m.params.nParams(LORA_PARAMS));
  const after = lastLayer(m, idx, "image");
  assert.ok(maxDiff(after, before) > 1e-6, "text-only refinement changes image embeddings (the decoder is shared)");
  // Determinism; and the asynchronous form (the one webgpu runs) gives the same bits.
  const m2 = fresh();
  const r2 = await refineAsync(m2, data, cfg, 3, { triples });
  assert.deepEqual(r2.losses, r.losses);
  assert.deepEqual(snapshot(m2, (n) => LORA_PARAMS.test(n)), snapshot(m, (n) => LORA_PARAMS.test(n)));
  disposeOrganism(m2);
  // Save, apply to a fresh base: same embeddings (merged), and unmerging gives back the base.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-refine-"));
  try {
    saveRefinement(dir, m, r, { run: "test" });
    assert.equal(readRefinement(dir).config.strategy, "lora");
    const b = fresh();
    applyRefinement(b, dir);
    assert.ok(maxDiff(lastLayer(b, idx, "image"), after) < 1e-5, "applied (merged) = refined (unmerged)");
    unmergeLora(b.params);
    assert.ok(maxDiff(lastLayer(b, idx, "image"), after) < 1e-5, "unmerged adapters: the same function");
    disposeOrganism(b);
    assert.throws(() => readRefinement(path.join(dir, "missing")), /no refinement at/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    disposeOrganism(m);
  }
});

test("full, linear and CLIP-style strategies train exactly their part, and each re-applies from disk", () => {
  const triples = worldTriples(data);
  const idx = data.splits.iid.slice(0, 4);
  const cases = [
    { strategy: "full" as const, trained: (n: string) => n.startsWith("dec.") },
    { strategy: "linear" as const, trained: (n: string) => n.startsWith("readout.") },
    { strategy: "clip" as const, trained: (n: string) => /\.lora_[ab]$/.test(n) },
  ];
  for (const c of cases) {
    const cfg = refineConfig(c.strategy, "smoke", { steps: 3, batchSize: 4, modalities: ["image"] });
    const m = fresh(1);
    const base = snapshot(m, () => true);
    const before = lastLayer(m, idx, "image");
    if (c.strategy === "linear") {
      // Identity projection at step 0: adding it changes nothing.
      const probe = fresh(1);
      refine(probe, data, { ...cfg, steps: 1, warmupSteps: 0, lr: 1e-30 }, 0, { triples });
      assert.ok(maxDiff(lastLayer(probe, idx, "image"), before) < 1e-5, "identity projection = base read-out");
      disposeOrganism(probe);
    }
    const r = refine(m, data, cfg, 0, { triples });
    const now = snapshot(m, (n) => n in base);
    const moved = changed(base, now);
    assert.ok(moved.every(c.trained), `${c.strategy}: only its part moved (${moved.filter((n) => !c.trained(n)).slice(0, 3)})`);
    if (c.strategy === "full") assert.ok(moved.length > 0 && moved.every((n) => n.startsWith("dec.")), "full: decoder weights moved");
    if (c.strategy === "clip") assert.equal(r.examplesSeen, 3 * 4, "paired examples counted");
    const after = lastLayer(m, idx, "image");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lco-refine-${c.strategy}-`));
    try {
      saveRefinement(dir, m, r);
      const b = fresh(1);
      applyRefinement(b, dir);
      assert.ok(maxDiff(lastLayer(b, idx, "image"), after) < 1e-5, `${c.strategy}: applied = refined`);
      disposeOrganism(b);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      disposeOrganism(m);
    }
  }
});

test("bad configs and the verse condition fail with errors that name the problem", () => {
  assert.throws(() => refineConfig("lora", "smoke", { tau: 0 }), /invalid tau/);
  assert.throws(() => refineConfig("lora", "smoke", { batchSize: 1 }), /batchSize/);
  assert.throws(() => refineConfig("bogus" as "lora", "smoke"), /invalid strategy "bogus"/);
  assert.throws(() => refineConfig("lora", "smoke", { steps: 4, warmupSteps: 4 }), /invalid warmupSteps/);
  // The world tokenizer has never seen verse words: refusing is the honest answer.
  assert.throws(() => verseTriplesFor(data), /does not know \d+ of \d+ verse words/);
});
