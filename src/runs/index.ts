/**
 * The `runs` area: typed experiment presets with validated overrides, config hashes, run
 * directories named after what differs from the preset (under `runsRoot()`), and the `runOrLoad`
 * cache. Named exports only.
 * @module
 */
export { definePreset, presetDefaults, resolveConfig, parseOverrides, PROFILES, profileFromEnv, byProfile } from "../config";
export type { Preset, ConfigValue, DeepPartial, NoInferType, Overrides, ResolveOptions, ParseOverridesOptions, Profile } from "../config";
export { stableJson, configHash } from "./hash";
export { runDir, runsRoot, configDiff, flattenConfig } from "./dir";
export type { RunDirOptions } from "./dir";
export { runOrLoad, runOrLoadDetailed, loadRun, listRuns, RUN_FORMAT, computePath, computePathsUsed, noteRunUsed, resetComputePathsUsed, assertOneComputePath } from "./cache";
export type { RunOrLoadOptions, RunOutcome, RunContext, RunMeta, StoredRun, RunListing, ComputePathUse } from "./cache";
export { runChild, runGraph, runPool, serveJobs, startWorkers } from "./pool";
export type { ChildJob, GraphJob, GraphOutcome, WorkerPool, WorkerPoolOptions, WorkerStats } from "./pool";
