/**
 * Data-parallel training on several cores with `worker_threads`.
 *
 * One of two ways to use several cores (the other is the threaded wasm build, `backend/wasm-threads.ts`,
 * which `lco bench train` prefers when it starts; each worker here runs a single-threaded backend).
 * We use the cores the way multi-GPU training does: every worker holds a
 * full copy of the model (same seed → identical initial weights) and its own wasm backend, takes
 * a slice of each batch, and computes the gradient of its slice's share of the loss. The workers
 * then exchange gradients through one `SharedArrayBuffer` (no copies through messages): after a
 * barrier, each worker adds all slices' gradients *in the same order*, so every copy gets
 * bit-identical summed gradients and applies the same Adam update. The sum equals the full-batch
 * gradient up to float rounding (tested in `test/train.test.ts`).
 *
 * @module
 */
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { InputError } from "../array";
import type { BackendName, WasmPatches } from "../backend";
import type { NnImpl } from "../nn";
import { buildModel, type BenchModel } from "./reference";

/**
 * Default worker count: one per *idle* core — available cores minus the 1-minute load average,
 * rounded — between 1 and min(cores, batch size, 8). 1 means "train serially".
 *
 * Why idle cores: the workers meet at a barrier every step, so each step waits for the slowest
 * one. On a machine whose cores are busy with other work, two workers measured slower than one
 * thread (see `lco bench train --compare`); on idle cores they split the work. (Windows reports a
 * load of 0, so there it is one worker per core.)
 */
export function defaultWorkers(batchSize = Infinity): number {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  const idle = Math.round(cores - os.loadavg()[0]);
  return Math.max(1, Math.min(idle, cores, batchSize, 8));
}

/** Rows `[start, start + count)` of a batch of `batchSize` rows that worker `rank` of `world` takes. */
export function workerRows(batchSize: number, rank: number, world: number): { start: number; count: number } {
  const start = Math.floor((batchSize * rank) / world);
  const end = Math.floor((batchSize * (rank + 1)) / world);
  return { start, count: end - start };
}

/** Options of {@link ParallelTrainer.create}. */
export interface ParallelOptions {
  /** Number of worker threads (≥ 2 makes sense; 1 works too). */
  workers: number;
  /** Backend each worker initialises. Default `"wasm"`. */
  backend?: BackendName;
  /** wasm speed patches in the workers. Default: all on. */
  patches?: Partial<WasmPatches>;
}

/** Where one worker's step time went, ms. */
export interface WorkerStepMs {
  /** Forward + backward on its rows, and copying the gradients out. */
  grads: number;
  /** Waiting at the barrier for the slowest worker. */
  wait: number;
  /** Summing all workers' gradients and the Adam update. */
  update: number;
}

/** Message a worker receives first. */
export interface WorkerInit {
  type: "init";
  model: BenchModel;
  seed: number;
  impl: NnImpl;
  rank: number;
  world: number;
  nParams: number;
  grads: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  backend: BackendName;
  patches: Partial<WasmPatches>;
}

type Reply = { type: "ready"; nParams: number; backend: string } | { type: "loss"; loss: number; numTensors: number; ms: WorkerStepMs } | { type: "params"; data: Float32Array } | { type: "error"; message: string };

function spawnWorker(): Worker {
  // In the built package this module is .js and so is the worker. Under tsx (tests, benchmarks)
  // both are .ts, and Node does not pass tsx's loader on to worker threads: register it first.
  const file = path.join(__dirname, `worker${path.extname(__filename)}`);
  if (file.endsWith(".js")) return new Worker(file);
  const tsx = require.resolve("tsx/cjs");
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, { eval: true });
}

/**
 * A data-parallel trainer of a {@link BenchModel} on random-token batches: the parallel twin of
 * `makeTrainer` + `serialStep` (same seed → same losses up to float rounding).
 */
export class ParallelTrainer {
  /** Updates done so far. */
  step = 0;
  /** Largest `tf.memory().numTensors` any worker reported after the last step (for leak checks). */
  lastNumTensors = 0;
  /** Per-worker time split of the last step. */
  lastMs: WorkerStepMs[] = [];
  private constructor(
    private readonly workers: Worker[],
    /** Number of scalar parameters of the model. */
    readonly nParams: number,
    /** Backend the workers run on. */
    readonly backend: string,
  ) {}

  /** Start the workers and build the model in each. */
  static async create(model: BenchModel, seed: number, impl: NnImpl, opts: ParallelOptions): Promise<ParallelTrainer> {
    const W = opts.workers;
    if (!(Number.isInteger(W) && W >= 1 && W <= model.batchSize)) {
      throw new InputError(`invalid workers; need an integer in [1, batchSize = ${model.batchSize}], got ${W}`);
    }
    // The parameter count is only known after building the model; workers report it, and we size
    // the shared gradient buffer from a first count computed here the same way.
    const probe = buildModel(model, seed);
    const nParams = probe.nParams();
    probe.dispose();
    const grads = new SharedArrayBuffer(W * nParams * 4);
    const ctrl = new SharedArrayBuffer(8);
    const workers: Worker[] = [];
    const ready: Promise<Reply>[] = [];
    for (let rank = 0; rank < W; rank++) {
      const w = spawnWorker();
      workers.push(w);
      const init: WorkerInit = { type: "init", model, seed, impl, rank, world: W, nParams, grads, ctrl, backend: opts.backend ?? "wasm", patches: opts.patches ?? {} };
      ready.push(next(w));
      w.postMessage(init);
    }
    const replies = await Promise.all(ready).catch(async (e) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    });
    const backend = replies[0].type === "ready" ? replies[0].backend : "?";
    return new ParallelTrainer(workers, nParams, backend);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** One data-parallel step on batch `randomBatch(model, seed, step)`. Returns the full-batch loss before the update. */
  async trainStep(): Promise<number> {
    const replies = await Promise.all(
      this.workers.map((w) => {
        const p = next(w);
        w.postMessage({ type: "step", step: this.step });
        return p;
      }),
    ).catch(async (e) => {
      // A failed worker never reaches the gradient barrier, so the others would wait forever.
      await this.close();
      throw e;
    });
    this.step++;
    // Each worker's loss is already weighted by its share of the rows; the sum is the batch mean.
    let loss = 0;
    this.lastNumTensors = 0;
    this.lastMs = [];
    for (const r of replies as { loss: number; numTensors: number; ms: WorkerStepMs }[]) {
      loss += r.loss;
      this.lastMs.push(r.ms);
      this.lastNumTensors = Math.max(this.lastNumTensors, r.numTensors);
    }
    return loss;
  }

  /** All parameters of worker 0, flattened in `ps.variables()` order (every worker holds the same values). */
  async params(): Promise<Float32Array> {
    const p = next(this.workers[0]);
    this.workers[0].postMessage({ type: "params" });
    return ((await p) as { data: Float32Array }).data;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function next(w: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Reply) => {
      cleanup();
      if (m.type === "error") reject(new Error(`training worker failed: ${m.message}`));
      else resolve(m);
    };
    const onErr = (e: Error) => {
      cleanup();
      reject(new Error(`training worker failed: ${e.message}`));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`training worker exited with code ${code}`));
    };
    const cleanup = () => {
      w.off("message", onMsg);
      w.off("error", onErr);
      w.off("exit", onExit);
    };
    w.on("message", onMsg);
    w.on("error", onErr);
    w.on("exit", onExit);
  });
}
