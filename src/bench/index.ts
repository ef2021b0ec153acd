/**
 * The `bench` area (the speed benchmark, not a training loop): the training-speed reference model, serial and data-parallel training steps,
 * and the training benchmark. Named exports only.
 * @module
 */
export {
  REFERENCE_MODEL,
  TINY_MODEL,
  BENCH_MODELS,
  randomBatch,
  sliceBatch,
  buildModel,
  referenceBatchLoss,
  batchGrads,
  makeTrainer,
  serialStep,
  serialStepAsync,
  disposeTrainer,
} from "./reference";
export type { BenchModel, TokenBatch, Trainer } from "./reference";
export { ParallelTrainer, idleCoreWorkers, workerRows } from "./parallel";
export type { ParallelOptions, WorkerStepMs } from "./parallel";
export { benchTrain } from "./bench";
export type { BenchTrainOptions, BenchTrainResult, PathTiming, TrainPath } from "./bench";
