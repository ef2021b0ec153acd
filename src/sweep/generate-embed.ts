/**
 * The generate-then-embed check (P4's mechanism) as a sweep: pretrain the family's runs → one
 * measure job per run's final checkpoint (`gteUnits`, the units `runGenerateEmbed` walks) →
 * collect (`lco experiment generate-embed`).
 *
 * @module
 */
import { gteUnits, type GenerateEmbedConfig } from "../experiments/generate-embed";
import { unitSweep } from "./units";

/** The generate-embed experiment's sweep. */
export const generateEmbedSweep = unitSweep<GenerateEmbedConfig>({
  name: "generate-embed",
  summary: "P4 mechanism: generate-then-embed — pretrain → one unit per run's final checkpoint → collect",
  units: gteUnits,
});
