/**
 * `npm run bench -- native`: the native BLAS path (issue 13) side by side with what a user would
 * pick instead, in one run, as ratios (printed, never asserted):
 *  1. the reference training step (`lco bench train --model reference`, fast path, one process
 *     each): native with 1 and 2 BLAS threads, wasm (LCO_NATIVE=0, its default threads), and
 *     PyTorch CPU at 1 and 2 threads (`bench/py/torch_step.py`), when python3-torch is present;
 *  2. the probes, whole process (Node or Python start-up and the .npy load included): `lco
 *     anisotropy`, `lco align --metric cka`, `lco align --metric mutual_knn`, `lco retrieval`,
 *     native and wasm, against numpy (`bench/py/probes_numpy.py`) at n = 2k, 10k, 20k (d 512) and
 *     on a layer stack shaped like a 7B model's, [29, 2000, 3584].
 * Set-up of PyTorch and numpy: `bash bench/setup.sh` (root; Debian packages). PyTorch runs with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (its OpenBLAS picks its best kernel); the kit runs
 * in the environment as given (the BLAS kernel it uses is printed).
 * Environment: LCO_BENCH_SIZES=2000,10000 (default 2000,10000,20000), LCO_BENCH_STACK=0 skips the
 * layer stack, LCO_BENCH_PARTS=step|probes runs one part, LCO_BENCH_WASM=0 leaves out the probes'
 * (slow) wasm column, BENCH_TRAIN_STEPS (default 15).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeNpy } from "../src/io/npy";
import { rng } from "../src/random";
import { nativeStatus, describeNative } from "../src/backend/native";

const ROOT = path.join(__dirname, "..");
const LCO = path.join(ROOT, "bin", "lco.js");
const PY = "/usr/bin/python3";
const hasPy = (mod: string) => spawnSync(PY, ["-c", `import ${mod}`]).status === 0;
const pyEnv = () => {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
};

/** Run a command, return wall seconds and the last stdout line parsed as JSON (or null on failure). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { s: number; json: Record<string, unknown> | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.log(`  (failed: ${cmd} ${args.join(" ")}: ${(r.stderr || "").trim().split("\n").slice(-1)[0]})`);
    return { s, json: null };
  }
  const last = r.stdout.trim().split("\n").slice(-1)[0];
  try {
    return { s, json: JSON.parse(last) as Record<string, unknown> };
  } catch {
    return { s, json: null };
  }
}

const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : "–");

function stepPart(): void {
  const steps = process.env.BENCH_TRAIN_STEPS ?? "15";
  const args = [LCO, "bench", "train", "--model", "reference", "--steps", steps, "--warmup", "3", "--json"];
  const kit = (env: Record<string, string>) => {
    const r = timed("node", env.LCO_NATIVE === "0" ? args : [...args, "--workers", "1"], { ...process.env, ...env });
    return r.json ? (r.json.msPerStep as number) : null;
  };
  const torch = hasPy("torch") ? (t: number) => {
    const r = timed(PY, [path.join(__dirname, "py", "torch_step.py"), String(t), steps], pyEnv());
    return r.json ? (r.json.msPerStep as number) : null;
  } : null;
  if (!torch) console.log("PyTorch not installed (bash bench/setup.sh): the PyTorch columns stay empty");
  // Two rounds, alternating, so that a change in machine load hits every column alike.
  const cols: Record<string, (number | null)[]> = { "native 1t": [], "native 2t": [], "wasm (default threads)": [], "torch 1t": [], "torch 2t": [] };
  for (let round = 0; round < 2; round++) {
    cols["native 1t"].push(kit({ LCO_NATIVE_THREADS: "1" }));
    cols["torch 1t"].push(torch ? torch(1) : null);
    cols["native 2t"].push(kit({ LCO_NATIVE_THREADS: "2" }));
    cols["wasm (default threads)"].push(kit({ LCO_NATIVE: "0" }));
    cols["torch 2t"].push(torch ? torch(2) : null);
  }
  const best = (xs: (number | null)[]) => (xs.some((x) => x !== null) ? Math.min(...(xs.filter((x) => x !== null) as number[])) : null);
  const m = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, best(v)]));
  console.log("\nreference step (median ms per step; best of 2 alternating rounds)");
  console.log("| path | ms/step | ÷ torch 1t | ÷ wasm |\n|---|---|---|---|");
  for (const [k, v] of Object.entries(m)) console.log(`| ${k} | ${fmt(v)} | ${ratio(v, m["torch 1t"])} | ${ratio(v, m["wasm (default threads)"])} |`);
}

function gaussian(rows: number, d: number, seed: number, base?: Float32Array): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(rows * d);
  for (let i = 0; i < out.length; i++) out[i] = (base ? base[i] : 0) + r.normal();
  return out;
}

function probesPart(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-bench-native-"));
  const numpy = hasPy("numpy");
  if (!numpy) console.log("numpy not installed (bash bench/setup.sh): the numpy column stays empty");
  const sizes = (process.env.LCO_BENCH_SIZES ?? "2000,10000,20000").split(",").map(Number);
  const shapes: number[][] = sizes.map((n) => [n, 512]);
  if (process.env.LCO_BENCH_STACK !== "0") shapes.push([29, 2000, 3584]);
  console.log("\nprobes, whole process (seconds; B = A + noise)");
  console.log("| shape | probe | kit native | kit wasm | numpy | native ÷ numpy | wasm ÷ numpy |\n|---|---|---|---|---|---|---|");
  try {
    for (const shape of shapes) {
      const total = shape.reduce((a, b) => a * b, 1);
      const A = gaussian(total / shape[shape.length - 1], shape[shape.length - 1], 1);
      const fa = path.join(dir, "A.npy"), fb = path.join(dir, "B.npy");
      writeNpy(fa, { data: A, shape, dtype: "float32" });
      writeNpy(fb, { data: gaussian(total / shape[shape.length - 1], shape[shape.length - 1], 2, A), shape, dtype: "float32" });
      const probes: [string, string[], string[]][] = [
        ["anisotropy", ["anisotropy", fa], ["anisotropy", fa]],
        ["cka", ["align", fa, fb, "--metric", "cka"], ["cka", fa, fb]],
        ["mutual_knn k10", ["align", fa, fb, "--metric", "mutual_knn"], ["mutual_knn", fa, fb]],
        ...(shape.length === 2 ? [["retrieval", ["retrieval", fa, fb], ["retrieval", fa, fb]] as [string, string[], string[]]] : []),
      ];
      for (const [name, kitArgs, pyArgs] of probes) {
        const nat = timed("node", [LCO, ...kitArgs, "--json"]);
        const wasm = process.env.LCO_BENCH_WASM === "0" ? null : timed("node", [LCO, ...kitArgs, "--json"], { ...process.env, LCO_NATIVE: "0" });
        const py = numpy ? timed(PY, [path.join(__dirname, "py", "probes_numpy.py"), ...pyArgs], pyEnv()) : null;
        const s = (r: { s: number; json: unknown } | null) => (r && r.json ? r.s : null);
        console.log(`| ${JSON.stringify(shape)} | ${name} | ${fmt(s(nat), 2)} | ${fmt(s(wasm), 2)} | ${fmt(s(py), 2)} | ${ratio(s(nat), s(py))} | ${ratio(s(wasm), s(py))} |`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const st = nativeStatus();
console.log(describeNative(st));
if (!st.active) console.log("(the native columns then measure the wasm path too)");
const parts = process.env.LCO_BENCH_PARTS ?? "step,probes";
if (parts.includes("step")) stepPart();
if (parts.includes("probes")) probesPart();
