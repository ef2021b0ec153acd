/**
 * The experiments that can run as sweeps. Adding one is one file implementing `SweepExperiment`
 * (see `./alignment.ts`), or declaring an in-process experiment's units (`unitSweep`, see
 * `./strategies.ts`), and one entry here.
 *
 * @module
 */
import { InputError } from "../array";
import { alignmentSweep } from "./alignment";
import { continualSweep } from "./continual";
import { generateEmbedSweep } from "./generate-embed";
import { grslSweep } from "./grsl";
import { refinementSweep } from "./refinement";
import { strategiesSweep } from "./strategies";
import type { SweepExperiment } from "./types";

/** Every sweep experiment, by name. */
export const SWEEP_EXPERIMENTS: readonly SweepExperiment[] = [alignmentSweep, refinementSweep, strategiesSweep, grslSweep, generateEmbedSweep, continualSweep];

/**
 * The sweep experiment called `name`.
 * @throws InputError naming the unknown name and the known ones.
 */
export function sweepExperiment(name: string): SweepExperiment {
  const e = SWEEP_EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new InputError(`unknown sweep experiment "${name}"; known: ${SWEEP_EXPERIMENTS.map((x) => x.name).join(", ")}`);
  return e;
}
