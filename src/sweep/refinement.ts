/**
 * The refinement experiment (claim P2) as a sweep: pretrain size × format × seed → one measure job
 * per cell (`refinementUnits`, the cells `runRefinement` walks) → collect (`lco experiment refinement`).
 *
 * @module
 */
import { refinementUnits, type RefinementConfig } from "../experiments/refinement";
import { unitSweep } from "./units";

/** The refinement experiment's sweep. */
export const refinementSweep = unitSweep<RefinementConfig>({
  name: "refinement",
  summary: "P2: contrastive refinement — pretrain → one cell per size × format × seed → collect",
  units: refinementUnits,
});
