/**
 * The TF.js backend layer: pick a backend once, close the wasm backend's known gaps, and
 * record what ran.
 *
 * Order of preference: `tensorflow` (from the optional `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node`, when installed and loadable), then `webgpu` on a *hardware* GPU adapter
 * (`backend/webgpu.ts`; never a software adapter, never probed on Linux without a Vulkan driver),
 * then `wasm`, then the pure-JS `cpu`. `LCO_BACKEND=wasm|cpu|tensorflow|webgpu` forces one
 * (`webgpu` then runs on a software adapter too, e.g. with `LCO_WEBGPU_ADAPTER=software`).
 *
 * On wasm we register two correctness fixes and four speed patches (the first two are measured in
 * `shared/stack-notes.md` §4.3, the others in `nn/fast.ts` and `test/backend.test.ts`):
 *  1. a JS `UnsortedSegmentSum` kernel (the gradient of `gather`, missing on wasm);
 *  2. a transpose-first `BatchMatMul` wrapper (the stock kernel runs 10–30× slower when
 *     `transposeA`/`transposeB` is set, which is exactly what backprop asks for);
 *  3. a `Transpose` for perms that swap the last two axes: 4×4-tile WebAssembly SIMD on the
 *     backend's memory when both sizes are multiples of 4, else a cache-blocked JS loop (the stock
 *     kernel is about 4× slower than the JS loop on the `[1024, 384]` transposes of backprop);
 *  4. an `Identity` that shares memory instead of copying (autodiff clones every saved tensor);
 *  5. a hand-written WebAssembly SIMD kernel for batched matMuls of small matrices (attention),
 *     which the stock kernel runs as a scalar loop; it works in place on the backend's memory;
 *  6. (correctness, always on) a guard around the stock `BatchMatMul` / `_FusedMatMul`, whose
 *     XNNPACK operator cache is keyed by the right operand's tensor id but not its shape, so one
 *     buffer used as the right operand with two shapes (a reshape shares the id) read and wrote
 *     out of bounds (see `xnnCacheSafe`).
 * On wasm we also start the backend's threaded SIMD build when more than one core is available
 * (`backend/wasm-threads.ts` makes its worker threads start in Node), so that XNNPACK's matMuls use
 * all cores; `backendInfo().wasm.threads` reports how many it got (1 = fallback).
 * Fixes 2–5 only change speed; {@link setWasmPatches} switches them (the benchmark times
 * "stock" kernels this way). `patchWasm: false` turns them off; fixes 1 and 6 always stay.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bmmInPlace, bmmSimd, bmmSupported } from "./wasm-bmm";
import { simdKernelsFor } from "./wasm-simd-kernels";
import { ThreadpoolSwitch, type ThreadedWasmModule, availableCores, installPthreadShim, withLogicalCores } from "./wasm-threads";
import { type NativeStatus, describeNative, nativeMatMul, nativeMatMulActive, nativeStatus } from "./native";
import { type GpuAdapterInfo, describeAdapter, initWebgpu } from "./webgpu";

/** Backend names the kit knows. */
export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

/** What {@link initBackend} chose, recorded into every run's metadata. */
export interface BackendInfo {
  /** The active TF.js backend. */
  name: BackendName;
  /** `@tensorflow/tfjs` version. */
  tfjsVersion: string;
  /** Why this backend was chosen ("forced by LCO_BACKEND", "first available", …). */
  reason: string;
  /** Kernel patches applied (e.g. `["UnsortedSegmentSum", "BatchMatMul:transpose-first"]`). */
  patches: string[];
  /**
   * wasm only: SIMD support, and the number of threads XNNPACK runs its kernels on (the backend's
   * `getThreadsCount()`; 1 = the single-threaded build). `threadsRequested` is what was asked for;
   * `threadsError` says why the threaded build was not used when threads were requested but
   * `threads` is 1 (the kit then runs single-threaded).
   */
  wasm?: { simd: boolean; threads: number; threadsRequested?: number; threadsError?: string; threadPolicy?: WasmThreadPolicy };
  /** The native BLAS path (`backend/native.ts`): on or off, and why; BLAS build and threads. */
  native?: NativeStatus;
  /** webgpu only: the GPU adapter (vendor, architecture, description, software or hardware). */
  webgpu?: GpuAdapterInfo;
  /** Backends tried before this one and why they were skipped. */
  skipped: { name: BackendName; error: string }[];
}

let active: BackendInfo | null = null;
let wasmPatched = false;

const ORDER: BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Force a backend; default: `process.env.LCO_BACKEND`, else the first that loads. */
  backend?: BackendName;
  /** Print one line describing the choice. Default `false`. */
  verbose?: boolean;
  /**
   * Apply the wasm speed patches (transpose-first BatchMatMul, blocked Transpose). Default `true`.
   * Set `false` only to measure the stock kernels (the training benchmark compares both).
   * `UnsortedSegmentSum` is registered either way when wasm is chosen.
   */
  patchWasm?: boolean;
  /**
   * wasm only: threads for the backend's own kernels (XNNPACK matMuls, convolutions, …), through
   * the threaded SIMD build and the Node shims of `backend/wasm-threads.ts`. Default:
   * `LCO_WASM_THREADS`, else {@link defaultWasmThreads} (the available cores, at most 4). `1`
   * selects the single-threaded build. Only the first wasm initialisation in a process decides;
   * if the threaded build cannot start, the single-threaded one is used and
   * `backendInfo().wasm.threadsError` says why.
   */
  threads?: number;
}

/**
 * Default thread count of the wasm backend: the cores available to this process, at most 4 (the
 * matMuls of the kit's models are too small to gain from more).
 */
export function defaultWasmThreads(): number {
  if (nativeMatMulActive()) return 1; // BLAS threads the products; a second pool would only compete
  return Math.max(1, Math.min(4, availableCores()));
}

/**
 * How a threaded wasm backend uses its threads (see `ThreadpoolSwitch` in `backend/wasm-threads.ts`):
 * - `"matmul"` (default): only matMuls of at least {@link THREADED_MATMUL_MIN_MACS} multiply-adds
 *   run on the thread pool; every other kernel runs on the calling thread;
 * - `"all"`: every XNNPACK kernel gets the pool (the backend's own behaviour);
 * - `"none"`: no kernel does (same work as the single-threaded build).
 * Results are the same under all three; only speed differs.
 */
export type WasmThreadPolicy = "matmul" | "all" | "none";

/** Smallest matMul, in multiply-adds `batch·M·K·N`, that the `"matmul"` policy runs on threads (≈ 0.15 ms on one core). */
export const THREADED_MATMUL_MIN_MACS = 1 << 22;

let threadSwitch: ThreadpoolSwitch | null = null;
let threadPolicy: WasmThreadPolicy = "matmul";

/**
 * Choose how the wasm backend's threads are used; no effect (but remembered) on a single-threaded
 * backend. Can be changed at any time between kernel calls.
 * @returns the previous policy.
 */
export function setWasmThreadPolicy(policy: WasmThreadPolicy): WasmThreadPolicy {
  if (!["matmul", "all", "none"].includes(policy)) throw new Error(`invalid wasm thread policy; expected matmul, all or none, got "${policy}"`);
  const prev = threadPolicy;
  threadPolicy = policy;
  threadSwitch?.set(policy === "all");
  if (active?.wasm) active.wasm.threadPolicy = policy;
  return prev;
}

/** The current {@link WasmThreadPolicy}. */
export function wasmThreadPolicy(): WasmThreadPolicy {
  return threadPolicy;
}

/** Threads a kernel of `macs` multiply-adds runs on under the current policy (1 without a switchable pool). */
function withMatMulThreads<T>(macs: number, fn: () => T): T {
  if (!threadSwitch || threadPolicy !== "matmul" || macs < THREADED_MATMUL_MIN_MACS) return fn();
  threadSwitch.set(true);
  try {
    return fn();
  } finally {
    threadSwitch.set(false);
  }
}

function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`invalid LCO_WASM_THREADS; expected an integer in [1, 8], got "${v}"`);
  return n;
}

function parseBackendName(v: string | undefined): BackendName | undefined {
  if (v === undefined || v === "") return undefined;
  if ((ORDER as string[]).includes(v)) return v as BackendName;
  throw new Error(`invalid LCO_BACKEND; expected one of ${ORDER.join(", ")}, got "${v}"`);
}

async function tryTensorflow(): Promise<void> {
  // The optional native bindings. Requiring either one registers the "tensorflow" backend.
  const errors: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(pkg);
      if (!(await tf.setBackend("tensorflow"))) throw new Error("setBackend('tensorflow') returned false");
      return;
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(errors.join("; "));
}

/** Threads the wasm backend was initialised with (and why threads failed), set by {@link tryWasm}. */
let wasmThreadState: { requested: number; error?: string } | null = null;

async function tryWasm(patch: boolean, threads: number): Promise<void> {
  // Imported lazily: importing the wasm backend makes it the top-priority backend.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmModule = require("@tensorflow/tfjs-backend-wasm") as { setThreadsCount(n: number): void };
  patchWasmKernels({ matMul: patch, transpose: patch, identity: patch, batched: patch });
  if (wasmThreadState === null) {
    // First initialisation in this process: this is where the build (threaded or not) is chosen.
    wasmThreadState = { requested: threads };
    if (threads > 1) {
      try {
        installPthreadShim();
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
        wasmModule.setThreadsCount(threads);
        if (await withLogicalCores(threads, () => tf.setBackend("wasm"))) {
          threadSwitch = ThreadpoolSwitch.find((tf.backend() as unknown as { wasm: ThreadedWasmModule }).wasm);
          setWasmThreadPolicy(threadSwitch ? threadPolicy : "all");
          return;
        }
        wasmThreadState.error = "setBackend('wasm') with the threaded build returned false";
      } catch (e) {
        wasmThreadState.error = (e as Error).message.split("\n")[0];
      }
      // Fall back to the single-threaded SIMD build (the flag is read again by the next init).
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    }
  }
  if (!(await tf.setBackend("wasm"))) throw new Error("setBackend('wasm') returned false");
}

/**
 * Choose and initialise the TF.js backend. Safe to call more than once: later calls return the
 * first choice unless a different backend is forced.
 * @returns what was chosen; also available later from {@link backendInfo}.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const forced = options.backend ?? parseBackendName(process.env.LCO_BACKEND);
  const patch = options.patchWasm ?? true;
  const speedPatched = patchState.matMul && patchState.transpose && patchState.identity && patchState.batched;
  if (active && (!forced || forced === active.name) && (active.name !== "wasm" || patch === speedPatched)) return active;
  const candidates = forced ? [forced] : ORDER;
  const skipped: BackendInfo["skipped"] = [];
  for (const name of candidates) {
    try {
      let adapter: GpuAdapterInfo | undefined;
      if (name === "tensorflow") await tryTensorflow();
      else if (name === "webgpu") adapter = await initWebgpu(forced === "webgpu");
      else if (name === "wasm") await tryWasm(patch, options.threads ?? parseThreads(process.env.LCO_WASM_THREADS) ?? defaultWasmThreads());
      else if (!(await tf.setBackend("cpu"))) throw new Error("setBackend('cpu') returned false");
      await tf.ready();
      const info: BackendInfo = {
        name,
        tfjsVersion: tf.version.tfjs,
        reason: forced ? (options.backend ? "forced by option" : "forced by LCO_BACKEND") : "first available",
        patches: name === "wasm" ? patchNames() : [],
        ...(name === "wasm" ? { native: nativeStatus() } : {}),
        ...(adapter ? { webgpu: adapter } : {}),
        skipped,
      };
      if (name === "wasm") {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { getThreadsCount } = require("@tensorflow/tfjs-backend-wasm") as { getThreadsCount(): number };
        info.wasm = {
          simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
          threads: Math.max(1, getThreadsCount()),
          threadsRequested: wasmThreadState?.requested,
          ...(wasmThreadState?.error ? { threadsError: wasmThreadState.error } : {}),
          threadPolicy,
        };
      }
      active = info;
      if (options.verbose) console.log(describeBackend(info));
      return info;
    } catch (e) {
      const msg = (e as Error).message.split("\n")[0];
      if (forced) throw new Error(`backend "${name}" could not be initialised: ${msg}`);
      skipped.push({ name, error: msg });
    }
  }
  throw new Error(`no TF.js backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.error}`).join("; ")}`);
}

/** The backend chosen by {@link initBackend}, or `null` before it ran. */
export function backendInfo(): BackendInfo | null {
  return active;
}

/** One human-readable line, e.g. `backend wasm (tfjs 4.22.0, simd, 1 thread; patches: …)`. */
export function describeBackend(info: BackendInfo): string {
  const extra = info.wasm ? `, ${info.wasm.simd ? "simd" : "no simd"}, ${info.wasm.threads} thread(s)` : info.webgpu ? `, adapter ${describeAdapter(info.webgpu)}` : "";
  const patches = info.patches.length ? `; patches: ${info.patches.join(", ")}` : "";
  return `backend ${info.name} (tfjs ${info.tfjsVersion}${extra}; ${info.reason}${patches})${info.native ? `; ${describeNative(info.native)}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// wasm kernel fixes

/** Minimal view of the wasm backend's API that the kernels below use. */
interface WasmBackendLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
  disposeData(dataId: unknown): boolean;
}

/** The wasm backend's tensor table and Emscripten module (memory), for kernels that work in place. */
interface WasmInternals {
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } | undefined };
  wasm: { wasmMemory?: { buffer: ArrayBufferLike }; asm?: { memory?: { buffer: ArrayBufferLike } } };
}

/** Which optional wasm kernel patches are on (see {@link setWasmPatches}). */
export interface WasmPatches {
  /** BatchMatMul with transposed operands runs as transpose + untransposed matMul. */
  matMul: boolean;
  /** Transposes that swap the last two axes run as 4×4-tile SIMD (sizes multiples of 4) or a cache-blocked JS loop. */
  transpose: boolean;
  /**
   * `Identity` shares the input's memory (reference-counted, as on the cpu backend) instead of
   * copying it. Autodiff clones every tensor it saves for the backward pass through Identity, so
   * the stock kernel copies most activations once per step.
   */
  identity: boolean;
  /**
   * Batched matMuls (batch > 1, no broadcasting, N a multiple of 4 up to 64) run in a hand-written
   * WebAssembly SIMD kernel (`backend/wasm-bmm.ts`) instead of the stock kernel's scalar loop —
   * attention's `[B·H, T, hd]` products, 15–40× faster.
   */
  batched: boolean;
}

const patchState: WasmPatches = { matMul: false, transpose: false, identity: false, batched: false };
let matMulWrapped = false;
let stockBatchMatMul: tf.KernelConfig | undefined;
let stockTranspose: tf.KernelConfig | undefined;
let stockIdentity: tf.KernelConfig | undefined;

/** Names of the wasm patches currently applied, for {@link BackendInfo.patches}. */
function patchNames(): string[] {
  if (!wasmPatched) return [];
  const out = ["UnsortedSegmentSum", "BatchMatMul:cache-guard"];
  if (patchState.matMul) out.push("BatchMatMul:transpose-first");
  if (patchState.batched) out.push("BatchMatMul:simd-batched");
  if (patchState.transpose) out.push("Transpose:blocked-js");
  if (patchState.identity) out.push("Identity:shared");
  return out;
}

/**
 * Register the wasm fixes (the JS `UnsortedSegmentSum` kernel and, by default, both speed patches).
 * Must run before `tf.setBackend("wasm")`; idempotent. Exported so that worker threads that build
 * their own backend can apply the same fixes.
 */
export function patchWasmKernels(patches: Partial<WasmPatches> = {}): void {
  if (!wasmPatched) {
    registerSegmentSum();
    stockBatchMatMul = tf.getKernel("BatchMatMul", "wasm");
    stockTranspose = tf.getKernel("Transpose", "wasm");
    stockIdentity = tf.getKernel("Identity", "wasm");
    const stockFused = tf.getKernel("_FusedMatMul", "wasm");
    if (stockFused) {
      // Same operator cache as BatchMatMul (keyed by weights id, bias id and activation, not
      // shape): always guarded; large products get the thread pool like BatchMatMul.
      tf.unregisterKernel("_FusedMatMul", "wasm");
      tf.registerKernel({ ...stockFused, kernelFunc: guardedFusedMatMul(stockFused) });
    }
    wasmPatched = true;
  }
  setWasmPatches({ matMul: true, transpose: true, identity: true, batched: true, ...patches });
}

/**
 * Switch the two wasm *speed* patches on or off at any time (the kernel registry is consulted on
 * every op call). `UnsortedSegmentSum` stays registered: without it no embedding can be trained on
 * wasm. Used by the training benchmark to time stock and patched kernels in one process.
 * @returns the previous state.
 */
export function setWasmPatches(patches: Partial<WasmPatches>): WasmPatches {
  const prev = { ...patchState };
  if (!wasmPatched) throw new Error("setWasmPatches: call patchWasmKernels() (or initBackend with wasm) first");
  const want = { ...patchState, ...patches };
  if (want.transpose !== patchState.transpose && stockTranspose) {
    tf.unregisterKernel("Transpose", "wasm");
    tf.registerKernel(want.transpose ? { ...stockTranspose, kernelFunc: fastTransposeKernel(stockTranspose) } : stockTranspose);
    patchState.transpose = want.transpose;
  }
  if (want.identity !== patchState.identity && stockIdentity) {
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel(want.identity ? { ...stockIdentity, kernelFunc: sharedIdentity } : stockIdentity);
    patchState.identity = want.identity;
  }
  if ((!matMulWrapped || want.matMul !== patchState.matMul || want.batched !== patchState.batched) && stockBatchMatMul) {
    // Always wrapped, also with both speed patches off: the wrapper carries the correctness guard
    // against the stock kernel's operator cache (see `xnnCacheSafe`).
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ ...stockBatchMatMul, kernelFunc: patchedMatMul(stockBatchMatMul, want.matMul, want.batched) });
    matMulWrapped = true;
    patchState.matMul = want.matMul;
    patchState.batched = want.batched;
  }
  if (active && active.name === "wasm") active.patches = patchNames();
  return prev;
}

/** The wasm patches currently on. */
export function wasmPatches(): WasmPatches {
  return { ...patchState };
}

// 1. UnsortedSegmentSum: out[segmentIds[i], ...] += x[i, ...]. Ids outside [0, numSegments)
//    are skipped, as in the TF definition. Plain JS; it matches the cpu kernel exactly.
function registerSegmentSum(): void {
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const xVals = b.readSync(x.dataId);
      const ids = b.readSync(segmentIds.dataId);
      const idRank = segmentIds.shape.length;
      const inner = x.shape.slice(idRank).reduce((a, c) => a * c, 1);
      const out = b.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
      const outVals = b.typedArrayFromHeap(out);
      outVals.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue;
        const src = i * inner;
        const dst = s * inner;
        for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
      }
      return out;
    },
  });
}

/**
 * Transpose of the last two axes of a row-major array `[batch, rows, cols]` into `[batch, cols, rows]`,
 * in 32×32 tiles so that both the reads and the writes stay in cache. The stock wasm kernel walks
 * the output with a large stride and is about 4× slower on `[1024, 384]`.
 */
export function transposeLastTwo(src: ArrayLike<number>, dst: { [i: number]: number }, batch: number, rows: number, cols: number): void {
  const BS = 32;
  const plane = rows * cols;
  for (let p = 0; p < batch; p++) {
    const o = p * plane;
    for (let i0 = 0; i0 < rows; i0 += BS) {
      const i1 = Math.min(rows, i0 + BS);
      for (let j0 = 0; j0 < cols; j0 += BS) {
        const j1 = Math.min(cols, j0 + BS);
        for (let i = i0; i < i1; i++) {
          const r = o + i * cols;
          for (let j = j0; j < j1; j++) dst[o + j * rows + i] = src[r + j];
        }
      }
    }
  }
}

// 2c. Identity without a copy: TF.js tensors are immutable (a Variable's assign swaps in new
//     memory), so sharing reference-counted memory is safe; the cpu backend does the same.
const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

// 2a. Transpose: perms that swap only the last two axes (2-D transposes and batched ones) run as a
//     blocked JS loop on the wasm heap; any other perm goes to the stock kernel.
function fastTransposeKernel(stock: tf.KernelConfig): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const perm = (attrs as { perm: number[] }).perm;
    const r = perm.length;
    const swapsLastTwo = r >= 2 && perm[r - 2] === r - 1 && perm[r - 1] === r - 2 && perm.slice(0, r - 2).every((p, i) => p === i);
    if (!swapsLastTwo || (x.dtype !== "float32" && x.dtype !== "int32")) return stock.kernelFunc({ inputs, backend, attrs });
    const b = backend as unknown as WasmBackendLike;
    const rows = x.shape[r - 2];
    const cols = x.shape[r - 1];
    const batch = x.shape.slice(0, r - 2).reduce((a, c) => a * c, 1);
    const out = b.makeOutput([...x.shape.slice(0, r - 2), cols, rows], x.dtype);
    if (rows % 4 === 0 && cols % 4 === 0) {
      // 4×4 SIMD tiles, in place on the backend's memory (about 5× faster than the JS loop).
      const wb = backend as unknown as WasmInternals;
      const k = simdKernelsFor(wb.wasm.wasmMemory ?? wb.wasm.asm?.memory);
      if (k) {
        k.transpose(wb.dataIdMap.get(x.dataId)!.memoryOffset, wb.dataIdMap.get(out.dataId)!.memoryOffset, batch, rows, cols);
        return out;
      }
    }
    // Views taken after makeOutput: an allocation may grow (and so detach) the wasm heap.
    transposeLastTwo(b.typedArrayFromHeap(x), b.typedArrayFromHeap(out), batch, rows, cols);
    return out;
  };
}

// 2d. The stock BatchMatMul caches one XNNPACK operator per right-hand operand: every untransposed
//     product with batch 1 on both sides goes to `xnn_matmul` (tfjs-backend-wasm
//     `batch_mat_mul_impl.cc`), which packs `b` into an operator and caches it under the key
//     (b's tensor id, bias id, activation) until that tensor is disposed. The key holds no shape.
//     A reshape shares its input's tensor id (and so does our shared `Identity`), so using one
//     buffer as `b` with two different shapes, e.g. `[B, T·d]` for a column sum and `[B·T, d]` for
//     a weight gradient, reuses the operator packed for the first shape: wrong values, or reads and
//     writes out of bounds that corrupt the wasm heap ("memory access out of bounds" / "Aborted()"
//     at a later free). The guard remembers the `[K, N]` each buffer was first used with and gives
//     the kernel a fresh copy (a new id, so a new operator) when a different shape comes along.
const xnnShapes = new WeakMap<object, string>();

/** `b` itself, or a fresh copy of it if its buffer was cached by the stock kernel under another shape. */
function xnnCacheSafe(backend: WasmBackendLike, a: tf.TensorInfo, bIn: tf.TensorInfo, transposeA: boolean, transposeB: boolean, temps: tf.TensorInfo[]): tf.TensorInfo {
  const batch = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  if (transposeA || transposeB || batch(a) !== 1 || batch(bIn) !== 1) return bIn; // not the cached XNNPACK path
  const r = bIn.shape.length;
  const key = `${bIn.shape[r - 2]}x${bIn.shape[r - 1]}`;
  const dataId = bIn.dataId as object;
  const seen = xnnShapes.get(dataId);
  if (seen === undefined) {
    xnnShapes.set(dataId, key);
    return bIn;
  }
  if (seen === key) return bIn;
  const copy = backend.makeOutput(bIn.shape, bIn.dtype);
  // Views after makeOutput: an allocation may grow (and so detach) the wasm heap.
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(bIn));
  temps.push(copy);
  return copy;
}

/** `_FusedMatMul` (matMul + bias + activation in one kernel) through the cache guard and the thread policy. */
function guardedFusedMatMul(stock: tf.KernelConfig): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const native = nativeMatMul({ inputs, backend, attrs });
    if (native) return native;
    const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const temps: tf.TensorInfo[] = [];
    const b2 = xnnCacheSafe(backend as unknown as WasmBackendLike, a, bIn, transposeA, transposeB, temps);
    const r = a.shape.length;
    const m = transposeA ? a.shape[r - 1] : a.shape[r - 2];
    const k = transposeA ? a.shape[r - 2] : a.shape[r - 1];
    const n = transposeB ? bIn.shape[bIn.shape.length - 2] : bIn.shape[bIn.shape.length - 1];
    const batch = Math.max(...[a, bIn].map((t) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1)));
    const out = withMatMulThreads(batch * m * k * n, () => stock.kernelFunc({ inputs: { ...inputs, b: b2 }, backend, attrs }) as tf.TensorInfo);
    for (const t of temps) (backend as unknown as WasmBackendLike).disposeData(t.dataId);
    return out;
  };
}

// 2b. BatchMatMul: with `transposeFirst`, transposed operands are transposed first (through the
//     registered Transpose kernel) so that the stock kernel runs with both flags false; with
//     `batched`, batched products go to the SIMD kernel of backend/wasm-bmm.ts. Temporaries are freed.
//     Every call to the stock kernel goes through the cache guard `xnnCacheSafe` (2d).
function patchedMatMul(stock: tf.KernelConfig, transposeFirst: boolean, batched: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const native = nativeMatMul({ inputs, backend, attrs });
    if (native) return native;
    const b = backend as unknown as WasmBackendLike;
    const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const r = a.shape.length;
    const n = transposeB ? bIn.shape[bIn.shape.length - 2] : bIn.shape[bIn.shape.length - 1];
    const useSimd =
      batched &&
      a.dtype === "float32" &&
      bIn.dtype === "float32" &&
      r === bIn.shape.length &&
      batchOf(a) > 1 &&
      a.shape.slice(0, -2).every((d, i) => d === bIn.shape[i]) &&
      bmmSupported(n);
    const m = transposeA ? a.shape[r - 1] : a.shape[r - 2];
    const k = transposeA ? a.shape[r - 2] : a.shape[r - 1];
    const macs = Math.max(batchOf(a), batchOf(bIn)) * m * k * n;
    const temps: tf.TensorInfo[] = [];
    const stockCall = (a1: tf.TensorInfo, b1: tf.TensorInfo, tA: boolean, tB: boolean): tf.TensorInfo =>
      withMatMulThreads(
        macs,
        () =>
          stock.kernelFunc({
            inputs: { a: a1, b: xnnCacheSafe(b, a1, b1, tA, tB, temps) },
            backend,
            attrs: { ...(attrs as object), transposeA: tA, transposeB: tB },
          }) as tf.TensorInfo,
      );
    const transpose = tf.getKernel("Transpose", "wasm")!;
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const out = transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo;
      temps.push(out);
      return out;
    };
    let out: tf.TensorInfo;
    if (!useSimd && (!transposeFirst || (!transposeA && !transposeB))) {
      out = stockCall(a, bIn, transposeA, transposeB);
    } else {
      const a2 = transposeA ? swapLast(a) : a;
      const b2 = transposeB ? swapLast(bIn) : bIn;
      if (useSimd) {
        out = b.makeOutput([...a2.shape.slice(0, -2), m, n], "float32");
        // In place on the backend's memory when possible; else through the kernel's own memory
        // (heap views after makeOutput: an allocation may grow, and so detach, the wasm heap).
        const wb = backend as unknown as WasmInternals;
        const off = (t: tf.TensorInfo) => wb.dataIdMap.get(t.dataId)!.memoryOffset;
        if (!bmmInPlace(wb.wasm.wasmMemory ?? wb.wasm.asm?.memory, off(a2), off(b2), off(out), batchOf(a2), m, k, n)) {
          bmmSimd(b.typedArrayFromHeap(a2) as Float32Array, b.typedArrayFromHeap(b2) as Float32Array, b.typedArrayFromHeap(out) as Float32Array, batchOf(a2), m, k, n);
        }
      } else {
        out = stockCall(a2, b2, false, false);
      }
    }
    for (const t of temps) b.disposeData(t.dataId);
    return out;
  };
}
