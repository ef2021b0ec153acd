/**
 * Checkpoints: weights as `.safetensors` (loadable from Python with `safetensors.numpy.load_file`
 * or `safetensors.torch.load_file`), the optimiser state, and a config JSON.
 *
 * Layout of a run directory:
 *
 * ```
 * <runDir>/organism.json                             organism config, input layout, seed, provenance
 * <runDir>/checkpoints/step-000120/model.safetensors  weights, keys = parameter names
 * <runDir>/checkpoints/step-000120/optimizer.safetensors  Adam moments `<name>.m` / `<name>.v`
 * <runDir>/checkpoints/step-000120/state.json         step, loss history (written last)
 * ```
 *
 * `state.json` is written after the two weight files, so a checkpoint is complete exactly when
 * its `state.json` exists; an interrupted write leaves an incomplete folder that is ignored.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InputError, type NdArray } from "../array";
import { readSafetensors, writeSafetensors } from "../io/safetensors";
import { writeJsonAtomic } from "../io/atomic";
import type { AdamW } from "../nn/optim";
import { generateWorld, loadAssets, type WorldConfig } from "../world";
import type { OrganismConfig } from "./config";
import type { OrganismData } from "./data";
import { createOrganism, type Organism } from "./model";
import { organismDataFromWorld, organismTokenizer } from "./world";

/** Format tag written into every config and checkpoint. */
export const CHECKPOINT_FORMAT = "lco-organism/1";

/**
 * What `organism.json` holds. (Not `config.json`: `runs.runOrLoad` owns that name in a run folder.)
 */
export interface RunConfigFile {
  format: string;
  config: OrganismConfig;
  inputs: Organism["inputs"];
  seed: number;
  /** Free-form provenance (world config, asset mode, tokenizer vocabulary, backend). */
  meta?: Record<string, unknown>;
}

/** What a checkpoint's `state.json` holds. */
export interface CheckpointState {
  format: string;
  /** Optimiser updates applied. */
  step: number;
  /** Training loss per step so far (`losses[i]` = loss of update i). */
  losses: number[];
  /** Wall time spent training so far (s). */
  seconds: number;
}

/** Folder of the checkpoint at `step`. */
export function checkpointDir(runDir: string, step: number): string {
  return path.join(runDir, "checkpoints", `step-${String(step).padStart(6, "0")}`);
}

/** Write `organism.json` of a run. */
export function writeRunConfig(runDir: string, model: Organism, meta?: Record<string, unknown>): void {
  const file: RunConfigFile = { format: CHECKPOINT_FORMAT, config: model.config, inputs: model.inputs, seed: model.seed, meta };
  writeJsonAtomic(path.join(runDir, "organism.json"), file);
}

/** Read `organism.json` of a run. @throws InputError naming the file when it is missing or not an organism run. */
export function readRunConfig(runDir: string): RunConfigFile {
  const f = path.join(runDir, "organism.json");
  if (!fs.existsSync(f)) throw new InputError(`no organism run at ${runDir} (missing organism.json)`);
  const c = JSON.parse(fs.readFileSync(f, "utf8")) as RunConfigFile;
  if (c.format !== CHECKPOINT_FORMAT) throw new InputError(`${f} has format "${c.format}"; expected "${CHECKPOINT_FORMAT}"`);
  return c;
}

/** Steps of the complete checkpoints of a run, ascending. */
export function listCheckpoints(runDir: string): number[] {
  const dir = path.join(runDir, "checkpoints");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(dir, m[0], "state.json")))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The parameters of a model as `[name, variable]` pairs, in the store's order. */
function namedParams(model: Organism): [string, tf.Variable][] {
  return model.params.names().map((n) => [n, model.params.get(n)]);
}

/** The optimiser's moments by parameter name (`<name>.m`, `<name>.v`; empty before the first update). */
export function adamState(opt: AdamW, model: Organism): Record<string, NdArray> {
  return opt.getState(namedParams(model));
}

/** Restore moments saved by {@link adamState} and the update count. */
export function restoreAdamState(opt: AdamW, model: Organism, arrays: Record<string, NdArray>, step: number): void {
  opt.setState(namedParams(model), arrays, step);
}

/**
 * Write a complete checkpoint (weights, optimiser state, then `state.json`).
 * @param opt optional; without it only the weights and state are written (not resumable exactly).
 */
export function saveCheckpoint(runDir: string, model: Organism, state: Omit<CheckpointState, "format">, opt?: AdamW): string {
  const dir = checkpointDir(runDir, state.step);
  fs.mkdirSync(dir, { recursive: true });
  const meta = { format: CHECKPOINT_FORMAT, step: String(state.step), seed: String(model.seed), config: JSON.stringify(model.config) };
  writeSafetensors(path.join(dir, "model.safetensors"), model.params.toNdArrays(), meta);
  if (opt) writeSafetensors(path.join(dir, "optimizer.safetensors"), adamState(opt, model), { format: CHECKPOINT_FORMAT, step: String(state.step) });
  writeJsonAtomic(path.join(dir, "state.json"), { format: CHECKPOINT_FORMAT, ...state });
  return dir;
}

/** Read a checkpoint's `state.json`. */
export function readCheckpointState(runDir: string, step: number): CheckpointState {
  const f = path.join(checkpointDir(runDir, step), "state.json");
  if (!fs.existsSync(f)) throw new InputError(`no complete checkpoint at step ${step} in ${runDir}`);
  return JSON.parse(fs.readFileSync(f, "utf8")) as CheckpointState;
}

/** Load weights of checkpoint `step` into an existing model (shapes must match). */
export function loadWeights(model: Organism, runDir: string, step: number): void {
  const { tensors } = readSafetensors(path.join(checkpointDir(runDir, step), "model.safetensors"));
  model.params.loadNdArrays(tensors);
}

/**
 * Build an organism from a run directory: its config, then the weights of checkpoint `step`
 * (default: the latest complete one).
 * @throws InputError when the run has no checkpoint.
 */
export function loadOrganism(runDir: string, step?: number): { model: Organism; step: number; state: CheckpointState } {
  const rc = readRunConfig(runDir);
  const steps = listCheckpoints(runDir);
  const s = step ?? steps[steps.length - 1];
  if (s === undefined) throw new InputError(`run ${runDir} has no complete checkpoint`);
  if (!steps.includes(s)) throw new InputError(`run ${runDir} has no checkpoint at step ${s}; it has ${steps.join(", ")}`);
  const model = createOrganism(rc.config, rc.inputs, rc.seed);
  loadWeights(model, runDir, s);
  return { model, step: s, state: readCheckpointState(runDir, s) };
}

/** Remove the checkpoint folder of `step` (used to drop rolling resume checkpoints). */
export function removeCheckpoint(runDir: string, step: number): void {
  fs.rmSync(checkpointDir(runDir, step), { recursive: true, force: true });
}

/** Load optimiser state of checkpoint `step` into `opt` (if the file exists). */
export function loadOptimizer(opt: AdamW, model: Organism, runDir: string, step: number): boolean {
  const f = path.join(checkpointDir(runDir, step), "optimizer.safetensors");
  if (!fs.existsSync(f)) return false;
  restoreAdamState(opt, model, readSafetensors(f).tensors, step);
  return true;
}

/**
 * Rebuild the data a run was trained on from its `organism.json` (the world config and seed are
 * recorded there), and check that the tokenizer comes out identical to the saved one.
 * @throws InputError when the run has no world provenance or the vocabulary differs.
 */
export function dataForRun(runDir: string): OrganismData {
  const rc = readRunConfig(runDir);
  const w = (rc.meta?.world ?? null) as { seed: number; config: WorldConfig } | null;
  if (!w) throw new InputError(`${runDir}/organism.json records no world; cannot rebuild its data`);
  const world = generateWorld(w.config, w.seed, w.config.mode === "real" ? loadAssets() : null);
  const data = organismDataFromWorld(world, rc.config);
  const saved = (rc.meta?.tokenizer as { vocab?: string[] } | undefined)?.vocab;
  const now = (data.tokenizer as ReturnType<typeof organismTokenizer>).inner.vocab;
  if (saved && (saved.length !== now.length || saved.some((t, i) => t !== now[i]))) {
    throw new InputError(`the rebuilt tokenizer differs from the one saved in ${runDir} (vocabulary ${now.length} vs ${saved.length})`);
  }
  return data;
}
