/**
 * `lco retrieval Q C [--k 1,5,10] [--ndcg-k 10] [--layer L] [--json]`: paired cross-modal
 * retrieval by cosine similarity. Query i's correct candidate is candidate i (and back): Recall@k,
 * MRR and nDCG@10 in both directions, next to their chance levels. Ties count against the model.
 *
 * @module
 */
import { InputError } from "../array";
import { retrievalScores } from "../retrieval";
import type { DirectionScores } from "../retrieval";
import { backendFor, checkKRange, checkRowsUsable, fmt, loadInput, parseCommandArgs, parseIntList, parseIntStrict, printJson } from "./args";
import type { LoadedInput } from "./args";
import type { CliIO, Command } from "./command";
import { UsageError } from "./command";

const USAGE = `usage: lco retrieval Q C [--k 1,5,10] [--ndcg-k 10] [--layer L] [--json]

Paired retrieval by cosine similarity: query Q[i]'s correct candidate is C[i], and candidate C[i]'s
correct query is Q[i]. Reports Recall@k, MRR and nDCG@K in both directions with chance levels
(a random ranking: Recall@k = k/n, MRR = H_n/n). Ties count against the model.

  Q, C       .npy or .safetensors files [n, d] with the same n and d
             (FILE.safetensors:NAME picks one tensor).
  --k        Recall@k cut-offs, comma-separated; each needs 1 ≤ k < n. Default 1,5,10.
  --ndcg-k   nDCG cut-off; 1 ≤ K < n. Default 10.
  --layer    for [layers, n, d] stacks: the layer to use (0 = token-embedding output).
  --json     print one JSON object as the last line:
             {"metric":"retrieval","queryToCandidate":{"recall@1":…,"recall@5":…,"recall@10":…,
              "mrr":…,"ndcg@10":…},"candidateToQuery":{…},"chance":{same keys},"k":[1,5,10],
              "ndcgK":10,"n":…,"layer":null,"backend":…,"inputs":{"Q":…,"C":…}}

Bad input (missing/corrupt file, different row counts or widths, k out of range, NaN/Inf,
a zero-norm row, unknown flag) exits with code 2 and a one-line message.`;

/** The `retrieval` command. */
export const retrievalCommand: Command = {
  name: "retrieval",
  summary: "paired retrieval Q[i] ↔ C[i]: Recall@k, MRR, nDCG@10 both ways, with chance levels",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      { k: "string", "ndcg-k": "string", layer: "string", json: "boolean" },
      ["Q", "C"],
    );
    const ks = flags.k === undefined ? [1, 5, 10] : parseIntList(flags.k as string, "--k");
    const ndcgK = flags["ndcg-k"] === undefined ? 10 : parseIntStrict(flags["ndcg-k"] as string, "--ndcg-k");
    const layer = flags.layer === undefined ? null : parseIntStrict(flags.layer as string, "--layer", 0);

    const Q = loadInput(positionals[0]);
    const C = loadInput(positionals[1]);
    if (layer !== null && !Q.stacked && !C.stacked) throw new UsageError("--layer applies only to [layers, n, d] stacks; both inputs are 2-D");
    const q = pickLayer(Q, layer);
    const c = pickLayer(C, layer);
    if (q.layers[0].rows !== c.layers[0].rows) {
      throw new InputError(`row counts differ: ${Q.label} has ${q.layers[0].rows} rows, ${C.label} has ${c.layers[0].rows} (Q[i] and C[i] must be the same item)`);
    }
    if (q.layers[0].cols !== c.layers[0].cols) {
      throw new InputError(`widths differ: ${Q.label} has d = ${q.layers[0].cols}, ${C.label} has d = ${c.layers[0].cols}; retrieval compares rows by cosine, so both need the same d`);
    }
    const n = q.layers[0].rows;
    for (const k of ks) checkKRange(k, n, "--k");
    checkKRange(ndcgK, n, "--ndcg-k");
    checkRowsUsable(q);
    checkRowsUsable(c);

    const backend = await backendFor(n * n * q.layers[0].cols);
    const r = retrievalScores(q.layers[0], c.layers[0], { ks, ndcgK });
    if (flags.json) {
      printJson(io, {
        metric: "retrieval",
        queryToCandidate: r.queryToCandidate.scores,
        candidateToQuery: r.candidateToQuery.scores,
        chance: r.queryToCandidate.chance,
        k: ks,
        ndcgK,
        n,
        layer,
        backend,
        inputs: { Q: Q.label, C: C.label },
      });
      return 0;
    }
    const at = layer === null ? "" : ` (layer ${layer})`;
    io.out(`retrieval between ${Q.label} and ${C.label}${at} [n = ${n}, d = ${q.layers[0].cols}]`);
    const keys = Object.keys(r.queryToCandidate.scores);
    const w = Math.max(...keys.map((k) => k.length));
    io.out(`  ${"".padEnd(w)}  ${"Q→C".padStart(8)}  ${"C→Q".padStart(8)}  ${"chance".padStart(8)}`);
    const row = (key: string, a: DirectionScores, b: DirectionScores) =>
      `  ${key.padEnd(w)}  ${fmt(a.scores[key]).padStart(8)}  ${fmt(b.scores[key]).padStart(8)}  ${fmt(a.chance[key]).padStart(8)}`;
    for (const key of keys) io.out(row(key, r.queryToCandidate, r.candidateToQuery));
    return 0;
  },
};

/** Reduce an input to one `[n, d]` layer: `--layer` picks from a stack; a stack needs it. */
function pickLayer(input: LoadedInput, layer: number | null): LoadedInput {
  if (!input.stacked) return input;
  if (layer === null) {
    throw new UsageError(`${input.label} is a layer stack [${input.array.shape.join(", ")}]; choose a layer with --layer (0..${input.layers.length - 1})`);
  }
  if (layer >= input.layers.length) {
    throw new InputError(`invalid --layer; ${input.label} has layers 0..${input.layers.length - 1}, got ${layer}`);
  }
  return { label: `${input.label} layer ${layer}`, array: input.array, layers: [input.layers[layer]], stacked: false };
}
