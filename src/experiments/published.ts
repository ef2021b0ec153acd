/**
 * Published organism results: the outputs of one `npm run reproduce -- --publish` run, copied
 * into `data/organism/<profile>/` so that the organism figures have committed inputs (their JSON
 * is snapshot-tested like the paper figures) and chapters can show the full-profile numbers
 * without retraining.
 *
 * These files are *run outputs*, never edited by hand: `publishOrganismResults` writes them from a
 * finished family and its alignment experiment, with a provenance file that says which commit,
 * command, backend and machine produced them and how long it took (from the run folders' own
 * `meta.json` timestamps). `npm run reproduce -- --profile full --publish` regenerates them.
 *
 * Layout of `data/organism/<profile>/`:
 * - `family.json` — the family summary (`lco-organism-family v1`, as `pretrainFamily` writes it),
 *   with generated samples kept only at the last checkpoint;
 * - `alignment.json` — `{format: "lco-organism-alignment v1", profile, bySize: {S: AlignmentRow[], …}}`;
 * - `provenance.json` — see {@link Provenance}.
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { InputError } from "../array";
import { writeJsonAtomic } from "../io/atomic";
import { assertOneComputePath, computePathsUsed, noteRunUsed, type RunMeta } from "../runs/cache";
import { runsRoot } from "../runs/dir";
import { PROJECT_ROOT, projectPath } from "../project";
import type { FamilyRun } from "../organism/family";
import { alignmentDir, type AlignmentRow } from "./alignment";

/** Where published results live, relative to the project root. */
export const PUBLISHED_ROOT = "data/organism";

/**
 * The three published files of a profile (paths relative to the project root, whatever the working
 * directory).
 * @param variant a non-default experiment published next to the default one, e.g. `"few-words"`
 *   (the few-word answer format): its files get the suffix `-<variant>`. Default none.
 */
export function publishedFiles(profile: string, root = PUBLISHED_ROOT, variant = ""): { family: string; alignment: string; provenance: string } {
  if (variant && !/^[a-z0-9-]+$/.test(variant)) throw new InputError(`invalid variant "${variant}"; use lower-case letters, digits and "-"`);
  const dir = `${root}/${profile}`;
  const v = variant ? `-${variant}` : "";
  return { family: `${dir}/family${v}.json`, alignment: `${dir}/alignment${v}.json`, provenance: `${dir}/provenance${v}.json` };
}

/** One published pretraining run: the run's result without its timings and folder (see {@link Provenance}). */
export type PublishedRun = Omit<FamilyRun, "dir" | "seconds" | "msPerStep" | "tokensPerSec">;

/** Alignment rows per family member, e.g. `{S: rows, M: rows, L: rows}`. */
export type AlignmentBySize = Record<string, AlignmentRow[]>;

/** Timing of a set of runs, from their `meta.json` files (only runs computed, not loaded). */
export interface StageTiming {
  /** Runs whose meta was found. */
  runs: number;
  /** First start to last end over those runs, seconds: the stage's wall-clock time when they ran in one go. */
  wallSeconds: number;
  /** Sum of the runs' own durations, seconds (core-time when each run is single-threaded). */
  sumSeconds: number;
  startedAt: string;
  endedAt: string;
}

/** Where, with what and how long the published results were produced. */
export interface Provenance {
  format: "lco-organism-provenance v1";
  profile: string;
  /** The command that produced the results. */
  command: string;
  /** `git rev-parse HEAD` of the producing checkout (with `-dirty` if it had uncommitted changes), or null. */
  commit: string | null;
  publishedAt: string;
  /** Backend of the first run (every run records its own in `meta.json`). */
  backend: RunMeta["backend"] | null;
  /**
   * Every compute path behind the result (`computePath`: backend, native BLAS kernel and threads)
   * with how many runs used it: the runs this process computed or loaded, and the given folders.
   * Publishing refuses a mix of native BLAS and wasm. Absent in files published before it existed.
   */
  computePaths?: Record<string, number>;
  node: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number };
  /** Pretraining of the family (includes each run's generative evaluation at its checkpoints). */
  pretraining: StageTiming;
  /** The alignment experiment (embedding, controls, CLIP-control fine-tuning). */
  alignment: StageTiming;
  /** One row per run: size, seed, training seconds and ms/step as the run measured them. */
  runs: { size: string; seed: number; numSteps: number; trainSeconds: number; msPerStep: number }[];
}

function readMeta(dir: string): RunMeta | null {
  const f = path.join(dir, "meta.json");
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as RunMeta) : null;
}

/**
 * Wall-clock and summed time of the runs in `dirs`, from their `meta.json` (`startedAt`,
 * `endedAt`, `durationSec`). Runs without meta are skipped.
 * @throws InputError when none of the folders has a meta file.
 */
export function stageTiming(dirs: readonly string[]): StageTiming {
  const metas = dirs.map(readMeta).filter((m): m is RunMeta => m !== null);
  if (metas.length === 0) throw new InputError(`no meta.json in any of ${dirs.length} run folders (first: ${dirs[0] ?? "none"})`);
  const start = Math.min(...metas.map((m) => Date.parse(m.startedAt)));
  const end = Math.max(...metas.map((m) => Date.parse(m.endedAt)));
  return {
    runs: metas.length,
    wallSeconds: (end - start) / 1000,
    sumSeconds: metas.reduce((s, m) => s + m.durationSec, 0),
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(end).toISOString(),
  };
}

function gitCommit(): string | null {
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/** Options of {@link publishOrganismResults}. */
export interface PublishOptions {
  /** Runs folder the family and alignment runs live in (see `runs.runsRoot`). Default `runs/`. */
  root?: string;
  /** Destination root. Default {@link PUBLISHED_ROOT}. */
  outRoot?: string;
  /** The command to record. Default `npm run reproduce -- --profile <profile> --only organism --publish`. */
  command?: string;
  /** CLIP-control steps of the alignment runs (locates their folders for the timing). Default 150. */
  clipSteps?: number;
  /** Publish as a variant next to the default results (see {@link publishedFiles}). Default none. */
  variant?: string;
}

/**
 * Copy a finished family (`runs/organism/family-<profile>.json`) and its alignment experiment into
 * `data/organism/<profile>/`, with a provenance file. Every file is written atomically.
 * @param family the family runs (as returned by `pretrainFamily` or `readFamilySummary`).
 * @param alignment the alignment rows per size (from `alignmentExperiment`).
 * @returns the written file paths.
 */
export function publishOrganismResults(profile: string, family: readonly FamilyRun[], alignment: AlignmentBySize, options: PublishOptions = {}): ReturnType<typeof publishedFiles> {
  if (family.length === 0) throw new InputError("nothing to publish: the family has no runs");
  const sizes = Object.keys(alignment);
  if (sizes.length === 0) throw new InputError("nothing to publish: no alignment rows");
  for (const s of sizes) if (alignment[s].length === 0) throw new InputError(`no alignment rows for size "${s}"`);
  const root = runsRoot(options.root);
  const files = publishedFiles(profile, options.outRoot, options.variant);
  // Generated samples are kept at the last checkpoint only (they are for reading, not plotting).
  // Timings and folders stay out of the result files (the provenance below keeps them), so
  // republishing the same numbers leaves the published results unchanged.
  const runs: PublishedRun[] = family.map(({ dir: _d, seconds: _s, msPerStep: _m, tokensPerSec: _t, ...r }) => ({
    ...r,
    checkpoints: r.checkpoints.map((c, i) => (i === r.checkpoints.length - 1 ? c : stripSamples(c))),
  }));
  const provenance: Provenance = {
    format: "lco-organism-provenance v1",
    profile,
    ...producer(options.command ?? `npm run reproduce -- --profile ${profile} --only organism --publish`, [
      ...family.map((r) => r.dir),
      ...family.map((r) => alignmentDir(root, r.spec, r.seed, options.clipSteps)),
    ]),
    pretraining: stageTiming(family.map((r) => r.dir)),
    // The alignment runs of exactly these pretraining runs (other experiments may share `root`).
    alignment: stageTiming(family.map((r) => alignmentDir(root, r.spec, r.seed, options.clipSteps))),
    runs: family.map((r) => ({ size: r.spec.size, seed: r.seed, numSteps: r.numSteps, trainSeconds: r.seconds, msPerStep: r.msPerStep })),
  };
  writeJsonAtomic(projectPath(files.family), { format: "lco-organism-family v1", profile, runs });
  writeJsonAtomic(projectPath(files.alignment), { format: "lco-organism-alignment v1", profile, bySize: alignment });
  writeJsonAtomic(projectPath(files.provenance), provenance);
  return files;
}

/** Who produced a result, with what, and when: the fields every provenance file shares. */
function producer(command: string, dirs: readonly string[]): Pick<Provenance, "command" | "commit" | "publishedAt" | "backend" | "computePaths" | "node" | "machine"> {
  for (const d of dirs) noteRunUsed(d);
  assertOneComputePath();
  return {
    command,
    commit: gitCommit(),
    publishedAt: new Date().toISOString(),
    backend: dirs.length > 0 ? readMeta(dirs[0])?.backend ?? null : null,
    computePaths: Object.fromEntries(computePathsUsed().map((u) => [u.path, u.computed + u.loaded])),
    node: process.version,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  };
}

function stripSamples<T extends { iid: { byModality: { samples?: unknown }[] }; ood: { byModality: { samples?: unknown }[] } }>(c: T): T {
  const strip = (e: T["iid"]) => ({ ...e, byModality: e.byModality.map(({ samples: _s, ...m }) => m) });
  return { ...c, iid: strip(c.iid), ood: strip(c.ood) };
}

/** Read a published file; relative paths are taken from the project root (any working directory). */
function readJson<T>(rel: string, format: string): T {
  const file = projectPath(rel);
  if (!fs.existsSync(file)) throw new InputError(`no published results at ${file}; run \`npm run reproduce -- --only organism --publish\``);
  const j = JSON.parse(fs.readFileSync(file, "utf8")) as { format?: string } & T;
  if (j.format !== format) throw new InputError(`${file}: expected format "${format}", got ${JSON.stringify(j.format)}`);
  return j;
}

/**
 * The published family runs of a profile (default `"full"`).
 * @param file override the path (default `data/organism/<profile>/family.json`).
 */
export function loadPublishedFamily(profile = "full", file = publishedFiles(profile).family): PublishedRun[] {
  return readJson<{ runs: PublishedRun[] }>(file, "lco-organism-family v1").runs;
}

/** The published alignment rows per size of a profile (default `"full"`). */
export function loadPublishedAlignment(profile = "full", file = publishedFiles(profile).alignment): AlignmentBySize {
  return readJson<{ bySize: AlignmentBySize }>(file, "lco-organism-alignment v1").bySize;
}

/** The provenance of a profile's published results (default `"full"`). */
export function loadProvenance(profile = "full", file = publishedFiles(profile).provenance): Provenance {
  return readJson<Provenance>(file, "lco-organism-provenance v1");
}

/** Provenance of one published experiment result (`grsl.json`, `continual.json`): where, with what and how long. */
export interface ExperimentProvenance extends Pick<Provenance, "profile" | "command" | "commit" | "publishedAt" | "backend" | "node" | "machine"> {
  format: "lco-experiment-provenance v1";
  experiment: string;
  /** The experiment's own run folders (measurements, not the pretraining they load). */
  timing: StageTiming;
  /** Extra timings the result file leaves out (e.g. seconds per refinement). */
  timings?: Record<string, unknown>;
}

/**
 * The provenance of an experiment's result from its run folders (their `meta.json` timings); the
 * timings live here so the result file itself stays the same when the same numbers are republished.
 */
export function experimentProvenance(experiment: string, profile: string, dirs: readonly string[], command = `lco experiment ${experiment} --profile ${profile} --publish`): ExperimentProvenance {
  return { format: "lco-experiment-provenance v1", experiment, profile, ...producer(command, dirs), timing: stageTiming(dirs) };
}

/** The two files of a published experiment. */
export interface PublishedExperiment {
  result: string;
  provenance: string;
}

/** `data/organism/<profile>/<name>.json` and `provenance-<name>.json` (relative to the project root). */
export function publishedExperimentFiles(profile: string, name: string, root = PUBLISHED_ROOT): PublishedExperiment {
  if (!/^[a-z0-9-]+$/.test(name)) throw new InputError(`invalid experiment name "${name}"; use lower-case letters, digits and "-"`);
  return { result: `${root}/${profile}/${name}.json`, provenance: `${root}/${profile}/provenance-${name}.json` };
}

/**
 * Publish one experiment's result (JSON with a `format` field, no timings in it) with a
 * provenance file holding the commit, command, backend, machine and the timing of its run folders.
 * @param dirs the run folders that produced it (their `meta.json` gives the timing).
 */
export function publishExperimentResult<T extends { format: string }>(
  profile: string, name: string, result: T, dirs: readonly string[], options: { outRoot?: string; command: string; timings?: Record<string, unknown> },
): PublishedExperiment {
  if (dirs.length === 0) throw new InputError(`nothing to publish for ${name}: no run folders`);
  const files = publishedExperimentFiles(profile, name, options.outRoot);
  const provenance: ExperimentProvenance = { ...experimentProvenance(name, profile, dirs, options.command), ...(options.timings ? { timings: options.timings } : {}) };
  writeJsonAtomic(projectPath(files.result), result);
  writeJsonAtomic(projectPath(files.provenance), provenance);
  return files;
}

/**
 * A published experiment result of a profile, or `null` when it has not been published (figures
 * then draw "not yet measured").
 * @throws InputError when the file exists with another format.
 */
export function loadPublishedExperiment<T>(profile: string, name: string, format: string, root?: string): T | null {
  const rel = publishedExperimentFiles(profile, name, root).result;
  if (!fs.existsSync(projectPath(rel))) return null;
  return readJson<T>(rel, format);
}
