/**
 * The `paper` area: the paper's published numbers (`data/paper/`) as typed rows, the GRSL fits,
 * the training-table checks, the MIEB-Lite table, the (reconstructed) theory toy, the synthetic
 * example stacks, and the figure builders and exercises of chapters 10–14. Named exports only.
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
export {
  paperFigures, grslPanelsFigure, fitAnnotation, trainingStrategiesFigure, trainingCostQualityFigure,
  miebLiteMeansFigure, miebLiteCategoriesFigure, theoryBoundFigure, theoryBoundSliderFigure,
  layerProfileFigure, layerMetricsFigure,
} from "./figures";
export type { GrslFigureOptions, LayerSeries } from "./figures";
// The expected answers (PAPER_EXERCISE_ANSWERS) stay out of the public surface; tests import them directly.
export { paperExercises } from "./exercises";
