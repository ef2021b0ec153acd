/**
 * The `runs` area: typed experiment presets with validated overrides, config hashes, run
 * directories named after what differs from the preset, the `runOrLoad` cache, and resumable
 * long jobs (`JobLog`, `checkpointed`). Named exports only.
 * @module
 */
export { definePreset, presetDefaults, resolveConfig, parseOverrides, PROFILES, profileFromEnv, byProfile } from "../config";
export type { Preset, ConfigValue, DeepPartial, NoInferType, Overrides, ResolveOptions, ParseOverridesOptions, Profile } from "../config";
export { canonicalJson, configHash, sha256 } from "./hash";
export { runDir, runsRoot, configDiff, flattenConfig } from "./dir";
export type { RunDirOptions } from "./dir";
export { runOrLoad, runOrLoadDetailed, loadRun, listRuns, RUN_FORMAT } from "./cache";
export type { RunOrLoadOptions, RunOutcome, RunContext, RunMeta, StoredRun, RunListing } from "./cache";
export { JobLog, readJsonl, checkpointed, STEP_FORMAT } from "./jobLog";
export type { JsonlRead, Step, CheckpointedOptions } from "./jobLog";
