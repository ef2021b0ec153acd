/**
 * The exercise registry and the student-facing `check`. Chapters end with exercises; a student
 * writes `lco.exercises.check("0.1", myAnswer)` and gets a verdict with a hint.
 *
 * @module
 */
import { inKernel } from "../display/kernel";
import { organismExercises } from "./organism";
import { paperExercises } from "./paper";
import { setupExercises } from "./setup";
import { worldExercises } from "./world";
import { continualExercises, grslExercises } from "./grsl";
import { refinementExercises } from "./refinement";
import type { CheckResult, Exercise } from "./types";

/** Check a list for unique `"<chapter>.<n>"` ids and return it. Throws naming the bad id. */
export function checkExerciseList(list: readonly Exercise[]): Exercise[] {
  const seen = new Set<string>();
  for (const e of list) {
    if (!/^\d+\.\d+$/.test(e.id)) throw new Error(`invalid exercise id; need "<chapter>.<n>" like "3.1", got ${JSON.stringify(e.id)}`);
    if (seen.has(e.id)) throw new Error(`duplicate exercise id "${e.id}"`);
    seen.add(e.id);
  }
  // Sorted by chapter, then number ("2.10" after "2.9").
  return [...list].sort((a, b) => {
    const [ca, na] = a.id.split(".").map(Number), [cb, nb] = b.id.split(".").map(Number);
    return ca - cb || na - nb;
  });
}

/** Every exercise: the setup chapter's, the paper track's, the world's and the model organism's. */
export const EXERCISES: readonly Exercise[] = checkExerciseList([...setupExercises, ...paperExercises, ...worldExercises, ...organismExercises, ...refinementExercises, ...grslExercises, ...continualExercises]);

function unknownIdMessage(id: string, list: readonly Exercise[]): string {
  const chapter = id.split(".")[0];
  const sameChapter = list.filter((x) => x.id.split(".")[0] === chapter).map((x) => x.id);
  const known = sameChapter.length ? `chapter ${chapter} has ${sameChapter.join(", ")}` : `known ids: ${list.map((x) => x.id).join(", ") || "(none)"}`;
  return `unknown exercise id "${id}"; ${known}`;
}

/** The exercise with this id; throws listing the known ids. */
export function exerciseById(id: string, list: readonly Exercise[] = EXERCISES): Exercise {
  const e = list.find((x) => x.id === id);
  if (!e) throw new Error(unknownIdMessage(id, list));
  return e;
}

/**
 * The exercises of one chapter (`list(3)` → "3.1", "3.2", …), or all of them.
 * @param chapter chapter number; omit for all.
 */
export function list(chapter?: number, exercises: readonly Exercise[] = EXERCISES): Exercise[] {
  if (chapter === undefined) return [...exercises];
  if (!Number.isInteger(chapter) || chapter < 0) throw new Error(`invalid chapter; need an integer ≥ 0, got ${chapter}`);
  return exercises.filter((e) => e.id.split(".")[0] === String(chapter));
}

/** One friendly line for a verdict, e.g. `✓ 0.2: (b) lco.rng(7).next() is right`. */
export function formatResult(id: string, r: CheckResult): string {
  return r.ok ? `✓ ${id}: ${r.message}` : `✗ ${id}: ${r.message}${r.hint ? `\n  hint: ${r.hint}` : ""}`;
}

/**
 * Check an answer to exercise `id`. In a notebook it prints one line (✓ or ✗ with a hint);
 * it always returns the {@link CheckResult} and never throws: a check that throws, or an id
 * that no list knows (the message names the chapter's ids), is reported as `ok: false`.
 * @param exercises where to look first; default every registered exercise. An id missing from
 *   a list given here is looked up in the registry, so older chapters that pass their own list
 *   keep working.
 */
export function check(id: string, answer: unknown, exercises: readonly Exercise[] = EXERCISES): CheckResult {
  const e = exercises.find((x) => x.id === id) ?? EXERCISES.find((x) => x.id === id);
  let r: CheckResult;
  if (!e) r = { ok: false, message: unknownIdMessage(String(id), EXERCISES), hint: "the ids are in the exercise headings of the chapter, e.g. \"10.1\"" };
  else {
    try {
      r = e.check(answer);
    } catch (err) {
      r = { ok: false, message: `the check itself failed: ${(err as Error).message}` };
    }
  }
  if (inKernel()) {
    console.log(formatResult(id, r));
    // tslab echoes a cell's last value with console.log; the line above already said it all, so
    // the result inspects as an empty string (a non-enumerable property: JSON and deepEqual
    // comparisons of the result are unaffected).
    Object.defineProperty(r, Symbol.for("nodejs.util.inspect.custom"), { value: () => "", enumerable: false });
  }
  return r;
}
