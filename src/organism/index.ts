/**
 * The `organism` area: the model organism and nothing else — a family of small omnimodal
 * generative language models trained from scratch (encoders + projectors + causal decoder), what
 * it reads, its pretraining with checkpoints and exact resumption, the generative score, and the
 * prompt-end read-out (the paper's embedding protocol). Experiments built on it live in
 * `src/experiments/`. Named exports only.
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
export { summaryAnswer, featurize, buildFeatureCache, buildSequence, describeSequence, promptHead, assembleBatch, availableModalities, prefixTokens } from "./data";
export type { ModalityInput, OrganismItem, OrganismTokenizer, FeatureCache, Task, SequenceSpec, AssembledBatch, OrganismData } from "./data";
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
  maxWeightDifference,
  fitInputNorm,
  trainableVariables,
  isBuffer,
} from "./model";
export type { InputSpec, Organism, ForwardOptions, ForwardOutput } from "./model";
export { trainOrganism, sampleSequences, trainingBatch, batchLoss } from "./pretrain";
export type { TrainProgress, TrainOrganismOptions, TrainResult } from "./pretrain";
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
  dataForRun,
  removeCheckpoint,
} from "./checkpoint";
export type { RunConfigFile, CheckpointState } from "./checkpoint";
export { readPromptEnd, promptEndStates, textPromptEndStates, embedIndices, embedIndicesAsync, embedTexts, embed, applyReadout, READOUT_PREFIX } from "./embed";
export type { EmbedData, EmbedOptions, PromptEndOptions, ReadoutForward } from "./embed";
export {
  refine,
  refineAsync,
  refineConfig,
  validateRefineConfig,
  worldTriples,
  verseTriplesFor,
  refineTriples,
  addReadoutProjection,
  decoderLoraTargets,
  prepareTrainable,
  saveRefinement,
  readRefinement,
  applyRefinement,
  REFINE_STRATEGIES,
  REFINE_FORMAT,
} from "./refine";
export type { RefineStrategy, RefineData, Trainable, LoraFields, RefineConfig, TextTriple, RefineProgress, RefineResult, RefineOptions, RefineFile } from "./refine";
export { captionDonors, checkCorruption, effectiveCorruption } from "./corruption";
export type { CaptionCorruption } from "./corruption";
export { greedyDecode, greedyDecodeAsync, captionNll, captionNllAsync, captionIsExact, answerAttributeAccuracy, evaluateGenerative, evaluateGenerativeAsync } from "./generate";
export type { DecodeOptions, ModalityGenMetrics, GenerativeEval } from "./generate";
export { organismDataFromWorld, organismWorld, organismTokenizer } from "./world";
export type { WorldDataOptions } from "./world";
export { pretrain, pretrainFamily, pretrainSpec, pretrainDir, pretrainIdentity, trainingSpec, evaluateRun, specConfig, specData, defaultWorkers, familySummaryPath, readFamilySummary } from "./family";
export type { PretrainSpec, TrainingSpec, PretrainResult, PretrainOptions, EvaluateOptions, CheckpointEval, FamilyOptions, FamilyRun, PretrainJob } from "./family";
export { runPretrainJob } from "./worker";
