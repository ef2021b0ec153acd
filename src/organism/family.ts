/**
 * Pretraining the whole family: every size × seed is one run in its own run directory
 * (`runs.runDir` + `runs.runOrLoad`), trained with checkpoints and evaluated at every kept
 * checkpoint. Independent runs can go to parallel worker processes, one per core.
 *
 * Layout: `<root>/organism/<differences>__<hash>/seed-<n>/` holding `organism.json`,
 * `tokenizer.json`, `checkpoints/step-*`, and (from `runOrLoad`) `config.json`, `meta.json`,
 * `result.json`. A second call loads `result.json`; an interrupted run resumes from its latest
 * checkpoint.
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../array";
import type { Profile } from "../config";
import { writeJsonAtomic } from "../io/atomic";
import { configHash, runChild, runDir, runOrLoadDetailed, runPool, runsRoot } from "../runs";
import { checkpointSteps, FAMILY, organismConfig, type AnswerFormat, type MixtureConfig, type OrganismConfig } from "./config";
import { listCheckpoints, loadWeights, readCheckpointState, readRunConfig } from "./checkpoint";
import { evaluateGenerative, type GenerativeEval } from "./generate";
import { createOrganism, disposeOrganism, featureCacheSpec, parameterCounts, type Organism } from "./model";
import type { OrganismData } from "./data";
import { trainOrganism, type TrainProgress } from "./pretrain";
import { organismDataFromWorld, organismWorld } from "./world";
import { captionDonors, checkCorruption, effectiveCorruption, type CaptionCorruption } from "./corruption";
import type { Script } from "../world";

/** What identifies one pretraining run (hashed into its folder name; the seed is separate). */
export interface PretrainSpec {
  profile: Profile;
  /** Family member (`"S"`, `"M"`, `"L"`). */
  size: string;
  answerFormat: AnswerFormat;
  /** Seed of the world (items, renders, splits); the same for the whole family. Default 0. */
  worldSeed: number;
  /** Optional override of the number of training steps (default: the profile's). */
  numSteps?: number;
  /** Evaluate generative capability on at most this many items per split. */
  evalItems: number;
  /**
   * Caption corruption of the pretraining data (the GRSL intervention arm): a share of the
   * training items is captioned with another item's captions. Absent = none (and the run's folder
   * is the same as before this option existed).
   */
  captionCorruption?: CaptionCorruption;
  /**
   * Continual pretraining: start from this parent run's checkpoint (default: its last step) with a
   * fresh optimiser and schedule, instead of from a random initialisation. The parent must have the
   * same size, answer format and world (so the weights fit); it is trained first if missing.
   */
  parent?: { spec: PretrainSpec; seed: number; step?: number };
  /** Another task mixture for this run (e.g. continual pretraining's). Default: the size's. */
  mixture?: MixtureConfig;
  /** Script of the documents (`"lowres"` for continual pretraining on the low-resource script). Absent = Latin. */
  documentScript?: Script;
}

/** Default spec of a profile and size. */
export function pretrainSpec(profile: Profile, size = "S", over: Partial<PretrainSpec> = {}): PretrainSpec {
  return { profile, size, answerFormat: "one-word", worldSeed: 0, evalItems: profile === "smoke" ? 32 : 96, ...over };
}

/** Result of one pretraining run (stored as `result.json`). */
export interface PretrainResult {
  spec: PretrainSpec;
  seed: number;
  nParams: Record<string, number>;
  numSteps: number;
  /** Training loss, every `lossEvery`-th step (index i = step (i+1)·lossEvery). */
  losses: number[];
  lossEvery: number;
  seconds: number;
  msPerStep: number;
  tokensPerSec: number;
  /** Generative evaluation (IID and OOD side by side) at every kept checkpoint; step 0 = the starting weights (random init, or the parent's checkpoint for continual pretraining). */
  checkpoints: { step: number; iid: GenerativeEval; ood: GenerativeEval }[];
}

/** One run as stored in the family summary. */
export type FamilyRun = PretrainResult & { dir: string };

/** The family summary file of a profile under a runs folder. */
export function familySummaryPath(profile: string, root?: string): string {
  return path.join(runsRoot(root), "organism", `family-${profile}.json`);
}

/** Read a family summary written by {@link pretrainFamily}. */
export function readFamilySummary(file: string): FamilyRun[] {
  if (!fs.existsSync(file)) throw new InputError(`no family summary at ${file}; run \`lco organism train --family\` first`);
  const j = JSON.parse(fs.readFileSync(file, "utf8")) as { runs: FamilyRun[] };
  return j.runs;
}

/**
 * A config's training identity (a hash): everything but the vocabulary size, which comes from
 * the data, and the checkpoint schedule, which saves the trajectory without changing it.
 */
function configKey(cfg: OrganismConfig): string {
  return configHash({ ...cfg, vocabSize: null, train: { ...cfg.train, checkpointAt: null } });
}

/** The organism config of a spec (vocabulary size from the data). */
export function specConfig(spec: PretrainSpec, vocabSize: number): OrganismConfig {
  const cfg = organismConfig({ profile: spec.profile, size: spec.size, answerFormat: spec.answerFormat, vocabSize, ...(spec.mixture ? { overrides: { mixture: spec.mixture } } : {}) });
  if (spec.numSteps !== undefined) {
    return organismConfig({
      profile: spec.profile,
      size: spec.size,
      answerFormat: spec.answerFormat,
      vocabSize,
      overrides: { ...(spec.mixture ? { mixture: spec.mixture } : {}), train: { numSteps: spec.numSteps, warmupSteps: Math.max(1, Math.round(0.05 * spec.numSteps)) } },
    });
  }
  return cfg;
}

// One data set per (profile, answer format, world seed) per process: rendering is not free.
const dataCache = new Map<string, OrganismData>();

/** The organism data of a spec's world (memoised per process). */
export function specData(spec: PretrainSpec): OrganismData {
  const script = spec.documentScript ?? "latin";
  const key = `${spec.profile}/${spec.answerFormat}/${spec.worldSeed}/${script}`;
  let d = dataCache.get(key);
  if (!d) {
    const cfg = organismConfig({ profile: spec.profile, answerFormat: spec.answerFormat });
    d = organismDataFromWorld(organismWorld(spec.profile, cfg, spec.worldSeed), cfg, { documentScript: script });
    dataCache.set(key, d);
  }
  const c = spec.captionCorruption;
  if (!c || checkCorruption(c).rate === 0) return d;
  // Same items, features and tokenizer; only the captioning targets of some items change.
  const donors = captionDonors(d.splits.train, c);
  const items = d.items;
  const effective = effectiveCorruption(d.splits.train, donors, (i) => items[i].captions[0]);
  return { ...d, captionDonors: donors, meta: { ...d.meta, captionCorruption: { ...c, corrupted: donors.size, effective } } };
}

/** A spec without its evaluation options (those of its parent too). */
export type TrainingSpec = Omit<PretrainSpec, "evalItems" | "parent"> & { parent?: { spec: TrainingSpec; seed: number; step?: number } };

/**
 * What changes a run's trajectory: the spec without `evalItems` (recursively through `parent`).
 * Evaluation options are keyed apart (see {@link evaluateRun}), so evaluating more never retrains.
 */
export function trainingSpec(spec: PretrainSpec): TrainingSpec {
  const { evalItems: _e, parent, ...rest } = spec;
  void _e;
  return parent ? { ...rest, parent: { ...parent, spec: trainingSpec(parent.spec) } } : rest;
}

/**
 * What a pretraining run's `result.json` is keyed by (with the seed): the training spec *and* the
 * organism config it resolves to (vocabulary and checkpoint schedule aside), so changing a default
 * that changes training invalidates old results instead of loading them.
 */
export function pretrainIdentity(spec: PretrainSpec): TrainingSpec & { config: string } {
  return { ...trainingSpec(spec), config: configKey(specConfig(spec, 1)) };
}

/** Folder of a run (named by its training spec only). */
export function pretrainDir(root: string, spec: PretrainSpec, seed: number): string {
  return runDir(root, "organism", trainingSpec(spec), seed, { defaults: trainingSpec(pretrainSpec(spec.profile, "S")) });
}

/** Options of {@link pretrain}. */
export interface PretrainOptions {
  /** Runs folder, relative to the project root unless absolute. Default `runs/`. */
  root?: string;
  onProgress?: (p: TrainProgress) => void;
  /** Receives one line when the run is loaded or computed. */
  log?: (line: string) => void;
  /** Recompute even if a result exists (checkpoints are still reused; evaluations are redone). */
  force?: boolean;
  /** Steps to evaluate. Default: 0 (the starting weights) and every kept checkpoint of the config. */
  evalSteps?: number[];
}

/** What a run's `result.json` holds: the training alone (evaluations live in `<run>/eval/`). */
type TrainedRun = Omit<PretrainResult, "spec" | "checkpoints"> & { spec: TrainingSpec };

/** Generative evaluation of one checkpoint, IID and OOD side by side. */
export type CheckpointEval = PretrainResult["checkpoints"][number];

/**
 * A run's starting model: a random initialisation from `seed`, or, for continual pretraining, the
 * parent's checkpoint (trained first if missing). The input-standardisation buffers are not fitted
 * yet: `trainOrganism` fits them on a fresh start, and the step-0 evaluation sees them unfitted.
 */
async function initialModel(spec: PretrainSpec, seed: number, data: OrganismData, cfg: OrganismConfig, root: string, log?: (line: string) => void): Promise<{ model: Organism; fromParent: boolean }> {
  const model = createOrganism(cfg, featureCacheSpec(data.cache), seed);
  if (!spec.parent) return { model, fromParent: false };
  try {
    const p = spec.parent;
    if (p.spec.size !== spec.size || p.spec.answerFormat !== spec.answerFormat || p.spec.worldSeed !== spec.worldSeed || p.spec.profile !== spec.profile) {
      throw new InputError(`parent ${p.spec.profile}/${p.spec.size}/${p.spec.answerFormat}/world ${p.spec.worldSeed} does not fit child ${spec.profile}/${spec.size}/${spec.answerFormat}/world ${spec.worldSeed}`);
    }
    const parent = await pretrain(p.spec, p.seed, { root, log, evalSteps: [] });
    const step = p.step ?? parent.numSteps;
    if (!listCheckpoints(parent.dir).includes(step)) {
      throw new InputError(`parent run ${parent.dir} has no checkpoint at step ${step}; kept: ${listCheckpoints(parent.dir).join(", ")}`);
    }
    // The parent's weights (with its input-standardisation buffers), then a fresh optimiser:
    // trainOrganism builds a new AdamW.
    loadWeights(model, parent.dir, step);
    return { model, fromParent: true };
  } catch (e) {
    disposeOrganism(model);
    throw e;
  }
}

/**
 * Train (or load) one run with checkpoints, then evaluate (or load the evaluations of) the
 * starting weights and every kept checkpoint on IID and OOD items ({@link evaluateRun}).
 */
export async function pretrain(spec: PretrainSpec, seed: number, options: PretrainOptions = {}): Promise<PretrainResult & { dir: string; loaded: boolean }> {
  const root = runsRoot(options.root);
  const dir = pretrainDir(root, spec, seed);
  const identity = pretrainIdentity(spec);
  const out = await runOrLoadDetailed<TrainedRun, typeof identity>({
    dir,
    cfg: identity,
    seed,
    profile: spec.profile,
    force: options.force,
    log: options.log,
    compute: async () => {
      const data = specData(spec);
      const cfg = specConfig(spec, data.tokenizer.vocabSize);
      // Checkpoints of another config must not be resumed: start over.
      const stale = path.join(dir, "organism.json");
      if (fs.existsSync(stale) && configKey(readRunConfig(dir).config) !== configKey(cfg)) {
        options.log?.(`${dir}: checkpoints were trained with another config; discarding them`);
        fs.rmSync(path.join(dir, "checkpoints"), { recursive: true, force: true });
        fs.rmSync(path.join(dir, "eval"), { recursive: true, force: true });
        fs.rmSync(stale, { force: true });
      }
      const { model, fromParent } = await initialModel(spec, seed, data, cfg, root, options.log);
      try {
        const tokJson = (data.meta?.tokenizer ?? null) as unknown;
        if (tokJson) writeJsonAtomic(path.join(dir, "tokenizer.json"), tokJson);
        const r = await trainOrganism(model, data, { runDir: dir, seed, onProgress: options.onProgress, meta: data.meta, fitInputNorm: !fromParent });
        const totalSeconds = readCheckpointState(dir, cfg.train.numSteps).seconds;
        const lossEvery = Math.max(1, Math.floor(r.losses.length / 200));
        return {
          spec: trainingSpec(spec),
          seed,
          nParams: parameterCounts(model),
          numSteps: cfg.train.numSteps,
          losses: r.losses.filter((_, i) => (i + 1) % lossEvery === 0),
          lossEvery,
          // Total training wall time over all sessions (a resumed run adds its sessions up).
          seconds: totalSeconds,
          msPerStep: (1000 * totalSeconds) / cfg.train.numSteps,
          tokensPerSec: r.tokensPerSec,
        };
      } finally {
        disposeOrganism(model);
      }
    },
  });
  const checkpoints = await evaluateRun(spec, seed, { root, steps: options.evalSteps, force: options.force, log: options.log });
  return { ...out.value, spec, checkpoints, dir, loaded: out.loaded };
}

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Runs folder. Default `runs/`. */
  root?: string;
  /** Steps to evaluate (0 = the starting weights). Default: 0 and every kept checkpoint of the config. */
  steps?: number[];
  /** Items per split. Default `spec.evalItems`. */
  items?: number;
  /** Re-evaluate even when a stored evaluation exists. */
  force?: boolean;
  log?: (line: string) => void;
}

/**
 * Evaluate a finished run's checkpoints, each stored apart from the training under
 * `<run>/eval/items-<n>/step-<step>/` (with `runOrLoad`), so asking for more items or another
 * step evaluates only what is new and never retrains. A step the run did not keep is replayed
 * from the nearest earlier kept checkpoint (bit-exact, see `trainOrganism`'s `replayFrom`) and
 * kept from then on.
 * @returns one evaluation per requested step, in the order given.
 * @throws InputError when the run is not trained or a step is outside `0 … numSteps`.
 */
export async function evaluateRun(spec: PretrainSpec, seed: number, options: EvaluateOptions = {}): Promise<CheckpointEval[]> {
  const root = runsRoot(options.root);
  const dir = pretrainDir(root, spec, seed);
  const items = options.items ?? spec.evalItems;
  if (!(Number.isInteger(items) && items >= 1)) throw new InputError(`invalid evaluation items; need an integer ≥ 1, got ${items}`);
  if (!fs.existsSync(path.join(dir, "result.json"))) throw new InputError(`run ${dir} is not trained yet; call pretrain first`);
  let data: OrganismData | undefined;
  let cfg: OrganismConfig | undefined;
  const setup = () => {
    data ??= specData(spec);
    cfg ??= specConfig(spec, data.tokenizer.vocabSize);
    return { data, cfg };
  };
  // The step schedule does not depend on the vocabulary, so a placeholder size of 1 will do.
  const schedule = specConfig(spec, 1);
  const numSteps = schedule.train.numSteps;
  const steps = options.steps ?? [0, ...checkpointSteps(schedule)];
  // Check every step before evaluating any, so a bad one fails fast instead of after an hour.
  for (const step of steps) {
    if (!(Number.isInteger(step) && step >= 0 && step <= numSteps)) throw new InputError(`invalid evaluation step ${step}; need an integer in 0 … ${numSteps}`);
  }
  const out: CheckpointEval[] = [];
  for (const step of steps) {
    const r = await runOrLoadDetailed<CheckpointEval, { step: number; items: number }>({
      dir: path.join(dir, "eval", `items-${items}`, `step-${String(step).padStart(6, "0")}`),
      cfg: { step, items },
      seed,
      profile: spec.profile,
      force: options.force,
      compute: async () => {
        const { data, cfg } = setup();
        let model: Organism;
        if (step === 0) {
          model = (await initialModel(spec, seed, data, cfg, root, options.log)).model;
        } else {
          if (!listCheckpoints(dir).includes(step)) await replayCheckpoint(spec, seed, dir, step, data, cfg, root, options.log);
          model = createOrganism(cfg, featureCacheSpec(data.cache), seed);
          try {
            loadWeights(model, dir, step);
          } catch (e) {
            disposeOrganism(model);
            throw e;
          }
        }
        try {
          return { step, iid: evaluateGenerative(model, data, data.splits.iid, "iid", items), ood: evaluateGenerative(model, data, data.splits.ood, "ood", items) };
        } finally {
          disposeOrganism(model);
        }
      },
    });
    out.push(r.value);
  }
  return out;
}

/** Make checkpoint `step` of a finished run by replaying from the nearest earlier kept one. */
async function replayCheckpoint(spec: PretrainSpec, seed: number, dir: string, step: number, data: OrganismData, cfg: OrganismConfig, root: string, log?: (line: string) => void): Promise<void> {
  const from = listCheckpoints(dir).filter((k) => k < step).at(-1) ?? 0;
  const { model, fromParent } = from === 0 ? await initialModel(spec, seed, data, cfg, root, log) : { model: createOrganism(cfg, featureCacheSpec(data.cache), seed), fromParent: false };
  try {
    log?.(`${dir}: replaying steps ${from} → ${step} to make checkpoint ${step}`);
    await trainOrganism(model, data, { runDir: dir, seed, replayFrom: from, stopAfter: step, fitInputNorm: !fromParent });
  } finally {
    disposeOrganism(model);
  }
}

/** One run for a worker process: what {@link pretrain} gets. */
export interface PretrainJob {
  spec: PretrainSpec;
  seed: number;
  /** Runs folder. */
  root: string;
  /** Recompute even if a result exists. */
  force?: boolean;
}

/** Options of {@link pretrainFamily}. */
export interface FamilyOptions extends PretrainOptions {
  /** Sizes to train. Default: every size of the profile's family. */
  sizes?: string[];
  /** Seeds. Default `[0, 1, 2]`. */
  seeds?: number[];
  /** Parallel worker processes. Default 1 (in-process). Use `os.availableParallelism()` for one per core. */
  workers?: number;
  /** Spec overrides applied to every run. */
  spec?: Partial<PretrainSpec>;
  /** Called when a run's result is available (loaded or computed), in job order. */
  onRunDone?: (r: PretrainResult & { dir: string; loaded: boolean }, done: number, total: number) => void;
  /**
   * Called as soon as any job finishes (with workers: when its process exits), for a progress
   * display over the whole family: `done` of `total` jobs, and the job's label (`"M/seed 1"`).
   */
  onJobDone?: (done: number, total: number, label: string) => void;
}

/**
 * Pretrain every size × seed of a profile's family. With `workers > 1`, runs go to child
 * processes (`./worker`, one run each), at most `workers` at a time; each run is single-threaded
 * (wasm), so one per core is the fastest layout. Results are read back with `runOrLoad`.
 */
export async function pretrainFamily(profile: Profile, options: FamilyOptions = {}): Promise<(PretrainResult & { dir: string; loaded: boolean })[]> {
  const sizes = options.sizes ?? FAMILY[profile].map((f) => f.name);
  const seeds = options.seeds ?? [0, 1, 2];
  const jobs = sizes.flatMap((size) => seeds.map((seed) => ({ spec: pretrainSpec(profile, size, options.spec), seed })));
  // Largest first, so the longest jobs do not start last.
  jobs.reverse();
  const workers = Math.max(1, Math.min(options.workers ?? 1, jobs.length));
  const root = runsRoot(options.root);
  const results: (PretrainResult & { dir: string; loaded: boolean })[] = [];
  let done = 0;
  if (workers > 1) {
    const failed = await runPool(jobs, workers, (j) => runWorker({ spec: j.spec, seed: j.seed, root, force: options.force }, options.log), (j, _code, finished) =>
      options.onJobDone?.(finished, jobs.length, `${j.spec.size}/seed ${j.seed}`),
    );
    if (failed.length > 0) throw new Error(`pretraining failed: ${failed.map((f) => `worker [${f.job.spec.size}/seed ${f.job.seed}] exited with code ${f.code}`).join("; ")}`);
  }
  for (const j of jobs) {
    // After the workers, every result exists: load it (a second `force` would train it again).
    const r = await pretrain(j.spec, j.seed, { ...options, root, force: workers > 1 ? false : options.force });
    results.push(r);
    done++;
    if (workers <= 1) options.onJobDone?.(done, jobs.length, `${j.spec.size}/seed ${j.seed}`);
    options.onRunDone?.(r, done, jobs.length);
  }
  results.reverse();
  // One summary file per profile for the figure builders (`organismFigures`).
  const isDefault = JSON.stringify(pretrainSpec(profile, "S", options.spec)) === JSON.stringify(pretrainSpec(profile, "S"));
  if (isDefault) {
    writeJsonAtomic(familySummaryPath(profile, root), { format: "lco-organism-family v1", profile, runs: results.map(({ loaded: _l, ...r }) => r) });
  }
  return results;
}

/** This installation's worker entry point (`dist/organism/worker.js`, or `src/organism/worker.ts` under tsx). */
function workerEntry(): string {
  const f = path.join(__dirname, `worker${path.extname(__filename)}`);
  if (!fs.existsSync(f)) throw new InputError(`cannot find the organism worker at ${f}`);
  return f;
}

/** Train one run in a child process (see `./worker`); resolves with its exit code. */
function runWorker(job: PretrainJob, log?: (line: string) => void): Promise<number> {
  // One single-threaded backend (and one BLAS thread) per worker: the workers already use one core each.
  return runChild({ entry: workerEntry(), args: [JSON.stringify(job)], env: { LCO_WASM_THREADS: "1", LCO_NATIVE_THREADS: "1" }, tag: `[${job.spec.size}/seed ${job.seed}]` }, log);
}

/** Number of cores to use for workers: `os.availableParallelism()` (Node ≥ 18.14). */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
