/**
 * `npm run bench -- native`: the native BLAS path (issue 13) side by side with what a user would
 * pick instead, in one run, as ratios (printed, never asserted):
 *  1. the reference training step (`lco bench train --model reference`, fast path, one process
 *     each): native with 1 and 2 BLAS threads, wasm (LCO_NATIVE=0, its default threads), and
 *     PyTorch CPU at 1 and 2 threads (`bench/py/torch_step.py`), when python3-torch is present;
 *  2. the dense GEMM alone: the addon's `sgemm` against numpy's `A @ B` (the same OpenBLAS) on the
 *     reference step's largest product, [1024, 384]·[384, 1536], at 1 and 2 BLAS threads, best of
 *     20 in-process timings each (`bench/py/sgemm_numpy.py`);
 *  3. the probes, whole process (Node or Python start-up and the .npy load included): `lco
 *     anisotropy`, `lco align --metric cka`, `lco align --metric mutual_knn`, `lco retrieval`,
 *     native and wasm, against numpy (`bench/py/probes_numpy.py`) at n = 2k, 10k, 20k (d 512) and
 *     on a layer stack shaped like a 7B model's, [29, 2000, 3584].
 *
 * **Same BLAS on both sides.** The kit's addon, numpy and PyTorch (Debian) all load the same
 * OpenBLAS, whose kernel choice depends on `OPENBLAS_CORETYPE` (and blocking on
 * `OPENBLAS_L2_SIZE`). Every comparison runs the kit and the Python tools with the same
 * environment. When the environment sets one of these variables, the bench runs two settings and
 * reports both: "as given" (the environment unchanged) and "OpenBLAS's choice" (those variables
 * removed, for every process alike). Each side reports the kernel it actually loaded (the addon's
 * `info()`, `bench/py/blas_core.py`), printed next to the numbers. wasm uses no BLAS; its column
 * is measured once (in the first setting) and repeated for the second setting's ratios.
 *
 * Set-up of PyTorch and numpy: `bash bench/setup.sh` (root; Debian packages).
 * Environment: LCO_BENCH_SIZES=2000,10000 (default 2000,10000,20000), LCO_BENCH_STACK=0 skips the
 * layer stack, LCO_BENCH_PARTS=step,gemm,probes runs the named parts (default all three),
 * LCO_BENCH_WASM=0 leaves out the probes' (slow) wasm column, LCO_BENCH_BLAS=given|auto|both (default both, when they differ),
 * LCO_BENCH_PROBES=cka,retrieval (default all four), LCO_BENCH_REPEATS (probes: best of N, default
 * 1), BENCH_TRAIN_STEPS (default 15).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeNpy } from "../src/io/npy";
import { rng } from "../src/random";
import { ADDON_PATH, BLAS_ENV_VARS, blasEnvFrom, nativeStatus, describeNative } from "../src/backend/native";

const ROOT = path.join(__dirname, "..");
const LCO = path.join(ROOT, "bin", "lco.js");
const PY = "/usr/bin/python3";
const hasPy = (mod: string) => spawnSync(PY, ["-c", `import ${mod}`]).status === 0;

/** One BLAS environment every process of a comparison shares. */
interface BlasSetting {
  name: string;
  env: NodeJS.ProcessEnv;
  /** Kernel the kit's addon loads under this environment ("–" without the addon). */
  kitCore: string;
}

/** The addon's kernel under `env`, read in a fresh process (OpenBLAS reads its environment at load). */
function kitCoreUnder(env: NodeJS.ProcessEnv): string {
  if (!fs.existsSync(ADDON_PATH)) return "–";
  const r = spawnSync("node", ["-e", `process.stdout.write(require(${JSON.stringify(ADDON_PATH)}).info())`], { env, encoding: "utf8" });
  return r.status === 0 ? r.stdout.replace(/^.*core /, "") : "–";
}

function blasSettings(): BlasSetting[] {
  const given = blasEnvFrom(process.env);
  const pinned = Object.entries(given).map(([k, v]) => `${k}=${v}`).join(" ");
  const choice = process.env.LCO_BENCH_BLAS ?? "both";
  if (!["given", "auto", "both"].includes(choice)) throw new Error(`invalid LCO_BENCH_BLAS; expected given, auto or both, got "${choice}"`);
  const asGiven = { name: pinned ? `as given (${pinned})` : "as given (no OPENBLAS_* set)", env: process.env };
  if (!pinned) return [{ ...asGiven, kitCore: kitCoreUnder(asGiven.env) }];
  const auto = { ...process.env };
  for (const k of BLAS_ENV_VARS) delete auto[k];
  const out = [];
  if (choice !== "auto") out.push(asGiven);
  if (choice !== "given") out.push({ name: `OpenBLAS's choice (${Object.keys(given).join(", ")} removed)`, env: auto });
  return out.map((s) => ({ ...s, kitCore: kitCoreUnder(s.env) }));
}

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
const best = (xs: (number | null)[]) => (xs.some((x) => x !== null) ? Math.min(...(xs.filter((x) => x !== null) as number[])) : null);

function stepPart(settings: BlasSetting[]): void {
  const steps = process.env.BENCH_TRAIN_STEPS ?? "15";
  const args = [LCO, "bench", "train", "--model", "reference", "--steps", steps, "--warmup", "3", "--json"];
  const kit = (env: NodeJS.ProcessEnv, extra: Record<string, string>) => {
    const r = timed("node", extra.LCO_NATIVE === "0" ? args : [...args, "--workers", "1"], { ...env, ...extra });
    return r.json ? (r.json.msPerStep as number) : null;
  };
  const hasTorch = hasPy("torch");
  const torchCores = new Map<string, string>();
  const torch = (s: BlasSetting, t: number) => {
    if (!hasTorch) return null;
    const r = timed(PY, [path.join(__dirname, "py", "torch_step.py"), String(t), steps], s.env);
    if (r.json) torchCores.set(s.name, String(r.json.blasCore));
    return r.json ? (r.json.msPerStep as number) : null;
  };
  if (!hasTorch) console.log("PyTorch not installed (bash bench/setup.sh): the PyTorch columns stay empty");
  // Two rounds, alternating paths and settings, so that a change in machine load hits every column alike.
  const cols = new Map<string, (number | null)[]>();
  const push = (k: string, v: number | null) => cols.set(k, [...(cols.get(k) ?? []), v]);
  for (let round = 0; round < 2; round++) {
    for (const s of settings) {
      push(`${s.name}|native 1t`, kit(s.env, { LCO_NATIVE_THREADS: "1" }));
      push(`${s.name}|torch 1t`, torch(s, 1));
      push(`${s.name}|native 2t`, kit(s.env, { LCO_NATIVE_THREADS: "2" }));
      push(`${s.name}|torch 2t`, torch(s, 2));
    }
    push("wasm", kit(settings[0].env, { LCO_NATIVE: "0" }));
  }
  const wasm = best(cols.get("wasm")!);
  console.log("\nreference step (median ms per step; best of 2 alternating rounds)");
  console.log("| BLAS setting | path | BLAS kernel | ms/step | ÷ torch 1t (same setting) | ÷ wasm |\n|---|---|---|---|---|---|");
  for (const s of settings) {
    const t1 = best(cols.get(`${s.name}|torch 1t`)!);
    for (const p of ["native 1t", "native 2t", "torch 1t", "torch 2t"]) {
      const v = best(cols.get(`${s.name}|${p}`)!);
      const core = p.startsWith("native") ? s.kitCore : torchCores.get(s.name) ?? "–";
      console.log(`| ${s.name} | ${p} | ${core} | ${fmt(v)} | ${ratio(v, t1)} | ${ratio(v, wasm)} |`);
    }
  }
  console.log(`| (no BLAS) | wasm (default threads) | – | ${fmt(wasm)} | ${settings.map((s) => ratio(wasm, best(cols.get(`${s.name}|torch 1t`)!))).join(" / ")} | 1.00× |`);
}

/** The addon's sgemm on [M, K]·[K, N] in a fresh process under `env`: best of `repeats` timings. */
function kitGemm(env: NodeJS.ProcessEnv, M: number, N: number, K: number, threads: number, repeats: number): number | null {
  if (!fs.existsSync(ADDON_PATH)) return null;
  const code = `const b = require(${JSON.stringify(ADDON_PATH)}); b.setThreads(${threads});
    const r = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const A = r(${M * K}), B = r(${K * N}), C = new Float32Array(${M * N});
    b.sgemm(false, false, ${M}, ${N}, ${K}, A, B, C);
    let best = Infinity;
    for (let i = 0; i < ${repeats}; i++) { const t = performance.now(); b.sgemm(false, false, ${M}, ${N}, ${K}, A, B, C); best = Math.min(best, performance.now() - t); }
    process.stdout.write(JSON.stringify({ ms: best }));`;
  const r = timed("node", ["-e", code], env);
  return r.json ? (r.json.ms as number) : null;
}

function gemmPart(settings: BlasSetting[]): void {
  const [M, N, K] = [1024, 1536, 384];
  const repeats = 20;
  const gflops = (ms: number | null) => (ms ? (2 * M * N * K) / ms / 1e6 : null);
  console.log(`\nGEMM alone: [${M}, ${K}]·[${K}, ${N}] float32, best of ${repeats} in-process timings (ms, GFLOP/s)`);
  console.log("| BLAS setting | threads | kernels kit / numpy | kit sgemm | numpy | kit ÷ numpy |\n|---|---|---|---|---|---|");
  for (const s of settings) {
    for (const t of [1, 2]) {
      const kit = kitGemm(s.env, M, N, K, t, repeats);
      const py = hasPy("numpy") ? timed(PY, [path.join(__dirname, "py", "sgemm_numpy.py"), String(M), String(N), String(K), String(t), String(repeats)], s.env).json : null;
      const pyMs = py ? (py.ms as number) : null;
      console.log(`| ${s.name} | ${t} | ${s.kitCore} / ${py ? String(py.blasCore) : "–"} | ${fmt(kit, 2)} ms (${fmt(gflops(kit), 0)}) | ${fmt(pyMs, 2)} ms (${fmt(gflops(pyMs), 0)}) | ${ratio(kit, pyMs)} |`);
    }
  }
}

function gaussian(rows: number, d: number, seed: number, base?: Float32Array): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(rows * d);
  for (let i = 0; i < out.length; i++) out[i] = (base ? base[i] : 0) + r.normal();
  return out;
}

function probesPart(settings: BlasSetting[]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-bench-native-"));
  const numpy = hasPy("numpy");
  if (!numpy) console.log("numpy not installed (bash bench/setup.sh): the numpy column stays empty");
  const sizes = (process.env.LCO_BENCH_SIZES ?? "2000,10000,20000").split(",").filter(Boolean).map(Number);
  const only = process.env.LCO_BENCH_PROBES ? process.env.LCO_BENCH_PROBES.split(",") : null;
  const shapes: number[][] = sizes.map((n) => [n, 512]);
  if (process.env.LCO_BENCH_STACK !== "0") shapes.push([29, 2000, 3584]);
  const repeats = Number(process.env.LCO_BENCH_REPEATS ?? "1");
  console.log(`\nprobes, whole process (seconds, best of ${repeats}; B = A + noise; kernels: kit / numpy)`);
  console.log("| shape | probe | BLAS setting | kernels | kit native | numpy | native ÷ numpy | kit wasm | wasm ÷ numpy |\n|---|---|---|---|---|---|---|---|---|");
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
        if (only && !only.some((o) => name.startsWith(o))) continue;
        const s = (r: { s: number; json: unknown } | null) => (r && r.json ? r.s : null);
        const wasm = process.env.LCO_BENCH_WASM === "0" ? null : s(timed("node", [LCO, ...kitArgs, "--json"], { ...settings[0].env, LCO_NATIVE: "0" }));
        for (const set of settings) {
          // Best of REPEATS, kit and numpy alternating, so that a change in load hits both alike.
          const nats: (number | null)[] = [], pys: (number | null)[] = [];
          let pyCore = "–";
          for (let rep = 0; rep < repeats; rep++) {
            nats.push(s(timed("node", [LCO, ...kitArgs, "--json"], set.env)));
            const pyRun = numpy ? timed(PY, [path.join(__dirname, "py", "probes_numpy.py"), ...pyArgs], set.env) : null;
            pys.push(s(pyRun));
            if (pyRun?.json) pyCore = String(pyRun.json.blasCore);
          }
          const nat = best(nats), py = best(pys);
          console.log(`| ${JSON.stringify(shape)} | ${name} | ${set.name} | ${set.kitCore} / ${pyCore} | ${fmt(nat, 2)} | ${fmt(py, 2)} | ${ratio(nat, py)} | ${fmt(wasm, 2)} | ${ratio(wasm, py)} |`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const st = nativeStatus();
console.log(describeNative(st));
if (!st.active) console.log("(the native columns then measure the wasm path too)");
const settings = blasSettings();
for (const set of settings) console.log(`BLAS setting "${set.name}": the kit's addon loads kernel ${set.kitCore}`);
const parts = process.env.LCO_BENCH_PARTS ?? "step,gemm,probes";
if (parts.includes("step")) stepPart(settings);
if (parts.includes("gemm")) gemmPart(settings);
if (parts.includes("probes")) probesPart(settings);
