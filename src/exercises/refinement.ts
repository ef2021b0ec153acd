/**
 * Exercises of the refinement chapters (23, 24). Expected values follow from the definitions
 * (InfoNCE's chance level, LoRA's parameter count) and the paper's table; the tests recompute
 * them with the kit's own functions.
 *
 * @module
 */
import { choiceExercise, numericExercise } from "./helpers";
import type { Exercise } from "./types";

/** Expected answers, exported for the tests. */
export const REFINEMENT_EXERCISE_ANSWERS = {
  /** InfoNCE chance with 32 anchors, 32 positives and 32 hard negatives: log(32 + 32) nats. */
  "23.1": Math.log(64),
  /** LoRA on one 64 → 192 linear layer at rank 8: A is 64×8, B is 8×192 → 8·(64 + 192). */
  "23.2": 8 * (64 + 192),
  "23.3": "what the refinement alone can build, without generative pretraining",
  /** Paper, 7B: CLIP-style 550.0 GPU-hours vs LoRA text-only 9.3 GPU-hours. */
  "24.1": 550.0 / 9.3,
  "24.2": "each step draws one batch of pairs per modality (image and audio)",
} as const;

/** Exercises of the refinement chapters. */
export const refinementExercises: Exercise[] = [
  numericExercise({
    id: "23.1",
    prompt: "A batch of 32 (anchor, positive, hard negative) triples. What is the InfoNCE loss (nats) of an embedding that gives every candidate the same similarity?",
    expected: () => REFINEMENT_EXERCISE_ANSWERS["23.1"],
    tol: 1e-3,
    hint: "Each anchor chooses among every positive and every hard negative of the batch; equal similarities make the softmax uniform.",
  }),
  numericExercise({
    id: "23.2",
    prompt: "LoRA of rank 8 on one linear layer with 64 inputs and 192 outputs. How many parameters does it train?",
    expected: () => REFINEMENT_EXERCISE_ANSWERS["23.2"],
    tol: 0,
    hint: "The update is B·A with A of shape [in, r] and B of shape [r, out].",
  }),
  choiceExercise({
    id: "23.3",
    prompt: "What does the control 'random init + the same refinement' measure?",
    choices: [
      "the pretrained model's alignment",
      REFINEMENT_EXERCISE_ANSWERS["23.3"],
      "the chance level of R@1",
      "the effect of the answer format",
    ],
    answer: REFINEMENT_EXERCISE_ANSWERS["23.3"],
  }),
  numericExercise({
    id: "24.1",
    prompt: "In the paper's table (7B), how many times more GPU-hours does CLIP-style multimodal training cost than LoRA text-only (to 1 decimal)?",
    expected: () => REFINEMENT_EXERCISE_ANSWERS["24.1"],
    tol: 0.05,
    hint: "Divide the two gpu_hours values of the 7B rows of data/paper/training_strategies.csv.",
  }),
  choiceExercise({
    id: "24.2",
    prompt: "At the same steps and batch size, the CLIP-style refinement consumes twice the examples of text-only LoRA. Why?",
    choices: ["it trains twice as many parameters", REFINEMENT_EXERCISE_ANSWERS["24.2"], "it runs twice as many steps", "its hard negatives count double"],
    answer: REFINEMENT_EXERCISE_ANSWERS["24.2"],
  }),
];
