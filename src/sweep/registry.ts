/**
 * The experiments that can run as sweeps. Adding one is one file implementing `SweepExperiment`
 * (see `./alignment.ts`) and one entry here.
 *
 * @module
 */
import { InputError } from "../array";
import { alignmentSweep } from "./alignment";
import { grslSweep } from "./grsl";
import type { SweepExperiment } from "./types";

/** Every sweep experiment, by name. */
export const SWEEP_EXPERIMENTS: readonly SweepExperiment[] = [alignmentSweep, grslSweep];

/**
 * The sweep experiment called `name`.
 * @throws InputError naming the unknown name and the known ones.
 */
export function sweepExperiment(name: string): SweepExperiment {
  const e = SWEEP_EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new InputError(`unknown sweep experiment "${name}"; known: ${SWEEP_EXPERIMENTS.map((x) => x.name).join(", ")}`);
  return e;
}
