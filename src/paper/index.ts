/**
 * The `paper` area: the paper's published numbers (`data/paper/`) as typed rows, the GRSL fits,
 * the training-table checks, the MIEB-Lite table, the (reconstructed) theory toy, the synthetic
 * example stacks. Named exports only. (Its figure builders are in `src/figures/paper.ts`, its
 * exercises in `src/exercises/paper.ts`.)
 * @module
 */
export {
  PROJECT_ROOT, PAPER_FILES, projectPath, readCsv,
  loadGrslPoints, loadGrslComponents, loadTrainingStrategies, loadMiebLiteMeans, loadMiebLiteCategories, loadTheoryGrid,
  TRAINING_COLUMNS, TRAINING_COLUMN_LABELS, MIEB_COLUMNS, MIEB_COLUMN_LABELS,
} from "./data";
export type {
  Provenance, GrslPointRow, GrslComponentRow, TrainingColumn, TrainingRow, MiebMeansRow, MiebColumn, MiebCategoryRow, TheoryGrid,
} from "./data";
export {
  GRSL_PANELS, reconstructGenerativeScore, buildGrslPanels, loadGrslPanels, grslPanel, reconstructionTable,
  exactPermutationPValue, fitGrslPanel, addModel,
} from "./grsl";
export type { GrslModelPoint, GrslPanel, ReconstructionRow, GrslFitOptions, GrslFit, NewGrslModel } from "./grsl";
export { trainingAverage, trainingRowLabel, checkTrainingTable, trainingGains } from "./training";
export type { TrainingRowChecked, TrainingFlag, TrainingCheckOptions, TrainingGain } from "./training";
export { miebShownCategoryMean, miebGapsToBestBaseline } from "./mieb";
export { theoryBound, theoryBoundCurve, grid } from "./theory";
export type { TheoryBoundParams, TheoryBoundValue } from "./theory";
export { makeSyntheticLayerStacks, writeSyntheticExamples, SYNTHETIC_FILES } from "./synthetic";
export type { SyntheticStackOptions, SyntheticStacks } from "./synthetic";
