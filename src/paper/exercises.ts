import type { Exercise } from "../exercises/types";

/** Exercises of the paper-track chapters. */
export const paperExercises: Exercise[] = [];
