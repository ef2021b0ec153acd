/**
 * Multithreaded TF.js wasm in Node: the shims that let `@tensorflow/tfjs-backend-wasm`'s threaded
 * SIMD build start its worker threads.
 *
 * Why it fails out of the box: the backend turns threads off in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is `false` there), and forcing it on fails with
 * `ERR_WORKER_PATH`, because Emscripten's pthread code was written for browsers:
 *  1. it starts each pthread with `new Worker(url)` where `url` is a `blob:` URL of the worker
 *     script — Node's `Worker` only takes file paths (or code with `eval: true`);
 *  2. it then sends each worker the main script as a `Blob` (`mainScriptUrlOrBlob`), which the
 *     worker loads with `importScripts(URL.createObjectURL(blob))` — in Node that reads the URL
 *     as a file name and fails;
 *  3. the C++ side sizes XNNPACK's thread pool as at most `navigator.hardwareConcurrency / 2`
 *     (it assumes two hyper-threads per core), read from `os.cpus().length` in Node, so a
 *     2-core machine gets 1 thread whatever `setThreadsCount` asks.
 *
 * What we do (nothing in `node_modules` is modified):
 *  1. a `globalThis.Worker` that starts the worker script (the package's own
 *     `wasmWorkerContents`) with `eval: true` when asked for a `blob:` URL; Emscripten assigns
 *     `global.Worker` itself, so the property is an accessor that ignores that assignment;
 *  2. the same class rewrites the one `load` message whose script is a `Blob` to the path of the
 *     package's `wasm-out/tfjs-backend-wasm-threaded-simd.js` (the same factory, as a file);
 *  3. during backend initialisation only, `os.cpus()` reports twice the wanted thread count;
 *  4. the pool's workers never keep the process alive (Emscripten `ref()`s a worker while its
 *     pthread runs, and XNNPACK's pool threads run forever).
 *
 * XNNPACK then splits each 2-D matMul (and other XNNPACK ops) over the threads. Every output
 * element is still computed by one thread with the same instruction sequence, so results equal
 * the single-threaded build's (checked in `test/backend-threads.test.ts`).
 *
 * @module
 */
import * as os from "node:os";
import * as path from "node:path";
import { Worker as NodeWorker, type WorkerOptions } from "node:worker_threads";

let installed = false;

/** Paths and the worker script of the installed backend package. */
function wasmOut(): { mainJs: string; workerCode: string } {
  const mainJs = require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(path.dirname(mainJs), "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  // The backend escapes newlines before it makes its blob (the script has "\n" inside a string
  // literal, which must stay an escape); do the same.
  return { mainJs, workerCode: wasmWorkerContents.replace(/\n/g, "\\n") };
}

/**
 * Install the `Worker` shim (idempotent). Must run before `tf.setBackend("wasm")` with
 * `WASM_HAS_MULTITHREAD_SUPPORT` set.
 */
export function installPthreadShim(): void {
  if (installed) return;
  const { mainJs, workerCode } = wasmOut();
  class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const isBlob = typeof url === "string" && url.startsWith("blob:");
      super(isBlob ? workerCode : url, isBlob ? { ...options, eval: true } : options);
      this.unref();
    }
    // Emscripten calls `ref()` when it starts a pthread on the worker. XNNPACK's pool threads run
    // for the life of the process, so that would keep Node from ever exiting: keep them unref'd.
    override ref(): void {}
    override postMessage(msg: unknown, transfer?: readonly (ArrayBuffer | import("node:worker_threads").MessagePort)[]): void {
      const m = msg as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m && m.cmd === "load" && typeof m.urlOrBlob !== "string") msg = { ...m, urlOrBlob: mainJs };
      super.postMessage(msg, transfer as never);
    }
  }
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    enumerable: false,
    get: () => PthreadWorker,
    // Emscripten runs `global.Worker = require("worker_threads").Worker`; keep the shim.
    set: () => {},
  });
  installed = true;
}

/**
 * Run `fn` while `os.cpus()` reports `2 · threads` entries, so that the backend's thread-pool cap
 * (`cores / 2`) allows `threads`. Restores `os.cpus` afterwards.
 */
export async function withLogicalCores<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  // The CommonJS module object itself (what Emscripten's `require("os")` returns), not an ES
  // namespace copy.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mutableOs = require("node:os") as { cpus: typeof os.cpus };
  const real = mutableOs.cpus;
  mutableOs.cpus = () => {
    const c = real.call(mutableOs);
    return Array.from({ length: 2 * threads }, (_, i) => c[i % Math.max(1, c.length)]);
  };
  try {
    return await fn();
  } finally {
    mutableOs.cpus = real;
  }
}

/** Cores available to this process (`os.availableParallelism`, else `os.cpus().length`). */
export function availableCores(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** The parts of the threaded Emscripten module that {@link ThreadpoolSwitch} touches. */
export interface ThreadedWasmModule {
  HEAP32: Int32Array;
  wasmMemory?: { buffer: ArrayBufferLike };
  tfjs: { getThreadsCount(): number };
}

/**
 * Turns the backend's XNNPACK thread pool on and off between kernel calls.
 *
 * Why: waking the pool's threads costs tens of microseconds per kernel, and on a busy machine a
 * woken thread may wait a whole scheduler slice for a core, while the calling thread waits for it.
 * That pays off for large matMuls (×1.9 on an idle 2-core machine) but not for the many small
 * element-wise kernels of a training step, which measured up to 2× slower with the pool on. So we
 * keep the pool off (kernels run inline on the calling thread, exactly as in the single-threaded
 * build) and switch it on around large matMuls only.
 *
 * How: the backend keeps the pool in one C++ global (`tfjs::backend::threadpool`) that every
 * kernel passes to XNNPACK, and XNNPACK runs a kernel inline when that pointer is null. The global
 * has no exported address, so {@link ThreadpoolSwitch.find} locates it once: the word in static
 * memory whose zeroing makes `get_threads_count()` return -1 (its answer for a null pool).
 */
export class ThreadpoolSwitch {
  private on = true;
  private constructor(
    private readonly mod: ThreadedWasmModule,
    /** Byte address of the global. */
    readonly slot: number,
    private readonly pool: number,
    /** Threads of the pool. */
    readonly threads: number,
  ) {}

  private heap(): Int32Array {
    // A fresh view: growing shared wasm memory replaces the buffer object.
    const buf = this.mod.wasmMemory?.buffer ?? this.mod.HEAP32.buffer;
    return new Int32Array(buf);
  }

  /**
   * Locate the pool global of a threaded backend module, or `null` if the module has no pool of
   * ≥ 2 threads or the global is not found (then threads stay as the backend set them).
   * Scans static memory upwards (the global lives below the heap where the pool is allocated) and
   * stops at the first hit; each probe restores the word at once, and nothing else runs meanwhile.
   */
  static find(mod: ThreadedWasmModule): ThreadpoolSwitch | null {
    const threads = mod.tfjs.getThreadsCount();
    if (!(threads >= 2)) return null;
    const buf = mod.wasmMemory?.buffer ?? mod.HEAP32.buffer;
    const h = new Int32Array(buf);
    const limit = Math.min(h.length, (1 << 20) / 4);
    for (let i = 1; i < limit; i++) {
      const v = h[i];
      if (v <= i * 4) continue; // the pool is a heap pointer above its global
      h[i] = 0;
      const c = mod.tfjs.getThreadsCount();
      h[i] = v;
      if (c === -1) return new ThreadpoolSwitch(mod, i * 4, v, threads);
    }
    return null;
  }

  /** Whether kernels currently get the pool. */
  get enabled(): boolean {
    return this.on;
  }

  /** Give kernels the pool (`true`) or run them inline (`false`). @returns the previous state. */
  set(on: boolean): boolean {
    const prev = this.on;
    if (on !== prev) {
      this.heap()[this.slot >> 2] = on ? this.pool : 0;
      this.on = on;
    }
    return prev;
  }
}
