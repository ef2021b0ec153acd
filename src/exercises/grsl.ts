/**
 * Exercises of chapter 25 ("GRSL on models we trained"). Each expected value is computed with the
 * kit's own functions from fixed inputs, so the answer and the check cannot drift apart.
 *
 * @module
 */
import { captionDonors } from "../organism/corruption";
import { pretrainSpec, specConfig } from "../organism/family";
import { identicalTextRecallAt1 } from "../experiments/generate-embed";
import { continualGeneralConfig, continualSpecs } from "../experiments/continual";
import { deming, ols } from "../stats";
import { numericExercise } from "./helpers";
import type { Exercise } from "./types";

/** Data of exercise 25.1: a noisy x against a noisy y. */
export const EXERCISE_25_1 = { x: [0.2, 0.35, 0.5, 0.41, 0.62, 0.7, 0.55, 0.8, 0.9, 0.3], y: [0.1, 0.22, 0.31, 0.2, 0.45, 0.42, 0.5, 0.61, 0.58, 0.25] } as const;

/** Data of exercise 25.4: the canonical captions of a 10-item gallery (two captions occur twice). */
export const EXERCISE_25_4 = {
  captions: ["a red ball", "a small cat", "a red ball", "a blue cube", "a loud drum", "a small cat", "a green leaf", "a tall tree", "a soft bell", "a quiet bird"],
} as const;

/** Exercises of chapter 25. */
export const grslExercises: Exercise[] = [
  numericExercise({
    id: "25.1",
    prompt:
      "For x = lco.exercises.EXERCISE_25_1.x and y = …y, fit a Deming line with error ratio λ = 1 (lco.stats.deming). What is its slope minus the OLS slope (3 decimals)?",
    expected: () => deming(EXERCISE_25_1.x, EXERCISE_25_1.y, { errorRatio: 1 }).slope - ols(EXERCISE_25_1.x, EXERCISE_25_1.y).slope,
    tol: 0.001,
    hint: "OLS puts all the noise on y and so flattens the line; Deming with λ = 1 splits it evenly.",
  }),
  numericExercise({
    id: "25.2",
    prompt:
      "A GRSL panel has 3 sizes × 3 seeds × 6 kept checkpoints. How many clusters does the run-level bootstrap resample?",
    expected: () => 9,
    tol: 0,
    hint: "A cluster is one training run; all checkpoints of a run move together.",
  }),
  numericExercise({
    id: "25.3",
    prompt:
      "With lco.organism.captionDonors, corrupt 30 % of 200 training items (indices 0…199, seed 4). How many items get another item's captions?",
    expected: () => captionDonors(Array.from({ length: 200 }, (_, i) => i), { rate: 0.3, seed: 4 }).size,
    tol: 0,
    hint: "round(rate · n) items, put in a ring: each takes the captions of the next.",
  }),
  numericExercise({
    id: "25.4",
    prompt:
      "lco.exercises.EXERCISE_25_4.captions lists the canonical captions of a 10-item gallery. If every item were embedded as exactly its own caption text (ties count against the model), what would R@1 be?",
    expected: () => identicalTextRecallAt1(EXERCISE_25_4.captions),
    tol: 0.001,
    hint: "Two items with the same caption get the same embedding: each ties with the other, and a tie is not a hit.",
  }),
];

/** Exercises of chapter 26 ("Continual pretraining for a low-resource script"). */
export const continualExercises: Exercise[] = [
  numericExercise({
    id: "26.1",
    prompt:
      "Build the smoke-profile S spec (lco.organism.pretrainSpec(\"smoke\", \"S\")) and its mixture (lco.organism.specConfig(spec, vocab).mixture). With lco.experiments.continualSpec(spec, 0, mixture, {numSteps: 10}), how many document-reading sequences does one continual step hold?",
    expected: () => {
      const spec = pretrainSpec("smoke", "S");
      const m = specConfig(spec, 1).mixture;
      return m.caption.document + m.caption.image;
    },
    tol: 0,
    hint: "By default the documents take the places of the image and document captions of the parent's batch.",
  }),
  numericExercise({
    id: "26.2",
    prompt: "How many arms does the P5 comparison have (lco.experiments.CONTINUAL_ARMS)?",
    expected: () => 4,
    tol: 0,
    hint: "Refinement alone, continual alone, both, and the equal-compute control (+ refinement).",
  }),
  numericExercise({
    id: "26.3",
    prompt:
      "The general variant (lco.experiments.continualGeneralConfig(\"smoke\")) mixes general image captions into each continual step. How many sequences does one of its continual steps hold in all, documents and general captions together, for the smoke-profile S model?",
    expected: () => {
      const c = continualSpecs("smoke", continualGeneralConfig("smoke"), 0).continual.mixture!.caption;
      return c.document + c.image;
    },
    tol: 0,
    hint: "The documents are the default's (26.1); the general captions are the parent's own image captions per step.",
  }),
];
