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
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../array";
import type { Profile } from "../config";
import { writeJsonAtomic } from "../io/atomic";
import { configHash, runDir, runOrLoadDetailed, runsRoot } from "../runs";
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

/** A config's identity (a hash) without its vocabulary size, which comes from the data. */
function configKey(cfg: OrganismConfig): string {
  return configHash({ ...cfg, vocabSize: null });
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

/**
 * What a pretraining run's `result.json` is keyed by (with the seed): the spec *and* the organism
 * config it resolves to (vocabulary aside), so changing a default in the code invalidates old
 * results instead of loading them.
 */
export function pretrainIdentity(spec: PretrainSpec): PretrainSpec & { config: string } {
  return { ...spec, config: configKey(specConfig(spec, 1)) };
}

/** Folder of a run. */
export function pretrainDir(root: string, spec: PretrainSpec, seed: number): string {
  return runDir(root, "organism", spec, seed, { defaults: pretrainSpec(spec.profile, "S") });
}

/** Options of {@link pretrain}. */
export interface PretrainOptions {
  /** Runs folder, relative to the project root unless absolute. Default `runs/`. */
  root?: string;
  onProgress?: (p: TrainProgress) => void;
  /** Receives one line when the run is loaded or computed. */
  log?: (line: string) => void;
  /** Recompute even if a result exists (checkpoints are still reused). */
  force?: boolean;
}

/**
 * Train (or load) one run: pretrain with checkpoints, then evaluate each kept checkpoint and the
 * random initialisation on IID and OOD items.
 */
export async function pretrain(spec: PretrainSpec, seed: number, options: PretrainOptions = {}): Promise<PretrainResult & { dir: string; loaded: boolean }> {
  const root = runsRoot(options.root);
  const dir = pretrainDir(root, spec, seed);
  const identity = pretrainIdentity(spec);
  const out = await runOrLoadDetailed<PretrainResult, typeof identity>({
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
        fs.rmSync(stale, { force: true });
      }
      const model = createOrganism(cfg, featureCacheSpec(data.cache), seed);
      try {
        let fromParent = false;
        if (spec.parent) {
          // Continual pretraining: the parent's weights (and its input-standardisation buffers,
          // saved with them), then a fresh optimiser: trainOrganism builds a new AdamW.
          const p = spec.parent;
          if (p.spec.size !== spec.size || p.spec.answerFormat !== spec.answerFormat || p.spec.worldSeed !== spec.worldSeed || p.spec.profile !== spec.profile) {
            throw new InputError(`parent ${p.spec.profile}/${p.spec.size}/${p.spec.answerFormat}/world ${p.spec.worldSeed} does not fit child ${spec.profile}/${spec.size}/${spec.answerFormat}/world ${spec.worldSeed}`);
          }
          const parent = await pretrain(p.spec, p.seed, { root, log: options.log });
          const step = p.step ?? parent.numSteps;
          if (!listCheckpoints(parent.dir).includes(step)) {
            throw new InputError(`parent run ${parent.dir} has no checkpoint at step ${step}; kept: ${listCheckpoints(parent.dir).join(", ")}`);
          }
          loadWeights(model, parent.dir, step);
          fromParent = true;
        }
        const tokJson = (data.meta?.tokenizer ?? null) as unknown;
        if (tokJson) writeJsonAtomic(path.join(dir, "tokenizer.json"), tokJson);
        const evalAt = (m: Organism, step: number) => ({
          step,
          iid: evaluateGenerative(m, data, data.splits.iid, "iid", spec.evalItems),
          ood: evaluateGenerative(m, data, data.splits.ood, "ood", spec.evalItems),
        });
        const evals = [evalAt(model, 0)];
        const r = await trainOrganism(model, data, { runDir: dir, seed, onProgress: options.onProgress, meta: data.meta, fitInputNorm: !fromParent });
        for (const s of checkpointSteps(cfg)) {
          loadWeights(model, dir, s);
          evals.push(evalAt(model, s));
        }
        const totalSeconds = readCheckpointState(dir, cfg.train.numSteps).seconds;
        const lossEvery = Math.max(1, Math.floor(r.losses.length / 200));
        const losses = r.losses.filter((_, i) => (i + 1) % lossEvery === 0);
        const nParams = parameterCounts(model);
        return {
          spec,
          seed,
          nParams,
          numSteps: cfg.train.numSteps,
          losses,
          lossEvery,
          // Total training wall time over all sessions (a resumed run adds its sessions up).
          seconds: totalSeconds,
          msPerStep: (1000 * totalSeconds) / cfg.train.numSteps,
          tokensPerSec: r.tokensPerSec,
          checkpoints: evals,
        };
      } finally {
        disposeOrganism(model);
      }
    },
  });
  return { ...out.value, dir, loaded: out.loaded };
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
    let next = 0, finished = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const j = jobs[next++];
        await runWorker({ spec: j.spec, seed: j.seed, root, force: options.force }, options.log);
        options.onJobDone?.(++finished, jobs.length, `${j.spec.size}/seed ${j.seed}`);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
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

/** Train one run in a child process (see `./worker`); resolves when it exits with code 0. */
function runWorker(job: PretrainJob, log?: (line: string) => void): Promise<void> {
  // The child is `node` with the parent's loader flags (e.g. tsx's), so it works from src/ and dist/.
  const args = [...process.execArgv.filter((a) => !a.startsWith("--inspect")), workerEntry(), JSON.stringify(job)];
  const tag = `[${job.spec.size}/seed ${job.seed}]`;
  return new Promise((resolve, reject) => {
    // One single-threaded backend (and one BLAS thread) per worker: the workers already use one core each.
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LCO_WASM_THREADS: "1", LCO_NATIVE_THREADS: "1" } });
    const relay = (buf: Buffer) => {
      for (const line of buf.toString().split(/[\r\n]+/)) if (line.trim()) log?.(`${tag} ${line.trim()}`);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`worker ${tag} exited with code ${code}`))));
  });
}

/** Number of cores to use for workers: `os.availableParallelism()` (Node ≥ 18.14). */
export function defaultWorkers(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
