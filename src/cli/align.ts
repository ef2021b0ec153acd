/**
 * `lco align A B --metric NAME [--k 10] [--control T] [--seed S] [--json]`: alignment between the
 * paired rows of two embedding sets (row i of A and row i of B describe the same item), with the
 * paper's metrics. Rows are L2-normalised first (the reference protocol). Layer stacks
 * `[L, n, d]` give one value per layer.
 *
 * @module
 */
import { InputError } from "../array";
import type { Matrix } from "../array";
import { METRICS, chanceLevel, isKnnMetric, measure, measureByLayer, shuffledPairsControl } from "../probes";
import type { MetricName } from "../probes";
import { backendFor, checkKRange, checkRowsUsable, fmt, loadInput, parseCommandArgs, parseIntStrict, printJson } from "./args";
import type { LoadedInput } from "./args";
import type { CliIO, Command } from "./command";
import { UsageError } from "./command";

const USAGE = `usage: lco align A B [--metric mutual_knn] [--k 10] [--cca-dim 10] [--control TRIALS] [--seed 0] [--json]

Alignment of paired embeddings: row i of A and row i of B are the same item in two modalities
(or two models). Rows are L2-normalised first.

  A, B        .npy or .safetensors files, [n, d] or layer stacks [layers, n, d]
              (FILE.safetensors:NAME picks one tensor). Two stacks need the same number of
              layers and give one value per layer; a stack against a 2-D file compares every
              layer with it. d may differ between A and B; n may not.
  --metric    ${METRICS.join(" | ")}   (default mutual_knn)
  --k         neighbours for the kNN metrics (mutual_knn, cycle_knn, lcs_knn, edit_distance_knn,
              cknna); need 1 ≤ k < n. Default 10 (the paper's).
  --cca-dim   svcca only: number of canonical pairs averaged (default 10; ≤ min(n − 1, dA, dB)).
  --control   also score TRIALS random re-pairings of B's rows (the shuffled-pairs control: the
              empirical chance level for these data); default 0 = off.
  --seed      seed of the control's permutations (default 0).
  --json      print one JSON object as the last line:
              {"metric":…,"value":0.31 | [per-layer],"k":10 | null,"n":…,"layers":…,
               "chance":k/(n-1) | 0 | null,"control":{"mean":…,"sd":…,"trials":…,"seed":…} | null,
               "backend":…,"inputs":{"A":…,"B":…}}
              chance is the closed-form score of unrelated pairs where one exists
              (mutual_knn: k/(n−1); unbiased_cka: 0), else null: use --control.

Bad input (missing/corrupt file, different row counts, k out of range, NaN/Inf, a zero-norm row,
unknown metric or flag) exits with code 2 and a one-line message.`;

/** The `align` command. */
export const alignCommand: Command = {
  name: "align",
  summary: "alignment of paired embeddings (mutual_knn, cycle_knn, cka, unbiased_cka, cknna, …)",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      { metric: "string", k: "string", "cca-dim": "string", control: "string", seed: "string", json: "boolean" },
      ["A", "B"],
    );
    const metricArg = (flags.metric as string | undefined) ?? "mutual_knn";
    if (!(METRICS as readonly string[]).includes(metricArg)) {
      throw new UsageError(`unknown metric ${JSON.stringify(metricArg)}; expected one of ${METRICS.join(", ")}`);
    }
    const metric = metricArg as MetricName;
    const knn = isKnnMetric(metric);
    if (!knn && flags.k !== undefined) throw new UsageError(`--k applies only to the kNN metrics; ${metric} does not use it`);
    const k = flags.k === undefined ? 10 : parseIntStrict(flags.k as string, "--k", 1);
    if (metric !== "svcca" && flags["cca-dim"] !== undefined) throw new UsageError(`--cca-dim applies only to svcca, not ${metric}`);
    const ccaDim = flags["cca-dim"] === undefined ? undefined : parseIntStrict(flags["cca-dim"] as string, "--cca-dim", 1);
    const trials = flags.control === undefined ? 0 : parseIntStrict(flags.control as string, "--control", 1);
    const seed = flags.seed === undefined ? 0 : parseIntStrict(flags.seed as string, "--seed");
    if (flags.seed !== undefined && trials === 0) throw new UsageError("--seed is used only with --control TRIALS");

    const A = loadInput(positionals[0]);
    const B = loadInput(positionals[1]);
    const pairs = pairLayers(A, B);
    const n = A.layers[0].rows;
    if (knn) checkKRange(k, n);
    checkRowsUsable(A);
    checkRowsUsable(B);

    const d = Math.max(A.layers[0].cols, B.layers[0].cols);
    const backend = await backendFor(n * n * d);
    const opts = knn ? { k } : ccaDim !== undefined ? { ccaDim } : {};
    // Two stacks of equal depth go through measureByLayer (the paper's layer-wise mode); a stack
    // against one matrix repeats that matrix for every layer.
    const values =
      A.stacked && B.stacked ? measureByLayer(metric, A.array, B.array, opts) : pairs.map(([a, b]) => measure(metric, a, b, opts));
    const stacked = A.stacked || B.stacked;
    const chance = chanceLevel(metric, n, knn ? k : undefined);
    const controls = trials > 0 ? pairs.map(([a, b]) => shuffledPairsControl(metric, a, b, { ...opts, seed, trials })) : null;

    if (flags.json) {
      const control = controls && controls.map((c) => ({ mean: c.mean, sd: c.sd, trials: c.trials, seed: c.seed }));
      printJson(io, {
        metric,
        value: stacked ? values : values[0],
        k: knn ? k : null,
        ...(metric === "svcca" ? { ccaDim: ccaDim ?? 10 } : {}),
        n,
        layers: pairs.length,
        chance,
        control: control === null ? null : stacked ? control : control[0],
        backend,
        inputs: { A: A.label, B: B.label },
      });
      return 0;
    }
    const kText = knn ? ` (k = ${k})` : "";
    io.out(`${metric}${kText} between ${A.label} [n = ${n}, d = ${A.layers[0].cols}] and ${B.label} [n = ${n}, d = ${B.layers[0].cols}]`);
    io.out(`  chance: ${chance === null ? "no closed form; use --control TRIALS" : fmt(chance)}`);
    values.forEach((v, l) => {
      const prefix = stacked ? `  layer ${String(l).padStart(3)}  ` : "  value  ";
      const c = controls ? `   shuffled control ${fmt(controls[l].mean)} ± ${fmt(controls[l].sd)} (${trials} trials)` : "";
      io.out(`${prefix}${fmt(v)}${c}`);
    });
    return 0;
  },
};

/**
 * Pair the layers of two inputs: equal-depth stacks layer by layer, a stack against a 2-D input
 * layer by layer against the same matrix, two 2-D inputs as one pair. Checks that n matches.
 */
function pairLayers(A: LoadedInput, B: LoadedInput): [Matrix, Matrix][] {
  const nA = A.layers[0].rows;
  const nB = B.layers[0].rows;
  if (nA !== nB) {
    throw new InputError(`row counts differ: ${A.label} has ${nA} rows, ${B.label} has ${nB} (row i of both must describe the same item)`);
  }
  if (A.stacked && B.stacked && A.layers.length !== B.layers.length) {
    throw new InputError(`layer counts differ: ${A.label} has ${A.layers.length} layers, ${B.label} has ${B.layers.length}`);
  }
  const L = Math.max(A.layers.length, B.layers.length);
  const out: [Matrix, Matrix][] = [];
  for (let l = 0; l < L; l++) out.push([A.layers[A.stacked ? l : 0], B.layers[B.stacked ? l : 0]]);
  return out;
}
