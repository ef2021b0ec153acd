/**
 * The training-speed benchmark behind `lco bench train` and `bench/train.bench.ts`.
 *
 * Optimisation paths (all compute the same function; `test/train.test.ts` checks it):
 * - `stock`: reference layers on the wasm backend with only the correctness fixes: the
 *   `UnsortedSegmentSum` kernel (needed for any embedding gradient on wasm) and the matMul
 *   operator-cache guard (it copies an operand only where the stock kernel would reuse a stale
 *   cached operator, which would otherwise give wrong values or corrupt memory);
 * - `patched`: reference layers + the wasm speed patches (transpose-first matMul, SIMD batched
 *   matMul, blocked transpose, shared Identity);
 * - `fast`: patched kernels + the fast layers (`NnImpl` `"fast"`, with the fused kernels of
 *   `nn/js-kernels.ts`: WebAssembly SIMD on wasm) + the fused Adam update kernel, on
 *   all cores: by default through the threaded wasm build (large matMuls on the thread pool, the
 *   `"matmul"` {@link WasmThreadPolicy}) when it started, else through data-parallel workers.
 *
 * `stock` and `patched` always run single-threaded (thread policy `"none"`): that is what the
 * stock TF.js wasm backend does in Node.
 *
 * On a non-wasm backend the kernel patches do not exist, so `stock` and `patched` are the
 * reference layers and `fast` is the fast layers (+ workers).
 *
 * The machine may be shared, so compared paths are timed in the same run, interleaved step by
 * step, and summarised by their medians.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { type BackendName, type WasmThreadPolicy, initBackend, setWasmPatches, setWasmThreadPolicy, wasmPatches, wasmThreadPolicy } from "../backend";
import type { NnImpl } from "../nn";
import { ParallelTrainer, idleCoreWorkers } from "./parallel";
import { describeAdapter } from "../backend/webgpu";
import { type BenchModel, type Trainer, disposeTrainer, makeTrainer, serialStepAsync } from "./reference";

/** An optimisation path of the training step. */
export type TrainPath = "stock" | "patched" | "fast";

/** Options of {@link benchTrain}. */
export interface BenchTrainOptions {
  model: BenchModel;
  /** Name of the model, echoed in the result. */
  modelName?: string;
  /** Timed steps. Default 20. */
  steps?: number;
  /** Untimed warm-up steps first. Default 3. */
  warmup?: number;
  /** Path to measure. Default `"fast"`. */
  path?: TrainPath;
  /**
   * Worker threads for the `fast` path. Default: 1 (serial in this thread, the matMuls on the wasm
   * thread pool) when the threaded wasm backend runs; otherwise one per idle core
   * ({@link idleCoreWorkers}).
   */
  workers?: number;
  /** Backend. Default: whatever `initBackend` picks (wasm unless forced). */
  backend?: BackendName;
  /** Also time `stock` and `patched` (interleaved with the main path) and pure-JS `cpu`. Default `false`. */
  compare?: boolean;
  /** Timed steps of the (slow) cpu comparison, after one warm-up step. Default 2. */
  cpuSteps?: number;
  /** Seed of the model and the batches. Default 0. */
  seed?: number;
  /** Called with one line of progress per phase. */
  log?: (line: string) => void;
}

/** Timing of one path. */
export interface PathTiming {
  /** Median ms per timed step. */
  msPerStep: number;
  /** Fastest timed step, ms. */
  minMsPerStep: number;
  /** Timed steps. */
  steps: number;
  /** All timed step durations, ms, in order. */
  times: number[];
}

/** Result of {@link benchTrain} (the `--json` line of `lco bench train`). */
export interface BenchTrainResult extends PathTiming {
  model: string;
  path: TrainPath;
  /** Layer implementation the path used. */
  impl: NnImpl;
  backend: string;
  /**
   * webgpu: the GPU adapter, e.g. `mesa software "llvmpipe: …", software adapter`. A software
   * adapter is a CPU emulation of a GPU: its times say nothing about GPU speed.
   */
  adapter?: string;
  /** wasm kernel patches active for the main path. */
  patches: string[];
  /** Worker threads of the main path (1 = serial in the calling thread). */
  workers: number;
  /**
   * Threads doing compute: with workers, one per worker (each worker's backend is
   * single-threaded); serially, the wasm backend's thread-pool size (1 without threads).
   */
  threads: number;
  /** wasm: how the main path used the backend's threads (`"none"` with workers or without a threaded build). */
  threadPolicy?: WasmThreadPolicy;
  /** Why this many workers / threads: `"forced"` (option), `"wasm threads"` or `"idle cores"`. */
  parallelism: string;
  /** Training tokens per second: batchSize · seqLen / median step time. */
  tokensPerSecond: number;
  /** Change of the live tensor count from the end of the first step to the end of the last (max over workers); 0 = no leak. */
  numTensorsGrowth: number;
  /** Loss at the first and the last step (chance level ln(vocab)). */
  loss: { first: number; last: number; chance: number };
  nParams: number;
  warmup: number;
  /** With `compare`: the other paths and their ratios to the main path (> 1 = main path faster). */
  compare?: {
    stock?: PathTiming;
    patched?: PathTiming;
    /** The fast path on one thread (only when the main path uses workers or wasm threads). */
    fastSerial?: PathTiming;
    cpu?: PathTiming;
    ratios: { stockOverPath?: number; patchedOverPath?: number; fastSerialOverPath?: number; cpuOverPath?: number };
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timing(times: number[]): PathTiming {
  return { msPerStep: median(times), minMsPerStep: Math.min(...times), steps: times.length, times };
}

/** A path the benchmark can step: serial (in this thread) or parallel (workers). */
interface Runner {
  /** One step; `tensorDelta` = change of this path's live tensor count during the step. */
  step(): Promise<{ loss: number; tensorDelta: number }>;
  close(): Promise<void>;
  nParams: number;
}

function serialRunner(model: BenchModel, seed: number, impl: NnImpl, backend: string, patch: boolean | null, policy: WasmThreadPolicy = "none"): Runner {
  // Each serial runner owns its backend and kernel-patch state, applied before each of its steps,
  // so that runners can be interleaved in one process.
  const enter = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    if (patch !== null) setWasmPatches({ matMul: patch, transpose: patch, identity: patch, batched: patch });
    if (backend === "wasm") setWasmThreadPolicy(policy);
  };
  let t: Trainer | null = null;
  return {
    nParams: 0,
    async step() {
      await enter();
      if (!t) {
        t = makeTrainer(model, seed, impl);
        this.nParams = t.ps.nParams();
      }
      // Count around this runner's own step: other interleaved runners allocate their models
      // in between, which is not a leak of this one.
      const before = tf.memory().numTensors;
      const loss = await serialStepAsync(t); // the read waits for the step to finish (on a GPU too)
      return { loss, tensorDelta: tf.memory().numTensors - before };
    },
    async close() {
      if (t) {
        await enter();
        disposeTrainer(t);
      }
    },
  };
}

async function parallelRunner(model: BenchModel, seed: number, workers: number, backend: BackendName): Promise<Runner> {
  const p = await ParallelTrainer.create(model, seed, "fast", { workers, backend });
  let last = 0;
  return {
    nParams: p.nParams,
    async step() {
      const loss = await p.trainStep();
      const delta = p.lastNumTensors - last;
      last = p.lastNumTensors;
      return { loss, tensorDelta: delta };
    },
    close: () => p.close(),
  };
}

/**
 * Run the benchmark. Leaves the backend as it found it (wasm patches restored).
 * @throws InputError for bad options (steps < 1, unknown path, workers out of range).
 */
export async function benchTrain(opts: BenchTrainOptions): Promise<BenchTrainResult> {
  const steps = opts.steps ?? 20;
  const warmup = opts.warmup ?? 3;
  const path = opts.path ?? "fast";
  const seed = opts.seed ?? 0;
  const model = opts.model;
  const log = opts.log ?? (() => {});
  if (!(Number.isInteger(steps) && steps >= 1)) throw new InputError(`invalid steps; need an integer ≥ 1, got ${steps}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new InputError(`invalid warmup; need an integer ≥ 0, got ${warmup}`);
  if (!["stock", "patched", "fast"].includes(path)) throw new InputError(`invalid path; expected stock, patched or fast, got "${path}"`);
  const info = await initBackend(opts.backend ? { backend: opts.backend } : {});
  const backend = info.name;
  const isWasm = backend === "wasm";
  const saved = isWasm ? wasmPatches() : null;
  const savedPolicy = wasmThreadPolicy();
  const wasmThreads = isWasm ? (info.wasm?.threads ?? 1) : 1;
  // Automatic choice for the fast path: the wasm thread pool when it runs (measured as fast as
  // two workers on an idle 2-core machine, with no per-step gradient exchange and one model copy),
  // else one worker per idle core.
  // On a GPU (webgpu) the device is the parallelism: one serial trainer.
  const gpu = backend === "webgpu";
  const workers = opts.workers ?? (path === "fast" && !gpu ? (wasmThreads > 1 ? 1 : idleCoreWorkers(model.batchSize)) : 1);
  const parallelism = opts.workers !== undefined ? "forced" : path !== "fast" ? "serial path" : gpu ? "gpu" : wasmThreads > 1 ? "wasm threads" : "idle cores";
  const mainPolicy: WasmThreadPolicy = path === "fast" && workers === 1 && wasmThreads > 1 ? "matmul" : "none";
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= model.batchSize)) {
    throw new InputError(`invalid workers; need an integer in [1, batchSize = ${model.batchSize}], got ${workers}`);
  }
  if (workers > 1 && gpu) throw new InputError(`--workers ${workers} is for CPU backends; webgpu runs one serial trainer on the GPU`);
  if (workers > 1 && path !== "fast") throw new InputError(`--workers ${workers} needs --path fast (stock and patched run serially)`);
  const impl: NnImpl = path === "fast" ? "fast" : "reference";
  const patchFor = (p: TrainPath): boolean | null => (isWasm ? p !== "stock" : null);

  const main: Runner = workers > 1 ? await parallelRunner(model, seed, workers, backend) : serialRunner(model, seed, impl, backend, patchFor(path), mainPolicy);
  const others: { name: "stock" | "patched" | "fastSerial"; runner: Runner }[] = [];
  if (opts.compare) {
    for (const p of ["stock", "patched"] as const) if (p !== path) others.push({ name: p, runner: serialRunner(model, seed, "reference", backend, patchFor(p)) });
    // With workers or threads, also time the same fast path on one thread: what they add.
    if (workers > 1 || mainPolicy !== "none") others.push({ name: "fastSerial", runner: serialRunner(model, seed, "fast", backend, patchFor("fast")) });
  }
  const times = new Map<string, number[]>([["main", []], ...others.map((o) => [o.name, []] as [string, number[]])]);
  const losses: number[] = [];
  let growth = 0;
  try {
    log(`bench train: ${opts.modelName ?? "model"}, path ${path}, ${workers} worker(s), backend ${backend}; ${warmup} warm-up + ${steps} timed steps${others.length ? `, interleaved with ${others.map((o) => o.name).join(", ")}` : ""}`);
    for (let i = 0; i < warmup + steps; i++) {
      // Interleave: one step of every path per round, so load from other processes hits all alike.
      const t0 = performance.now();
      const r = await main.step();
      const dt = performance.now() - t0;
      losses.push(r.loss);
      // The first step creates the optimiser state; every later step must leave the count as is.
      if (i > 0) growth += r.tensorDelta;
      if (i >= warmup) times.get("main")!.push(dt);
      for (const o of others) {
        const s0 = performance.now();
        await o.runner.step();
        if (i >= warmup) times.get(o.name)!.push(performance.now() - s0);
      }
    }
  } finally {
    await main.close();
    for (const o of others) await o.runner.close();
    if (saved) setWasmPatches(saved);
    if (isWasm) setWasmThreadPolicy(savedPolicy);
  }
  const mainT = timing(times.get("main")!);
  const result: BenchTrainResult = {
    model: opts.modelName ?? "custom",
    path,
    impl,
    backend,
    ...(info.webgpu ? { adapter: describeAdapter(info.webgpu) } : {}),
    patches: isWasm ? patchLabels(path) : [],
    workers,
    threads: workers > 1 ? workers : mainPolicy === "none" ? 1 : wasmThreads,
    ...(isWasm ? { threadPolicy: mainPolicy } : {}),
    parallelism,
    ...mainT,
    tokensPerSecond: (model.batchSize * model.seqLen * 1000) / mainT.msPerStep,
    numTensorsGrowth: growth,
    loss: { first: losses[0], last: losses[losses.length - 1], chance: Math.log(model.vocabSize) },
    nParams: main.nParams,
    warmup,
  };
  if (opts.compare) {
    const cmp: NonNullable<BenchTrainResult["compare"]> = { ratios: {} };
    for (const o of others) cmp[o.name] = timing(times.get(o.name)!);
    if (backend !== "cpu") {
      const cpuSteps = opts.cpuSteps ?? 2;
      log(`bench train: pure-JS cpu backend, 1 warm-up + ${cpuSteps} timed steps (slow)`);
      const prev = tf.getBackend();
      const r = serialRunner(model, seed, "reference", "cpu", null);
      const ct: number[] = [];
      try {
        for (let i = 0; i < 1 + cpuSteps; i++) {
          const s0 = performance.now();
          await r.step();
          if (i >= 1) ct.push(performance.now() - s0);
        }
      } finally {
        await r.close();
        await tf.setBackend(prev);
      }
      cmp.cpu = timing(ct);
    }
    if (cmp.stock) cmp.ratios.stockOverPath = cmp.stock.msPerStep / mainT.msPerStep;
    if (cmp.patched) cmp.ratios.patchedOverPath = cmp.patched.msPerStep / mainT.msPerStep;
    if (cmp.fastSerial) cmp.ratios.fastSerialOverPath = cmp.fastSerial.msPerStep / mainT.msPerStep;
    if (cmp.cpu) cmp.ratios.cpuOverPath = cmp.cpu.msPerStep / mainT.msPerStep;
    result.compare = cmp;
  }
  return result;
}

function patchLabels(path: TrainPath): string[] {
  return path === "stock" ? ["UnsortedSegmentSum", "BatchMatMul:cache-guard"] : ["UnsortedSegmentSum", "BatchMatMul:cache-guard", "BatchMatMul:transpose-first", "BatchMatMul:simd-batched", "Transpose:blocked-js", "Identity:shared"];
}
