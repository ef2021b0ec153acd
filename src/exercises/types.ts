/**
 * The exercise contract. Chapters end with exercises; a student checks an answer with
 * `lco.exercises.check("10.2", answer)`, which says whether it is right and gives a hint if not.
 *
 * @module
 */

/** The verdict on one answer. */
export interface CheckResult {
  ok: boolean;
  /** What was right or wrong, naming the submitted value. */
  message: string;
  /** A nudge when `ok` is false. */
  hint?: string;
}

/** One exercise. Ids are `"<chapter>.<n>"`, e.g. `"10.2"` for chapter 10's second exercise. */
export interface Exercise {
  id: string;
  /** The question, as shown in the notebook. */
  prompt: string;
  /** Check an answer. Must not throw on a wrong type: return `ok: false` with a message instead. */
  check(answer: unknown): CheckResult;
}
