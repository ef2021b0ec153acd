/**
 * The webgpu backend against wasm (issue 14), on the project's software adapter (Mesa's Vulkan
 * lavapipe, which `environment/install.sh` unpacks into data/cache/lavapipe/) or on a GPU.
 *
 * Float32 on two different devices is not bit-identical (different summation orders, fused
 * multiply-adds), so parity is asserted within stated tolerances, fixed before measuring:
 * - losses of the same steps: |wasm − webgpu| ≤ 1e-4 nats (the bound);
 * - prompt-end embeddings after training: max |wasm − webgpu| ≤ 1e-3 × the largest |value|;
 * - a probe on those embeddings (anisotropy per layer, a mean cosine in [−1, 1]): ≤ 1e-4;
 * - refinement losses (InfoNCE, nats) and caption NLL: ≤ 1e-4; the linear probe's loss ≤ 1e-4 and
 *   its predictions (hence accuracies) equal; greedy generation: the same tokens.
 *
 * The wasm side runs the synchronous forms (the ones the experiments use); webgpu runs the
 * asynchronous ones, which share their bodies (`backend/reads.ts`).
 *
 * Where there is neither a software adapter nor a GPU, the tests skip with one line; with
 * LCO_REQUIRE_WEBGPU=1 (CI) that is a failure instead. Each test file runs in its own process
 * (node --test), so switching backends here touches no other test.
 */
import { before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, describeBackend, initBackend } from "../src/backend";
import { gpuDriverPresent, isSoftwareAdapter, prefetch, probeAdapter, softwareAdapterIcd, webgpuErrors } from "../src/backend/webgpu";
import { anisotropyByLayer } from "../src/probes/anisotropy";
import { TINY_MODEL, buildModel, disposeTrainer, makeTrainer, serialStepAsync } from "../src/bench/reference";
import type { ParamStore } from "../src/nn";
import {
  captionNll,
  captionNllAsync,
  createOrganism,
  disposeOrganism,
  embedIndicesAsync,
  featureCacheSpec,
  greedyDecode,
  greedyDecodeAsync,
  organismConfig,
  organismDataFromWorld,
  organismWorld,
  refine,
  refineAsync,
  refineConfig,
  trainOrganism,
} from "../src/organism";
import { linearProbe, linearProbeAsync } from "../src/probes";
import { resolveEngine } from "../src/probes/similarity";
import { nativeMatMulActive } from "../src/backend/native";
import { rng } from "../src/random";
import { listCheckpoints } from "../src/organism/checkpoint";

const LOSS_TOL = 1e-4;
const EMBED_REL_TOL = 1e-3;
const PROBE_TOL = 1e-4;

// The project's software adapter when it is there (and no driver was named explicitly): the same
// adapter on every machine, so CI measures one thing.
if (!process.env.VK_ICD_FILENAMES && !process.env.LCO_WEBGPU_ADAPTER && softwareAdapterIcd()) process.env.LCO_WEBGPU_ADAPTER = "software";
const driver = process.env.LCO_WEBGPU_ADAPTER === "software" ? null : gpuDriverPresent();
const skipLine = driver && !driver.present ? `webgpu: no software adapter in data/cache/lavapipe/ (bash environment/install.sh sets it up) and ${driver.why}` : false;
if (skipLine && process.env.LCO_REQUIRE_WEBGPU === "1") throw new Error(`LCO_REQUIRE_WEBGPU=1 but ${skipLine}`);
/** Set when a driver is there but Dawn finds no usable adapter on it (e.g. a Mesa older than 25). */
let noAdapter: string | null = null;
/** False (after a skip line) when there is no adapter; with LCO_REQUIRE_WEBGPU=1 that is a failure. */
function adapterReady(t: TestContext): boolean {
  if (!noAdapter) return true;
  if (process.env.LCO_REQUIRE_WEBGPU === "1") throw new Error(`LCO_REQUIRE_WEBGPU=1 but webgpu: ${noAdapter}`);
  t.skip(`webgpu: ${noAdapter}`);
  return false;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
/** Every parameter as one flat list of numbers, in name order (also on webgpu: downloaded first). */
async function flatWeights(ps: ParamStore): Promise<number[]> {
  await prefetch(ps.variables());
  const arrays = ps.toNdArrays();
  return Object.keys(arrays).sort().flatMap((k) => Array.from(arrays[k].data as Float32Array));
}
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

async function on<T>(backend: BackendName, fn: () => Promise<T>): Promise<T> {
  await initBackend({ backend });
  return fn();
}

describe("webgpu against wasm", { skip: skipLine }, () => {
  before(async () => {
    const { info, error } = await probeAdapter();
    if (!info) noAdapter = error ?? "no WebGPU adapter";
  });

  test("webgpu: the automatic choice never takes a software adapter; forcing it records the adapter", async (t) => {
    if (!adapterReady(t)) return;
    // First initialisation of this process: automatic. A software adapter is never chosen; a
    // hardware one is (after tfjs-node-gpu, when that is installed).
    const probed = (await probeAdapter()).info!;
    const auto = await initBackend();
    if (probed.software) {
      assert.notEqual(auto.name, "webgpu");
      assert.match(auto.skipped.find((s) => s.name === "webgpu")?.error ?? "", /only a software adapter/);
    } else assert.ok(["tensorflow", "webgpu"].includes(auto.name), `automatic choice with a hardware adapter: ${auto.name}`);
    const info = await initBackend({ backend: "webgpu" });
    assert.equal(tf.getBackend(), "webgpu");
    assert.ok(info.webgpu, "the backend info carries the adapter");
    assert.equal(info.webgpu.software, isSoftwareAdapter(info.webgpu));
    if (process.env.LCO_WEBGPU_ADAPTER === "software") {
      assert.equal(info.webgpu.software, true);
      assert.match(info.webgpu.description, /llvmpipe/);
      assert.match(describeBackend(info), /software adapter/);
    }
    console.log(`# ${describeBackend(info)}`);
  });

  test("webgpu: AddN over more inputs than a shader may bind sums exactly (chunked)", async (t) => {
    if (!adapterReady(t)) return;
    await initBackend({ backend: "webgpu" });
    // 8 or more inputs exceed the default 8 storage buffers per shader (inputs + output).
    for (const n of [2, 7, 8, 20, 57]) {
      const parts = Array.from({ length: n }, (_, i) => tf.fill([5], i + 1));
      const sum = tf.addN(parts);
      assert.deepEqual(Array.from(await sum.data()), new Array(5).fill((n * (n + 1)) / 2), `addN of ${n}`);
      tf.dispose([sum, ...parts]);
    }
    assert.deepEqual(webgpuErrors(), []);
  });

  test("webgpu: the reference-structure (tiny) model trains like wasm; numTensors flat", async (t) => {
    if (!adapterReady(t)) return;
    const steps = 8;
    const run = async () => {
      const t = makeTrainer(TINY_MODEL, 0, "fast");
      const losses: number[] = [];
      const counts: number[] = [];
      try {
        for (let i = 0; i < steps; i++) {
          losses.push(await serialStepAsync(t));
          counts.push(tf.memory().numTensors);
        }
        return { losses, counts, weights: await flatWeights(t.ps) };
      } finally {
        disposeTrainer(t);
      }
    };
    const w = await on("wasm", run);
    const init = buildModel(TINY_MODEL, 0);
    const w0 = await flatWeights(init);
    init.dispose();
    const g = await on("webgpu", run);
    const d = maxAbsDiff(w.losses, g.losses);
    const dW = maxAbsDiff(w.weights, g.weights);
    const moved = maxAbsDiff(w.weights, w0);
    console.log(`# tiny reference model, ${steps} Adam steps: max |loss wasm − loss webgpu| = ${d.toExponential(2)} (tolerance ${LOSS_TOL}); weights: max |wasm − webgpu| = ${dW.toExponential(2)}, moved from init by up to ${moved.toExponential(2)}`);
    assert.ok(d <= LOSS_TOL, `loss difference ${d}`);
    // Training moved the weights (Adam moves each by about lr per step), far more than the backends differ.
    assert.ok(moved > 1000 * dW, `weights moved ${moved}, backends differ by ${dW}`);
    assert.equal(new Set(g.counts.slice(1)).size, 1, `numTensors on webgpu: ${g.counts.join(" ")}`);
    assert.deepEqual(webgpuErrors(), []);
  });

  test("webgpu: a smoke organism trains like wasm; prompt-end embeddings and a probe agree; a checkpoint crosses backends", async (t) => {
    if (!adapterReady(t)) return;
    const steps = 10;
    const cfg0 = organismConfig({ profile: "smoke", size: "S", overrides: { train: { numSteps: steps } } });
    const data = organismDataFromWorld(organismWorld("smoke", cfg0, 0), cfg0, { modalities: ["image"] });
    const cfg = { ...cfg0, vocabSize: data.tokenizer.vocabSize };
    assert.ok(cfg.train.clipNorm > 0, "the step clips gradients (the AddN over every parameter)");
    const idx = data.splits.iid.slice(0, 24);
    const dirs: string[] = [];
    const tmp = () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-webgpu-"));
      dirs.push(d);
      return d;
    };
    const train = async (runDir: string) => {
      const m = createOrganism(cfg, featureCacheSpec(data.cache), 0);
      const counts: number[] = [];
      try {
        const r = await trainOrganism(m, data, { runDir, resumeEvery: steps / 2, onProgress: () => counts.push(tf.memory().numTensors) });
        const E = await embedIndicesAsync(m, data, idx, "image");
        return { losses: r.losses, E, counts };
      } finally {
        m.params.dispose();
      }
    };
    try {
      const wDir = tmp();
      const gDir = tmp();
      const w = await on("wasm", () => train(wDir));
      const t0 = performance.now();
      const g = await on("webgpu", () => train(gDir));
      console.log(`# smoke organism S on webgpu: ${steps} steps + embeddings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      assert.equal(g.losses.length, steps);
      const dLoss = maxAbsDiff(w.losses, g.losses);
      const ew = w.E.data as Float32Array;
      const eg = g.E.data as Float32Array;
      assert.deepEqual(g.E.shape, w.E.shape);
      const dEmb = maxAbsDiff(ew, eg);
      const scale = maxAbs(ew);
      const dProbe = maxAbsDiff(anisotropyByLayer(w.E), anisotropyByLayer(g.E));
      console.log(`# smoke organism S, ${steps} steps: max |loss diff| = ${dLoss.toExponential(2)} (tolerance ${LOSS_TOL}); max |embedding diff| = ${dEmb.toExponential(2)} of max |value| ${scale.toFixed(2)} (relative ${(dEmb / scale).toExponential(2)}, tolerance ${EMBED_REL_TOL}); anisotropy per layer: max |diff| = ${dProbe.toExponential(2)} (tolerance ${PROBE_TOL})`);
      assert.ok(dLoss <= LOSS_TOL, `loss difference ${dLoss}`);
      assert.ok(g.losses[steps - 1] < g.losses[0] - 0.1, `webgpu losses fall: ${g.losses.map((l) => l.toFixed(3)).join(" ")}`);
      assert.ok(scale > 0 && dEmb <= EMBED_REL_TOL * scale, `embedding difference ${dEmb} (scale ${scale})`);
      assert.ok(dProbe <= PROBE_TOL, `probe difference ${dProbe}`);
      assert.equal(new Set(g.counts.slice(1)).size, 1, `numTensors on webgpu: ${g.counts.join(" ")}`);
      // The checkpoint written on webgpu halfway continues on wasm and lands on wasm's own losses.
      assert.deepEqual(listCheckpoints(gDir).includes(steps / 2), true);
      const dir = tmp();
      fs.cpSync(gDir, dir, { recursive: true });
      const resumed = await on("wasm", async () => {
        const m = createOrganism(cfg, featureCacheSpec(data.cache), 0);
        try {
          return await trainOrganism(m, data, { runDir: dir, replayFrom: steps / 2, stopAfter: steps });
        } finally {
          m.params.dispose();
        }
      });
      assert.equal(resumed.resumedFrom, steps / 2);
      const dResume = maxAbsDiff(resumed.losses.slice(steps / 2), w.losses.slice(steps / 2));
      console.log(`# checkpoint of step ${steps / 2} written on webgpu, continued on wasm: max |loss diff| to wasm's own run over steps ${steps / 2 + 1}–${steps} = ${dResume.toExponential(2)} (to webgpu's: ${maxAbsDiff(resumed.losses.slice(steps / 2), g.losses.slice(steps / 2)).toExponential(2)})`);
      assert.ok(dResume <= LOSS_TOL, `resume difference ${dResume}`);
      assert.deepEqual(webgpuErrors(), []);
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  test("webgpu: a LoRA refinement, greedy generation, caption NLL and the linear probe agree with wasm; numTensors flat", async (t) => {
    if (!adapterReady(t)) return;
    const steps = 3;
    const cfg0 = organismConfig({ profile: "smoke", size: "S" });
    const data = organismDataFromWorld(organismWorld("smoke", cfg0, 0), cfg0, { modalities: ["image"] });
    const cfg = { ...cfg0, vocabSize: data.tokenizer.vocabSize };
    const rcfg = refineConfig("lora", "smoke", { steps, warmupSteps: 1, batchSize: 4 });
    assert.ok(rcfg.clipNorm > 0 && rcfg.lora.dropout > 0 && rcfg.hardNegatives, "clipping, LoRA dropout and hard negatives are on");
    const idx = data.splits.iid.slice(0, 4);
    // A small separable problem for the probe: label = which side of a fixed plane a point lies.
    const r = rng(7);
    const X = Array.from({ length: 60 }, () => Array.from({ length: 5 }, () => r.next() - 0.5));
    const y = X.map((x) => (x[0] + 0.5 * x[1] - x[2] > 0 ? "a" : "b"));
    const probe = { steps: 15 };
    const run = async (sync: boolean) => {
      const before = tf.memory().numTensors;
      const m = createOrganism(cfg, featureCacheSpec(data.cache), 0);
      const counts: number[] = [];
      try {
        const onProgress = () => counts.push(tf.memory().numTensors);
        const res = sync ? refine(m, data, rcfg, 0, { onProgress }) : await refineAsync(m, data, rcfg, 0, { onProgress });
        const captions = sync ? greedyDecode(m, data, idx, "image", "caption", { maxNew: 4 }) : await greedyDecodeAsync(m, data, idx, "image", "caption", { maxNew: 4 });
        const nll = sync ? captionNll(m, data, idx, "image") : await captionNllAsync(m, data, idx, "image");
        const lp = sync ? linearProbe(X.slice(0, 40), y.slice(0, 40), X.slice(40), y.slice(40), probe) : await linearProbeAsync(X.slice(0, 40), y.slice(0, 40), X.slice(40), y.slice(40), probe);
        return { losses: res.losses, chance: res.chance, captions, nll, lp, counts, before };
      } finally {
        disposeOrganism(m);
      }
    };
    const w = await on("wasm", () => run(true));
    const t0 = performance.now();
    const g = await on("webgpu", () => run(false));
    const after = tf.memory().numTensors;
    console.log(`# smoke organism S on webgpu: ${steps} LoRA refinement steps, greedy captions of ${idx.length} items, caption NLL and a linear probe in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const dLoss = maxAbsDiff(w.losses, g.losses);
    const dNll = Math.abs(w.nll - g.nll);
    const dProbe = Math.abs(w.lp.loss - g.lp.loss);
    console.log(`# LoRA refinement, ${steps} steps: max |loss diff| = ${dLoss.toExponential(2)} (tolerance ${LOSS_TOL}; losses ${w.losses.map((l) => l.toFixed(4)).join(" ")}, chance ${w.chance.toFixed(4)}); caption NLL ${w.nll.toFixed(4)} nats, |diff| = ${dNll.toExponential(2)}; greedy captions equal: ${g.captions.every((c, i) => c === w.captions[i])}; linear probe loss |diff| = ${dProbe.toExponential(2)}, accuracy ${w.lp.accuracy} (wasm) vs ${g.lp.accuracy} (webgpu)`);
    assert.equal(g.losses.length, steps);
    assert.ok(dLoss <= LOSS_TOL, `refinement loss difference ${dLoss}`);
    // Refinement changed the model: the last step's loss differs from the first by far more than the backends do.
    assert.ok(Math.abs(g.losses[steps - 1] - g.losses[0]) > 100 * dLoss, `losses ${g.losses.join(" ")}`);
    assert.deepEqual(g.captions, w.captions, "greedy captions");
    assert.ok(g.captions.some((c) => c.length > 0), "some caption has tokens");
    assert.ok(dNll <= LOSS_TOL, `caption NLL difference ${dNll}`);
    assert.ok(dProbe <= LOSS_TOL, `linear probe loss difference ${dProbe}`);
    assert.equal(g.lp.accuracy, w.lp.accuracy);
    assert.equal(g.lp.trainAccuracy, w.lp.trainAccuracy);
    assert.ok(g.lp.loss < Math.log(2) - 0.05, `the probe trained: loss ${g.lp.loss} (ln 2 = ${Math.log(2).toFixed(3)} at the zero start)`);
    // The first step creates the optimiser's moments; after it the count is flat, and all is freed at the end.
    assert.equal(new Set(g.counts.slice(1)).size, 1, `numTensors on webgpu: ${g.counts.join(" ")}`);
    assert.equal(after, g.before, "numTensors after the webgpu run");
    // The similarity probes' tfjs engine reads synchronously: on webgpu "auto" takes a CPU engine, "tfjs" is refused.
    assert.equal(tf.getBackend(), "webgpu");
    assert.equal(resolveEngine(1e12), nativeMatMulActive() ? "native" : "js");
    assert.throws(() => resolveEngine(1, "tfjs"), /reads blocks synchronously/);
    assert.deepEqual(webgpuErrors(), []);
  });
});
