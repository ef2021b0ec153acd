/**
 * The continual-pretraining experiment (claim P5) as a sweep: pretrain the base runs → continue
 * (the continual run and the equal-compute control, from the base run's last checkpoint) → one
 * measure job per arm, base model and reading score (`continualUnits`, the units `runContinual`
 * walks) → collect (`lco experiment continual`). Its config (e.g. `generalCaptions`) comes from
 * `--with`.
 *
 * @module
 */
import { continualUnits, type ContinualConfig } from "../experiments/continual";
import { unitSweep } from "./units";

/** The continual experiment's sweep. */
export const continualSweep = unitSweep<ContinualConfig>({
  name: "continual",
  summary: "P5: continual pretraining — pretrain base → continue (continual, control) → one unit per arm/reading × seed → collect",
  units: continualUnits,
});
