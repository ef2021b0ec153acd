import { test } from "node:test";
import assert from "node:assert/strict";
import { rng, splitSeed, shuffle, permutation, sampleIndices } from "../src/random";

test("the same seed gives the same stream; different seeds differ", () => {
  const a = rng(42), b = rng(42), c = rng(43);
  const xs = [a.next(), a.next(), a.next()];
  assert.deepEqual([b.next(), b.next(), b.next()], xs);
  assert.notDeepEqual([c.next(), c.next(), c.next()], xs);
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test("normal draws have mean ≈ 0 and variance ≈ 1 (n = 20000; 5-sigma tolerance)", () => {
  const r = rng(1);
  const n = 20000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
});

test("splitSeed is stable by name and separates names", () => {
  assert.equal(splitSeed(7, "world"), splitSeed(7, "world"));
  assert.notEqual(splitSeed(7, "world"), splitSeed(7, "init"));
  assert.notEqual(splitSeed(7, "world"), splitSeed(8, "world"));
});

test("shuffle and permutation are permutations; sampleIndices is distinct", () => {
  const p = permutation(50, rng(3));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  const xs = ["a", "b", "c", "d"];
  const s = shuffle(xs, rng(3));
  assert.deepEqual([...s].sort(), xs);
  assert.deepEqual(xs, ["a", "b", "c", "d"], "input untouched");
  const k = sampleIndices(100, 30, rng(9));
  assert.equal(new Set(k).size, 30);
  assert.throws(() => sampleIndices(5, 6, rng(0)), /invalid k/);
  assert.throws(() => rng(1.5), /invalid seed; need an integer, got 1.5/);
});
