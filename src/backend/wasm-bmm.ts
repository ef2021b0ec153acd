/**
 * A small hand-written WebAssembly SIMD kernel for *batched* matrix products of small matrices,
 * `out[p] = a[p] · b[p]` for `a` `[batch, M, K]`, `b` `[batch, K, N]`.
 *
 * Why: TF.js's wasm backend sends 2-D matMuls to XNNPACK (~36 GFLOP/s), but batched ones to a
 * plain loop (~1–2 GFLOP/s). Attention is made of batched products of `[T, hd]` matrices, so on
 * the reference model the 12 attention matMuls of a step cost about as much as all the 2-D ones.
 *
 * How: the module is assembled here, byte by byte, for one value of N (a multiple of 4, at most
 * 64). Row i of the output lives in N/4 SIMD registers (`f32x4` accumulators) while k runs over
 * the inner dimension: `acc += splat(a[i, k]) · b[k, :]`. Each output element is summed over k
 * in order, in float32, like the textbook loop (no fused multiply-add), so results match other
 * backends to float rounding (tested against the cpu backend in `test/backend.test.ts`).
 *
 * The kernel has its own linear memory; inputs are copied in and the result copied out (cheap
 * next to the product). No dependencies, no build step.
 *
 * @module
 */

import { uleb, sleb, section, name, vec } from "./wasm-encode";

/** Largest N (columns of `b`) the kernel is generated for; N/4 accumulators must fit in registers. */
export const BMM_MAX_N = 64;

// Opcodes (WebAssembly core + SIMD proposal, now standard).
const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  f32load: 0x2a,
  i32const: 0x41,
  i32ltu: 0x49,
  i32add: 0x6a,
  i32mul: 0x6c,
};
const simd = (code: number) => [0xfd, ...uleb(code)];
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const F32X4_SPLAT = 0x13;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;

/**
 * The module bytes for one N. Exports `bmm(a, b, o, batch, M, K)` (byte offsets) and, by default,
 * its own `memory`; with `importMemory` it instead imports `env.memory` (`"shared"` for a shared
 * memory, as the threaded TF.js backend has), so that it can work on TF.js tensors in place.
 */
export function bmmModuleBytes(N: number, importMemory?: "plain" | "shared"): Uint8Array {
  if (!(Number.isInteger(N) && N >= 4 && N % 4 === 0 && N <= BMM_MAX_N)) {
    throw new Error(`bmm kernel needs N a multiple of 4 in [4, ${BMM_MAX_N}]; got ${N}`);
  }
  const V = N / 4;
  const rowBytes = N * 4;
  // params: 0 a, 1 b, 2 o, 3 batch, 4 M, 5 K ; i32 locals: 6 p, 7 i, 8 k, 9 aP, 10 bBase, 11 bP, 12 oP
  // v128 locals: 13 av, 14.. acc
  const [A, B, O, BATCH, M, K, P, I, KK, AP, BBASE, BP, OP, AV, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const get = (l: number) => [op.get, ...uleb(l)];
  const set = (l: number) => [op.set, ...uleb(l)];
  const c = (n: number) => [op.i32const, ...sleb(n)];
  const inc = (l: number, by: number) => [...get(l), ...c(by), op.i32add, ...set(l)];
  const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
  const body: number[] = [];
  body.push(...get(A), ...set(AP), ...get(B), ...set(BBASE), ...get(O), ...set(OP), ...c(0), ...set(P));
  body.push(op.loop, 0x40); // over p
  body.push(...c(0), ...set(I));
  body.push(op.loop, 0x40); // over i
  for (let v = 0; v < V; v++) body.push(...simd(V128_CONST), ...new Array(16).fill(0), ...set(ACC + v));
  body.push(...get(BBASE), ...set(BP), ...c(0), ...set(KK));
  body.push(op.loop, 0x40); // over k
  body.push(...get(AP), op.f32load, ...memarg(2, 0), ...simd(F32X4_SPLAT), ...set(AV));
  for (let v = 0; v < V; v++) {
    // acc_v = acc_v + av * b[k, 4v .. 4v+3]
    body.push(...get(ACC + v), ...get(AV), ...get(BP), ...simd(V128_LOAD), ...memarg(0, 16 * v), ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(ACC + v));
  }
  body.push(...inc(AP, 4), ...inc(BP, rowBytes), ...inc(KK, 1));
  body.push(...get(KK), ...get(K), op.i32ltu, op.brIf, 0, op.end); // end k
  for (let v = 0; v < V; v++) body.push(...get(OP), ...get(ACC + v), ...simd(V128_STORE), ...memarg(0, 16 * v));
  body.push(...inc(OP, rowBytes), ...inc(I, 1));
  body.push(...get(I), ...get(M), op.i32ltu, op.brIf, 0, op.end); // end i
  // bBase += K * rowBytes
  body.push(...get(BBASE), ...get(K), ...c(rowBytes), op.i32mul, op.i32add, ...set(BBASE), ...inc(P, 1));
  body.push(...get(P), ...get(BATCH), op.i32ltu, op.brIf, 0, op.end); // end p
  body.push(op.end);
  const locals = vec([
    [...uleb(7), I32],
    [...uleb(1 + V), V128],
  ]);
  const func = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0x00]])), // type: (i32 ×6) -> ()
  ];
  if (importMemory) {
    // import env.memory: min 1 page; a shared memory must declare a maximum (4 GiB = 65536 pages)
    const limits = importMemory === "shared" ? [0x03, 0x01, ...uleb(65536)] : [0x00, 0x01];
    bytes.push(...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])));
  }
  bytes.push(...section(3, vec([[0x00]]))); // function 0 has type 0
  if (!importMemory) bytes.push(...section(5, vec([[0x00, 0x01]]))); // memory: min 1 page, no max
  const exportsList = [[...name("bmm"), 0x00, 0x00]]; // export function 0 as "bmm"
  if (!importMemory) exportsList.push([...name("memory"), 0x02, 0x00]); // export memory 0 as "memory"
  bytes.push(...section(7, vec(exportsList)));
  bytes.push(...section(10, vec([[...uleb(func.length), ...func]])));
  return new Uint8Array(bytes);
}

// The kit compiles without the DOM library, which is where TypeScript declares WebAssembly; a
// minimal view of the three pieces used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface BmmInstance {
  memory: WasmMemory;
  bmm: (a: number, b: number, o: number, batch: number, M: number, K: number) => void;
}

const instances = new Map<number, BmmInstance | null>();

function instanceFor(N: number): BmmInstance | null {
  if (instances.has(N)) return instances.get(N)!;
  let inst: BmmInstance | null = null;
  try {
    const mod = new WebAssemblyApi.Module(bmmModuleBytes(N));
    const e = new WebAssemblyApi.Instance(mod, {}).exports as unknown as BmmInstance;
    inst = { memory: e.memory, bmm: e.bmm };
  } catch {
    inst = null; // no SIMD support in this engine: callers fall back to the stock kernel
  }
  instances.set(N, inst);
  return inst;
}

/** Whether the SIMD kernel can run for this N on this JS engine. */
export function bmmSupported(N: number): boolean {
  return Number.isInteger(N) && N >= 4 && N % 4 === 0 && N <= BMM_MAX_N && instanceFor(N) !== null;
}

/**
 * `out[p] = a[p] · b[p]` for row-major `a` `[batch, M, K]`, `b` `[batch, K, N]`, `out`
 * `[batch, M, N]`.
 * @throws if N is unsupported (check {@link bmmSupported} first) or the lengths disagree.
 */
export function bmmSimd(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number, K: number, N: number): void {
  if (a.length !== batch * M * K || b.length !== batch * K * N || out.length !== batch * M * N) {
    throw new Error(`bmm: lengths ${a.length}, ${b.length}, ${out.length} do not fit [${batch}, ${M}, ${K}] · [${batch}, ${K}, ${N}]`);
  }
  const inst = instanceFor(N);
  if (!inst) throw new Error(`bmm: no SIMD kernel for N = ${N}`);
  const bytes = (a.length + b.length + out.length) * 4;
  const have = inst.memory.buffer.byteLength;
  if (bytes > have) inst.memory.grow(Math.ceil((bytes - have) / 65536));
  const heap = new Float32Array(inst.memory.buffer);
  heap.set(a, 0);
  heap.set(b, a.length);
  const o = a.length + b.length;
  inst.bmm(0, a.length * 4, o * 4, batch, M, K);
  out.set(heap.subarray(o, o + out.length));
}

const inPlace = new WeakMap<object, Map<number, BmmInstance["bmm"] | null>>();

/**
 * `out[p] = a[p] · b[p]` computed directly in `memory` (the TF.js wasm backend's), on row-major
 * `[batch, M, K]` · `[batch, K, N]` → `[batch, M, N]` at the given byte offsets: no copies.
 * @returns false (nothing done) if the kernel cannot be instantiated on this memory.
 */
export function bmmInPlace(memory: { buffer: ArrayBufferLike } | undefined, a: number, b: number, out: number, batch: number, M: number, K: number, N: number): boolean {
  if (!memory || !(Number.isInteger(N) && N >= 4 && N % 4 === 0 && N <= BMM_MAX_N)) return false;
  let byN = inPlace.get(memory);
  if (!byN) inPlace.set(memory, (byN = new Map()));
  let fn = byN.get(N);
  if (fn === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
      const mod = new WebAssemblyApi.Module(bmmModuleBytes(N, shared ? "shared" : "plain"));
      fn = (new WebAssemblyApi.Instance(mod, { env: { memory } }).exports as unknown as BmmInstance).bmm;
    } catch {
      fn = null;
    }
    byN.set(N, fn);
  }
  if (!fn) return false;
  fn(a, b, out, batch, M, K);
  return true;
}
