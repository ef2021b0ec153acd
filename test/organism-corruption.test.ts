import { test } from "node:test";
import assert from "node:assert/strict";
import { captionDonors, checkCorruption, effectiveCorruption } from "../src/organism/corruption";
import { InputError } from "../src/array";

const TRAIN = Array.from({ length: 200 }, (_, i) => 3 * i + 1); // any distinct indices

test("captionDonors corrupts round(rate · n) items, never an item with itself, and each chosen item donates exactly once", () => {
  for (const rate of [0, 0.1, 0.3, 0.5, 1]) {
    const d = captionDonors(TRAIN, { rate, seed: 7 });
    assert.equal(d.size, rate === 0 ? 0 : Math.round(rate * TRAIN.length), `rate ${rate}`);
    for (const [item, donor] of d) {
      assert.notEqual(item, donor);
      assert.ok(TRAIN.includes(item) && TRAIN.includes(donor));
    }
    // The donors are a permutation of the corrupted items: caption frequencies are unchanged.
    assert.deepEqual([...d.values()].sort((a, b) => a - b), [...d.keys()].sort((a, b) => a - b));
  }
});

test("captionDonors is seeded: same seed, same donors; another seed, other items; each item equally likely", () => {
  const a = captionDonors(TRAIN, { rate: 0.3, seed: 1 });
  assert.deepEqual([...a], [...captionDonors(TRAIN, { rate: 0.3, seed: 1 })]);
  const b = captionDonors(TRAIN, { rate: 0.3, seed: 2 });
  assert.notDeepEqual([...a.keys()].sort(), [...b.keys()].sort());
  // The order of the training list does not matter for the count, and the result is a function of the list and the setting only.
  assert.equal(captionDonors([...TRAIN].reverse(), { rate: 0.3, seed: 1 }).size, a.size);
  // Over seeds every item is about equally likely to be chosen (uniform subset): 30 % ± noise.
  let hits = 0;
  for (let s = 0; s < 200; s++) if (captionDonors(TRAIN, { rate: 0.3, seed: s }).has(TRAIN[0])) hits++;
  assert.ok(hits > 40 && hits < 80, `item 0 chosen in ${hits}/200 seeds, expected ≈ 60`);
});

test("a single swap is no swap; bad settings name the bad value", () => {
  assert.equal(captionDonors([1, 2, 3], { rate: 0.2, seed: 0 }).size, 0, "round(0.6) = 1 item cannot swap");
  assert.equal(captionDonors([1, 2, 3], { rate: 0.5, seed: 0 }).size, 2);
  assert.throws(() => checkCorruption({ rate: 30, seed: 0 }), /rate; need 0 ≤ rate ≤ 1, got 30/);
  assert.throws(() => captionDonors(TRAIN, { rate: 0.1, seed: 0.5 }), /seed; need an integer, got 0.5/);
  assert.throws(() => captionDonors([1, 1, 2], { rate: 0.5, seed: 0 }), InputError);
});

test("effectiveCorruption counts only donors whose caption differs", () => {
  const d = new Map([[1, 2], [2, 3], [3, 1]]);
  // Items 1 and 2 show the same scene: swapping them changes nothing.
  const caption = (i: number) => (i === 3 ? "b" : "a");
  assert.equal(effectiveCorruption([1, 2, 3, 4], d, caption), 2 / 4);
  assert.equal(effectiveCorruption([], new Map(), caption), 0);
});
