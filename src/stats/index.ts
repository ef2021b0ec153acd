/**
 * The `stats` area: line fits with intervals, correlations, bootstrap and permutation tests, and
 * seed summaries (mean ± t-interval over seeds). Named exports only.
 * @module
 */
export { ols, confidenceBand, predictionBand, linspace } from "./regression";
export type { OlsFit, OlsOptions, BandPoint, BandOptions } from "./regression";
export { pearson, spearman, rank } from "./correlation";
export { tQuantile, tCritical, normalQuantile, tTwoSidedP, checkLevel } from "./distributions";
export { meanCI, meanCIText, summarizeSeeds, formatMeanCI } from "./summary";
export type { MeanCI, MeanCIOptions, SeedRecord, SeedSummary } from "./summary";
export { bootstrapCI, bootstrapOls, permutationTest, quantileSorted } from "./resampling";
export type { BootstrapOptions, BootstrapCI, BootstrapOlsResult, PermutationTestOptions, PermutationTestResult } from "./resampling";
export { deming, demingLine } from "./deming";
export type { DemingFit, DemingOptions } from "./deming";
export { clusterBootstrap, groupByCluster, leaveOneClusterOut, lineStatistics } from "./clustered";
export type { ClusteredPoint, HeldOutError, LeaveOneOutOptions, LeaveOneOutResult, LineStatistics, LineStatisticsOptions } from "./clustered";
