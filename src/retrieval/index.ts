/**
 * The `retrieval` area: cosine-similarity retrieval scores (Recall@k, MRR, nDCG, class-level
 * R@1) with chance levels; ties count against the model. Named exports only.
 * @module
 */
export {
  retrievalScores, retrievalWithQrels, retrievalChance, scoresFromRanks, rankOfTarget, targetRanks,
  classRecallAt1, withinClassRecallAt1,
} from "./retrieval";
export type { DirectionScores, RetrievalScores, RetrievalOptions, ClassScore } from "./retrieval";
