/**
 * The `display` area: notebook output helpers. Figures (`show`), tables (`table`), progress
 * bars (`progress`) and the environment line every chapter prints (`printEnvironment`). All of
 * them also work outside a notebook kernel (tests, CLI), where they fall back to text.
 *
 * @module
 */
export { show, figureHtml, plotlyLoaderScript } from "./show";
export type { ShowOptions, ShowResult } from "./show";
export { table, tableHtml, tableText, toRowObjects, formatCell } from "./table";
export type { TableOptions, TableInput } from "./table";
export { progress, formatProgress, formatDuration } from "./progress";
export type { Progress, ProgressOptions, ProgressState } from "./progress";
export { environment, printEnvironment } from "./environment";
export type { EnvironmentInfo } from "./environment";
export { inKernel, displayData } from "./kernel";
export type { DisplayDataOptions } from "./kernel";
