/**
 * `runOrLoad`: compute an expensive result once, then load it. A student stepping through a
 * chapter gets the cached run in milliseconds; change one config value and the run is redone.
 *
 * A run directory holds
 *   - `config.json`  `{format, configHash, seed, config}`: what was run,
 *   - `meta.json`    `{format, configHash, seed, profile, backend, tfjsVersion, nodeVersion,
 *                     startedAt, endedAt, durationSec, …}`: where and how long,
 *   - `result.json`  `{format, configHash, seed, result}`: the (encoded) result,
 * plus whatever `compute` itself writes there (a `metrics.jsonl`, a model).
 *
 * Why it cannot load a half-written or stale result: each file is written atomically (temp file
 * + rename), and `result.json` is written **last**, so its presence marks a finished run; it
 * carries `configHash(cfg)` and the seed, and a result whose hash or seed differs from the
 * request is never returned.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { backendInfo, type BackendInfo } from "../backend";
import type { Profile } from "../config";
import { writeJsonAtomic } from "../io/atomic";
import { configHash } from "./hash";

/** The format tag of every run file. */
export const RUN_FORMAT = "lco-run v1";

/** `meta.json` of a run. */
export interface RunMeta {
  format: typeof RUN_FORMAT;
  configHash: string;
  /** The run's seed, or `null` when none was given. */
  seed: number | null;
  /** The profile, or `null` when none was given. */
  profile: Profile | null;
  /** What `initBackend()` chose, or `null` if no TF.js backend was initialised. */
  backend: BackendInfo | null;
  tfjsVersion: string;
  nodeVersion: string;
  platform: string;
  /** ISO 8601 times of the computation. */
  startedAt: string;
  endedAt: string;
  /** Wall-clock seconds of `compute`. */
  durationSec: number;
  /** Extra fields given in `RunOrLoadOptions.meta`. */
  extra?: Record<string, unknown>;
}

/** What `compute` receives. */
export interface RunContext<C> {
  /** The run directory (already created): put checkpoints, `metrics.jsonl`, models here. */
  dir: string;
  cfg: C;
  seed: number | undefined;
}

/** Options for {@link runOrLoad}. */
export interface RunOrLoadOptions<T, C extends object = object> {
  /** The run directory (see `runDir`). Created if missing. */
  dir: string;
  /** The resolved config; `configHash(cfg)` together with `seed` identifies the result. */
  cfg: C;
  /** The expensive computation. Runs only when no matching result is stored. */
  compute: (ctx: RunContext<C>) => T | Promise<T>;
  /** Seed of the run; part of the identity (a stored run of another seed is not loaded) and recorded in `meta.json`. */
  seed?: number;
  /** Profile, recorded in `meta.json`. */
  profile?: Profile;
  /** Turn the result into JSON data (default: identity). E.g. typed arrays → number arrays. */
  encode?: (value: T) => unknown;
  /** Inverse of `encode` (default: identity). */
  decode?: (json: unknown) => T;
  /**
   * What to do when `result.json` exists for a **different** config or seed: `"recompute"` (default;
   * the stale result is replaced) or `"throw"` (an `InputError` naming both hashes, for runs too
   * expensive to redo by accident). Files that `compute` wrote for the old config (a
   * `metrics.jsonl`, checkpoints) are not removed: give each config its own folder with `runDir`.
   */
  onMismatch?: "recompute" | "throw";
  /** Recompute even when a matching result exists. Default `false`. */
  force?: boolean;
  /** Extra fields stored under `meta.extra` (notes, data hashes). */
  meta?: Record<string, unknown>;
  /** Receives one line saying whether the run was loaded or computed. Default: silent. */
  log?: (line: string) => void;
}

/** The full outcome of {@link runOrLoadDetailed}. */
export interface RunOutcome<T> {
  value: T;
  /** `true` when the result came from disk. */
  loaded: boolean;
  dir: string;
  configHash: string;
  /** The run's metadata (`null` only if a loaded run's `meta.json` is missing or unreadable). */
  meta: RunMeta | null;
}

/** A stored run, as read by {@link loadRun}. */
export interface StoredRun {
  dir: string;
  /** `configHash(config)` of the stored run. */
  configHash: string;
  seed: number | null;
  config: unknown;
  /** The encoded result (apply your `decode`). */
  result: unknown;
  meta: RunMeta | null;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/**
 * Read a finished run from `dir`, or `null` when there is none (no `result.json`, or one in
 * another format). Does not check the hash; {@link runOrLoad} does.
 * @throws InputError if `result.json` exists but is not valid JSON (it is written atomically, so
 *   this means someone edited it).
 */
export function loadRun(dir: string): StoredRun | null {
  const file = path.join(dir, "result.json");
  if (!fs.existsSync(file)) return null;
  let res: { format?: unknown; configHash?: unknown; result?: unknown };
  try {
    res = readJson(file) as typeof res;
  } catch (e) {
    throw new InputError(`${file} is not valid JSON (${(e as Error).message}); delete it to recompute`);
  }
  if (res === null || typeof res !== "object" || res.format !== RUN_FORMAT || typeof res.configHash !== "string") return null;
  const resSeed = (res as { seed?: unknown }).seed;
  let config: unknown = null;
  const seed = typeof resSeed === "number" ? resSeed : null;
  let meta: RunMeta | null = null;
  try {
    const c = readJson(path.join(dir, "config.json")) as { config?: unknown };
    config = c.config ?? null;
  } catch {
    // config.json is informative; the hash in result.json is what identifies the run.
  }
  try {
    meta = readJson(path.join(dir, "meta.json")) as RunMeta;
  } catch {
    meta = null;
  }
  return { dir, configHash: res.configHash, seed, config, result: res.result, meta };
}

/**
 * The compute path a run's numbers depend on, in one line: the TF.js backend and, when it was on,
 * the native BLAS path with its CPU kernel and thread count (each of these changes the last bits,
 * which training amplifies). `"unknown"` for a run without a recorded backend.
 * @example computePath(meta.backend) // "wasm" or "wasm + native BLAS (core Haswell, 1 thread)"
 */
export function computePath(backend: BackendInfo | null | undefined): string {
  if (!backend) return "unknown";
  const n = backend.native;
  if (!n?.active) return backend.name;
  const core = /core (\S+)/.exec(n.blas ?? "")?.[1] ?? "?";
  return `${backend.name} + native BLAS (core ${core}, ${n.threads ?? "?"} thread${n.threads === 1 ? "" : "s"})`;
}

/** How this process used runs of one compute path (see {@link computePathsUsed}). */
export interface ComputePathUse {
  path: string;
  /** Whether that path had the native BLAS path on (`null`: unknown). */
  native: boolean | null;
  computed: number;
  loaded: number;
  /** Up to 3 of the run folders, for a readable message. */
  examples: string[];
}

// Every run this process computed or loaded, by compute path: a result built from runs of several
// paths is not the result of any one of them, and a loaded run's path is otherwise invisible
// (a training run's identity does not include the backend, so a wasm process silently reuses a run
// trained with native BLAS).
const pathsUsed = new Map<string, ComputePathUse>();
const foldersSeen = new Set<string>();

function notePath(meta: RunMeta | null, dir: string, how: "computed" | "loaded"): void {
  const p = computePath(meta?.backend);
  const key = path.resolve(dir);
  if (p === "unknown" || foldersSeen.has(key)) return;
  foldersSeen.add(key);
  let u = pathsUsed.get(p);
  if (!u) pathsUsed.set(p, (u = { path: p, native: meta?.backend?.native ? meta.backend.native.active : false, computed: 0, loaded: 0, examples: [] }));
  u[how] += 1;
  if (u.examples.length < 3) u.examples.push(dir);
}

/**
 * Count a finished run folder that a result uses without having gone through {@link runOrLoad} in
 * this process (e.g. runs a worker process computed), from its `meta.json`. A folder is counted once.
 */
export function noteRunUsed(dir: string): void {
  // Only meta.json is needed (a result file can be large, and publishing notes hundreds of folders).
  if (!fs.existsSync(path.join(dir, "result.json"))) return;
  let meta: RunMeta | null = null;
  try {
    meta = readJson(path.join(dir, "meta.json")) as RunMeta;
  } catch {
    return; // no readable meta: nothing to record, as for a run without a recorded backend
  }
  notePath(meta, dir, "loaded");
}

/** The compute paths of every run this process has computed or loaded through {@link runOrLoad} (or {@link noteRunUsed}) so far. */
export function computePathsUsed(): ComputePathUse[] {
  return [...pathsUsed.values()].map((u) => ({ ...u, examples: [...u.examples] }));
}

/** Forget the runs recorded for {@link computePathsUsed} (for tests, and between independent jobs in one process). */
export function resetComputePathsUsed(): void {
  pathsUsed.clear();
  foldersSeen.clear();
}

/**
 * Throw unless every run this process used was computed with the native BLAS path on, or every
 * one with it off. Publishing calls this: published results must come from one compute path (wasm
 * publishes, since its bits are the same on every machine), and a mix would otherwise go unseen.
 * Different BLAS kernels or thread counts within the native path are recorded, not refused.
 * @throws InputError naming the paths and example folders.
 */
export function assertOneComputePath(): void {
  const uses = computePathsUsed();
  const on = uses.filter((u) => u.native === true);
  const off = uses.filter((u) => u.native === false);
  if (on.length === 0 || off.length === 0) return;
  const list = uses.map((u) => `${u.path}: ${u.computed} computed, ${u.loaded} loaded (e.g. ${u.examples.join(", ")})`).join("; ");
  throw new InputError(
    `refusing to publish: the runs behind this result mix the native BLAS path and wasm (${list}). ` +
      "Recompute on one path: use a fresh runs folder (--root) or delete the folders of the other path.",
  );
}

/**
 * Like {@link runOrLoad}, but also says whether the value was loaded, and returns the metadata.
 */
export async function runOrLoadDetailed<T, C extends object = object>(opts: RunOrLoadOptions<T, C>): Promise<RunOutcome<T>> {
  const { dir, cfg, seed } = opts;
  if (seed !== undefined && !Number.isInteger(seed)) throw new InputError(`invalid seed for runOrLoad; need an integer, got ${seed}`);
  const encode = opts.encode ?? ((v: T) => v as unknown);
  const decode = opts.decode ?? ((j: unknown) => j as T);
  const hash = configHash(cfg);
  const wantSeed = seed ?? null;
  const log = opts.log ?? (() => {});

  const stored = opts.force ? null : loadRun(dir);
  if (stored) {
    if (stored.configHash === hash && stored.seed === wantSeed) {
      log(`loaded ${dir} (config ${hash.slice(0, 8)})`);
      notePath(stored.meta, dir, "loaded");
      return { value: decode(stored.result), loaded: true, dir, configHash: hash, meta: stored.meta };
    }
    if (opts.onMismatch === "throw") {
      throw new InputError(
        `${path.join(dir, "result.json")} holds a run of config ${stored.configHash.slice(0, 12)} seed ${stored.seed}, not the requested config ${hash.slice(0, 12)} seed ${wantSeed}; delete it or use onMismatch: "recompute"`,
      );
    }
    log(`config or seed changed in ${dir} (${stored.configHash.slice(0, 8)}/seed ${stored.seed} → ${hash.slice(0, 8)}/seed ${wantSeed}); recomputing`);
  }

  // Remove any old result first: until the new one is complete, the folder holds no result at all.
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, "result.json"), { force: true });

  const start = Date.now();
  const startedAt = new Date(start).toISOString();
  const value = await opts.compute({ dir, cfg, seed });
  const end = Date.now();
  const encoded = encode(value);
  // Round-trip through JSON now, so the value returned today is the value loaded tomorrow
  // (typed arrays, NaN → null, Dates → strings all show up on the first run, not the second).
  const json = JSON.stringify(encoded);
  if (json === undefined) throw new InputError(`runOrLoad: the result of ${dir} encodes to nothing (undefined); return JSON data or give an encode function`);
  const roundTripped: unknown = JSON.parse(json);

  const info = backendInfo();
  const meta: RunMeta = {
    format: RUN_FORMAT,
    configHash: hash,
    seed: wantSeed,
    profile: opts.profile ?? null,
    backend: info,
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    startedAt,
    endedAt: new Date(end).toISOString(),
    durationSec: (end - start) / 1000,
    ...(opts.meta ? { extra: opts.meta } : {}),
  };
  writeJsonAtomic(path.join(dir, "config.json"), { format: RUN_FORMAT, configHash: hash, seed: wantSeed, config: cfg });
  writeJsonAtomic(path.join(dir, "meta.json"), meta);
  // Last: its presence marks the run complete.
  writeJsonAtomic(path.join(dir, "result.json"), { format: RUN_FORMAT, configHash: hash, seed: wantSeed, result: roundTripped });
  notePath(meta, dir, "computed");
  log(`computed ${dir} in ${meta.durationSec.toFixed(1)} s`);
  return { value: decode(roundTripped), loaded: false, dir, configHash: hash, meta };
}

/**
 * Return the stored result of this config (and seed) from `dir`, or compute it, store it and
 * return it. The returned value always went through `encode` → JSON → `decode`, so a computed
 * and a loaded run look the same.
 *
 * @example
 * const dir = runDir("runs", ALIGNMENT, cfg, seed);
 * const scores = await runOrLoad({ dir, cfg, seed, compute: () => trainAndProbe(cfg, seed) });
 * @throws whatever `compute` throws (no `result.json` is left behind); InputError on a hash
 *   mismatch with `onMismatch: "throw"`.
 */
export async function runOrLoad<T, C extends object = object>(opts: RunOrLoadOptions<T, C>): Promise<T> {
  return (await runOrLoadDetailed(opts)).value;
}

/** One finished run found by {@link listRuns}. */
export interface RunListing {
  dir: string;
  seed: number | null;
  configHash: string;
  config: unknown;
}

/**
 * Finished runs under `root/experiment` (folders with a `result.json` in the run format),
 * sorted by folder. Use it to gather every seed of a config for `summarizeSeeds`.
 */
export function listRuns(root: string, experiment: string): RunListing[] {
  const base = path.join(root, experiment);
  if (!fs.existsSync(base)) return [];
  const out: RunListing[] = [];
  for (const cfgDir of fs.readdirSync(base).sort()) {
    const p = path.join(base, cfgDir);
    if (!fs.statSync(p).isDirectory()) continue;
    for (const seedDir of fs.readdirSync(p).sort()) {
      const d = path.join(p, seedDir);
      if (!fs.statSync(d).isDirectory()) continue;
      const run = loadRun(d);
      if (run) out.push({ dir: d, seed: run.seed, configHash: run.configHash, config: run.config });
    }
  }
  return out;
}
