/**
 * Exercises of chapter 0, "Setting up and finding your way" (`notebooks/00_setup.ipynb`).
 *
 * @module
 */
import { rng } from "../random";
import { choiceExercise, numericExercise } from "./helpers";
import type { Exercise } from "./types";

/** The mean of the first `n` uniform draws of `rng(seed)`. */
function meanOfDraws(seed: number, n: number): number {
  const r = rng(seed);
  let s = 0;
  for (let i = 0; i < n; i++) s += r.next();
  return s / n;
}

/** Chapter 0's exercises. */
export const setupExercises: Exercise[] = [
  numericExercise({
    id: "0.1",
    prompt: "Draw 1000 numbers with lco.rng(7).next() and give their mean (to 4 decimals).",
    expected: () => meanOfDraws(7, 1000),
    tol: 6e-5, // "to 4 decimals" rounds by up to 5e-5; a little slack for floating point
    hint: "Build the stream once (const r = lco.rng(7)), call r.next() 1000 times, add them up, divide by 1000.",
  }),
  choiceExercise({
    id: "0.2",
    prompt: "Which of these gives the same numbers on every run of the notebook?",
    choices: ["Math.random()", "lco.rng(7).next()", "Date.now() % 100"],
    answer: 1,
    hint: "Only a generator built from an explicit seed repeats itself.",
  }),
  choiceExercise({
    id: "0.3",
    prompt: "Which profile does CI (and `npm test`) run the notebooks with?",
    choices: ["smoke", "full", "large"],
    answer: "smoke",
    hint: "CI must finish in minutes; look at the `profile` line printed by the setup cell when run by `npm test`.",
  }),
];
