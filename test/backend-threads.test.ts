import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { THREADED_MATMUL_MIN_MACS, backendInfo, initBackend, setWasmThreadPolicy, wasmThreadPolicy, type WasmThreadPolicy } from "../src/backend";
import { ThreadpoolSwitch, availableCores } from "../src/backend/wasm-threads";
import { REFERENCE_MODEL, TINY_MODEL, disposeTrainer, makeTrainer, serialStep, type BenchModel } from "../src/bench";

const TOL = 1e-5;
const multiCore = availableCores() >= 2;

/** Losses of `steps` serial fast-path steps and the final parameters, under one thread policy. */
function train(model: BenchModel, steps: number, policy: WasmThreadPolicy): { losses: number[]; params: Float32Array } {
  const prev = setWasmThreadPolicy(policy);
  try {
    const t = makeTrainer(model, 5, "fast");
    const losses = Array.from({ length: steps }, () => serialStep(t));
    const parts = t.ps.variables().map((v) => v.dataSync() as Float32Array);
    const params = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let off = 0;
    for (const p of parts) {
      params.set(p, off);
      off += p.length;
    }
    disposeTrainer(t);
    return { losses, params };
  } finally {
    setWasmThreadPolicy(prev);
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Run `code` (CommonJS, may require the kit's .ts sources) in a fresh Node process with tsx; returns its last stdout line. */
function child(code: string, env: Record<string, string> = {}): string {
  const out = execFileSync(process.execPath, ["--import", "tsx", "-e", code], {
    cwd: path.resolve(__dirname, ".."),
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  const lines = out.trim().split("\n");
  return lines[lines.length - 1];
}
const SRC = JSON.stringify(path.resolve(__dirname, "../src"));

before(async () => {
  await initBackend({ backend: "wasm" });
});

describe("ThreadpoolSwitch (on a fake module)", () => {
  // A module whose "get_threads_count" reads the pool pointer at byte 400, like the real one
  // (-1 for a null pool, else the count stored in the pool struct at pointer + 8).
  const fake = (threads: number) => {
    const HEAP32 = new Int32Array(4096);
    HEAP32[10] = 77; // unrelated words before the global
    HEAP32[50] = 123;
    HEAP32[100] = 8000; // the global: pool at byte 8000
    HEAP32[2002] = threads;
    return {
      HEAP32,
      tfjs: {
        getThreadsCount: () => (HEAP32[100] === 0 ? -1 : HEAP32[(HEAP32[100] >> 2) + 2]),
      },
    };
  };

  it("finds the pool global, switches it off and on, and leaves other memory alone", () => {
    const m = fake(2);
    const before = m.HEAP32.slice();
    const sw = ThreadpoolSwitch.find(m);
    assert.ok(sw);
    assert.equal(sw.slot, 400);
    assert.equal(sw.threads, 2);
    assert.deepEqual(m.HEAP32, before, "the scan restores every word");
    assert.equal(sw.set(false), true);
    assert.equal(m.HEAP32[100], 0);
    assert.equal(m.tfjs.getThreadsCount(), -1);
    assert.equal(sw.set(true), false);
    assert.equal(m.HEAP32[100], 8000);
    assert.equal(m.tfjs.getThreadsCount(), 2);
  });

  it("returns null for a single-threaded pool", () => {
    assert.equal(ThreadpoolSwitch.find(fake(1)), null);
  });
});

describe("wasm threads in Node", () => {
  it("the threaded build runs with one thread per core (up to 4) and reports it", { skip: !multiCore && "one core" }, () => {
    const w = backendInfo()!.wasm!;
    assert.equal(w.threadsRequested, Math.min(4, availableCores()));
    assert.equal(w.threads, Math.min(4, availableCores()), `threads ${w.threads}; error: ${w.threadsError}`);
    assert.equal(w.threadsError, undefined);
    assert.equal(wasmThreadPolicy(), "matmul");
    assert.throws(() => setWasmThreadPolicy("most" as WasmThreadPolicy), /invalid wasm thread policy; expected matmul, all or none, got "most"/);
  });

  it("a large matMul gives bit-identical results on the pool and inline", () => {
    const a = tf.randomNormal([256, 192], 0, 1, "float32", 1) as tf.Tensor2D;
    const b = tf.randomNormal([192, 320], 0, 1, "float32", 2) as tf.Tensor2D;
    assert.ok(256 * 192 * 320 >= THREADED_MATMUL_MIN_MACS, "big enough for the matmul policy");
    const results = (["none", "matmul", "all"] as const).map((p) => {
      const prev = setWasmThreadPolicy(p);
      const c = tf.matMul(a, b);
      const v = c.dataSync().slice();
      c.dispose();
      setWasmThreadPolicy(prev);
      return v;
    });
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    // And it is the product: one element by hand.
    const av = a.dataSync();
    const bv = b.dataSync();
    let s = 0;
    for (let k = 0; k < 192; k++) s += av[3 * 192 + k] * bv[k * 320 + 7];
    assert.ok(Math.abs(results[0][3 * 320 + 7] - s) < 1e-3, `${results[0][3 * 320 + 7]} vs ${s}`);
    tf.dispose([a, b]);
  });

  it("every thread policy gives the single-thread losses and parameters (20 steps within 1e-5)", () => {
    const none = train(TINY_MODEL, 20, "none");
    for (const p of ["all", "matmul"] as const) {
      const r = train(TINY_MODEL, 20, p);
      none.losses.forEach((l, i) => assert.ok(Math.abs(l - r.losses[i]) <= TOL, `${p} step ${i}: ${l} vs ${r.losses[i]}`));
      assert.ok(maxDiff(none.params, r.params) <= TOL, `${p}: parameters`);
    }
    assert.notEqual(none.losses[19], none.losses[0], "training changed the loss");
  });

  it("the reference model (matMuls large enough to thread): 20 steps equal with the pool on and off", { skip: !multiCore && "one core" }, () => {
    const none = train(REFERENCE_MODEL, 20, "none");
    const mm = train(REFERENCE_MODEL, 20, "matmul");
    none.losses.forEach((l, i) => assert.ok(Math.abs(l - mm.losses[i]) <= TOL, `step ${i}: ${l} vs ${mm.losses[i]}`));
    assert.ok(maxDiff(none.params, mm.params) <= TOL, "parameters");
  });

  it("the threaded build's losses equal the single-threaded build's (separate process)", { skip: !multiCore && "one core" }, () => {
    const code = `const b = require(${SRC} + "/backend"); const t = require(${SRC} + "/bench");
      b.initBackend({ backend: "wasm" }).then((info) => { b.setWasmThreadPolicy("all");
        const tr = t.makeTrainer(t.TINY_MODEL, 5, "fast"); const losses = [];
        for (let i = 0; i < 20; i++) losses.push(t.serialStep(tr));
        console.log(JSON.stringify({ threads: info.wasm.threads, losses })); });`;
    const single = JSON.parse(child(code, { LCO_WASM_THREADS: "1" }));
    assert.equal(single.threads, 1);
    const here = train(TINY_MODEL, 20, "all");
    single.losses.forEach((l: number, i: number) => assert.ok(Math.abs(l - here.losses[i]) <= TOL, `step ${i}: ${l} vs ${here.losses[i]}`));
  });

  it("falls back to the single-threaded build when the threaded one cannot start, and says why", () => {
    // A non-configurable global Worker makes the shim's install fail.
    const code = `Object.defineProperty(globalThis, "Worker", { value: 1, configurable: false });
      require(${SRC} + "/backend").initBackend({ backend: "wasm", threads: 2 }).then((info) => {
        const tf = require("@tensorflow/tfjs"); const s = tf.sum(tf.tensor1d([1, 2, 3.5])).dataSync()[0];
        console.log(JSON.stringify({ wasm: info.wasm, name: info.name, s })); });`;
    const r = JSON.parse(child(code));
    assert.equal(r.name, "wasm");
    assert.equal(r.wasm.threads, 1);
    assert.equal(r.wasm.threadsRequested, 2);
    assert.match(r.wasm.threadsError, /redefine|Worker/i);
    assert.equal(r.s, 6.5);
  });

  it("LCO_WASM_THREADS=1 selects the single-threaded build; a bad value is rejected", () => {
    const code = `require(${SRC} + "/backend").initBackend({ backend: "wasm" }).then((i) => console.log(JSON.stringify(i.wasm)), (e) => console.log(JSON.stringify({ error: e.message })));`;
    const one = JSON.parse(child(code, { LCO_WASM_THREADS: "1" }));
    assert.equal(one.threads, 1);
    assert.equal(one.threadsRequested, 1);
    assert.equal(one.threadsError, undefined);
    const bad = JSON.parse(child(code, { LCO_WASM_THREADS: "two" }));
    assert.match(bad.error, /invalid LCO_WASM_THREADS; expected an integer in \[1, 8\], got "two"/);
  });
});
