/**
 * `lco anisotropy X.npy [--json]`: the anisotropy (mean pairwise cosine similarity) of a set of
 * embeddings, or of every layer of a `[layers, n, d]` stack.
 *
 * @module
 */
import { InputError } from "../array";
import { anisotropy, anisotropyByLayer } from "../probes";
import { backendFor, checkRowsUsable, fmt, loadInput, parseCommandArgs, printJson } from "./args";
import type { CliIO, Command } from "./command";


const USAGE = `usage: lco anisotropy X [--json]

Anisotropy of embeddings X: the mean cosine similarity over all pairs of rows
(A = 2/(n(n-1)) Σ_{i<j} cos(x_i, x_j); near 1 = all embeddings point one way).

  X         .npy or .safetensors file, [n, d] or a layer stack [layers, n, d]
            (one value per layer; layer 0 = token-embedding output).
            A multi-tensor .safetensors file: FILE.safetensors:NAME.
  --json    print one JSON object as the last line:
            {"metric":"anisotropy","value":0.12 | [per-layer values],"n":…,"d":…,"layers":…,
             "chance":0,"backend":…,"input":…}
            chance 0 = independent isotropic random directions (expected cosine 0).

Bad input (missing or corrupt file, NaN/Inf, a zero-norm row, n < 2) exits with code 2.
Python export: np.save("image_layers.npy", torch.stack(hidden_states).float().cpu().numpy())`;

/** The `anisotropy` command. */
export const anisotropyCommand: Command = {
  name: "anisotropy",
  summary: "mean pairwise cosine similarity of embeddings (per layer for [layers, n, d])",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(argv, { json: "boolean" }, ["X"]);
    const input = loadInput(positionals[0]);
    const [n, d] = [input.layers[0].rows, input.layers[0].cols];
    if (n < 2) throw new InputError(`${input.label} has ${n} row; anisotropy needs at least 2 rows (pairs of items)`);
    checkRowsUsable(input);
    const backend = await backendFor(n * n * d);
    const value: number | number[] = input.stacked ? anisotropyByLayer(input.array) : anisotropy(input.layers[0]);
    if (flags.json) {
      printJson(io, {
        metric: "anisotropy",
        value,
        n,
        d,
        layers: input.layers.length,
        chance: 0,
        backend,
        input: input.label,
      });
      return 0;
    }
    io.out(`anisotropy of ${input.label} [n = ${n}, d = ${d}${input.stacked ? `, ${input.layers.length} layers` : ""}]  (chance: 0 for random directions)`);
    if (Array.isArray(value)) value.forEach((v, l) => io.out(`  layer ${String(l).padStart(3)}  ${fmt(v)}`));
    else io.out(`  ${fmt(value)}`);
    return 0;
  },
};
