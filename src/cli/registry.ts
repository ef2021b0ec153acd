/**
 * Every `lco` sub-command, in the order `lco --help` lists them. Add one entry per command;
 * nothing else needs to change (`main.ts` dispatches by name, including two-word names such as
 * `"bench train"`).
 *
 * The table names each command and its one-line summary here, and loads the module that
 * implements it only when that command runs (or prints its usage). A command's module pulls in
 * what it computes with (TF.js, the organism, the experiments), so importing them all up front
 * cost every `lco` start about 0.4 s of CPU, also for commands that never touch a tensor.
 * `test/cli.test.ts` checks that each entry's name and summary equal its module's.
 */
import type { CliIO, Command } from "./command";

/**
 * A command that loads its module on first use. `load` must `require` the module (synchronously:
 * `main()` reads `usage` without awaiting); Node caches the module, so later uses cost nothing.
 */
export function lazyCommand(name: string, summary: string, load: () => Command): Command {
  return {
    name,
    summary,
    get usage(): string {
      return load().usage;
    },
    run(argv: string[], io: CliIO): Promise<number> {
      return load().run(argv, io);
    },
  };
}

type Sweep = typeof import("./sweep");
const sweep = (name: string, summary: string): Command =>
  lazyCommand(`sweep ${name}`, summary, () => (require("./sweep") as Sweep).sweepCommands.find((c) => c.name === `sweep ${name}`)!);

/** The command table `main()` dispatches over (order = `lco --help` order). */
export const COMMANDS: Command[] = [
  lazyCommand("anisotropy", "mean pairwise cosine similarity of embeddings (per layer for [layers, n, d])", () =>
    (require("./anisotropy") as typeof import("./anisotropy")).anisotropyCommand),
  lazyCommand("align", "alignment of paired embeddings (mutual_knn, cycle_knn, cka, unbiased_cka, cknna, …)", () =>
    (require("./align") as typeof import("./align")).alignCommand),
  lazyCommand("retrieval", "paired retrieval Q[i] ↔ C[i]: Recall@k, MRR, nDCG@10 both ways, with chance levels", () =>
    (require("./retrieval") as typeof import("./retrieval")).retrievalCommand),
  lazyCommand("bench train", "time training steps of the reference transformer (stock / patched / fast paths)", () =>
    (require("./bench") as typeof import("./bench")).benchTrainCommand),
  lazyCommand("organism train", "pretrain the model organism (one run or the whole family) with checkpoints", () =>
    (require("./organism") as typeof import("./organism")).organismTrainCommand),
  lazyCommand("refine", "contrastive refinement of a pretrained run (lora | full | linear | clip) → a refinement folder", () =>
    (require("./refine") as typeof import("./refine")).refineCommand),
  lazyCommand("embed", "embeddings of a trained organism with the paper's protocol → .npy [layers+1, n, d]", () =>
    (require("./organism") as typeof import("./organism")).embedCommand),
  lazyCommand("experiment", "run one experiment (alignment, …) with its preset; --publish copies its results to data/", () =>
    (require("./experiment") as typeof import("./experiment")).experimentCommand),
  sweep("plan", "write an experiment's sweep as JSON Lines (one job per line)"),
  sweep("run", "run one job of a sweep plan (idempotent, resumes from checkpoints)"),
  sweep("slurm", "write a Slurm submit script (one job array per stage) for a sweep plan"),
  sweep("submit", "submit a script from `lco sweep slurm` (sbatch per stage)"),
  sweep("status", "progress of a sweep (run folders, and squeue where Slurm is configured)"),
  sweep("collect", "merge a finished sweep's results into the experiment's tables"),
  sweep("local", "run a sweep plan on this machine with a pool of worker processes"),
  lazyCommand("notebook", "open the chapters in Jupyter's notebook UI (tslab kernel)", () =>
    (require("./notebook") as typeof import("./notebook")).notebookCommand),
];
