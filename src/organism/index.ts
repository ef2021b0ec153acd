/**
 * The `organism` area: a family of small omnimodal generative language models trained from
 * scratch (encoders + projectors + causal decoder), their pretraining with checkpoints and exact
 * resumption, the generative score, and embedding extraction with the paper's protocol.
 * Named exports only.
 *
 * @module
 */
export { organismConfig, validateConfig, checkpointSteps, learningRateAt, FAMILY, MODALITIES, ENCODED_MODALITIES } from "./config";
export type {
  Modality,
  AnswerFormat,
  EncoderConfig,
  ProjectorKind,
  DecoderConfig,
  MixtureConfig,
  TrainConfig,
  OrganismConfig,
  SizeSpec,
  OrganismConfigOptions,
} from "./config";
export { summarizePrompt, summaryAnswer, featurize, buildFeatureCache, buildSequence, assembleBatch } from "./data";
export type { ModalityInput, OrganismItem, OrganismTokenizer, FeatureCache, Task, SequenceSpec, AssembledBatch } from "./data";
export {
  createOrganism,
  featureCacheSpec,
  disposeOrganism,
  decoderStack,
  encodeModality,
  gatherInputs,
  inputEmbeddings,
  forward,
  maskedNextTokenLoss,
  parameterCounts,
  fitInputNorm,
  trainableVariables,
  isBuffer,
} from "./model";
export type { InputSpec, Organism, ForwardOptions, ForwardOutput } from "./model";
export {
  trainOrganism,
  sampleSequences,
  trainingBatch,
  prefixTokens,
  batchLoss,
  availableModalities,
} from "./train";
export type { OrganismData, TrainProgress, TrainOrganismOptions, TrainResult } from "./train";
export {
  CHECKPOINT_FORMAT,
  checkpointDir,
  writeRunConfig,
  readRunConfig,
  listCheckpoints,
  saveCheckpoint,
  readCheckpointState,
  loadWeights,
  loadOrganism,
  adamState,
  restoreAdamState,
} from "./checkpoint";
export type { RunConfigFile, CheckpointState } from "./checkpoint";
export { embed, embedIndices } from "./embed";
export { captionDonors, checkCorruption, effectiveCorruption } from "./corruption";
export type { CaptionCorruption } from "./corruption";
export type { EmbedOptions } from "./embed";
export { greedyDecode, captionNll, answerAttributeAccuracy, evaluateGenerative } from "./generate";
export type { DecodeOptions, ModalityGenMetrics, GenerativeEval } from "./generate";
export { organismDataFromWorld, organismWorld, organismTokenizer, worldSummaryFormat, dataForRun } from "./world";
export type { WorldDataOptions } from "./world";
export { pretrain, pretrainFamily, pretrainSpec, pretrainDir, specConfig, specData, defaultWorkers } from "./family";
export type { PretrainSpec, PretrainResult, PretrainOptions, FamilyOptions } from "./family";
export {
  organismFigures,
  lossCurveFigure,
  generativeScoreFigure,
  alignmentLayerFigure,
  alignmentFamilyFigure,
  attributeAgreementFigure,
  familySummaryPath,
  readFamilySummary,
} from "./figures";
export type { FamilyRun } from "./figures";
export { measureAlignment, clipControl, promptEndStates, alignmentExperiment, alignmentTable, alignmentSummary, alignmentComparison, alignmentDir } from "./align";
export type { LayerCurves, RetrievalDetail, ModalityAlignment, AlignmentOptions, ClipControlOptions, AlignmentRow, AlignmentExperimentOptions, AlignmentComparisonRow } from "./align";
export {
  PUBLISHED_ROOT,
  publishedFiles,
  publishOrganismResults,
  stageTiming,
  loadPublishedFamily,
  loadPublishedAlignment,
  loadProvenance,
} from "./published";
export type { AlignmentBySize, StageTiming, Provenance, PublishOptions } from "./published";
