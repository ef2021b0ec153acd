import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, describeBackend, initBackend, setWasmPatches, transposeLastTwo, wasmPatches } from "../src/backend";
import { normalArray, rng } from "../src/random";
import { bmmInPlace, bmmModuleBytes, bmmSimd, bmmSupported } from "../src/backend/wasm-bmm";
import { readOnce, runAsync, runSync, type Reads } from "../src/backend/reads";

// These tests are about the wasm kernels themselves (and child processes inherit this): keep the
// optional native BLAS path (src/backend/native.ts, tested in native.test.ts) out of the way.
process.env.LCO_NATIVE = "0";

// The wasm and cpu backends coexist in one process: compute on cpu, read the values, switch back
// to wasm, compute again, compare.
async function on<T>(backend: "cpu" | "wasm", f: () => T): Promise<T> {
  await tf.setBackend(backend);
  try {
    return f();
  } finally {
    await tf.setBackend("wasm");
  }
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length, "lengths differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const data = (n: number, seed: number) => normalArray(n, rng(seed));

let saved: ReturnType<typeof wasmPatches>;
before(async () => {
  await initBackend({ backend: "wasm" });
  saved = wasmPatches();
});
after(async () => {
  setWasmPatches(saved);
  delete process.env.LCO_BACKEND;
  await initBackend({ backend: "wasm" });
});

describe("wasm fix 1: UnsortedSegmentSum (gradient of gather)", () => {
  it("the gradient of an embedding lookup equals cpu's (to float32 rounding of the row sums)", async () => {
    const table = data(10 * 6, 1);
    const ids = [3, 0, 3, 9, 3, 1, 0]; // repeated ids must accumulate
    const up = data(ids.length * 6, 2);
    const grad = () =>
      tf.tidy(() => {
        const w = tf.tensor2d(table, [10, 6]);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(ids, "int32")), tf.tensor2d(up, [ids.length, 6]))))(w);
        return Array.from(g.dataSync());
      });
    const cpu = await on("cpu", grad);
    const wasm = grad();
    // cpu sums a segment's rows in another order, so repeated ids may differ in the last bit.
    assert.ok(maxDiff(wasm, cpu) <= 1e-6, `max diff ${maxDiff(wasm, cpu)}`);
    // Rows never looked up get zero gradient; row 3 got three contributions.
    assert.deepEqual(wasm.slice(2 * 6, 3 * 6), [0, 0, 0, 0, 0, 0]);
    const row3 = [0, 2, 4].map((i) => up.slice(i * 6, i * 6 + 6)).reduce((s, r) => s.map((v, j) => v + r[j]), new Float32Array(6));
    assert.ok(maxDiff(wasm.slice(18, 24), row3) < 1e-6);
  });

  it("unsortedSegmentSum on 1-D and 3-D inputs equals cpu", async () => {
    const f = () =>
      tf.tidy(() => [
        Array.from(tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4, 5]), tf.tensor1d([2, 0, 2, 1, 0], "int32"), 4).dataSync()),
        Array.from(tf.unsortedSegmentSum(tf.tensor3d(data(4 * 2 * 3, 3), [4, 2, 3]), tf.tensor1d([1, 1, 0, 2], "int32"), 3).dataSync()),
      ]);
    const cpu = await on("cpu", f);
    const wasm = f();
    assert.deepEqual(wasm[0], [7, 4, 4, 0]);
    assert.equal(maxDiff(wasm[1], cpu[1]), 0);
  });
});

describe("wasm fix 2 and speed patch 5: transpose-first and SIMD-batched BatchMatMul", () => {
  const shapes: [number[], number[]][] = [
    [[7, 5], [5, 3]],
    [[4, 7, 5], [4, 5, 3]], // N = 3: not a multiple of 4, the stock kernel runs
    [[6, 9, 12], [6, 12, 8]], // SIMD kernel
    [[2, 3, 7, 5], [2, 3, 5, 4]], // SIMD kernel, 4-D
    [[2, 3, 33, 40], [2, 3, 40, 36]], // sizes that straddle the 32-wide transpose tiles
    [[1, 5, 4], [3, 4, 8]], // broadcast batch: the stock kernel runs
  ];
  for (const [sa, sb] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`${sa.length}-D, transposeA=${ta}, transposeB=${tb} equals cpu`, async () => {
          const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
          const shapeA = ta ? swap(sa) : sa;
          const shapeB = tb ? swap(sb) : sb;
          const av = data(shapeA.reduce((x, y) => x * y), 4);
          const bv = data(shapeB.reduce((x, y) => x * y), 5);
          const f = () => tf.tidy(() => Array.from(tf.matMul(tf.tensor(av, shapeA), tf.tensor(bv, shapeB), ta, tb).dataSync()));
          const cpu = await on("cpu", f);
          const scale = Math.max(...cpu.map(Math.abs));
          for (const [matMul, batched] of [[true, true], [true, false], [false, true], [false, false]]) {
            setWasmPatches({ matMul, batched, transpose: true });
            const wasm = f();
            assert.ok(maxDiff(wasm, cpu) <= 1e-5 * scale, `transpose-first ${matMul}, simd ${batched} vs cpu: ${maxDiff(wasm, cpu)}`);
          }
          setWasmPatches(saved);
        });
      }
    }
  }

  it("matMul gradients (which use the transposed flags) equal cpu", async () => {
    const av = data(6 * 9, 6);
    const bv = data(9 * 4, 7);
    const f = () =>
      tf.tidy(() => {
        const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D))))([tf.tensor2d(av, [6, 9]), tf.tensor2d(bv, [9, 4])]);
        return [Array.from(ga.dataSync()), Array.from(gb.dataSync())];
      });
    const cpu = await on("cpu", f);
    const wasm = f();
    assert.ok(maxDiff(wasm[0], cpu[0]) < 1e-4);
    assert.ok(maxDiff(wasm[1], cpu[1]) < 1e-4);
  });
});

describe("the SIMD batched-matMul kernel itself", () => {
  it("equals a float64 triple loop and rejects unsupported N", () => {
    const [batch, M, K, N] = [3, 5, 7, 12];
    const a = data(batch * M * K, 11);
    const b = data(batch * K * N, 12);
    const out = new Float32Array(batch * M * N);
    assert.ok(bmmSupported(N));
    bmmSimd(a, b, out, batch, M, K, N);
    const ref = new Float64Array(out.length);
    for (let p = 0; p < batch; p++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[(p * M + i) * K + k] * b[(p * K + k) * N + j];
          ref[(p * M + i) * N + j] = s;
        }
    assert.ok(maxDiff(out, ref) < 1e-5, `max diff ${maxDiff(out, ref)}`);
    assert.equal(bmmSupported(6), false);
    assert.equal(bmmSupported(68), false);
    assert.throws(() => bmmModuleBytes(6), /N a multiple of 4 in \[4, 64\]; got 6/);
    assert.throws(() => bmmSimd(a, b, new Float32Array(3), batch, M, K, N), /do not fit/);
  });
});

describe("the SIMD batched-matMul kernel in place on the backend's memory", () => {
  it("equals a float64 triple loop at offsets inside a wasm memory", () => {
    const [batch, M, K, N] = [2, 3, 5, 8];
    const a = data(batch * M * K, 21);
    const b = data(batch * K * N, 22);
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const mem = new WA.Memory({ initial: 1 });
    const heap = new Float32Array(mem.buffer);
    // a at float 3, b right after a, out after b: offsets not multiples of 16 bytes
    const aOff = 3;
    const bOff = aOff + a.length;
    const oOff = bOff + b.length;
    heap.set(a, aOff);
    heap.set(b, bOff);
    assert.ok(bmmInPlace(mem, aOff * 4, bOff * 4, oOff * 4, batch, M, K, N));
    const out = heap.slice(oOff, oOff + batch * M * N);
    const ref = new Float64Array(out.length);
    for (let p = 0; p < batch; p++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[(p * M + i) * K + k] * b[(p * K + k) * N + j];
          ref[(p * M + i) * N + j] = s;
        }
    assert.ok(maxDiff(out, ref) < 1e-5, `max diff ${maxDiff(out, ref)}`);
    assert.equal(bmmInPlace(mem, 0, 0, 0, 1, 1, 1, 6), false, "N = 6 is unsupported");
  });
});

describe("matMul correctness guard: the stock kernel's operator cache", () => {
  // Unguarded this corrupts the wasm heap and the run hangs: the timeout turns that into a failure.
  it("one buffer as the right operand with two shapes (through reshape) gives the right products", { timeout: 60_000 }, async () => {
    // The stock kernel caches the packed right operand by tensor id only; a reshape shares the id.
    // Unguarded, the second product reuses the [2, 24] packing for a [8, 6] operand: wrong values
    // or "memory access out of bounds".
    const tv = data(48, 31);
    const a2v = data(5 * 8, 32);
    const f = () =>
      tf.tidy(() => {
        const t = tf.tensor3d(tv, [2, 4, 6]);
        const r1 = tf.matMul(tf.ones([1, 2]) as tf.Tensor2D, t.reshape([2, 24]) as tf.Tensor2D);
        const r2 = tf.matMul(tf.tensor2d(a2v, [5, 8]), t.reshape([8, 6]) as tf.Tensor2D);
        const r3 = tf.matMul(tf.ones([1, 2]) as tf.Tensor2D, t.reshape([2, 24]) as tf.Tensor2D); // first shape again
        // _FusedMatMul (matMul + bias) shares the cache and the guard
        const r4 = tf.fused.matMul({ a: tf.tensor2d(a2v.slice(0, 12), [3, 4]), b: t.reshape([4, 12]) as tf.Tensor2D, bias: tf.range(0, 12).toFloat() });
        return [Array.from(r1.dataSync()), Array.from(r2.dataSync()), Array.from(r3.dataSync()), Array.from(r4.dataSync())];
      });
    const cpu = await on("cpu", f);
    for (const patch of [true, false]) {
      const prev = setWasmPatches({ matMul: patch, transpose: patch, identity: patch, batched: patch });
      try {
        const wasm = f();
        for (let i = 0; i < 4; i++) assert.ok(maxDiff(wasm[i], cpu[i]) < 1e-5, `patches ${patch}: product ${i} differs from cpu by ${maxDiff(wasm[i], cpu[i])}`);
      } finally {
        setWasmPatches(prev);
      }
    }
  });
});

describe("wasm speed patches 3 and 4: blocked Transpose, shared Identity", () => {
  it("transposeLastTwo matches a hand-computed transpose", () => {
    const src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // [2, 2, 3]
    const dst = new Array<number>(12).fill(0);
    transposeLastTwo(src, dst, 2, 2, 3);
    assert.deepEqual(dst, [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
  });

  it("transposes of every rank and perm equal cpu exactly (float32 and int32)", async () => {
    const cases: [number[], number[]][] = [
      [[37, 70], [1, 0]],
      [[3, 33, 65], [0, 2, 1]],
      [[2, 3, 5, 40], [0, 1, 3, 2]],
      [[2, 3, 5, 4], [0, 2, 1, 3]], // not a last-two swap: the stock kernel runs
      [[2, 3, 4, 2, 5], [2, 0, 3, 1, 4]],
      // rows and cols multiples of 4: the 4×4-tile SIMD transpose runs
      [[8, 12], [1, 0]],
      [[3, 4, 16], [0, 2, 1]],
      [[2, 2, 12, 8], [0, 1, 3, 2]],
      [[64, 36], [1, 0]],
    ];
    for (const [shape, perm] of cases) {
      const v = data(shape.reduce((a, b) => a * b), 8);
      const f = () => tf.tidy(() => [Array.from(tf.transpose(tf.tensor(v, shape), perm).dataSync()), Array.from(tf.transpose(tf.tensor(v, shape).toInt(), perm).dataSync())]);
      const cpu = await on("cpu", f);
      const wasm = f();
      assert.equal(maxDiff(wasm[0], cpu[0]), 0, `float32 ${shape} ${perm}`);
      assert.equal(maxDiff(wasm[1], cpu[1]), 0, `int32 ${shape} ${perm}`);
    }
  });

  it("a shared Identity keeps its values after the source is disposed", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
    y.dispose();
  });
});

describe("backend choice", () => {
  it("initBackend reports wasm with its patches", async () => {
    const info = await initBackend({ backend: "wasm" });
    assert.equal(info.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(info.patches, ["UnsortedSegmentSum", "BatchMatMul:cache-guard", "BatchMatMul:transpose-first", "BatchMatMul:simd-batched", "Transpose:blocked-js", "Identity:shared"]);
    // Threads: one per core up to 4 with the threaded build (test/backend-threads.test.ts), 1 without.
    assert.match(describeBackend(info), new RegExp(`^backend wasm \\(tfjs 4\\.22\\.0, (no )?simd, ${info.wasm!.threads} thread\\(s\\); forced by option; patches: UnsortedSegmentSum, BatchMatMul:cache-guard, `));
    assert.ok(info.wasm!.threads >= 1 && info.wasm!.threads <= 4, `threads ${info.wasm!.threads}`);
  });

  it("LCO_BACKEND forces a backend, and an invalid name fails naming it", async () => {
    process.env.LCO_BACKEND = "cpu";
    const info = await initBackend();
    assert.equal(info.name, "cpu");
    assert.equal(info.reason, "forced by LCO_BACKEND");
    assert.equal(tf.getBackend(), "cpu");
    assert.deepEqual(info.patches, []);
    process.env.LCO_BACKEND = "gpu";
    await assert.rejects(initBackend(), /invalid LCO_BACKEND; expected one of tensorflow, webgpu, wasm, cpu, got "gpu"/);
    delete process.env.LCO_BACKEND;
    assert.equal((await initBackend({ backend: "wasm" })).name, "wasm");
  });

  it("a forced but unavailable tensorflow backend fails clearly and leaves the active backend alone", async () => {
    await assert.rejects(initBackend({ backend: "tensorflow" }), /backend "tensorflow" could not be initialised: @tensorflow\/tfjs-node-gpu: /);
    process.env.LCO_BACKEND = "tensorflow";
    await assert.rejects(initBackend(), /backend "tensorflow" could not be initialised/);
    delete process.env.LCO_BACKEND;
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(backendInfo()?.name, "wasm");
  });

  it("patchWasm: false turns the speed patches off but keeps the correctness fixes", async () => {
    const info = await initBackend({ backend: "wasm", patchWasm: false });
    assert.deepEqual(info.patches, ["UnsortedSegmentSum", "BatchMatMul:cache-guard"]);
    assert.deepEqual(wasmPatches(), { matMul: false, transpose: false, identity: false, batched: false });
    const again = await initBackend({ backend: "wasm" });
    assert.equal(again.patches.length, 6);
  });
});

describe("one body, synchronous or asynchronous reads (backend/reads.ts)", () => {
  // Reads 1 + 2 + … + n as tensors, one read per term; optionally fails while reading term 2.
  function* sumReads(n: number): Reads<number> {
    let s = 0;
    for (let i = 1; i <= n; i++) s += (yield* readOnce(tf.scalar(i)))[0];
    return s;
  }
  it("both drivers return the body's value and free what it yields, also when a read fails", async () => {
    const n0 = tf.memory().numTensors;
    assert.equal(runSync(sumReads(5)), 15);
    assert.equal(await runAsync(sumReads(5)), 15);
    assert.equal(tf.memory().numTensors, n0);
    // A tensor whose read fails (as on a lost device): the driver stops the body, which frees it.
    function* failing(): Reads<number> {
      const t = Object.assign(tf.scalar(1), { dataSync: () => { throw new Error("read failed"); }, data: () => Promise.reject(new Error("read failed")) });
      return (yield* readOnce(t))[0];
    }
    assert.throws(() => runSync(failing()), /read failed/);
    await assert.rejects(runAsync(failing()), /read failed/);
    assert.equal(tf.memory().numTensors, n0, "the pending tensor was freed");
  });
});
