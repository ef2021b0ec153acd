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

test("pretraining with caption corruption: corrupted items are captioned with their donor's captions, everything else is bit-identical, and the corruption is part of the run identity", async () => {
  const { initBackend } = await import("../src/backend");
  const { pretrainSpec, pretrainDir, specConfig, specData } = await import("../src/organism/family");
  const { createOrganism, disposeOrganism, featureCacheSpec } = await import("../src/organism/model");
  const { sampleSequences } = await import("../src/organism/pretrain");
  const { buildSequence } = await import("../src/organism/data");
  await initBackend();
  const plain = pretrainSpec("smoke", "S");
  const corrupt = pretrainSpec("smoke", "S", { captionCorruption: { rate: 0.5, seed: 2 } });
  const d0 = specData(plain);
  const d1 = specData(corrupt);
  assert.equal(d0.captionDonors, undefined);
  assert.equal(d1.items, d0.items, "same items, features and tokenizer");
  assert.equal(d1.captionDonors!.size, Math.round(0.5 * d0.splits.train.length));
  const meta = d1.meta!.captionCorruption as { corrupted: number; effective: number };
  assert.equal(meta.corrupted, d1.captionDonors!.size);
  assert.ok(meta.effective > 0.3 && meta.effective <= 0.5, `effective rate ${meta.effective}`);
  assert.equal(specData(pretrainSpec("smoke", "S", { captionCorruption: { rate: 0, seed: 2 } })).captionDonors, undefined);

  const model = createOrganism(specConfig(plain, d0.tokenizer.vocabSize), featureCacheSpec(d0.cache), 0);
  try {
    let corruptedSeqs = 0;
    for (const step of [0, 7, 31]) {
      const a = sampleSequences(model, d0, 1, step);
      const b = sampleSequences(model, d1, 1, step);
      assert.equal(a.length, b.length);
      a.forEach((sa, i) => {
        const sb = b[i];
        assert.equal(sb.item, sa.item);
        assert.equal(sb.modality, sa.modality);
        assert.equal(sb.task, sa.task);
        const donor = d1.captionDonors!.get(sa.item);
        if (sa.task === "caption" && sa.modality !== "text" && donor !== undefined) {
          corruptedSeqs++;
          // The donor's caption (the same paraphrase index the clean run drew, or its document caption).
          const it = d0.items[donor];
          const ok = it.captions.some((_, c) => JSON.stringify(buildSequence(d0.tokenizer, it, sa.item, sa.modality, "caption", model.config.answerFormat, c).ids) === JSON.stringify(sb.ids));
          assert.ok(ok, `sequence ${i} (item ${sa.item}) is not captioned with donor ${donor}'s captions`);
        } else {
          assert.deepEqual(sb.ids, sa.ids, `sequence ${i} (${sa.modality} ${sa.task}) must not change`);
        }
      });
    }
    assert.ok(corruptedSeqs > 0, "some captioning sequences were corrupted");
  } finally {
    disposeOrganism(model);
  }
  // Run identity: no corruption keeps the old folder; a setting gets its own, per rate and seed.
  const dirs = [plain, corrupt, pretrainSpec("smoke", "S", { captionCorruption: { rate: 0.5, seed: 3 } }), pretrainSpec("smoke", "S", { captionCorruption: { rate: 0.1, seed: 2 } })].map((s) => pretrainDir("runs", s, 0));
  assert.equal(new Set(dirs).size, 4);
  assert.equal(dirs[0], pretrainDir("runs", pretrainSpec("smoke", "S", {}), 0));
  assert.throws(() => specData(pretrainSpec("smoke", "S", { captionCorruption: { rate: 2, seed: 0 } })), /rate; need 0 ≤ rate ≤ 1, got 2/);
});
