/**
 * The `figures` area: the registry of every figure, canonical (snapshot) JSON, static
 * rendering through headless Chromium, and the `npm run figures` pipeline.
 *
 * @module
 */
export { canonicalJson, roundNumbers, roundNumber, SIGNIFICANT_DIGITS } from "./canonical";
export { findFigureTags, checkFigureTags } from "./tags";
export type { FigureTag } from "./tags";
export { compareSnapshot, buildCanonical, snapshotPath, changedPath, sha256, sha256File } from "./snapshot";
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
// The registry comes last: it imports the tracks' figure lists, which may import helpers above
// through this barrel; exporting those first keeps that cycle harmless.
export { FIGURES, figureById, checkFigureList } from "./registry";
export { grslOrganismFigure, grslPanelAnnotation, grslTheoryFigure, grslOrganismFigures } from "./grsl-organism";
export type { GrslOrganismFigureOptions } from "./grsl-organism";
