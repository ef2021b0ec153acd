/**
 * The `experiments` area: one file per claim of the paper. Each holds its results format, its
 * analysis and (once its model parts exist) its run; `report` turns the published results of all
 * of them into the reproduction report.
 * @module
 */
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
} from "./grsl";
export type { GrslModality, GrslPoint, GrslResults, RetrievalScores, PanelPoint, PanelStatistics, GrslStatisticsOptions, TheoryPoint, TheoryOrdering } from "./grsl";
export { CONTINUAL_FORMAT, CONTINUAL_ARMS, pairedDifference, checkContinualResults } from "./continual";
export type { ContinualArm, ContinualRow, ContinualResults, PairedDifference } from "./continual";
export { buildReport, loadReportInputs, writeReport, reportMarkdown, reportHtml, p1Section, p2Section, p3Section, p4Section, p5Section } from "./report";
export type { Verdict, ClaimSection, Report, ReportInputs, ReportTable } from "./report";
