/**
 * The TF.js backend layer: pick a backend once, close the wasm backend's known gaps, and
 * record what ran.
 *
 * Order of preference: `tensorflow` (from the optional `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node`, when installed and loadable), then `wasm`, then the pure-JS `cpu`.
 * `LCO_BACKEND=wasm|cpu|tensorflow` forces one.
 *
 * On wasm we register two fixes measured in `shared/stack-notes.md` §4.3:
 *  1. a JS `UnsortedSegmentSum` kernel (the gradient of `gather`, missing on wasm), and
 *  2. a transpose-first `BatchMatMul` wrapper (the stock kernel runs 10–30× slower when
 *     `transposeA`/`transposeB` is set, which is exactly what backprop asks for).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Backend names the kit knows. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

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
  /** wasm only: SIMD and thread count as reported by the wasm backend flags. */
  wasm?: { simd: boolean; threads: number };
  /** Backends tried before this one and why they were skipped. */
  skipped: { name: BackendName; error: string }[];
}

let active: BackendInfo | null = null;
let wasmPatched = false;

const ORDER: BackendName[] = ["tensorflow", "wasm", "cpu"];

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Force a backend; default: `process.env.LCO_BACKEND`, else the first that loads. */
  backend?: BackendName;
  /** Print one line describing the choice. Default `false`. */
  verbose?: boolean;
  /**
   * Apply the wasm kernel fixes. Default `true`. Set `false` only to measure the stock
   * backend (the training benchmark compares both).
   */
  patchWasm?: boolean;
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

async function tryWasm(patch: boolean): Promise<void> {
  // Imported lazily: importing the wasm backend makes it the top-priority backend.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("@tensorflow/tfjs-backend-wasm");
  if (patch) patchWasmKernels();
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
  if (active && (!forced || forced === active.name) && (active.name !== "wasm" || patch === wasmPatched)) return active;
  const candidates = forced ? [forced] : ORDER;
  const skipped: BackendInfo["skipped"] = [];
  for (const name of candidates) {
    try {
      if (name === "tensorflow") await tryTensorflow();
      else if (name === "wasm") await tryWasm(patch);
      else if (!(await tf.setBackend("cpu"))) throw new Error("setBackend('cpu') returned false");
      await tf.ready();
      const info: BackendInfo = {
        name,
        tfjsVersion: tf.version.tfjs,
        reason: forced ? (options.backend ? "forced by option" : "forced by LCO_BACKEND") : "first available",
        patches: name === "wasm" && wasmPatched ? ["UnsortedSegmentSum", "BatchMatMul:transpose-first"] : [],
        skipped,
      };
      if (name === "wasm") {
        info.wasm = {
          simd: Boolean(tf.env().getAsync ? await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") : false),
          threads: (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) ? 2 : 1,
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
  const extra = info.wasm ? `, ${info.wasm.simd ? "simd" : "no simd"}, ${info.wasm.threads} thread(s)` : "";
  const patches = info.patches.length ? `; patches: ${info.patches.join(", ")}` : "";
  return `backend ${info.name} (tfjs ${info.tfjsVersion}${extra}; ${info.reason}${patches})`;
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

/**
 * Register the two wasm fixes. Must run before `tf.setBackend("wasm")`; idempotent.
 * Exported so that worker threads that build their own backend can apply the same fixes.
 */
export function patchWasmKernels(): void {
  if (wasmPatched) return;

  // 1. UnsortedSegmentSum: out[segmentIds[i], ...] += x[i, ...]. Ids outside [0, numSegments)
  //    are skipped, as in the TF definition. Plain JS; it matches the cpu kernel exactly.
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

  // 2. BatchMatMul with transposed operands: transpose first (fast wasm Transpose kernel), then
  //    call the stock kernel with both flags false, then free the temporaries.
  const stock = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (stock && transpose) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({
      ...stock,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as unknown as WasmBackendLike;
        const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return stock.kernelFunc({ inputs, backend, attrs });
        const temps: tf.TensorInfo[] = [];
        const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
          const r = t.shape.length;
          const perm = [...Array(r - 2).keys(), r - 1, r - 2];
          const out = transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo;
          temps.push(out);
          return out;
        };
        const a2 = transposeA ? swapLast(a) : a;
        const b2 = transposeB ? swapLast(bIn) : bIn;
        const out = stock.kernelFunc({
          inputs: { a: a2, b: b2 },
          backend,
          attrs: { ...(attrs as object), transposeA: false, transposeB: false },
        });
        for (const t of temps) b.disposeData(t.dataId);
        return out;
      },
    });
  }
  wasmPatched = true;
}
