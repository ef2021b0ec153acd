/**
 * lco-kit: the public surface. Notebooks and tests import only from here:
 * `import * as lco from "lco-kit"`. Every export is listed by name.
 *
 * @module
 */
export { rng, splitSeed, shuffle, permutation, sampleIndices, choice, normalArray } from "./random";
export type { Rng } from "./random";
export { matrix, toMatrix, row, toRows, layers, stackLayers, sizeOf } from "./array";
export type { DType, FloatArray, AnyTypedArray, NdArray, Matrix, MatrixLike } from "./array";
export { initBackend, backendInfo, describeBackend, patchWasmKernels } from "./backend";
export type { BackendName, BackendInfo, InitBackendOptions } from "./backend";

/** The kit's version (kept equal to package.json). */
export const version = "0.1.0";
