/**
 * The `experiments` area: one file per claim of the paper, each measured on the model organism
 * (`src/organism/`), cached per run folder, and published with provenance. `published.ts` is the
 * one door from figures and chapters to the results.
 *
 * - `alignment.ts` — P1, latent alignment: does generative pretraining align modalities?
 * - `refinement.ts` — P2: text-only refinement before / after × sizes × seeds × answer formats, with the random-init control;
 * - `strategies.ts` — P3: the refinement strategies side by side, their cost, and a sensitivity grid;
 * - `grsl.ts` — P4, the GRSL sweep: results format, statistics and the run (`lco experiment grsl`);
 * - `generate-embed.ts` — P4's mechanism check: an input embedded as the text of its own greedy caption (`lco experiment generate-embed`);
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
  publishedExperimentFiles,
  publishExperimentResult,
  loadPublishedExperiment,
  experimentProvenance,
} from "./published";
export type { AlignmentBySize, StageTiming, Provenance, PublishOptions, PublishedRun, ExperimentProvenance, PublishedExperiment } from "./published";
export { EXPERIMENTS, experimentByName, experimentConfig } from "./registry";
export type { Experiment, ExperimentContext, ExperimentOutcome } from "./registry";
export {
  measureCondition,
  refineSummary,
  REFINEMENT_PRESET,
  REFINEMENT_CONDITIONS,
  refinementRefineConfig,
  refinementCell,
  cellIdentity,
  cachedCell,
  conditionColumns,
  comparedMetrics,
  refinementComparison,
  cellVerdict,
  refinementVerdicts,
  refinementVerdict,
  refinementLossControl,
  P2_RULE,
  runRefinement,
  refinementPrintTable,
  withoutTimings,
  publishRefinement,
  loadPublishedRefinement,
} from "./refinement";
export type {
  ProbeScore,
  ConditionMeasurement,
  MeasureConditionOptions,
  RefineSummary,
  RefinementConfig,
  RefineFields,
  RefinementCondition,
  RefinementCell,
  RefinementCellOptions,
  RefinementComparisonRow,
  TransferVerdict,
  VerdictEntry,
  RefinementResults,
  RunRefinementOptions,
} from "./refinement";
export {
  PAPER_STRATEGY,
  STRATEGIES_PRESET,
  strategiesConfig,
  STRATEGIES_SMOKE_DEMO,
  strategiesPlan,
  strategiesCellDirs,
  chapterStrategies,
  chapterStrategiesConfig,
  strategyVariants,
  strategyCell,
  strategyColumns,
  STRATEGY_COLUMNS,
  strategiesTable,
  P3_PAIRS,
  P3_RULE,
  strategiesOrdering,
  strategiesVerdict,
  runStrategies,
  publishStrategies,
  loadPublishedStrategies,
} from "./strategies";
export type { StrategyName, StrategiesConfig, StrategiesPlanCell, StrategyCell, StrategyVariant, StrategyCellOptions, StrategiesTableRow, OrderingPair, StrategiesResults } from "./strategies";
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
  corruptionArmSummary,
  grslCorruptionArm,
  grslGallerySize,
  corruptionArmTable,
  corruptionFitText,
  meanSdText,
  CORRUPTION_ARM_RULE,
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
  MeanSd, CorruptionRateRow, CorruptionArmFit, CorruptionArmModality, CorruptionArmSummary, CorruptionArmOptions,
} from "./grsl";
export {
  CONTINUAL_FORMAT, CONTINUAL_ARMS, pairedDifference, checkContinualResults, continualSpec, documentScore,
  CONTINUAL_PRESET, runContinual, continualSpecs, continualSummary, loadPublishedContinual,
  READING_MODELS, readingAccuracy, readingScore, readingChange, readingMetric, mismatchedCaptions, readingSummary, readingLine, readingUnit,
  CONTINUAL_VARIANTS, continualResultName, generalCaptionsPerStep, continualConfig, continualGeneralConfig, continualPublishName,
  generalComparison, generalComparisonTable, generalVerdict, GENERAL_RULE,
} from "./continual";
export type {
  ContinualArm, ContinualRow, ContinualResults, PairedDifference, ContinualSpecOptions, ContinualConfig, RunContinualOptions, ReadingModel, ReadingScore, ReadingRow, ContinualReading, ReadingMetric,
  ContinualVariant, GeneralComparison, GeneralPaired,
} from "./continual";
export {
  GENERATE_EMBED_FORMAT, GENERATE_EMBED_NAME, GENERATE_EMBED_PRESET, GTE_QUERIES, runGenerateEmbed, gteUnit, gteUnitDir, gteUnitDirs, gteUnitIdentity, gteModels,
  gteRetrievals, queryRetrieval, identicalTextRecallAt1, paraphraseOf, textEmbeddings, generateEmbedSummary, generateEmbedRelation, generateEmbedLines,
  checkGenerateEmbedResults, publishGenerateEmbed, loadPublishedGenerateEmbed, grslConfigOf,
} from "./generate-embed";
export type { GenerateEmbedConfig, GenerateEmbedResults, GenerateEmbedUnit, GenerateEmbedRun, GteModel, GteModality, GteQuery, GteRelation, QueryRetrieval, RunGenerateEmbedOptions } from "./generate-embed";
export { buildReport, loadReportInputs, writeReport, reportMarkdown, reportHtml, p1Section, p2Section, p3Section, p4Section, p5Section, generalSubsection } from "./report";
export type { Verdict, ClaimSection, Report, ReportInputs, ReportTable, ReportSubsection } from "./report";
