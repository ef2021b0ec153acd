import type { Exercise } from "../exercises/types";

/** Exercises of the model-organism chapters. */
export const organismExercises: Exercise[] = [];
