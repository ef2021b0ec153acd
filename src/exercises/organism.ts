/**
 * Exercises of the model-organism chapters (21). Expected values follow from the organism's
 * definitions (the tests recompute them with the kit's own functions).
 *
 * @module
 */
import { choiceExercise, numericExercise } from "./helpers";
import type { Exercise } from "./types";

/** Expected answers, exported for the tests. */
export const ORGANISM_EXERCISE_ANSWERS = {
  /** A decoder with 3 blocks returns 3 + 1 hidden states (index 0 = input embeddings). */
  "21.1": 4,
  /**
   * Image item: 16 image tokens, then BOS, then the 8 prompt tokens
   * "summarize the above image in one word :" → the prompt's last token is at position
   * 16 + 1 + 8 − 1 = 24 (0-based).
   */
  "21.2": 24,
  "21.3": "the answer and EOS",
} as const;

/** Exercises of the model-organism chapters. */
export const organismExercises: Exercise[] = [
  numericExercise({
    id: "21.1",
    prompt: "A decoder with nLayers = 3. How many layers does `embed` return (the first axis of its [layers, n, d] output)?",
    expected: () => ORGANISM_EXERCISE_ANSWERS["21.1"],
    tol: 0,
    hint: "Hugging Face's hidden_states also include the input embeddings, before the first block.",
  }),
  numericExercise({
    id: "21.2",
    prompt:
      "An image becomes 16 tokens, followed by BOS and the prompt \"Summarize the above image in one word:\" (8 tokens: 7 words and ':'). At which 0-based position is the state the embedding is read from?",
    expected: () => ORGANISM_EXERCISE_ANSWERS["21.2"],
    tol: 0,
    hint: "The embedding is the state at the prompt's last token, before any answer token.",
  }),
  choiceExercise({
    id: "21.3",
    prompt: "In an instruction sequence, which tokens does the loss train the model to predict?",
    choices: ["every token", "the prompt and the answer", "the answer and EOS", "only EOS"],
    answer: ORGANISM_EXERCISE_ANSWERS["21.3"],
  }),
];
