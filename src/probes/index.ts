/**
 * The `probes` area: anisotropy and the latent-alignment metrics of the paper's analysis
 * (shared/paper-notes.md §1.2–1.3), blocked so that n = 20,000 fits in memory. Named exports only.
 * @module
 */
export { anisotropy, anisotropyByLayer, type AnisotropyOptions } from "./anisotropy";
export {
  measure, measureByLayer, measureLayerPairs, chanceLevel, shuffledPairsControl, calibratedByLayer, METRICS, isKnnMetric,
} from "./measure";
export type { MetricName, MeasureOptions, ShuffledControl, CalibratedLayer, CalibratedByLayer } from "./measure";
export {
  knnIndices, mutualKnn, cycleKnn, lcsKnn, editDistanceKnn, lcsLength, editDistance, permuteLists,
  mutualKnnFromLists, cycleKnnFromLists, lcsKnnFromLists, editDistanceKnnFromLists,
} from "./knn";
export type { KnnLists, KnnOptions } from "./knn";
export { cka, unbiasedCka, cknna, cknnaFromLists } from "./cka";
export type { CkaOptions, CknnaOptions } from "./cka";
export { svcca } from "./svcca";
export type { SvccaOptions } from "./svcca";
export { l2Normalize } from "./prepare";
export { linearProbe, linearProbeAsync } from "./linearProbe";
export type { LinearProbeOptions, LinearProbeResult } from "./linearProbe";
export {
  similarityBlocks, forEachSimilarityBlock, crossProduct, resolveEngine, JS_ENGINE_MAX_WORK, DEFAULT_BLOCK_VALUES,
} from "./similarity";
export type { SimilarityEngine, BlockOptions, SimilarityBlocks } from "./similarity";
