import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, initBackend, setWasmPatches, wasmPatches, wasmThreadPolicy } from "../src/backend";
import { benchTrainCommand } from "../src/cli/bench";
import { UsageError } from "../src/cli/command";
import {
  ParallelTrainer,
  TINY_MODEL,
  defaultWorkers,
  batchGrads,
  buildModel,
  disposeTrainer,
  makeTrainer,
  randomBatch,
  serialStep,
  sliceBatch,
  workerRows,
  type Trainer,
} from "../src/bench";

const STEPS = 20;
const TOL = 1e-5;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const flatParams = (t: Trainer) => {
  const out: number[] = [];
  for (const v of t.ps.variables()) out.push(...v.dataSync());
  return out;
};
const run = (impl: "reference" | "fast", steps = STEPS) => {
  const t = makeTrainer(TINY_MODEL, 3, impl);
  const losses = Array.from({ length: steps }, () => serialStep(t));
  const params = flatParams(t);
  disposeTrainer(t);
  return { losses, params };
};

let initialPatches: ReturnType<typeof wasmPatches>;
before(async () => {
  await initBackend({ backend: "wasm" });
  initialPatches = wasmPatches();
});
after(() => {
  setWasmPatches(initialPatches);
});

describe("optimised paths compute the reference path's numbers", () => {
  it("fast layers = reference layers: gradients at step 0 and 20 losses within 1e-5", () => {
    const ps = buildModel(TINY_MODEL, 9);
    const batch = randomBatch(TINY_MODEL, 9, 0);
    const ref = batchGrads(ps, TINY_MODEL, batch, "reference");
    const fast = batchGrads(ps, TINY_MODEL, batch, "fast");
    assert.ok(Math.abs(ref.loss - fast.loss) <= TOL, `loss ${ref.loss} vs ${fast.loss}`);
    // Near chance at initialisation: ln(37) = 3.611.
    assert.ok(Math.abs(ref.loss - Math.log(TINY_MODEL.vocabSize)) < 0.05, `initial loss ${ref.loss}`);
    ps.names().forEach((n, i) => {
      const d = maxDiff(ref.grads[i].dataSync(), fast.grads[i].dataSync());
      assert.ok(d <= TOL, `gradient of ${n}: max diff ${d}`);
    });
    tf.dispose([...ref.grads, ...fast.grads]);
    ps.dispose();

    const a = run("reference");
    const b = run("fast");
    a.losses.forEach((l, i) => assert.ok(Math.abs(l - b.losses[i]) <= TOL, `step ${i}: ${l} vs ${b.losses[i]}`));
    assert.ok(maxDiff(a.params, b.params) <= TOL, "parameters after 20 steps");
    assert.ok(a.losses[STEPS - 1] !== a.losses[0], "training changed the loss");
  });

  it("wasm kernel patches change speed only: stock and patched kernels give the same 20 losses", () => {
    setWasmPatches({ matMul: false, transpose: false, identity: false });
    const stock = run("reference");
    setWasmPatches({ matMul: true, transpose: true, identity: true });
    const patched = run("reference");
    stock.losses.forEach((l, i) => assert.ok(Math.abs(l - patched.losses[i]) <= TOL, `step ${i}: ${l} vs ${patched.losses[i]}`));
    assert.ok(maxDiff(stock.params, patched.params) <= TOL);
  });

  it("a serial training step leaks no tensors (both implementations)", () => {
    for (const impl of ["reference", "fast"] as const) {
      const t = makeTrainer(TINY_MODEL, 1, impl);
      serialStep(t); // creates the Adam moments
      const n = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) serialStep(t);
      assert.equal(tf.memory().numTensors, n, `${impl}: numTensors after 6 steps`);
      disposeTrainer(t);
    }
  });
});

describe("data-parallel workers", () => {
  it("split the batch into contiguous, covering slices", () => {
    for (const [B, W] of [[32, 2], [6, 4], [7, 3], [5, 5]]) {
      let next = 0;
      for (let r = 0; r < W; r++) {
        const { start, count } = workerRows(B, r, W);
        assert.equal(start, next);
        assert.ok(count >= 1);
        next = start + count;
      }
      assert.equal(next, B);
    }
    const b = randomBatch(TINY_MODEL, 0, 0);
    const s = sliceBatch(b, 2, 3);
    assert.deepEqual(Array.from(s.inputs), Array.from(b.inputs.subarray(2 * 8, 5 * 8)));
    assert.throws(() => sliceBatch(b, 5, 2), /invalid batch slice \[5, 7\) of 6 rows/);
  });

  it("2 workers give the serial losses and parameters (20 steps within 1e-5) without tensor growth", async () => {
    const serial = run("fast");
    const p = await ParallelTrainer.create(TINY_MODEL, 3, "fast", { workers: 2 });
    try {
      const losses: number[] = [];
      let first = 0;
      for (let i = 0; i < STEPS; i++) {
        losses.push(await p.trainStep());
        if (i === 0) first = p.lastNumTensors;
      }
      assert.equal(p.lastNumTensors, first, "worker numTensors flat");
      losses.forEach((l, i) => assert.ok(Math.abs(l - serial.losses[i]) <= TOL, `step ${i}: serial ${serial.losses[i]} vs parallel ${l}`));
      assert.ok(maxDiff(await p.params(), serial.params) <= TOL, "parameters after 20 steps");
    } finally {
      await p.close();
    }
  });

  it("defaults to between 1 and min(cores, batch size, 8) workers", () => {
    const cores = os.availableParallelism();
    for (const b of [1, 6, 32]) {
      const w = defaultWorkers(b);
      assert.ok(Number.isInteger(w) && w >= 1 && w <= Math.min(cores, b, 8), `defaultWorkers(${b}) = ${w}`);
    }
    assert.equal(defaultWorkers(1), 1);
  });

  it("rejects a worker count outside [1, batchSize]", async () => {
    await assert.rejects(ParallelTrainer.create(TINY_MODEL, 0, "fast", { workers: 7 }), /invalid workers; need an integer in \[1, batchSize = 6\], got 7/);
  });
});

describe("lco bench train", () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  };

  it("prints a JSON line with the documented fields, consistent with its own timings", async () => {
    const c = capture();
    const code = await benchTrainCommand.run(["--model", "tiny", "--steps", "3", "--warmup", "1", "--workers", "2", "--compare", "--cpu-steps", "1", "--json"], c.io);
    assert.equal(code, 0);
    const r = JSON.parse(c.out[c.out.length - 1]);
    assert.equal(r.path, "fast");
    assert.equal(r.impl, "fast");
    assert.equal(r.backend, "wasm");
    assert.equal(r.workers, 2);
    assert.equal(r.threads, 2);
    assert.equal(r.parallelism, "forced");
    assert.equal(r.threadPolicy, "none", "workers run single-threaded backends");
    assert.equal(r.steps, 3);
    assert.equal(r.numTensorsGrowth, 0);
    assert.equal(r.nParams, buildParamsCount());
    assert.ok(Math.abs(r.loss.chance - Math.log(37)) < 1e-12);
    const sorted = [...r.times].sort((a: number, b: number) => a - b);
    assert.equal(r.msPerStep, sorted[1], "median of 3 timed steps");
    assert.equal(r.minMsPerStep, sorted[0]);
    assert.ok(Math.abs(r.tokensPerSecond - (6 * 8 * 1000) / r.msPerStep) < 1e-6);
    for (const k of ["stock", "patched", "fastSerial", "cpu"]) {
      assert.ok(r.compare[k].msPerStep > 0, k);
      assert.ok(Math.abs(r.compare.ratios[`${k}OverPath`] - r.compare[k].msPerStep / r.msPerStep) < 1e-9, `${k} ratio`);
    }
    assert.deepEqual(wasmPatches(), initialPatches, "patches restored");
  });

  it("runs serially with --workers 1 and rejects bad flags", async () => {
    const c = capture();
    const argv = ["--model", "tiny", "--steps", "2", "--warmup", "1", "--path", "patched", "--compare", "--cpu-steps", "1", "--json"];
    assert.equal(await benchTrainCommand.run(argv, c.io), 0);
    const r = JSON.parse(c.out[c.out.length - 1]);
    assert.equal(r.path, "patched");
    assert.equal(r.impl, "reference");
    assert.equal(r.workers, 1);
    // The interleaved stock runner allocates its own model during the run; that is not a leak.
    assert.equal(r.numTensorsGrowth, 0);
    assert.equal(r.compare.patched, undefined);
    assert.ok(r.compare.stock.msPerStep > 0);
    assert.ok(r.patches.includes("BatchMatMul:transpose-first"));
    await assert.rejects(benchTrainCommand.run(["--path", "turbo"], c.io), (e: Error) => e instanceof UsageError && /got "turbo"/.test(e.message));
    await assert.rejects(benchTrainCommand.run(["--model", "huge"], c.io), /invalid --model; expected one of reference, tiny, got "huge"/);
    await assert.rejects(benchTrainCommand.run(["--steps", "0"], c.io), /--steps/);
    await assert.rejects(benchTrainCommand.run(["--model", "tiny", "--path", "stock", "--workers", "2"], c.io), /needs --path fast/);
  });
});

describe("automatic choice of threads or workers", () => {
  it("with the threaded wasm build, the fast path runs serially on the thread pool and compares with one thread", async () => {
    const threads = backendInfo()!.wasm!.threads;
    const out: string[] = [];
    const code = await benchTrainCommand.run(["--model", "tiny", "--steps", "2", "--warmup", "1", "--compare", "--cpu-steps", "1", "--json"], { out: (l) => out.push(l), err: () => {} });
    assert.equal(code, 0);
    const r = JSON.parse(out[out.length - 1]);
    if (threads > 1) {
      assert.equal(r.parallelism, "wasm threads");
      assert.equal(r.workers, 1);
      assert.equal(r.threads, threads);
      assert.equal(r.threadPolicy, "matmul");
      assert.ok(r.compare.fastSerial.msPerStep > 0, "the one-thread fast path is timed alongside");
    } else {
      assert.equal(r.parallelism, "idle cores");
      assert.equal(r.threadPolicy, "none");
    }
    assert.equal(r.numTensorsGrowth, 0);
    assert.equal(wasmThreadPolicy(), "matmul", "policy restored");
  });
});

function buildParamsCount(): number {
  const ps = buildModel(TINY_MODEL, 0);
  const n = ps.nParams();
  ps.dispose();
  return n;
}
