/**
 * TF.js and the backend layer, loaded on first use. Importing `@tensorflow/tfjs` costs about
 * 0.3 s of CPU (it loads tfjs-core, layers, converter and the webgl and cpu backends), so modules
 * that need TF.js only on one of their paths (the probes' `"tfjs"` engine, the linear probe, the
 * CLI's probe commands) get it through these functions instead of a top-level import: the
 * native BLAS and float64 JS paths then never load it. Node caches the modules, so every call
 * after the first is a lookup.
 * @module
 */
import type * as TF from "@tensorflow/tfjs";

/** The `@tensorflow/tfjs` namespace, loaded on the first call. */
export function tfjs(): typeof TF {
  return require("@tensorflow/tfjs") as typeof TF;
}

/** The backend layer (`./index`: `initBackend`, `backendInfo`, …), loaded on the first call. */
export function backendLayer(): typeof import("./index") {
  return require("./index") as typeof import("./index");
}

/** The WebGPU helpers (`./webgpu`: `canReadSync`, `prefetch`, …), loaded on the first call; that module imports TF.js. */
export function webgpuLayer(): typeof import("./webgpu") {
  return require("./webgpu") as typeof import("./webgpu");
}
