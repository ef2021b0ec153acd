/**
 * The `exercises` area: `check(id, answer)` for students, `list(chapter)`, and one-line
 * helpers for chapter authors (`numericExercise`, `choiceExercise`, `predicateExercise`), and
 * every chapter's exercise list (one file per track; the registry imports them, never the reverse).
 *
 * @module
 */
export { numericExercise, choiceExercise, predicateExercise, describeValue } from "./helpers";
export type { NumericExerciseSpec, ChoiceExerciseSpec, PredicateExerciseSpec } from "./helpers";
export { setupExercises } from "./setup";
export { paperExercises } from "./paper";
export { worldExercises } from "./world";
export { organismExercises } from "./organism";
export { refinementExercises, REFINEMENT_EXERCISE_ANSWERS } from "./refinement";
export { EXERCISE_25_1, EXERCISE_25_4 } from "./grsl";
export { check, list, exerciseById, formatResult, checkExerciseList, EXERCISES } from "./registry";
export type { CheckResult, Exercise } from "./types";
