/**
 * The independent units of an in-process experiment: each one `runOrLoad` folder, computed (or
 * loaded) by its own `run`. An experiment lists them in one plan function that its `runX` walks
 * one after another and that its sweep (`src/sweep/units.ts`) hands to worker processes, so the
 * two can never disagree on a unit's folder or identity.
 *
 * @module
 */
import type { PretrainSpec } from "../organism/family";

/** A pretraining run a unit reads: trained before the unit in a sweep, loaded (or trained) by `run` in-process. */
export interface UnitRun {
  spec: PretrainSpec;
  seed: number;
  /** Checkpoints to evaluate generatively after training (as `pretrain`'s option); default every kept one. */
  evalSteps?: number[];
}

/** One independent unit of an experiment. */
export interface ExperimentUnit<T> {
  /** A short readable label, e.g. `"S/one-word/seed 0"`. */
  label: string;
  /** The run folder its result is cached in (absolute: the experiment's runs root resolved). */
  dir: string;
  /** The pretraining runs it reads (a run with a `parent` needs the parent's run first). */
  runs: UnitRun[];
  /** Compute the unit, or load it when its folder holds the result. */
  run(log?: (line: string) => void): Promise<T>;
}
