/**
 * One data-parallel training worker (see `parallel.ts`). Protocol, all from the main thread:
 * `init` → replies `ready`; `step` → computes its rows' gradient, writes it into its region of the
 * shared gradient buffer, waits at a barrier for the other workers, adds all regions in rank
 * order, applies Adam, and replies with its weighted loss; `params` → replies with the flattened
 * parameters.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend, setWasmPatches } from "../backend";
import type { WorkerInit } from "./parallel";
import { workerRows } from "./parallel";
import { batchGrads, makeTrainer, randomBatch, sliceBatch, type Trainer } from "./reference";

if (!parentPort) throw new Error("train/worker must run in a worker thread");
const port = parentPort;

let init: WorkerInit;
let trainer: Trainer;
let gradViews: Float32Array[];
let ctrl: Int32Array;
let sum: Float32Array;

/** A reusable barrier on two shared int32 slots: [arrived, generation]. */
function barrier(world: number): void {
  const gen = Atomics.load(ctrl, 1);
  if (Atomics.add(ctrl, 0, 1) === world - 1) {
    Atomics.store(ctrl, 0, 0);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  } else {
    while (Atomics.load(ctrl, 1) === gen) Atomics.wait(ctrl, 1, gen);
  }
}

async function onInit(m: WorkerInit): Promise<void> {
  init = m;
  // One thread per worker: the workers themselves are the parallelism here.
  await initBackend({ backend: m.backend, threads: 1 });
  if (m.backend === "wasm") setWasmPatches({ matMul: true, transpose: true, identity: true, batched: true, ...m.patches });
  trainer = makeTrainer(m.model, m.seed, m.impl);
  const n = trainer.ps.nParams();
  if (n !== m.nParams) throw new Error(`worker ${m.rank} built ${n} parameters; expected ${m.nParams}`);
  gradViews = Array.from({ length: m.world }, (_, r) => new Float32Array(m.grads, r * n * 4, n));
  ctrl = new Int32Array(m.ctrl);
  sum = new Float32Array(n);
  port.postMessage({ type: "ready", nParams: n, backend: tf.getBackend() });
}

function onStep(step: number): void {
  const t0 = performance.now();
  const { model, seed, rank, world } = init;
  const { start, count } = workerRows(model.batchSize, rank, world);
  const batch = sliceBatch(randomBatch(model, seed, step), start, count);
  const vars = trainer.ps.variables();
  // Weight rows/B: the sum over workers of the weighted slice means is the full-batch mean.
  const { loss, grads } = batchGrads(trainer.ps, model, batch, trainer.impl, count / model.batchSize);
  const mine = gradViews[rank];
  let off = 0;
  for (const g of grads) {
    mine.set(g.dataSync() as Float32Array, off);
    off += g.size;
  }
  tf.dispose(grads);
  const t1 = performance.now();
  barrier(world);
  const t2 = performance.now();
  // Every worker adds the regions in the same order, so all copies get identical sums.
  sum.set(gradViews[0]);
  for (let r = 1; r < world; r++) {
    const v = gradViews[r];
    for (let i = 0; i < sum.length; i++) sum[i] += v[i];
  }
  const summed: Float32Array[] = [];
  off = 0;
  for (const v of vars) {
    summed.push(sum.subarray(off, off + v.size));
    off += v.size;
  }
  trainer.opt.apply(vars, summed);
  trainer.step++;
  const t3 = performance.now();
  port.postMessage({ type: "loss", loss, numTensors: tf.memory().numTensors, ms: { grads: t1 - t0, wait: t2 - t1, update: t3 - t2 } });
}

function onParams(): void {
  const vars = trainer.ps.variables();
  const out = new Float32Array(trainer.ps.nParams());
  let off = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, off);
    off += v.size;
  }
  port.postMessage({ type: "params", data: out }, [out.buffer]);
}

port.on("message", (m: { type: string; step?: number }) => {
  const run = async () => {
    if (m.type === "init") await onInit(m as unknown as WorkerInit);
    else if (m.type === "step") onStep(m.step!);
    else if (m.type === "params") onParams();
    else throw new Error(`unknown message type ${m.type}`);
  };
  run().catch((e: Error) => port.postMessage({ type: "error", message: e.stack ?? e.message }));
});
