/**
 * The `experiments` area: one file per claim of the paper, each measured on the model organism
 * (`src/organism/`), cached per run folder, and published with provenance. `published.ts` is the
 * one door from figures and chapters to the results.
 *
 * - `alignment.ts` — P1, latent alignment: does generative pretraining align modalities?
 * - `refinement.ts` — P2 (first cut): text-only refinement before / after, with the random-init control.
 *
 * `registry.ts` lists them for `lco experiment <name>` (adding one is one file and one entry).
 *
 * Named exports only.
 *
 * @module
 */
export {
  measureAlignment,
  clipControl,
  alignmentExperiment,
  alignmentTable,
  alignmentSummary,
  alignmentComparison,
  alignmentDir,
  ALIGNMENT_PRESET,
  runAlignment,
} from "./alignment";
export type {
  LayerCurves,
  RetrievalDetail,
  ModalityAlignment,
  AlignmentOptions,
  ClipControlOptions,
  AlignmentRow,
  AlignmentExperimentOptions,
  AlignmentComparisonRow,
  AlignmentConfig,
  AlignmentRun,
  RunAlignmentOptions,
} from "./alignment";
export {
  PUBLISHED_ROOT,
  publishedFiles,
  publishOrganismResults,
  stageTiming,
  loadPublishedFamily,
  loadPublishedAlignment,
  loadProvenance,
} from "./published";
export type { AlignmentBySize, StageTiming, Provenance, PublishOptions, PublishedRun } from "./published";
export { EXPERIMENTS, experimentByName } from "./registry";
export type { Experiment, ExperimentContext, ExperimentOutcome } from "./registry";
export { refinementRun, refinementTable } from "./refinement";
export type { RefinementRow, RefinementRunResult, RefinementRunOptions } from "./refinement";
