/**
 * `lco bench train`: time training steps of the fixed reference transformer (issue 5) on the
 * chosen optimisation path, optionally against the stock-wasm and pure-JS cpu paths in the same run.
 *
 * @module
 */
import { type BackendName } from "../backend";
import { BENCH_MODELS, benchTrain, type TrainPath } from "../bench";
import { fmt, parseCommandArgs, parseIntStrict, printJson } from "./args";
import { type CliIO, type Command, UsageError } from "./command";

const USAGE = `usage: lco bench train [--model reference|tiny] [--steps N] [--warmup N] [--path stock|patched|fast]
                       [--workers W] [--backend wasm|cpu|tensorflow|webgpu] [--compare] [--cpu-steps N]
                       [--seed S] [--json]

Time training steps of a fixed transformer on random tokens (Adam, softmax cross-entropy).
  --model     reference (default): vocab 512, d 128, 4 heads, seq 32, batch 32, 2 pre-LN blocks;
              tiny: a small model with the same structure
  --steps     timed steps (default 20), after --warmup untimed steps (default 3)
  --path      stock: reference layers on stock wasm kernels (+ the UnsortedSegmentSum and matMul-cache fixes);
              patched: reference layers + wasm kernel patches;
              fast (default): patched kernels + fast layers, on all cores: large matMuls on
              the threaded wasm build's thread pool, or (without wasm threads) data-parallel
              workers
  --workers   worker threads for --path fast (default: 1 when wasm threads run, else one per
              idle core, i.e. cores minus the load average, at least 1; 1 = serial in this
              thread). LCO_WASM_THREADS=1 turns the wasm threads off
  --backend   force a backend (default: LCO_BACKEND, else the first that loads)
  --compare   also time stock and patched (and, with workers or threads, the fast path on one thread:
              fastSerial), interleaved step by step with the main path, and the pure-JS cpu
              backend (--cpu-steps timed steps, default 2); print time ratios other/main
  --json      print one JSON object as the last line:
              {"model","path","impl","backend","patches","workers","threads","threadPolicy",
               "parallelism","msPerStep" (median),
               "minMsPerStep","tokensPerSecond","numTensorsGrowth","loss":{"first","last","chance"},
               "compare":{"stock","patched","cpu","ratios":{"stockOverPath",…}}, …}
The machine's other load affects the numbers: compare paths within one run, and read medians.`;

/** The `bench train` command. */
export const benchTrainCommand: Command = {
  name: "bench train",
  summary: "time training steps of the reference transformer (stock / patched / fast paths)",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags } = parseCommandArgs(
      argv,
      { model: "string", steps: "string", warmup: "string", path: "string", workers: "string", backend: "string", compare: "boolean", "cpu-steps": "string", seed: "string", json: "boolean" },
      [],
    );
    const modelName = (flags.model as string | undefined) ?? "reference";
    const model = BENCH_MODELS[modelName];
    if (!model) throw new UsageError(`invalid --model; expected one of ${Object.keys(BENCH_MODELS).join(", ")}, got "${modelName}"`);
    const path = (flags.path as string | undefined) ?? "fast";
    if (!["stock", "patched", "fast"].includes(path)) throw new UsageError(`invalid --path; expected stock, patched or fast, got "${path}"`);
    const backend = flags.backend as string | undefined;
    if (backend !== undefined && !["wasm", "cpu", "tensorflow", "webgpu"].includes(backend)) {
      throw new UsageError(`invalid --backend; expected wasm, cpu, tensorflow or webgpu, got "${backend}"`);
    }
    const int = (name: string, min: number) => (flags[name] === undefined ? undefined : parseIntStrict(flags[name] as string, `--${name}`, min));
    const r = await benchTrain({
      model,
      modelName,
      steps: int("steps", 1),
      warmup: int("warmup", 0),
      path: path as TrainPath,
      workers: int("workers", 1),
      backend: backend as BackendName | undefined,
      compare: Boolean(flags.compare),
      cpuSteps: int("cpu-steps", 1),
      seed: int("seed", 0),
      log: (line) => io.err(line),
    });
    if (flags.json) {
      printJson(io, r as unknown as Record<string, unknown>);
      return 0;
    }
    io.out(`model ${r.model} (${r.nParams} parameters), path ${r.path} (${r.impl} layers), backend ${r.backend}, ${r.workers} worker(s), ${r.threads} thread(s) (${r.parallelism})`);
    if (r.adapter) io.out(`  adapter ${r.adapter}${/software adapter/.test(r.adapter) ? " — a CPU emulation of a GPU: these times say nothing about GPU speed" : ""}`);
    io.out(`  ${fmt(r.msPerStep, 1)} ms/step median, ${fmt(r.minMsPerStep, 1)} min, ${Math.round(r.tokensPerSecond)} tokens/s over ${r.steps} steps`);
    io.out(`  loss ${fmt(r.loss.first)} → ${fmt(r.loss.last)} (chance ${fmt(r.loss.chance)}); numTensors growth ${r.numTensorsGrowth}`);
    if (r.compare) {
      for (const k of ["stock", "patched", "fastSerial", "cpu"] as const) {
        const c = r.compare[k];
        if (!c) continue;
        const ratio = r.compare.ratios[`${k}OverPath` as const];
        io.out(`  ${k.padEnd(10)} ${fmt(c.msPerStep, 1)} ms/step median (${c.steps} steps); time ratio ${k}/${r.path} = ${fmt(ratio, 2)}`);
      }
    }
    return 0;
  },
};
