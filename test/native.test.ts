// The native BLAS path (src/backend/native.ts, issue 13): every native product against the wasm
// kernels and the pure-JS cpu backend, forward and backward, on odd shapes; 20 training steps
// against the wasm path; reruns bit-identical; the probes' native engine and closed forms against
// their definitions. Native-only cases skip with one line when the addon is absent (e.g. a
// CI run after `bash environment/build-native.sh --clean`, or LCO_NATIVE=0); the closed forms
// are tested either way.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, initBackend } from "../src/backend";
import { LARGE_ARRAY_BYTES, largeBytes, largeFloat32Array, nativeBlas, nativeGemm, nativeStatus, setNativeMatMul } from "../src/backend/native";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readBytes, readNpy, writeNpy } from "../src/io/npy";
import { normalArray, rng } from "../src/random";
import type { Matrix } from "../src/array";
import { anisotropy } from "../src/probes";
import { crossProduct, similarityBlocks } from "../src/probes/similarity";
import { cka, unbiasedCka } from "../src/probes/cka";
import { knnIndices } from "../src/probes/knn";
import { l2Normalize } from "../src/probes/prepare";
import { ranksBothWays, targetRanks } from "../src/retrieval/retrieval";
import { REFERENCE_MODEL, TINY_MODEL, disposeTrainer, makeTrainer, serialStep } from "../src/bench/reference";

const status = nativeStatus();
const skip = status.active ? false : `native BLAS path off (${status.reason})`;
if (skip) console.log(`# native-only tests skipped: ${skip}`);

const data = (n: number, seed: number) => normalArray(n, rng(seed));
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length, "lengths differ");
  let m = 0, scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m / Math.max(scale, 1);
};
const matrix = (rows: number, cols: number, seed: number): Matrix => ({ data: data(rows * cols, seed), rows, cols });

async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend("cpu");
  try {
    return f();
  } finally {
    await tf.setBackend("wasm");
  }
}
function withNative<T>(on: boolean, f: () => T): T {
  const prev = setNativeMatMul(on);
  try {
    return f();
  } finally {
    setNativeMatMul(prev);
  }
}

before(async () => {
  await initBackend({ backend: "wasm" });
});
after(() => {
  setNativeMatMul(true);
});

describe("native status", () => {
  it("is recorded in the backend's provenance", () => {
    const info = backendInfo()!;
    assert.equal(info.native?.active, status.active);
    assert.ok(info.native?.reason.length);
  });
});

describe("native TF.js matrix products", { skip }, () => {
  // [aShape, bShape, transposeA, transposeB]: odd sizes, every transpose, batches and broadcasts.
  // (TF.js has no gradient for batch broadcasts on any backend, so those compare the forward only.)
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 13], [13, 5], false, false],
    [[13, 7], [13, 5], true, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [5, 13], true, true],
    [[3, 7, 13], [3, 13, 5], false, false],
    [[3, 13, 7], [3, 5, 13], true, true],
    [[2, 3, 7, 9], [9, 11], false, false], // shared right operand
    [[7, 9], [4, 9, 11], false, false], // shared left operand
    [[5, 9, 7], [1, 5, 7], false, true], // broadcast batch of 1
    [[1, 129], [129, 1], false, false],
  ];
  for (const [sa, sb, tA, tB] of cases) {
    const broadcast = sa.length !== sb.length || sa.slice(0, -2).some((d, i) => d !== sb[i]);
    it(`matMul ${JSON.stringify(sa)}${tA ? "ᵀ" : ""} · ${JSON.stringify(sb)}${tB ? "ᵀ" : ""}: forward${broadcast ? "" : " and both gradients"} equal wasm and cpu to 1e-5`, async () => {
      const av = data(sa.reduce((x, y) => x * y, 1), 1), bv = data(sb.reduce((x, y) => x * y, 1), 2);
      const run = () =>
        tf.tidy(() => {
          const a = tf.tensor(av, sa), b = tf.tensor(bv, sb);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), tf.sin(tf.matMul(x, y, tA, tB))));
          const y = tf.matMul(a, b, tA, tB);
          return [y, ...(broadcast ? [] : tf.grads(f)([a, b]))].map((t) => Array.from(t.dataSync()));
        });
      const nat = withNative(true, run), wasm = withNative(false, run), cpu = await onCpu(run);
      for (let i = 0; i < nat.length; i++) {
        assert.ok(maxRel(nat[i], wasm[i]) < 1e-5, `output ${i}: native vs wasm ${maxRel(nat[i], wasm[i])}`);
        assert.ok(maxRel(nat[i], cpu[i]) < 1e-5, `output ${i}: native vs cpu ${maxRel(nat[i], cpu[i])}`);
      }
    });
  }

  // The stock wasm kernel reads a length-1 bias as if it had N values (wrong outputs, e.g.
  // [8, 4, 3, 3] for [8, 8, 8, 8]); native and cpu broadcast it. So a [1] bias compares with cpu only.
  for (const activation of ["linear", "relu"] as const) {
    for (const biasShape of [[11], [1]]) {
      it(`fused matMul + bias ${JSON.stringify(biasShape)} + ${activation}: forward and gradients equal wasm and cpu`, async () => {
        const av = data(7 * 9, 3), bv = data(9 * 11, 4), cv = data(biasShape.reduce((x, y) => x * y, 1), 5);
        const run = () =>
          tf.tidy(() => {
            const a = tf.tensor2d(av, [7, 9]), b = tf.tensor2d(bv, [9, 11]), c = tf.tensor(cv, biasShape);
            const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation })));
            const y = tf.fused.matMul({ a, b, bias: c, activation });
            const g = tf.grads(f)([a, b, c]);
            return [y, ...g].map((t) => Array.from(t.dataSync()));
          });
        const nat = withNative(true, run), wasm = withNative(false, run), cpu = await onCpu(run);
        for (let i = 0; i < nat.length; i++) {
          if (biasShape[0] !== 1) assert.ok(maxRel(nat[i], wasm[i]) < 1e-5, `output ${i}: native vs wasm ${maxRel(nat[i], wasm[i])}`);
          assert.ok(maxRel(nat[i], cpu[i]) < 1e-5, `output ${i}: native vs cpu ${maxRel(nat[i], cpu[i])}`);
        }
      });
    }
  }

  it("leaks no tensors and no backend memory", () => {
    const a = tf.tensor2d(data(33 * 17, 6), [33, 17]), b = tf.tensor2d(data(17 * 9, 7), [17, 9]), bias = tf.tensor1d(data(9, 8));
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose([tf.matMul(a, b), tf.matMul(a, a, true, false), tf.fused.matMul({ a, b, bias, activation: "relu" })]);
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    tf.dispose([a, b, bias]);
  });

  it("rejects arrays shorter than their shapes instead of reading out of bounds", () => {
    assert.throws(() => nativeBlas()!.sgemm(false, false, 3, 3, 3, new Float32Array(9), new Float32Array(8), new Float32Array(9)), /shorter/);
  });
});

describe("training on the native path", { skip }, () => {
  it("20 reference-model steps track the wasm path (loss to 1e-5) and reruns are bit-identical", () => {
    const run = (on: boolean) =>
      withNative(on, () => {
        const t = makeTrainer(REFERENCE_MODEL, 3, "fast");
        try {
          const losses = Array.from({ length: 20 }, () => serialStep(t));
          const w = t.ps.variables()[0].dataSync().slice();
          return { losses, w };
        } finally {
          disposeTrainer(t);
        }
      });
    const n1 = run(true), n2 = run(true), w = run(false);
    assert.deepEqual(n2.losses, n1.losses, "native rerun changed the losses");
    assert.deepEqual(Array.from(n2.w), Array.from(n1.w), "native rerun changed the weights");
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(n1.losses[i] - w.losses[i]) < 1e-5, `step ${i}: native ${n1.losses[i]} vs wasm ${w.losses[i]}`);
    assert.ok(n1.losses[19] < n1.losses[0], "the loss did not go down");
  });

  it("the tiny model on the reference layers also matches (autodiff's matMul gradients)", () => {
    const run = (on: boolean) =>
      withNative(on, () => {
        const t = makeTrainer(TINY_MODEL, 1, "reference");
        try {
          return Array.from({ length: 20 }, () => serialStep(t));
        } finally {
          disposeTrainer(t);
        }
      });
    const n = run(true), w = run(false);
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(n[i] - w[i]) < 1e-5, `step ${i}: native ${n[i]} vs wasm ${w[i]}`);
  });
});

describe("probes on the native engine", { skip }, () => {
  const A = matrix(301, 67, 11), B = matrix(203, 67, 12);
  it("similarity blocks (any column window) equal the float64 JS engine", () => {
    const js = similarityBlocks(A, B, { engine: "js" }), nat = similarityBlocks(A, B, { engine: "native", blockRows: 50 });
    assert.equal(nat.engine, "native");
    for (const [s, c, c0, c1] of [[0, 50, 0, 203], [250, 51, 17, 190]]) {
      assert.ok(maxRel(nat.block(s, c, c0, c1), js.block(s, c, c0, c1)) < 1e-5);
    }
  });
  it("the cross-product Xᵀ Y equals the float64 JS engine", () => {
    const Y = matrix(301, 29, 13);
    assert.ok(maxRel(crossProduct(A, Y, { engine: "native" }), crossProduct(A, Y, { engine: "js" })) < 1e-5);
  });
  it("kNN lists, CKA and unbiased CKA match the JS engine", () => {
    const C = matrix(301, 67, 14);
    for (const k of [1, 7]) assert.deepEqual(knnIndices(A, k, { engine: "native" }).indices, knnIndices(A, k, { engine: "js" }).indices);
    for (const method of ["gram", "features"] as const) {
      assert.ok(Math.abs(cka(A, C, { engine: "native", method }) - cka(A, C, { engine: "js", method })) < 1e-5);
      assert.ok(Math.abs(unbiasedCka(A, C, { engine: "native", method }) - unbiasedCka(A, C, { engine: "js", method })) < 1e-5);
    }
  });
  it("reused block buffers and in-place centring: same values, inputs untouched", () => {
    // kNN scans reuse one block buffer; blockRows 40 gives 8 blocks of shrinking width, the last 21 rows.
    for (const k of [1, 7]) assert.deepEqual(knnIndices(A, k, { engine: "native", blockRows: 40 }).indices, knnIndices(A, k, { engine: "js" }).indices);
    // The feature form centres the normalised copies in place; the caller's arrays stay as they were.
    const C = matrix(301, 67, 15);
    const a0 = Float64Array.from(A.data), c0 = Float64Array.from(C.data);
    for (const normalize of [true, false]) {
      const first = cka(A, C, { engine: "native", method: "features", normalize });
      assert.equal(cka(A, C, { engine: "native", method: "features", normalize }), first); // bit-identical rerun
      assert.ok(Math.abs(first - cka(A, C, { engine: "js", method: "features", normalize })) < 1e-5);
      assert.ok(Math.abs(cka(A, A, { engine: "native", method: "features", normalize }) - 1) < 1e-5); // one matrix as both inputs
    }
    assert.deepEqual(Float64Array.from(A.data), a0);
    assert.deepEqual(Float64Array.from(C.data), c0);
  });
  it("ssyrk writes the upper triangle of AᵀA (equal to sgemm's) and leaves the lower one alone", () => {
    const [K, N] = [37, 13];
    const a = Float32Array.from(data(K * N, 21));
    const full = new Float32Array(N * N), tri = new Float32Array(N * N).fill(-7);
    nativeBlas()!.sgemm(true, false, N, N, K, a, a, full);
    nativeBlas()!.ssyrk(N, K, a, tri);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
      if (j >= i) assert.ok(Math.abs(tri[i * N + j] - full[i * N + j]) <= 1e-5 * Math.abs(full[i * N + j]) + 1e-6, `(${i}, ${j})`);
      else assert.equal(tri[i * N + j], -7);
    }
    assert.throws(() => nativeBlas()!.ssyrk(N, K, a.subarray(1), tri), RangeError);
  });
  it("retrieval's one pass: both directions count exactly the main pass's values; near-ties and the fallback too", () => {
    // Reference: the full S from the same blocks, each column counted against its own S_jj.
    const countFromBlocks = (q: Matrix, c: Matrix, blockRows: number): [Int32Array, Int32Array] => {
      const n = q.rows, src = similarityBlocks(q, c, { engine: "native", blockRows });
      const S = new Float64Array(n * n);
      for (let s = 0; s < n; s += blockRows) S.set(src.block(s, Math.min(blockRows, n - s)), s * n);
      const q2c = new Int32Array(n), c2q = new Int32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (S[i * n + j] >= S[i * n + i]) q2c[i]++;
        if (S[i * n + j] >= S[j * n + j]) c2q[j]++;
      }
      return [q2c, c2q];
    };
    const q = l2Normalize(matrix(203, 67, 31));
    const noisy = l2Normalize({ data: q.data.map((x, i) => x + 0.8 * data(q.data.length, 32)[i]), rows: q.rows, cols: q.cols });
    // Near-ties: candidates that repeat the queries (S_ij = S_jj in exact arithmetic for copies).
    const dup = l2Normalize({ data: Float64Array.from({ length: q.data.length }, (_, t) => q.data[(Math.floor(t / q.cols) % 20) * q.cols + (t % q.cols)]), rows: q.rows, cols: q.cols });
    for (const c of [noisy, dup]) {
      const [q2c, c2q] = ranksBothWays(q, c, { engine: "native", blockRows: 37 });
      const [rq, rc] = countFromBlocks(q, c, 37);
      assert.deepEqual(q2c, rq);
      assert.deepEqual(c2q, rc);
      // No room for near-ties: the candidate direction falls back to a second pass over C·Qᵀ.
      const [q2cF, c2qF] = ranksBothWays(q, c, { engine: "native", blockRows: 37 }, 0);
      assert.deepEqual(q2cF, rq);
      assert.deepEqual(c2qF, targetRanks(c, q, { engine: "native", blockRows: 37, normalize: false }));
    }
    // With ties everywhere (all rows equal), every rank is the worst one, n.
    const same = l2Normalize({ data: new Float64Array(40 * 9).fill(0.3), rows: 40, cols: 9 });
    for (const r of ranksBothWays(same, same, { engine: "native", blockRows: 7 })) assert.deepEqual([...r], new Array(40).fill(40));
  });
  it("nativeGemm does nothing when switched off", () => {
    withNative(false, () => assert.equal(nativeGemm(false, false, 1, 1, 1, new Float32Array(1), new Float32Array(1), new Float32Array(1)), false));
  });
});

describe("large arrays (every path: huge-page memory with the addon, ordinary memory without)", () => {
  it("largeBytes / largeFloat32Array: zero-filled, the asked size, writable, on both sides of the threshold", () => {
    for (const bytes of [12, LARGE_ARRAY_BYTES - 4, LARGE_ARRAY_BYTES, LARGE_ARRAY_BYTES + 4100]) {
      const b = largeBytes(bytes);
      assert.equal(b.byteLength, bytes);
      assert.equal(b.buffer.byteLength, bytes); // its own buffer: readNpy may view it without a copy
      assert.ok(b.every((v) => v === 0));
      b[bytes - 1] = 7;
      assert.equal(b[bytes - 1], 7);
      const f = largeFloat32Array(bytes >> 2);
      assert.equal(f.length, bytes >> 2);
      assert.ok(f.every((v) => v === 0));
    }
    if (!skip) assert.equal(typeof nativeBlas()!.largeBuffer, "function");
  });
  it("a file of 4 MB or more reads back byte for byte, and its .npy round-trips", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-native-large-"));
    try {
      const file = path.join(dir, "x.npy");
      const values = Float32Array.from(data(1100 * 1000, 41));
      writeNpy(file, { data: values, shape: [1100, 1000], dtype: "float32" });
      const bytes = readBytes(file);
      assert.ok(bytes.byteLength >= LARGE_ARRAY_BYTES);
      assert.ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(fs.readFileSync(file)));
      const back = readNpy(file);
      assert.deepEqual(back.shape, [1100, 1000]);
      assert.deepEqual(back.data, values);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("closed forms (every path)", () => {
  it("anisotropy: the O(n·d) closed form equals the pairwise definition on dense data", () => {
    for (const [n, d, shift] of [[2, 3, 0], [57, 11, 0], [200, 33, 0.7]] as const) {
      const m = matrix(n, d, n);
      for (let i = 0; i < m.data.length; i++) m.data[i] += shift; // shifted: anisotropy well above 0
      const closed = anisotropy(m, { method: "closed" });
      const pairs = anisotropy(m, { method: "pairs", engine: "js" });
      assert.ok(Math.abs(closed - pairs) < 1e-12, `n ${n}: closed ${closed} vs pairs ${pairs}`);
      assert.equal(anisotropy(m), closed);
    }
  });
  it("anisotropy: data with exact zeros keeps the reference's exact-zero rule", () => {
    // one-hot rows: every pair is exactly orthogonal except the repeated row
    const m = { data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]), rows: 4, cols: 3 };
    assert.equal(anisotropy(m), 1); // only the pair (0, 3) counts: cos 1
    assert.ok(Math.abs(anisotropy(m, { method: "closed" }) - 1 / 6) < 1e-12); // all 6 pairs count
  });
});
