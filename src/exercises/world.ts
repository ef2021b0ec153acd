/**
 * Exercises of chapter 20, "A world to think with". Check an answer with
 * `lco.exercises.check("20.1", answer)`.
 *
 * @module
 */
import { choiceExercise, numericExercise, predicateExercise } from "./helpers";
import type { Exercise } from "./types";
import { worldConfig } from "../world/config";
import { generateWorld, mentionsHeldOut, parseCaption } from "../world/generate";
import { logMel } from "../world/audio";

/** The chapter's exercises. */
export const worldExercises: Exercise[] = [
  numericExercise({
    id: "20.1",
    prompt: "How many items of the full-profile world (seed 0) are in the OOD split, i.e. contain a held-out colour–object combination?",
    expected: () => generateWorld(worldConfig("full"), 0).splits.ood.length,
    hint: "Count held-out combinations × sizes × positions; or read world.splits.ood.length.",
  }),
  numericExercise({
    id: "20.2",
    prompt: "A pure 2000 Hz tone at 8 kHz goes through logMel with nFft 256, hop 128, 32 mel bands. In which band (0-based) is its energy largest? Work it out by hand, then check with lco.world.logMel.",
    expected: () => {
      const x = Float32Array.from({ length: 2048 }, (_, i) => Math.cos((2 * Math.PI * 2000 * i) / 8000));
      const lm = logMel({ data: x, sampleRate: 8000 }, { nFft: 256, hop: 128, nMels: 32 });
      const row = Array.from(lm.data.subarray(0, 32));
      return row.indexOf(Math.max(...row));
    },
    hint: "mel(2000 Hz) = 2595·log10(1 + 2000/700); the 34 edges are equally spaced in mel from 0 to mel(4000 Hz). Band m spans edges m … m+2.",
  }),
  choiceExercise({
    id: "20.3",
    prompt: "Why may a hard negative never mention a held-out colour–object combination?",
    choices: [
      "it would make the triples too easy",
      "training text would then contain the held-out combination, so the OOD split would no longer test unseen compositions",
      "the tokenizer cannot encode held-out words",
    ],
    answer: 1,
    hint: "What does the OOD split promise about training data?",
  }),
  predicateExercise({
    id: "20.4",
    prompt: "Write a caption (a string) of a scene in the full world's OOD split that lco.world.parseCaption accepts.",
    test: (answer) => {
      if (typeof answer !== "string") return `expected a string, got ${typeof answer}`;
      const cfg = worldConfig("full");
      const m = parseCaption(answer, cfg);
      if (m === null) return `"${answer}" is not a caption of this world (try one of item.captions as a model)`;
      return mentionsHeldOut(m, cfg) ? true : `"${answer}" parses, but its colour–object pair is not held out (see config.heldOut)`;
    },
    hint: "config.heldOut lists the held-out (colour, object) pairs; captions look like 'a big red circle on the left'.",
  }),
];
