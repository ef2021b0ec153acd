/**
 * The `webgpu` backend: TF.js's WebGPU backend (`@tensorflow/tfjs-backend-webgpu`) in Node, through
 * Dawn's Node bindings (the npm package `webgpu`, which ships a prebuilt `dawn.node`). Runs on any
 * GPU with a Vulkan driver (Linux: NVIDIA, AMD, Intel), Metal (macOS) or Direct3D 12 (Windows).
 *
 * Why the order of things matters:
 * - the TF.js backend registers itself at import time, and only if `navigator.gpu` exists then, so
 *   Dawn's globals and `navigator.gpu` are installed first and the backend module is imported after;
 * - TF.js requests its own adapter; `navigator.gpu` here hands it the adapter this module already
 *   looked at, so the adapter that is recorded is the one that runs;
 * - `WEBGPU_CPU_FORWARD` is switched off: otherwise small ops silently run on the cpu backend.
 *
 * Hardware or software: Mesa's lavapipe (llvmpipe), SwiftShader and WARP are CPU emulations of a
 * GPU. They prove correctness, not speed, so the automatic choice skips them; `LCO_BACKEND=webgpu`
 * uses them. `LCO_WEBGPU_ADAPTER=software` selects the project-local lavapipe that
 * `environment/install.sh` unpacks into `data/cache/lavapipe/` (the tests and `bench/gpu` use it);
 * `LCO_DAWN_FLAGS` passes comma-separated toggles to Dawn (e.g. `backend=vulkan`).
 *
 * The kit's fused kernels (`nn/js-kernels.ts`) are registered for `wasm` and `cpu` only; on
 * `webgpu` the fast layers run the stock TF.js ops (see `jsKernelsAvailable`).
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** The GPU adapter the `webgpu` backend runs on, recorded in {@link BackendInfo} and run provenance. */
export interface GpuAdapterInfo {
  /** e.g. `"nvidia"`, `"amd"`, `"intel"`, `"apple"`, `"mesa"`. */
  vendor: string;
  /** e.g. `"ampere"`, `"rdna-3"`, `"software"`. */
  architecture: string;
  /** Dawn's device string, e.g. `"llvmpipe-llvm-15-0-6-256-bits-"`. */
  device: string;
  /** Driver description, e.g. `"llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1"`. */
  description: string;
  /** A CPU emulation (lavapipe/llvmpipe, SwiftShader, WARP) rather than a GPU. */
  software: boolean;
  /** The adapter said it is a fallback adapter (WebGPU's `isFallbackAdapter`). */
  fallback: boolean;
  /** The Vulkan driver manifest forced through `VK_ICD_FILENAMES`, if any (the project's lavapipe or the user's). */
  icd?: string;
  /** Toggles passed to Dawn (`LCO_DAWN_FLAGS`). */
  dawnFlags: string[];
}

/** Where `environment/install.sh` unpacks Mesa's lavapipe: `data/cache/lavapipe/` at the project root. */
export const SOFTWARE_ADAPTER_DIR = path.resolve(__dirname, "..", "..", "data", "cache", "lavapipe");

/** The Vulkan manifest of the project-local lavapipe, or `null` when `install.sh` did not set it up. */
export function softwareAdapterIcd(): string | null {
  const icd = path.join(SOFTWARE_ADAPTER_DIR, "lvp_icd.json");
  return fs.existsSync(icd) ? icd : null;
}

/** Whether an adapter is a CPU emulation, from what it reports about itself. */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; fallback?: boolean }): boolean {
  if (info.fallback) return true;
  const text = [info.architecture, info.device, info.description].join(" ");
  return /\b(software|llvmpipe|lavapipe|softpipe|swiftshader|warp|microsoft basic render)\b/i.test(text) || info.architecture === "software";
}

/** One line for the backend description, e.g. `nvidia ampere "NVIDIA GeForce RTX 3080", hardware`. */
export function describeAdapter(a: GpuAdapterInfo): string {
  const desc = a.description || a.device;
  return `${a.vendor || "unknown vendor"} ${a.architecture || "unknown architecture"}${desc ? ` "${desc}"` : ""}, ${a.software ? "software adapter" : "hardware"}${a.fallback ? " (fallback adapter)" : ""}`;
}

/**
 * Whether looking for a GPU costs nothing and prints nothing. On Linux, Dawn loads the Vulkan
 * loader and prints a warning when there is no driver; the automatic choice only looks when a
 * loader and a driver manifest exist. macOS (Metal) and Windows (D3D12) always have a driver.
 */
export function gpuDriverPresent(): { present: boolean; why: string } {
  if (process.platform !== "linux") return { present: true, why: process.platform };
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return { present: true, why: "VK_ICD_FILENAMES" };
  if (process.env.LCO_WEBGPU_ADAPTER === "software") return { present: true, why: "LCO_WEBGPU_ADAPTER=software" };
  const libDirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"];
  if (!libDirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1")))) return { present: false, why: "no Vulkan loader (libvulkan.so.1; Debian: apt-get install libvulkan1)" };
  const icdDirs = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d", path.join(os.homedir(), ".local/share/vulkan/icd.d")];
  const hasIcd = icdDirs.some((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith(".json")));
  return hasIcd ? { present: true, why: "Vulkan driver" } : { present: false, why: "no Vulkan driver installed (no manifest in /usr/share/vulkan/icd.d)" };
}

/** Minimal view of Dawn's objects that this module uses. */
interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: Set<string>;
  limits: Record<string, number>;
  requestDevice(desc?: unknown): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(opts?: unknown): Promise<DawnAdapter | null>;
}

/** The Dawn instance and adapter of this process (one per process: Dawn reads the driver environment once). */
let opened: Promise<{ adapter: DawnAdapter | null; info: GpuAdapterInfo | null; error?: string }> | null = null;
let backendLoaded = false;
/** The object `create` returned; see {@link probeAdapter}. */
let instance: DawnGpu | null = null;

function dawnFlags(): string[] {
  return (process.env.LCO_DAWN_FLAGS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** Point the Vulkan loader at the project's lavapipe when asked to (before Dawn creates its instance). */
function selectDriver(): string | undefined {
  const mode = process.env.LCO_WEBGPU_ADAPTER;
  if (mode !== undefined && mode !== "" && mode !== "software" && mode !== "system") {
    throw new Error(`invalid LCO_WEBGPU_ADAPTER; expected software or system, got "${mode}"`);
  }
  if (mode === "software") {
    const icd = softwareAdapterIcd();
    if (!icd) throw new Error(`LCO_WEBGPU_ADAPTER=software but no software adapter in ${SOFTWARE_ADAPTER_DIR} (run bash environment/install.sh)`);
    process.env.VK_ICD_FILENAMES = icd;
  }
  // Mesa warns on every start without it.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = os.tmpdir();
  return process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || undefined;
}

/**
 * Open Dawn and request the high-performance adapter, once per process; the result is cached.
 * Does not initialise the TF.js backend. `null` adapter (with `error`) when there is none.
 */
export function probeAdapter(): Promise<{ info: GpuAdapterInfo | null; error?: string }> {
  opened ??= (async () => {
    const icd = selectDriver();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dawn = require("webgpu") as { create(flags: string[]): DawnGpu; globals: Record<string, unknown> };
    const flags = dawnFlags();
    const gpu = dawn.create(flags);
    instance = gpu; // Dawn lives only as long as this object: without a reference, GC ends it mid-run
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return { adapter: null, info: null, error: `no WebGPU adapter found${icd ? ` (VK_ICD_FILENAMES=${icd})` : ""}` };
    const i = adapter.info ?? {};
    const fallback = Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter);
    const info: GpuAdapterInfo = {
      vendor: i.vendor ?? "",
      architecture: i.architecture ?? "",
      device: i.device ?? "",
      description: i.description ?? "",
      fallback,
      software: false,
      ...(icd ? { icd } : {}),
      dawnFlags: flags,
    };
    info.software = isSoftwareAdapter(info);
    installNavigatorGpu(dawn.globals, adapter);
    return { adapter, info };
  })();
  return opened.then(({ info, error }) => (error ? { info, error } : { info }));
}

/** Dawn's WebGPU classes as globals, and a `navigator.gpu` that hands TF.js the adapter probed above. */
function installNavigatorGpu(globals: Record<string, unknown>, adapter: DawnAdapter): void {
  Object.assign(globalThis, globals);
  const gpu = { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => "rgba8unorm", wgslLanguageFeatures: new Set<string>() };
  const g = globalThis as { navigator?: object };
  // Node ≥ 21 has a global `navigator` (with a getter-only prototype); Node 20 has none.
  if (g.navigator) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true, writable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}

/**
 * Initialise TF.js's `webgpu` backend on the probed adapter.
 * @param allowSoftware use a software adapter too (when the backend was forced).
 * @returns the adapter it runs on.
 * @throws when there is no adapter, or it is a software adapter and `allowSoftware` is false.
 */
export async function initWebgpu(allowSoftware: boolean): Promise<GpuAdapterInfo> {
  if (!allowSoftware) {
    const drv = gpuDriverPresent();
    if (!drv.present) throw new Error(drv.why);
  }
  const { info, error } = await probeAdapter();
  if (!info) throw new Error(error ?? "no WebGPU adapter found");
  if (info.software && !allowSoftware) throw new Error(`only a software adapter (${describeAdapter(info)}); LCO_BACKEND=webgpu uses it`);
  if (!backendLoaded) {
    // Imported only now: it registers the backend at import time, and only if navigator.gpu exists.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-backend-webgpu");
    backendLoaded = true;
  }
  if (!(await tf.setBackend("webgpu"))) throw new Error("setBackend('webgpu') returned false");
  // Otherwise ops on small tensors silently run on the cpu backend.
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  const device = (tf.backend() as unknown as { device: GpuDeviceLike }).device;
  if (!watched.has(device)) {
    watched.add(device);
    // A WebGPU validation error does not throw: the kernel's result is silently wrong. Count them.
    device.addEventListener("uncapturederror", (e) => {
      const msg = (e as { error?: { message?: string } }).error?.message ?? String(e);
      gpuErrors.push(msg.split("\n")[0]);
    });
  }
  registerChunkedAddN();
  return info;
}

/** What this module uses of a `GPUDevice`. */
interface GpuDeviceLike {
  limits: { maxStorageBuffersPerShaderStage: number };
  addEventListener(type: "uncapturederror", listener: (e: unknown) => void): void;
}
const watched = new WeakSet<object>();
const gpuErrors: string[] = [];

/**
 * The WebGPU errors raised since the webgpu backend started in this process (first line of each),
 * e.g. a pipeline that fails validation. A kernel that hits one returns wrong values without
 * throwing, so a correct run has none; the parity test asserts that.
 */
export function webgpuErrors(): string[] {
  return gpuErrors.slice();
}

let addNChunked = false;

/**
 * TF.js's webgpu `AddN` binds every input and the output as storage buffers in one shader, and a
 * device allows `maxStorageBuffersPerShaderStage` of them (8 unless raised): with 8 or more
 * inputs the pipeline fails validation and the sum is silently wrong (measured: 8 tensors of
 * ones·i summed to 28 instead of 36). Gradient clipping sums one term per parameter, so the kit
 * sums in chunks of at most `limit - 1` inputs, then sums the partial sums.
 */
function registerChunkedAddN(): void {
  if (addNChunked) return;
  const stock = tf.getKernel("AddN", "webgpu");
  if (!stock) return;
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const backend = args.backend as unknown as { device: GpuDeviceLike; disposeData(dataId: unknown): boolean };
      const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
      let level = args.inputs as unknown as tf.TensorInfo[];
      const partial: tf.TensorInfo[] = [];
      while (level.length > max) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += max) {
          const part = level.slice(i, i + max);
          if (part.length === 1) next.push(part[0]);
          else {
            const sum = stock.kernelFunc({ ...args, inputs: part as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
            partial.push(sum);
            next.push(sum);
          }
        }
        level = next;
      }
      const out = stock.kernelFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap });
      for (const t of partial) backend.disposeData(t.dataId);
      return out;
    },
  });
  addNChunked = true;
}

/**
 * Whether the active backend can read tensors synchronously (`dataSync`). In Node the `webgpu`
 * backend cannot: its synchronous read goes through an `OffscreenCanvas`, which Node does not
 * have, and a GPU buffer can only be mapped asynchronously. Code that runs on webgpu reads with
 * `await t.data()`, or calls {@link prefetch} first.
 */
export function canReadSync(): boolean {
  // The engine's field, not tf.getBackend(), which would initialise a backend when none is set.
  return tf.engine().backendName !== "webgpu";
}

/**
 * Make `dataSync()` work on these tensors: on a backend without synchronous reads, download them
 * now (TF.js caches the values on the tensor); elsewhere do nothing. Tensors created from JS
 * values keep those values and need no prefetch.
 */
export async function prefetch(tensors: readonly tf.Tensor[]): Promise<void> {
  if (canReadSync()) return;
  await Promise.all(tensors.map((t) => t.data()));
}
