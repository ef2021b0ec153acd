/**
 * The `exercises` area: `check(id, answer)` for students, `list(chapter)`, and one-line
 * helpers for chapter authors (`numericExercise`, `choiceExercise`, `predicateExercise`).
 *
 * @module
 */
export { numericExercise, choiceExercise, predicateExercise, describeValue } from "./helpers";
export type { NumericExerciseSpec, ChoiceExerciseSpec, PredicateExerciseSpec } from "./helpers";
export { setupExercises } from "./setup";
export { EXERCISE_25_1 } from "./grsl";
// The registry comes last: it imports the tracks' exercise lists, which may import the helpers
// above through this barrel; exporting the helpers first keeps that cycle harmless.
export { check, list, exerciseById, formatResult, checkExerciseList, EXERCISES } from "./registry";
export type { CheckResult, Exercise } from "./types";
