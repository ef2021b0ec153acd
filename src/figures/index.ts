/**
 * The `figures` area: every figure builder (one file per track: `paper.ts`, `organism.ts`), the
 * registry of every figure, canonical (snapshot) JSON, static rendering through headless
 * Chromium, and the `npm run figures` pipeline.
 *
 * @module
 */
export { canonicalJson, roundNumbers, roundNumber, SIGNIFICANT_DIGITS } from "./canonical";
export { findFigureTags, checkFigureTags } from "./tags";
export type { FigureTag } from "./tags";
export { compareSnapshot, buildCanonical, snapshotPath, changedPath } from "./snapshot";
export type { SnapshotResult } from "./snapshot";
export {
  FigureRenderer,
  sharedRenderer,
  closeSharedRenderer,
  chromiumUnavailableReason,
  chromiumPath,
  standaloneHtml,
  figureSize,
  CHROMIUM_ARGS,
} from "./render";
export type { RenderOptions, StandaloneHtmlOptions } from "./render";
export { buildFigures, checkFigures, readManifest, MANIFEST_FORMAT } from "./pipeline";
export type { Manifest, ManifestEntry, ManifestOutput, BuildFiguresOptions, BuildFiguresReport, CheckFiguresReport } from "./pipeline";
export type { PlotlyFigure, FigureSpec } from "./types";
export {
  paperFigures, grslPanelsFigure, fitAnnotation, trainingStrategiesFigure, trainingCostQualityFigure,
  miebLiteMeansFigure, miebLiteCategoriesFigure, theoryBoundFigure, theoryBoundSliderFigure,
  layerProfileFigure, layerMetricsFigure,
} from "./paper";
export type { GrslFigureOptions, LayerSeries } from "./paper";
export { organismFigures, lossCurveFigure, generativeScoreFigure, alignmentLayerFigure, alignmentFamilyFigure, attributeAgreementFigure } from "./organism";
export { FIGURES, figureById, checkFigureList } from "./registry";
export { grslOrganismFigure, grslPanelAnnotation, grslTheoryFigure, grslOrganismFigures } from "./grsl-organism";
export type { GrslOrganismFigureOptions } from "./grsl-organism";
export { refinementFigures, refinementBeforeAfterFigure, refinementStrategiesFigure } from "./refinement";
