/**
 * One-line exercise definitions for chapter authors:
 *
 * ```ts
 * numericExercise({ id: "3.1", prompt: "Anisotropy of layer 0?", expected: () => anisotropy(f0), tol: 0.01, hint: "mean pairwise cosine" })
 * choiceExercise({ id: "3.2", prompt: "Which metric is unbiased?", choices: ["cka", "unbiased_cka"], answer: "unbiased_cka" })
 * ```
 *
 * Checks never throw on a wrong answer type; they return `ok: false` and name what was given.
 *
 * @module
 */
import type { CheckResult, Exercise } from "./types";

/** Short, readable rendering of a submitted value for messages. */
export function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return `a ${typeof v}`;
}

const ID_PATTERN = /^\d+\.\d+$/;

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new Error(`invalid exercise id; need "<chapter>.<n>" like "3.1", got ${JSON.stringify(id)}`);
}

/** Spec of a numeric exercise. */
export interface NumericExerciseSpec {
  /** `"<chapter>.<n>"`. */
  id: string;
  prompt: string;
  /**
   * The right value, computed when an answer is checked (lazily, so it can read data or run a
   * probe that only makes sense inside the chapter's flow).
   */
  expected: () => number;
  /** Absolute tolerance: ok when |answer − expected| ≤ tol. Default 1e-6. */
  tol?: number;
  /** Relative tolerance, combined with `tol` as max(tol, relTol·|expected|). Default 0. */
  relTol?: number;
  /** Shown when the answer is wrong. */
  hint?: string;
}

/** An exercise whose answer is a number within a tolerance. */
export function numericExercise(spec: NumericExerciseSpec): Exercise {
  checkId(spec.id);
  const tol = spec.tol ?? 1e-6;
  const relTol = spec.relTol ?? 0;
  if (!(tol >= 0) || !(relTol >= 0)) throw new Error(`exercise ${spec.id}: tolerances must be ≥ 0, got tol=${tol}, relTol=${relTol}`);
  return {
    id: spec.id,
    prompt: spec.prompt,
    check(answer: unknown): CheckResult {
      const hint = spec.hint;
      if (typeof answer !== "number" || Number.isNaN(answer)) {
        return { ok: false, message: `expected a number, got ${describeValue(answer)}`, ...(hint ? { hint } : {}) };
      }
      const expected = spec.expected();
      const allowed = Math.max(tol, relTol * Math.abs(expected));
      const err = Math.abs(answer - expected);
      if (err <= allowed) return { ok: true, message: `${answer} is right (within ${allowed.toPrecision(2)} of the reference)` };
      const side = answer > expected ? "too high" : "too low";
      return { ok: false, message: `${answer} is ${side} (off by more than the tolerance ${allowed.toPrecision(2)})`, ...(hint ? { hint } : {}) };
    },
  };
}

/** Spec of a multiple-choice exercise. */
export interface ChoiceExerciseSpec {
  id: string;
  prompt: string;
  /** The options, shown as (a), (b), … */
  choices: string[];
  /** The right option: its text or its 0-based index. */
  answer: string | number;
  hint?: string;
}

/**
 * A multiple-choice exercise. The student may answer with the option's letter (`"b"`), its
 * 0-based index (`1`) or its text (case and surrounding spaces ignored).
 */
export function choiceExercise(spec: ChoiceExerciseSpec): Exercise {
  checkId(spec.id);
  if (spec.choices.length < 2 || spec.choices.length > 26) throw new Error(`exercise ${spec.id}: need 2–26 choices, got ${spec.choices.length}`);
  const norm = (s: string) => s.trim().toLowerCase();
  const right = typeof spec.answer === "number" ? spec.answer : spec.choices.findIndex((c) => norm(c) === norm(spec.answer as string));
  if (!(Number.isInteger(right) && right >= 0 && right < spec.choices.length)) {
    throw new Error(`exercise ${spec.id}: answer ${JSON.stringify(spec.answer)} is not one of the choices`);
  }
  const letters = spec.choices.map((_, i) => String.fromCharCode(97 + i));
  const listed = spec.choices.map((c, i) => `(${letters[i]}) ${c}`).join("  ");
  return {
    id: spec.id,
    prompt: `${spec.prompt}\n${listed}`,
    check(answer: unknown): CheckResult {
      let picked = -1;
      if (typeof answer === "number" && Number.isInteger(answer)) picked = answer;
      else if (typeof answer === "string") {
        const a = norm(answer).replace(/^\((.)\)$/, "$1");
        picked = a.length === 1 && letters.includes(a) ? letters.indexOf(a) : spec.choices.findIndex((c) => norm(c) === a);
      }
      const hint = spec.hint;
      if (picked < 0 || picked >= spec.choices.length) {
        return { ok: false, message: `${describeValue(answer)} is not one of the choices: ${listed}`, ...(hint ? { hint } : {}) };
      }
      if (picked === right) return { ok: true, message: `(${letters[picked]}) ${spec.choices[picked]} is right` };
      return { ok: false, message: `(${letters[picked]}) ${spec.choices[picked]} is not right`, ...(hint ? { hint } : {}) };
    },
  };
}

/** Spec of an exercise with a custom check. */
export interface PredicateExerciseSpec {
  id: string;
  prompt: string;
  /** Return true when right, or a string saying what is wrong. Exceptions count as wrong. */
  test: (answer: unknown) => true | string;
  hint?: string;
}

/** An exercise with a hand-written check (e.g. "a function that returns a unit vector"). */
export function predicateExercise(spec: PredicateExerciseSpec): Exercise {
  checkId(spec.id);
  return {
    id: spec.id,
    prompt: spec.prompt,
    check(answer: unknown): CheckResult {
      let verdict: true | string;
      try {
        verdict = spec.test(answer);
      } catch (e) {
        verdict = `checking ${describeValue(answer)} threw: ${(e as Error).message}`;
      }
      if (verdict === true) return { ok: true, message: `${describeValue(answer)} is right` };
      return { ok: false, message: verdict, ...(spec.hint ? { hint: spec.hint } : {}) };
    },
  };
}
