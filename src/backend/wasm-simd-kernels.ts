/**
 * WebAssembly SIMD versions of the fused element-wise kernels of `nn/js-kernels.ts`, run directly
 * on the TF.js wasm backend's memory (no copies).
 *
 * Why: the JS loops already replace 5–15 TF.js kernels each, but a JS loop over float32 data runs
 * at 2–9 ns per element, while vectorised wasm does 4 floats per instruction (≈ 0.5 ns per
 * element). On the reference model the fused GELU and layer-norm kernels alone touch about 4 M
 * floats per training step.
 *
 * How: one module, assembled here byte by byte (like `backend/wasm-bmm.ts`), *imports* the backend's
 * `WebAssembly.Memory` (shared in the threaded build), so a kernel receives the byte offsets of
 * TF.js tensors and reads and writes them in place. Every function handles whole groups of 4
 * floats; callers run the (rare) remainders in JS and use the JS kernels when a row length is
 * not a multiple of 4. Sums are accumulated in float32 lanes (4 partial sums per row), which
 * agrees with float64 sums to about 1e-6 relative. Tested against the JS kernels in
 * `test/nn-kernels.test.ts`.
 *
 * @module
 */

import { uleb, sleb, section, name, vec, f32bytes } from "./wasm-encode";

// The kit compiles without the DOM library, where TypeScript declares WebAssembly.
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** A tiny function builder: typed params and locals, and the instructions the kernels need. */
class Fn {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];
  constructor(
    readonly name: string,
    readonly params: number[],
  ) {}
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }
  emit(...bytes: (number | number[])[]): this {
    for (const b of bytes) if (Array.isArray(b)) this.code.push(...b);
    else this.code.push(b);
    return this;
  }
  get = (l: number) => [0x20, ...uleb(l)];
  set = (l: number) => [0x21, ...uleb(l)];
  tee = (l: number) => [0x22, ...uleb(l)];
  i32 = (n: number) => [0x41, ...sleb(n)];
  f32 = (x: number) => [0x43, ...f32bytes(x)];
  /** `l += n` for an i32 local. */
  inc = (l: number, n: number) => [...this.get(l), ...this.i32(n), 0x6a, ...this.set(l)];
  /** `l += other` for i32 locals. */
  addTo = (l: number, other: number) => [...this.get(l), ...this.get(other), 0x6a, ...this.set(l)];
  body(): number[] {
    // Group consecutive locals of the same type.
    const groups: number[][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const locals = vec(groups.map(([n, t]) => [...uleb(n), t]));
    const b = [...locals, ...this.code, 0x0b];
    return [...uleb(b.length), ...b];
  }
}

// Instruction bytes.
const I32_ADD = 0x6a;
const I32_LT_U = 0x49;
const I32_SHL = 0x74;
const F32_ADD = 0x92;
const F32_MUL = 0x94;
const F32_DIV = 0x95;
const F32_SQRT = 0x91;
const F32_LOAD = [0x2a, 0x02, 0x00];
const F32_STORE = [0x38, 0x02, 0x00];
const simd = (code: number) => [0xfd, ...uleb(code)];
const V_LOAD = [...simd(0x00), 0x00, 0x00];
const V_STORE = [...simd(0x0b), 0x00, 0x00];
const V_SPLAT = simd(0x13);
const V_ADD = simd(0xe4);
const V_SUB = simd(0xe5);
const V_MUL = simd(0xe6);
const V_ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
const lane = (i: number) => [...simd(0x1f), i];

/**
 * Emit `for (i = 0; i < end; i += step) { body }` where `i` and `end` are i32 locals (end is
 * re-read each iteration). Skips the body when `end` is 0.
 */
function forLoop(f: Fn, i: number, end: number, step: number, body: () => void): void {
  f.emit(f.i32(0), f.set(i));
  f.emit(0x02, 0x40); // block
  f.emit(f.get(i), f.get(end), I32_LT_U, 0x45 /* i32.eqz */, 0x0d, 0x00); // br_if 0 when !(i < end)
  f.emit(0x03, 0x40); // loop
  body();
  f.emit(f.inc(i, step));
  f.emit(f.get(i), f.get(end), I32_LT_U, 0x0d, 0x00); // br_if 0 (loop)
  f.emit(0x0b, 0x0b); // end loop, end block
}

/** `base + off` as an i32 address on the stack. */
const addr = (f: Fn, base: number, off: number) => [...f.get(base), ...f.get(off), I32_ADD];

/** Horizontal sum of the 4 lanes of v128 local `v` → f32 on the stack. */
const hsum = (f: Fn, v: number) => [...f.get(v), ...lane(0), ...f.get(v), ...lane(1), F32_ADD, ...f.get(v), ...lane(2), F32_ADD, ...f.get(v), ...lane(3), F32_ADD];

// geluArg(x, u, nBytes, c1, c3): u = x·(c1 + c3·x²)
function geluArg(): Fn {
  const f = new Fn("geluArg", [I32, I32, I32, F32, F32]);
  const [X, U, N, C1, C3] = [0, 1, 2, 3, 4];
  const i = f.local(I32);
  const v = f.local(V128);
  const c1 = f.local(V128);
  const c3 = f.local(V128);
  f.emit(f.get(C1), V_SPLAT, f.set(c1), f.get(C3), V_SPLAT, f.set(c3));
  forLoop(f, i, N, 16, () => {
    f.emit(addr(f, X, i), V_LOAD, f.set(v));
    f.emit(addr(f, U, i));
    f.emit(f.get(v), f.get(c1), f.get(c3), f.get(v), V_MUL, f.get(v), V_MUL, V_ADD, V_MUL);
    f.emit(V_STORE);
  });
  return f;
}

// geluGrad(dy, x, s, dx, nBytes, c1, c3): dx = dy·(s + x·s·(1-s)·(c1 + c3·x²))
function geluGrad(): Fn {
  const f = new Fn("geluGrad", [I32, I32, I32, I32, I32, F32, F32]);
  const [DY, X, S, DX, N, C1, C3] = [0, 1, 2, 3, 4, 5, 6];
  const i = f.local(I32);
  const x = f.local(V128);
  const s = f.local(V128);
  const c1 = f.local(V128);
  const c3 = f.local(V128);
  const one = f.local(V128);
  f.emit(f.get(C1), V_SPLAT, f.set(c1), f.get(C3), V_SPLAT, f.set(c3), f.f32(1), V_SPLAT, f.set(one));
  forLoop(f, i, N, 16, () => {
    f.emit(addr(f, X, i), V_LOAD, f.set(x), addr(f, S, i), V_LOAD, f.set(s));
    f.emit(addr(f, DX, i));
    f.emit(addr(f, DY, i), V_LOAD);
    // s + x·s·(1-s)·(c1 + c3·x·x)
    f.emit(f.get(s));
    f.emit(f.get(x), f.get(s), V_MUL, f.get(one), f.get(s), V_SUB, V_MUL);
    f.emit(f.get(c1), f.get(c3), f.get(x), V_MUL, f.get(x), V_MUL, V_ADD, V_MUL);
    f.emit(V_ADD, V_MUL, V_STORE);
  });
  return f;
}

// lnFwd(x, g, b, y, xhat, r, rows, dBytes, eps): per row mean, variance, r, xhat, y = xhat·g + b
function lnFwd(): Fn {
  const f = new Fn("lnFwd", [I32, I32, I32, I32, I32, I32, I32, I32, F32]);
  const [X, G, B, Y, XH, R, ROWS, DB, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const row = f.local(I32);
  const j = f.local(I32);
  const o = f.local(I32); // byte offset of the row
  const invD = f.local(F32);
  const mean = f.local(F32);
  const rr = f.local(F32);
  const acc = f.local(V128);
  const mv = f.local(V128);
  const rv = f.local(V128);
  const h = f.local(V128);
  const c = f.local(V128);
  // invD = 4 / dBytes
  f.emit(f.f32(4), f.get(DB), 0xb3 /* f32.convert_i32_u */, F32_DIV, f.set(invD));
  f.emit(f.i32(0), f.set(o));
  forLoop(f, row, ROWS, 1, () => {
    f.emit(V_ZERO, f.set(acc));
    forLoop(f, j, DB, 16, () => {
      f.emit(f.get(acc), f.get(X), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, V_ADD, f.set(acc));
    });
    f.emit(hsum(f, acc), f.get(invD), F32_MUL, f.set(mean), f.get(mean), V_SPLAT, f.set(mv));
    f.emit(V_ZERO, f.set(acc));
    forLoop(f, j, DB, 16, () => {
      f.emit(f.get(X), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(mv), V_SUB, f.set(c));
      f.emit(f.get(acc), f.get(c), f.get(c), V_MUL, V_ADD, f.set(acc));
    });
    // r = 1 / sqrt(var + eps)
    f.emit(f.f32(1), hsum(f, acc), f.get(invD), F32_MUL, f.get(EPS), F32_ADD, F32_SQRT, F32_DIV, f.set(rr));
    f.emit(f.get(R), f.get(row), f.i32(2), I32_SHL, I32_ADD, f.get(rr), F32_STORE);
    f.emit(f.get(rr), V_SPLAT, f.set(rv));
    forLoop(f, j, DB, 16, () => {
      f.emit(f.get(X), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(mv), V_SUB, f.get(rv), V_MUL, f.set(h));
      f.emit(f.get(XH), f.get(o), I32_ADD, f.get(j), I32_ADD, f.get(h), V_STORE);
      f.emit(f.get(Y), f.get(o), I32_ADD, f.get(j), I32_ADD);
      f.emit(f.get(h), addr(f, G, j), V_LOAD, V_MUL, addr(f, B, j), V_LOAD, V_ADD, V_STORE);
    });
    f.emit(f.addTo(o, DB));
  });
  return f;
}

// lnGrad(dy, xhat, r, g, dx, dg, db, rows, dBytes): dg, db must be zeroed by the caller.
function lnGrad(): Fn {
  const f = new Fn("lnGrad", [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [DY, XH, R, G, DX, DG, DBI, ROWS, DB] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const row = f.local(I32);
  const j = f.local(I32);
  const o = f.local(I32);
  const invD = f.local(F32);
  const a1 = f.local(V128);
  const a2 = f.local(V128);
  const dy = f.local(V128);
  const h = f.local(V128);
  const dxh = f.local(V128);
  const m1 = f.local(V128);
  const m2 = f.local(V128);
  const rv = f.local(V128);
  f.emit(f.f32(4), f.get(DB), 0xb3, F32_DIV, f.set(invD));
  f.emit(f.i32(0), f.set(o));
  forLoop(f, row, ROWS, 1, () => {
    f.emit(V_ZERO, f.set(a1), V_ZERO, f.set(a2));
    forLoop(f, j, DB, 16, () => {
      f.emit(f.get(DY), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.set(dy));
      f.emit(f.get(XH), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.set(h));
      f.emit(f.get(dy), addr(f, G, j), V_LOAD, V_MUL, f.set(dxh));
      f.emit(f.get(a1), f.get(dxh), V_ADD, f.set(a1));
      f.emit(f.get(a2), f.get(dxh), f.get(h), V_MUL, V_ADD, f.set(a2));
      // dg += dy·xhat ; db += dy
      f.emit(addr(f, DG, j), addr(f, DG, j), V_LOAD, f.get(dy), f.get(h), V_MUL, V_ADD, V_STORE);
      f.emit(addr(f, DBI, j), addr(f, DBI, j), V_LOAD, f.get(dy), V_ADD, V_STORE);
    });
    f.emit(hsum(f, a1), f.get(invD), F32_MUL, V_SPLAT, f.set(m1));
    f.emit(hsum(f, a2), f.get(invD), F32_MUL, V_SPLAT, f.set(m2));
    f.emit(f.get(R), f.get(row), f.i32(2), I32_SHL, I32_ADD, F32_LOAD, V_SPLAT, f.set(rv));
    forLoop(f, j, DB, 16, () => {
      f.emit(f.get(DX), f.get(o), I32_ADD, f.get(j), I32_ADD);
      f.emit(f.get(rv));
      f.emit(f.get(DY), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, addr(f, G, j), V_LOAD, V_MUL);
      f.emit(f.get(m1), V_SUB);
      f.emit(f.get(XH), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(m2), V_MUL, V_SUB);
      f.emit(V_MUL, V_STORE);
    });
    f.emit(f.addTo(o, DB));
  });
  return f;
}

// softmaxGrad(p, dp, ds, rows, nBytes): ds = p·(dp - Σ dp·p) per row
function softmaxGrad(): Fn {
  const f = new Fn("softmaxGrad", [I32, I32, I32, I32, I32]);
  const [P, DP, DS, ROWS, NB] = [0, 1, 2, 3, 4];
  const row = f.local(I32);
  const j = f.local(I32);
  const o = f.local(I32);
  const acc = f.local(V128);
  const sv = f.local(V128);
  f.emit(f.i32(0), f.set(o));
  forLoop(f, row, ROWS, 1, () => {
    f.emit(V_ZERO, f.set(acc));
    forLoop(f, j, NB, 16, () => {
      f.emit(f.get(acc), f.get(P), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(DP), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, V_MUL, V_ADD, f.set(acc));
    });
    f.emit(hsum(f, acc), V_SPLAT, f.set(sv));
    forLoop(f, j, NB, 16, () => {
      f.emit(f.get(DS), f.get(o), I32_ADD, f.get(j), I32_ADD);
      f.emit(f.get(P), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD);
      f.emit(f.get(DP), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(sv), V_SUB, V_MUL, V_STORE);
    });
    f.emit(f.addTo(o, NB));
  });
  return f;
}

// scaleRows(p, w, dz, rows, nBytes, g): dz[row, :] = (g·w[row])·p[row, :]
function scaleRows(): Fn {
  const f = new Fn("scaleRows", [I32, I32, I32, I32, I32, F32]);
  const [P, W, DZ, ROWS, NB, GS] = [0, 1, 2, 3, 4, 5];
  const row = f.local(I32);
  const j = f.local(I32);
  const o = f.local(I32);
  const cv = f.local(V128);
  f.emit(f.i32(0), f.set(o));
  forLoop(f, row, ROWS, 1, () => {
    f.emit(f.get(W), f.get(row), f.i32(2), I32_SHL, I32_ADD, F32_LOAD, f.get(GS), F32_MUL, V_SPLAT, f.set(cv));
    forLoop(f, j, NB, 16, () => {
      f.emit(f.get(DZ), f.get(o), I32_ADD, f.get(j), I32_ADD);
      f.emit(f.get(P), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, f.get(cv), V_MUL, V_STORE);
    });
    f.emit(f.addTo(o, NB));
  });
  return f;
}

// transpose(src, dst, batch, rows, cols): [batch, rows, cols] → [batch, cols, rows], rows and cols
// multiples of 4, in 4×4 tiles (four row loads, eight shuffles, four column stores).
function transpose(): Fn {
  const f = new Fn("transpose", [I32, I32, I32, I32, I32]);
  const [SRC, DST, BATCH, ROWS, COLS] = [0, 1, 2, 3, 4];
  const p = f.local(I32);
  const i = f.local(I32);
  const j = f.local(I32);
  const rowB = f.local(I32); // bytes per source row = cols·4
  const colB = f.local(I32); // bytes per destination row = rows·4
  const sp = f.local(I32);
  const dp = f.local(I32);
  const plane = f.local(I32);
  const [r0, r1, r2, r3, t0, t1, t2, t3] = [0, 1, 2, 3, 4, 5, 6, 7].map(() => f.local(V128));
  const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
  f.emit(f.get(COLS), f.i32(2), I32_SHL, f.set(rowB), f.get(ROWS), f.i32(2), I32_SHL, f.set(colB));
  f.emit(f.get(ROWS), f.get(COLS), 0x6c /* i32.mul */, f.i32(2), I32_SHL, f.set(plane));
  // Blocks of 32 source rows; in a block, j (4 source columns = 4 destination rows) outside and
  // i inside: the destination rows are written as short sequential runs, and the block's 32
  // source lines stay in L1 from one j to the next (power-of-two strides would otherwise make the
  // lines evict each other).
  const ib = f.local(I32);
  const iEnd = f.local(I32);
  const nBlocks = f.local(I32);
  const blk = f.local(I32);
  // nBlocks = ceil(rows / 32)
  f.emit(f.get(ROWS), f.i32(31), I32_ADD, f.i32(5), 0x76 /* i32.shr_u */, f.set(nBlocks));
  forLoop(f, p, BATCH, 1, () => {
    forLoop(f, blk, nBlocks, 1, () => {
      // ib = blk·32 ; iEnd = min(ib + 32, rows)
      f.emit(f.get(blk), f.i32(5), I32_SHL, f.set(ib));
      f.emit(f.get(ib), f.i32(32), I32_ADD, f.get(ROWS), f.get(ib), f.i32(32), I32_ADD, f.get(ROWS), I32_LT_U, 0x1b /* select */, f.set(iEnd));
    forLoop(f, j, COLS, 4, () => {
      f.emit(f.get(ib), f.set(i));
      f.emit(0x03, 0x40); // loop over i in [ib, iEnd)
      {
        // sp = src + i·rowB + j·4 ; dp = dst + j·colB + i·4
        f.emit(f.get(SRC), f.get(i), f.get(rowB), 0x6c, I32_ADD, f.get(j), f.i32(2), I32_SHL, I32_ADD, f.set(sp));
        f.emit(f.get(DST), f.get(j), f.get(colB), 0x6c, I32_ADD, f.get(i), f.i32(2), I32_SHL, I32_ADD, f.set(dp));
        [r0, r1, r2, r3].forEach((r, k) => {
          f.emit(f.get(sp), V_LOAD, f.set(r));
          if (k < 3) f.emit(f.addTo(sp, rowB));
        });
        f.emit(f.get(r0), f.get(r1), shuffle([0, 4, 1, 5]), f.set(t0));
        f.emit(f.get(r0), f.get(r1), shuffle([2, 6, 3, 7]), f.set(t1));
        f.emit(f.get(r2), f.get(r3), shuffle([0, 4, 1, 5]), f.set(t2));
        f.emit(f.get(r2), f.get(r3), shuffle([2, 6, 3, 7]), f.set(t3));
        const outs: [number, number, number[]][] = [
          [t0, t2, [0, 1, 4, 5]],
          [t0, t2, [2, 3, 6, 7]],
          [t1, t3, [0, 1, 4, 5]],
          [t1, t3, [2, 3, 6, 7]],
        ];
        outs.forEach(([a, b, l], k) => {
          f.emit(f.get(dp), f.get(a), f.get(b), shuffle(l), V_STORE);
          if (k < 3) f.emit(f.addTo(dp, colB));
        });
      }
      f.emit(f.inc(i, 4), f.get(i), f.get(iEnd), I32_LT_U, 0x0d, 0x00, 0x0b); // br_if loop; end loop
    });
    });
    f.emit(f.addTo(SRC, plane), f.addTo(DST, plane));
  });
  return f;
}

// headCopy(tok, head, B, T, H, hdBytes, tokRowBytes, scale, toHeads): moves hd-float blocks between
// a token-major layout (row (b, t) at tok + (b·T + t)·tokRowBytes, head h at + h·hdBytes) and a
// head-major one ([B·H, T, hd] at head), multiplying by scale; toHeads ≠ 0: tok → head, else back.
function headCopy(): Fn {
  const f = new Fn("headCopy", [I32, I32, I32, I32, I32, I32, I32, F32, I32]);
  const [TOK, HEAD, B, T, H, HDB, ROWB, SCALE, TO] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const b = f.local(I32);
  const t = f.local(I32);
  const h = f.local(I32);
  const j = f.local(I32);
  const tp = f.local(I32);
  const hp = f.local(I32);
  const src = f.local(I32);
  const dst = f.local(I32);
  const sv = f.local(V128);
  const I32_MUL = 0x6c;
  f.emit(f.get(SCALE), V_SPLAT, f.set(sv));
  forLoop(f, b, B, 1, () => {
    forLoop(f, t, T, 1, () => {
      forLoop(f, h, H, 1, () => {
        // tp = tok + (b·T + t)·rowB + h·hdB ; hp = head + ((b·H + h)·T + t)·hdB
        f.emit(f.get(TOK), f.get(b), f.get(T), I32_MUL, f.get(t), I32_ADD, f.get(ROWB), I32_MUL, I32_ADD, f.get(h), f.get(HDB), I32_MUL, I32_ADD, f.set(tp));
        f.emit(f.get(HEAD), f.get(b), f.get(H), I32_MUL, f.get(h), I32_ADD, f.get(T), I32_MUL, f.get(t), I32_ADD, f.get(HDB), I32_MUL, I32_ADD, f.set(hp));
        f.emit(f.get(tp), f.get(hp), f.get(TO), 0x1b /* select */, f.set(src));
        f.emit(f.get(hp), f.get(tp), f.get(TO), 0x1b, f.set(dst));
        forLoop(f, j, HDB, 16, () => {
          f.emit(addr(f, dst, j), addr(f, src, j), V_LOAD, f.get(sv), V_MUL, V_STORE);
        });
      });
    });
  });
  return f;
}

// adam(p, g, m, v, pOut, mOut, vOut, nBytes, beta1, beta2, c1, c2, stepSize, invBc2, eps, decay):
// m' = β1·m + c1·g, v' = β2·v + c2·g², p' = p - stepSize·m' / (√(v'·invBc2) + eps) - decay·p.
function adam(): Fn {
  const f = new Fn("adam", [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32]);
  const [P, G, M, V, PO, MO, VO, N] = [0, 1, 2, 3, 4, 5, 6, 7];
  const consts = [8, 9, 10, 11, 12, 13, 14, 15].map((param) => {
    const l = f.local(V128);
    f.emit(f.get(param), V_SPLAT, f.set(l));
    return l;
  });
  const [b1, b2, c1, c2, step, ibc2, eps, decay] = consts;
  const i = f.local(I32);
  const g = f.local(V128);
  const m = f.local(V128);
  const v = f.local(V128);
  const p = f.local(V128);
  const V_SQRT = simd(0xe3);
  const V_DIV = simd(0xe7);
  forLoop(f, i, N, 16, () => {
    f.emit(addr(f, G, i), V_LOAD, f.set(g));
    f.emit(f.get(b1), addr(f, M, i), V_LOAD, V_MUL, f.get(c1), f.get(g), V_MUL, V_ADD, f.set(m));
    f.emit(f.get(b2), addr(f, V, i), V_LOAD, V_MUL, f.get(c2), f.get(g), V_MUL, f.get(g), V_MUL, V_ADD, f.set(v));
    f.emit(addr(f, MO, i), f.get(m), V_STORE, addr(f, VO, i), f.get(v), V_STORE);
    f.emit(addr(f, P, i), V_LOAD, f.set(p));
    f.emit(addr(f, PO, i));
    f.emit(f.get(p), f.get(step), f.get(m), V_MUL, f.get(v), f.get(ibc2), V_MUL, V_SQRT, f.get(eps), V_ADD, V_DIV, V_SUB);
    f.emit(f.get(decay), f.get(p), V_MUL, V_SUB, V_STORE);
  });
  return f;
}

// colSum(x, out, rows, nBytes): out[j] += Σ_row x[row, j] (out zeroed by the caller)
function colSum(): Fn {
  const f = new Fn("colSum", [I32, I32, I32, I32]);
  const [X, OUT, ROWS, NB] = [0, 1, 2, 3];
  const row = f.local(I32);
  const j = f.local(I32);
  const o = f.local(I32);
  f.emit(f.i32(0), f.set(o));
  forLoop(f, row, ROWS, 1, () => {
    forLoop(f, j, NB, 16, () => {
      f.emit(addr(f, OUT, j), addr(f, OUT, j), V_LOAD, f.get(X), f.get(o), I32_ADD, f.get(j), I32_ADD, V_LOAD, V_ADD, V_STORE);
    });
    f.emit(f.addTo(o, NB));
  });
  return f;
}

/** Module bytes importing `env.memory` (`shared` for the threaded backend). */
export function simdKernelModuleBytes(shared: boolean): Uint8Array {
  const fns = [geluArg(), geluGrad(), lnFwd(), lnGrad(), softmaxGrad(), scaleRows(), transpose(), headCopy(), adam(), colSum()];
  const types = fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]);
  const memLimits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...memLimits]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, [...uleb(fns.length), ...fns.flatMap((f) => f.body())]),
  ];
  return new Uint8Array(bytes);
}

/** The exported kernels; every pointer is a byte offset into the imported memory. */
export interface SimdKernels {
  geluArg(x: number, u: number, nBytes: number, c1: number, c3: number): void;
  geluGrad(dy: number, x: number, s: number, dx: number, nBytes: number, c1: number, c3: number): void;
  lnFwd(x: number, g: number, b: number, y: number, xhat: number, r: number, rows: number, dBytes: number, eps: number): void;
  lnGrad(dy: number, xhat: number, r: number, g: number, dx: number, dg: number, db: number, rows: number, dBytes: number): void;
  softmaxGrad(p: number, dp: number, ds: number, rows: number, nBytes: number): void;
  scaleRows(p: number, w: number, dz: number, rows: number, nBytes: number, g: number): void;
  /** `[batch, rows, cols]` → `[batch, cols, rows]`; rows and cols multiples of 4 (counts, not bytes). */
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  /** Token-major ↔ head-major blocks of `hdBytes` (a multiple of 16), scaled; see the generator. */
  headCopy(tok: number, head: number, B: number, T: number, H: number, hdBytes: number, tokRowBytes: number, scale: number, toHeads: number): void;
  /** Column sums of `[rows, nBytes / 4]` added into `out` (zero it first). */
  colSum(x: number, out: number, rows: number, nBytes: number): void;
  /** One Adam update of `nBytes / 4` floats (a multiple of 4) into fresh outputs. */
  adam(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, nBytes: number, beta1: number, beta2: number, c1: number, c2: number, stepSize: number, invBc2: number, eps: number, decay: number): void;
}

const cache = new WeakMap<object, SimdKernels | null>();

/**
 * The kernels instantiated on `memory` (cached per memory), or `null` when this engine lacks
 * WebAssembly SIMD or the memory cannot be imported (callers then use the JS loops).
 */
export function simdKernelsFor(memory: WasmMemory | undefined): SimdKernels | null {
  if (!memory || !WebAssemblyApi) return null;
  if (cache.has(memory)) return cache.get(memory)!;
  let k: SimdKernels | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const mod = new WebAssemblyApi.Module(simdKernelModuleBytes(shared));
    k = new WebAssemblyApi.Instance(mod, { env: { memory } }).exports as unknown as SimdKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
