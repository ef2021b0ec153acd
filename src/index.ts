/**
 * lco-kit: the public surface. Notebooks and tests import only from here:
 * `import * as lco from "lco-kit"`. Every export is listed by name.
 *
 * @module
 */
export { rng, splitSeed, shuffle, permutation, sampleIndices, choice, normalArray } from "./random";
export type { Rng } from "./random";
export { matrix, toMatrix, row, toRows, layers, stackLayers, sizeOf, assertFinite, assertNonZeroRows, InputError } from "./array";
export type { DType, FloatArray, AnyTypedArray, NdArray, Matrix, MatrixLike } from "./array";
export { initBackend, backendInfo, describeBackend, patchWasmKernels } from "./backend";
export type { BackendName, BackendInfo, InitBackendOptions } from "./backend";
export { nativeStatus, describeNative, setNativeMatMul } from "./backend/native";
export type { NativeStatus } from "./backend/native";
export { canReadSync, describeAdapter, gpuDriverPresent, prefetch, softwareAdapterIcd, webgpuErrors } from "./backend/webgpu";
export type { GpuAdapterInfo } from "./backend/webgpu";

/** The kit's version (kept equal to package.json). */
export const version = "0.1.0";

// Areas, each re-exported as a namespace: `lco.probes.anisotropy(...)`.
import * as probes from "./probes";
import * as io from "./io";
import * as runs from "./runs";
import * as retrieval from "./retrieval";
import * as stats from "./stats";
import * as figures from "./figures";
import * as display from "./display";
import * as exercises from "./exercises";
import * as paper from "./paper";
import * as nn from "./nn";
import * as bench from "./bench";
import * as world from "./world";
import * as organism from "./organism";
import * as experiments from "./experiments";
import * as sweep from "./sweep";
export { probes, io, runs, retrieval, stats, figures, display, exercises, paper, nn, bench, world, organism, experiments, sweep };
export { PROFILES, profileFromEnv, byProfile } from "./config";
export { PROJECT_ROOT, projectPath } from "./project";
export type { Profile } from "./config";
export { writeFileAtomic, writeJsonAtomic } from "./io/atomic";
export type { PlotlyFigure, FigureSpec } from "./figures/types";
