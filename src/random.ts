/**
 * Seeded randomness. Every random draw in the kit comes from an {@link Rng} built from an
 * explicit seed, so the same seed on the same backend gives the same numbers.
 *
 * The generator is seedrandom's `alea` (a well-tested, fast PRNG with a 2^116 period).
 * Child streams are derived by name with {@link splitSeed}, so adding a new consumer of
 * randomness never shifts the draws of an existing one.
 *
 * @module
 */
import { InputError } from "./array";
import seedrandom from "seedrandom";

/** A seeded random stream. */
export interface Rng {
  /** The seed this stream was built from (a non-negative 32-bit integer). */
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). Throws on n < 1. */
  int(n: number): number;
  /** Standard normal draw (Box–Muller). */
  normal(): number;
  /** A 32-bit integer seed for a TF.js initializer or a child stream. */
  seedInt(): number;
}

/**
 * Build a seeded stream.
 * @param seed any integer; it is reduced to an unsigned 32-bit value.
 * @example
 * const rng = rng(42); rng.next(); // 0.2… (always the same)
 */
export function rng(seed: number): Rng {
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new InputError(`invalid seed; need an integer, got ${seed}`);
  }
  const s = seed >>> 0;
  const gen = seedrandom.alea(String(s));
  let spare: number | null = null;
  const next = () => gen();
  return {
    seed: s,
    next,
    int(n: number) {
      if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`invalid n for int(); need an integer ≥ 1, got ${n}`);
      return Math.floor(next() * n);
    },
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      // Box–Muller; 1 - u keeps the log argument in (0, 1].
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    seedInt() {
      return (gen.int32() >>> 0);
    },
  };
}

/**
 * Derive a child seed from a parent seed and a name (FNV-1a over the name, mixed with the
 * parent). Named children keep streams independent: `splitSeed(7, "world")` never changes when
 * another consumer such as `splitSeed(7, "init")` is added.
 */
export function splitSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One round of murmur3's finaliser so that nearby seeds give unrelated children.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fisher–Yates shuffle of a copy of `xs`, driven by `r`. The input is not modified. */
export function shuffle<T>(xs: readonly T[], r: Rng): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A permutation of `0..n-1`, drawn from `r`. */
export function permutation(n: number, r: Rng): number[] {
  return shuffle(Array.from({ length: n }, (_, i) => i), r);
}

/** Draw `k` distinct indices from `0..n-1` without replacement (partial Fisher–Yates). */
export function sampleIndices(n: number, k: number, r: Rng): number[] {
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) {
    throw new InputError(`invalid k for sampleIndices; need 0 ≤ k ≤ n = ${n}, got ${k}`);
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + r.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k);
}

/** Pick one element of a non-empty array. */
export function choice<T>(xs: readonly T[], r: Rng): T {
  if (xs.length === 0) throw new InputError("choice() from an empty array");
  return xs[r.int(xs.length)];
}

/** A Float32Array of standard-normal draws (for test fixtures and synthetic embeddings). */
export function normalArray(length: number, r: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = r.normal();
  return out;
}
