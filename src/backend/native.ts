/**
 * The optional native compute path (issue 13): single-precision matrix products through the
 * platform's BLAS (OpenBLAS on Linux, Accelerate on macOS), via the small N-API addon in
 * `native/` (`native/lco_blas.c`, built by `environment/build-native.sh`).
 *
 * Two users:
 *  1. the TF.js wasm backend: {@link nativeMatMul} runs `BatchMatMul` and `_FusedMatMul`
 *     (bias + linear/relu) on the tensors' memory in the wasm heap, without copies (the backend's
 *     memory is a plain `ArrayBuffer`, or a `SharedArrayBuffer` for the threaded build; both work);
 *     `backend.ts` calls it first in its matMul kernels and falls back to the wasm kernels when it
 *     returns `null`;
 *  2. the probes: {@link nativeGemm} multiplies plain `Float32Array`s (similarity blocks, Gram and
 *     cross-product matrices).
 *
 * When the addon is missing, fails to load, or `LCO_NATIVE=0`, everything runs exactly as before
 * on wasm, and {@link nativeStatus} says why (shown by `npm run env` and recorded in every run's
 * `meta.json` through `backendInfo().native`).
 *
 * Threads: BLAS threads come from `LCO_NATIVE_THREADS` (default: the available cores, at most 4),
 * fixed once at load with `openblas_set_num_threads`. When the native path is on, the wasm
 * backend defaults to its single-threaded build (BLAS does the threading of the products that
 * matter; two thread pools on two cores only fight). OpenBLAS splits a product over rows and
 * columns of the output, never over the inner dimension, so every output element is one dot
 * product summed in one fixed order: results are the same run after run for the same thread
 * count, CPU kernel (`info()` names it, e.g. "Haswell") and shapes (tested).
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { availableCores } from "./wasm-threads";

/** The addon's exports (see `native/lco_blas.c`). Matrices are row-major `Float32Array` views. */
export interface NativeBlas {
  /** `C[M,N] = op(A)·op(B) + beta·C`; `op` transposes when the flag is set. */
  sgemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, beta?: number): void;
  /** `batch` products; matrix p of A starts at `p·strideA` (0 broadcasts), of C at `p·M·N`. */
  sgemmBatched(transA: boolean, transB: boolean, batch: number, M: number, N: number, K: number, A: Float32Array, strideA: number, B: Float32Array, strideB: number, C: Float32Array): void;
  /** Upper triangle (`j ≥ i`) of `C[N,N] = Aᵀ·A` for a row-major `A [K, N]`; the rest of C is left as is. */
  ssyrk(N: number, K: number, A: Float32Array, C: Float32Array): void;
  /** `C[i, j] += bias[j]` (or `bias[0]` for a length-1 bias), then `act` (0 none, 1 relu). */
  biasAct(C: Float32Array, M: number, N: number, bias: Float32Array | null, act: number): void;
  /**
   * Retrieval's rank counting over one row block `S [rows, n]` of `Q·Cᵀ` starting at row `i0`
   * (see `ranksBothWays` in src/retrieval/retrieval.ts): `q2c[i] = #{j : S_ij ≥ S_ii}`; with `cols`,
   * `c2q[j] += #{S_ij > hi[j]}` and values in `[lo[j], hi[j]]` appended to `pendJ/pendV` from
   * index `pending`. Returns the new pending count, or −1 when the pending arrays are full.
   */
  rankBlock(S: Float32Array, rows: number, n: number, i0: number, lo: Float64Array, hi: Float64Array, q2c: Int32Array, c2q: Int32Array, pendJ: Int32Array, pendV: Float64Array, pending: number, cols: boolean): number;
  setThreads(n: number): void;
  getThreads(): number;
  /** BLAS build and CPU kernel, e.g. "OpenBLAS 0.3.21 … DYNAMIC_ARCH …; core Haswell". */
  info(): string;
  /** A zero-filled ArrayBuffer of `bytes` whose pages may be huge ones (see {@link largeFloat32Array}). */
  largeBuffer?(bytes: number): ArrayBuffer;
}

/** What the native path is doing, for `npm run env` and run provenance. */
export interface NativeStatus {
  /** The addon loaded and is used. */
  active: boolean;
  /** Why it is or is not active (one line). */
  reason: string;
  /** BLAS description from the addon (library, build, CPU kernel). */
  blas?: string;
  /** BLAS threads. */
  threads?: number;
  /**
   * OpenBLAS settings taken from the environment at load, e.g. `{ OPENBLAS_CORETYPE: "Haswell" }`.
   * `OPENBLAS_CORETYPE` pins the CPU kernel (otherwise OpenBLAS picks the best one for the CPU,
   * e.g. an AVX-512 kernel); the kit honours it and never changes it, but records it here and
   * `npm run env` shows it, because it changes speed (measured ~1.7× per thread on sgemm on an
   * AVX-512 EPYC: Haswell 108 vs Cooperlake 185 GFLOP/s) and the bits of native results.
   */
  blasEnv?: Record<string, string>;
}

/** OpenBLAS environment variables that change the kernel it picks or how it blocks products. */
export const BLAS_ENV_VARS = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE"] as const;

/** The {@link BLAS_ENV_VARS} set in `env` (empty object when none is). */
export function blasEnvFrom(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of BLAS_ENV_VARS) if (env[k] !== undefined && env[k] !== "") out[k] = env[k] as string;
  return out;
}

/** Where the build puts the addon (same relative path from `src/backend/` and `dist/backend/`). */
export const ADDON_PATH = path.join(__dirname, "..", "..", "native", "build", "Release", "lco_blas.node");

let loaded: { blas: NativeBlas | null; status: NativeStatus } | null = null;

/** Parse `LCO_NATIVE_THREADS` (integer in [1, 64]); default: the available cores, at most 4. */
export function nativeThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.LCO_NATIVE_THREADS;
  if (v === undefined || v === "") return Math.max(1, Math.min(4, availableCores()));
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`invalid LCO_NATIVE_THREADS; expected an integer in [1, 64], got "${v}"`);
  return n;
}

function load(): { blas: NativeBlas | null; status: NativeStatus } {
  if (loaded) return loaded;
  const env = process.env.LCO_NATIVE;
  if (env !== undefined && env !== "" && env !== "0" && env !== "1") throw new Error(`invalid LCO_NATIVE; expected 0 or 1, got "${env}"`);
  if (env === "0") return (loaded = { blas: null, status: { active: false, reason: "switched off by LCO_NATIVE=0" } });
  if (!fs.existsSync(ADDON_PATH)) {
    return (loaded = { blas: null, status: { active: false, reason: "addon not built (bash environment/build-native.sh needs libopenblas-dev and a C compiler)" } });
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const blas = require(ADDON_PATH) as NativeBlas;
    const threads = nativeThreadsFromEnv();
    blas.setThreads(threads);
    const blasEnv = blasEnvFrom();
    return (loaded = { blas, status: { active: true, reason: "addon loaded", blas: blas.info(), threads: blas.getThreads() || threads, ...(Object.keys(blasEnv).length ? { blasEnv } : {}) } });
  } catch (e) {
    return (loaded = { blas: null, status: { active: false, reason: `addon failed to load: ${(e as Error).message.split("\n")[0]}` } });
  }
}

/** The addon, or `null` when the native path is off (see {@link nativeStatus} for why). */
export function nativeBlas(): NativeBlas | null {
  return load().blas;
}

/** Whether the native path is on, and why (a copy). */
export function nativeStatus(): NativeStatus {
  return { ...load().status };
}

/** One line for `npm run env` / `describeBackend`; names an environment-pinned OpenBLAS kernel. */
export function describeNative(s: NativeStatus = nativeStatus()): string {
  if (!s.active) return `native BLAS off (${s.reason})`;
  const pin = s.blasEnv?.OPENBLAS_CORETYPE;
  const env = s.blasEnv ? `; from the environment: ${Object.entries(s.blasEnv).map(([k, v]) => `${k}=${v}`).join(" ")}` : "";
  const hint = pin ? ` (the kernel is pinned by OPENBLAS_CORETYPE; unset it to let OpenBLAS pick the best kernel for this CPU)` : "";
  return `native BLAS on (${s.blas}; ${s.threads} thread(s)${env})${hint}`;
}

/**
 * `C = A·Bᵀ`-style products on plain arrays for the probes: `C[M,N] = op(A)·op(B)` through BLAS.
 * Returns `false` (and does nothing) when the native path is off.
 */
export function nativeGemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, beta = 0): boolean {
  const blas = nativeBlas();
  if (!blas || !matMulOn) return false;
  blas.sgemm(transA, transB, M, N, K, A, B, C, beta);
  return true;
}

/**
 * `Aᵀ·A` for the probes (`A [K, N]` row-major → upper triangle of `C [N, N]`), half the work of
 * {@link nativeGemm}. Returns `false` (and does nothing) when the native path is off.
 */
export function nativeSyrk(N: number, K: number, A: Float32Array, C: Float32Array): boolean {
  const blas = nativeBlas();
  if (!blas || !matMulOn || typeof blas.ssyrk !== "function") return false; // an addon built before ssyrk existed
  blas.ssyrk(N, K, A, C);
  return true;
}

/**
 * Arrays of at least this many bytes come from the addon's `largeBuffer` (numpy's threshold for
 * the same huge-page advice: 4 MB).
 */
export const LARGE_ARRAY_BYTES = 4 << 20;

/**
 * Zero-filled bytes for a big array: with the addon, memory advised for transparent huge pages
 * (as numpy does for its arrays), so the kernel maps it 2 MB at a time instead of 4 kB (measured
 * at n 10k, d 512: 26k minor page faults per `lco align --metric cka`, about a quarter of its
 * system time). Without the addon, or below {@link LARGE_ARRAY_BYTES}, an ordinary `Uint8Array`.
 * Only where the memory comes from changes, never a value.
 */
export function largeBytes(bytes: number): Uint8Array {
  const blas = bytes >= LARGE_ARRAY_BYTES ? nativeBlas() : null;
  return blas && typeof blas.largeBuffer === "function" ? new Uint8Array(blas.largeBuffer(bytes)) : new Uint8Array(bytes);
}

/** A zero-filled `Float32Array` of `length` values, from {@link largeBytes} when it is big. */
export function largeFloat32Array(length: number): Float32Array {
  return length * 4 >= LARGE_ARRAY_BYTES ? new Float32Array(largeBytes(length * 4).buffer) : new Float32Array(length);
}

/** The addon's `rankBlock` when the native path is on and the addon has it, else `null`. */
export function nativeRankBlock(): NativeBlas["rankBlock"] | null {
  const blas = nativeBlas();
  return blas && matMulOn && typeof blas.rankBlock === "function" ? blas.rankBlock.bind(blas) : null;
}

// ---------------------------------------------------------------------------------------------
// TF.js kernels on the wasm backend

let matMulOn = true;

/**
 * Switch the native products on or off at run time (TF.js kernels and probes); no effect when
 * the addon is absent. The benchmark uses it to time native and wasm in one process.
 * @returns the previous setting.
 */
export function setNativeMatMul(on: boolean): boolean {
  const prev = matMulOn;
  matMulOn = on;
  return prev;
}

/** Whether products currently go to BLAS (addon loaded and not switched off). */
export function nativeMatMulActive(): boolean {
  return matMulOn && nativeBlas() !== null;
}

/** The parts of the wasm backend the native kernels use. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Right-aligned broadcast of two batch shapes, or `null` if they do not broadcast. */
function broadcastBatch(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Fused activations {@link nativeMatMul} applies itself (others fall back to wasm). */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

/**
 * `BatchMatMul` / `_FusedMatMul` on the wasm backend through BLAS, in place on the heap, or
 * `null` when this call should go to the wasm kernels: native path off, not float32, a batch
 * broadcast other than "equal or one side 1", a bias that is not `[N]`/`[1]`/`[1, N]`, an
 * activation other than linear/relu, or a `preluActivationWeights` input.
 */
export function nativeMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo | null {
  const blas = nativeBlas();
  if (!blas || !matMulOn) return null;
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  const tA = Boolean(attrs.transposeA), tB = Boolean(attrs.transposeB);
  const act = ACTIVATIONS[attrs.activation ?? "linear"];
  if (a.dtype !== "float32" || b.dtype !== "float32" || act === undefined || preluActivationWeights) return null;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const M = tA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = tA ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = tB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2) return null; // let TF.js raise its own error
  const batchShape = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!batchShape) return null;
  const batch = prod(batchShape), batchA = prod(a.shape.slice(0, -2)), batchB = prod(b.shape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  if (bias && (bias.dtype !== "float32" || !(prod(bias.shape) === N || prod(bias.shape) === 1) || (bias.shape.length > 1 && bias.shape[bias.shape.length - 1] !== prod(bias.shape)))) return null;
  const be = args.backend as WasmHeapBackend;
  const out = be.makeOutput([...batchShape, M, N], "float32");
  if (batch * M * N === 0) return out;
  // Heap views after makeOutput: an allocation may grow (and so replace) the wasm heap.
  const A = be.typedArrayFromHeap(a) as Float32Array;
  const B = be.typedArrayFromHeap(b) as Float32Array;
  const C = be.typedArrayFromHeap(out) as Float32Array;
  if (batch === 1) blas.sgemm(tA, tB, M, N, K, A, B, C);
  else if (batchA === 1 && !tA) {
    // A shared left operand: fold the batch of B into N? Only valid for untransposed B with batch
    // stride; a plain loop of products is simplest and exact.
    blas.sgemmBatched(tA, tB, batch, M, N, K, A, 0, B, batchB === 1 ? 0 : K * N, C);
  } else if (batchB === 1 && !tA) {
    // A shared right operand (a weight applied to a batch of matrices): one product with M·batch rows.
    blas.sgemm(false, tB, batch * M, N, K, A, B, C);
  } else blas.sgemmBatched(tA, tB, batch, M, N, K, A, batchA === 1 ? 0 : M * K, B, batchB === 1 ? 0 : K * N, C);
  if (bias || act !== 0) blas.biasAct(C, batch * M, N, bias ? (be.typedArrayFromHeap(bias) as Float32Array) : null, act);
  return out;
}
