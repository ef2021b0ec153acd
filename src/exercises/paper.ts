/**
 * Exercises of the paper-track chapters (10–14). Each checks a student's answer against a value
 * computed by hand from the published numbers (the tests recompute every expected value with the
 * kit's own functions, so the two cannot drift apart silently).
 *
 * @module
 */
import { numericExercise, predicateExercise } from "./helpers";
import type { Exercise } from "./types";

/** An exercise whose answer is a number, accepted within `tol`. */
function numeric(id: string, prompt: string, expected: number, tol: number, hint: string): Exercise {
  return numericExercise({ id, prompt, expected: () => expected, tol, hint });
}

/** An exercise whose answer is a set of strings (order and duplicates ignored, case-sensitive). */
function stringSet(id: string, prompt: string, expected: readonly string[], hint: string): Exercise {
  const want = [...expected].sort();
  return predicateExercise({
    id,
    prompt,
    hint,
    test(answer: unknown) {
      if (!Array.isArray(answer) || !answer.every((a) => typeof a === "string")) {
        return `expected an array of strings, got ${JSON.stringify(answer)}`;
      }
      const got = [...new Set(answer as string[])].sort();
      const missing = want.filter((w) => !got.includes(w));
      const extra = got.filter((g) => !want.includes(g));
      if (missing.length === 0 && extra.length === 0) return true;
      return `${JSON.stringify(answer)}: ${missing.length} missing, ${extra.length} not expected${extra.length ? ` (${extra.join(", ")})` : ""}`;
    },
  });
}

/** Expected answers, exported for the tests (which recompute each with the kit's functions). */
export const PAPER_EXERCISE_ANSWERS = {
  "10.1": 0.4246,
  "10.2": 1 / 24,
  // addModel on the OCR panel with the 10.3 model; checked in test/paper.test.ts.
  "10.3": 0.4376,
  "11.1": 51.68,
  "11.2": ["vsts_en", "vsts_cross", "doc_understanding", "linear_probe"],
  "11.3": 550 / 9.3,
  "12.1": 68.8 - 64.5,
  "12.2": (34.2 + 80.8 + 72.4 + 77.8 + 35.0 + 35.5 + 73.4) / 7,
  // rows [2,0], [3,4], [1,1]: cosines 0.6, 1/√2, 7/(5√2); their mean.
  "13.1": (0.6 + Math.SQRT1_2 + 7 / (5 * Math.SQRT2)) / 3,
  "13.2": 0.75,
  "14.1": Math.sqrt(Math.log((2 * Math.sqrt(1000)) / 0.05) / 2000),
  "14.2": 1,
  "14.3": 2 * 276000 * 0.01 - Math.log((2 * Math.sqrt(276000)) / 0.05),
} as const;

const A = PAPER_EXERCISE_ANSWERS;

/** Exercises of the paper-track chapters. */
export const paperExercises: Exercise[] = [
  numeric(
    "10.1",
    "Fit the OCR panel with lco.paper.fitGrslPanel. What is the slope a of y = a·x + b (3 decimals)?",
    A["10.1"], 0.001,
    "lco.paper.fitGrslPanel(lco.paper.grslPanel(\"ocr\")).fit.slope",
  ),
  numeric(
    "10.2",
    "Compute the exact permutation p-value of the video panel (n = 4) with lco.paper.fitGrslPanel (3 decimals). What is the smallest value any 4-point panel could reach?",
    A["10.2"], 0.001,
    "fit.permutationP; the observed pairing is one of the 4! = 24 pairings and always counts.",
  ),
  numeric(
    "10.3",
    "Add a hypothetical 4B model to the OCR panel with components {TextVQA_val: 70, DocVQA_test: 90, ChartQA_avg: 80, OCRBench-V2_en: 40}, representationScore 68 and nParams 4e9. What is the refitted slope (3 decimals)?",
    A["10.3"], 0.001,
    "lco.paper.addModel(panel, {name, components, representationScore, nParams}).fit.fit.slope",
  ),
  numeric(
    "11.1",
    "Recompute the average of the six columns of the Qwen2.5-VL-7B + CLIP-style CL row (2 decimals).",
    A["11.1"], 0.006,
    "Sum 18.24, 73.92, 68.70, 65.41, 44.89, 38.93 and divide by 6; compare with the printed 50.02.",
  ),
  stringSet(
    "11.2",
    "Which columns are identical between the two untrained rows (3B and 7B)? Answer with the column names of data/paper/training_strategies.csv, e.g. [\"vsts_en\", …].",
    A["11.2"],
    "Look at the identical-columns flag of lco.paper.checkTrainingTable; V-STS multi differs by 0.01.",
  ),
  numeric(
    "11.3",
    "On the 7B backbone, how many times more GPU-hours did CLIP-style CL cost than text-only LoRA (1 decimal)?",
    A["11.3"], 0.1,
    "Divide the two gpu_hours values of the 7B rows.",
  ),
  numeric(
    "12.1",
    "By how many points does LCO-Emb-Omni (7B, multimodal) beat the best baseline on Mean(51)?",
    A["12.1"], 0.01,
    "The best baseline on Mean(51) is GME (7B).",
  ),
  numeric(
    "12.2",
    "Average the seven category scores shown for CLIP-ViT-bigG (2 decimals). It is not 51.3: why?",
    A["12.2"], 0.01,
    "lco.paper.miebShownCategoryMean(row); then think about tasks per category and missing categories.",
  ),
  numeric(
    "13.1",
    "By hand: the anisotropy (mean pairwise cosine) of the three rows [2, 0], [3, 4], [1, 1] (3 decimals).",
    A["13.1"], 0.001,
    "cos = a·b / (|a||b|); three pairs.",
  ),
  numeric(
    "13.2",
    "By hand, with k = 1: A = [[1,0],[0.9,0.1],[0,1],[0.1,0.9]], B = [[1,0],[0.95,0.05],[0,1],[0.6,0.4]]. What is mutual_knn(A, B)?",
    A["13.2"], 1e-9,
    "Find each row's nearest other row (by cosine) in A and in B; count the rows whose neighbours agree.",
  ),
  numeric(
    "14.1",
    "With KL = 0, n = 1000 and δ = 0.05, what is the complexity term sqrt((KL + ln(2√n/δ)) / (2n)) (4 decimals)?",
    A["14.1"], 0.0001,
    "lco.paper.theoryBound({...}).complexityTerm",
  ),
  numeric(
    "14.2",
    "N = 1056, KL fixed. By how many nats does the toy bound drop when I_P(X;Y) rises from 3 to 4 nats?",
    A["14.2"], 1e-6,
    "Below log N the info term is log N − I.",
  ),
  numeric(
    "14.3",
    "n = 276,000 pairs, δ = 0.05: which KL(Q‖P) makes the complexity term exactly 0.1 (nearest whole nat)?",
    A["14.3"], 1,
    "Solve sqrt((KL + ln(2√n/δ)) / (2n)) = 0.1 for KL.",
  ),
];
