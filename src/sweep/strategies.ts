/**
 * The strategies experiment (claim P3) as a sweep: pretrain the runs → one measure job per
 * (run, variant) (`strategiesUnits`, the cells `runStrategies` walks) → collect (`lco experiment strategies`).
 *
 * @module
 */
import { strategiesUnits, type StrategiesConfig } from "../experiments/strategies";
import { unitSweep } from "./units";

/** The strategies experiment's sweep. */
export const strategiesSweep = unitSweep<StrategiesConfig>({
  name: "strategies",
  summary: "P3: refinement strategies — pretrain → one cell per run × variant → collect",
  units: strategiesUnits,
});
