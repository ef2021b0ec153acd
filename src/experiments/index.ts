/**
 * The `experiments` area: one file per claim of the paper, each measured on the model organism
 * (`src/organism/`), cached per run folder, and published with provenance. `published.ts` is the
 * one door from figures and chapters to the results.
 *
 * - `alignment.ts` — P1, latent alignment: does generative pretraining align modalities?
 * - `refinement.ts` — P2 (first cut): text-only refinement before / after, with the random-init control.
 * - `grsl.ts` — P4, the GRSL sweep: results format, statistics and the run (`lco experiment grsl`);
 * - `continual.ts` — P5, continual pretraining for a low-resource script (`lco experiment continual`);
 * - `report.ts` — the reproduction report over every claim's published results.
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
  experimentProvenance,
} from "./published";
export type { AlignmentBySize, StageTiming, Provenance, PublishOptions, PublishedRun, ExperimentProvenance } from "./published";
export { EXPERIMENTS, experimentByName } from "./registry";
export type { Experiment, ExperimentContext, ExperimentOutcome } from "./registry";
export { refinementRun, refinementTable } from "./refinement";
export type { RefinementRow, RefinementRunResult, RefinementRunOptions } from "./refinement";
export {
  GRSL_FORMAT,
  GRSL_MODALITIES,
  PAPER_PANEL_OF,
  representationScore,
  panelPoints,
  grslPanelStatistics,
  checkGrslResults,
  syntheticGrslResults,
  publishedGrslFile,
  loadPublishedGrsl,
  theoryOrderings,
  GRSL_PRESET,
  runGrsl,
  grslSummary,
  grslRuns,
  grslSteps,
  grslUnit,
  grslUnitDir,
  galleryRetrieval,
  mixedGallery,
  tripleContrastiveLoss,
  weightChangeSq,
  splitTriples,
  publishResult,
} from "./grsl";
export type {
  GrslModality, GrslPoint, GrslResults, RetrievalScores, PanelPoint, PanelStatistics, GrslStatisticsOptions, TheoryPoint, TheoryOrdering,
  GrslConfig, GrslUnit, GrslRunSpec, GalleryRetrieval, RunGrslOptions,
} from "./grsl";
export {
  CONTINUAL_FORMAT, CONTINUAL_ARMS, pairedDifference, checkContinualResults, continualSpec, documentScore,
  CONTINUAL_PRESET, runContinual, continualSpecs, continualSummary, loadPublishedContinual,
} from "./continual";
export type { ContinualArm, ContinualRow, ContinualResults, PairedDifference, ContinualSpecOptions, ContinualConfig, RunContinualOptions } from "./continual";
export { buildReport, loadReportInputs, writeReport, reportMarkdown, reportHtml, p1Section, p2Section, p3Section, p4Section, p5Section } from "./report";
export type { Verdict, ClaimSection, Report, ReportInputs, ReportTable } from "./report";
