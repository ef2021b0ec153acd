/**
 * Caption corruption: the intervention arm of the GRSL sweep. A share of the pretraining items
 * get the captions of another item as their captioning targets, so the model learns to generate
 * worse captions while size, steps, data and everything else stay the same. It is a dial on
 * generative quality, which turns the GRSL correlation into an experiment.
 *
 * How: `round(rate · n)` training items are chosen with a seeded shuffle and put in a ring; each
 * takes the captions of the next one. Every chosen item therefore donates its captions exactly
 * once: the captions the model sees keep their frequencies (word statistics, lengths, the text
 * LM), and only the pairing between input and caption is broken. Only the captioning task is
 * affected (image, audio, document → caption); text language modelling and the summarize
 * instruction keep their true targets.
 *
 * The corruption (rate and seed) is part of a pretraining run's identity.
 *
 * @module
 */
import { InputError } from "../array";
import { rng } from "../random";

/** A caption corruption setting. */
export interface CaptionCorruption {
  /** Share of training items whose captions are replaced, in [0, 1]. The sweep uses 0, 0.1, 0.3, 0.5. */
  rate: number;
  /** Seed of the choice of items and of their ring order. */
  seed: number;
}

/**
 * Check a corruption setting and return it.
 * @throws InputError naming the bad rate or seed.
 */
export function checkCorruption(c: CaptionCorruption): CaptionCorruption {
  if (!(typeof c.rate === "number" && c.rate >= 0 && c.rate <= 1)) throw new InputError(`invalid caption corruption rate; need 0 ≤ rate ≤ 1, got ${c.rate}`);
  if (!Number.isInteger(c.seed)) throw new InputError(`invalid caption corruption seed; need an integer, got ${c.seed}`);
  return c;
}

/**
 * The donors of a corruption: item index → index of the item whose captions it is trained on.
 * Items not in the map keep their own captions.
 *
 * @param train indices of the training items (e.g. `data.splits.train`), distinct.
 * @returns a map with `round(rate · train.length)` entries (none when that is below 2: a single
 *   item cannot swap with anyone inside the set, and rounding a tiny rate to one swap would
 *   corrupt nothing reproducibly).
 * @example captionDonors([0, 1, 2, 3], { rate: 0.5, seed: 1 }) // e.g. Map {3 → 0, 0 → 3}
 * @throws InputError for a bad setting or repeated indices.
 */
export function captionDonors(train: readonly number[], corruption: CaptionCorruption): Map<number, number> {
  checkCorruption(corruption);
  if (new Set(train).size !== train.length) throw new InputError("captionDonors: the training indices contain repeats");
  const k = Math.round(corruption.rate * train.length);
  const donors = new Map<number, number>();
  if (k < 2) return donors;
  // Partial Fisher–Yates: the first k positions are a uniformly random ordered k-subset.
  const r = rng(corruption.seed);
  const pool = train.slice();
  for (let i = 0; i < k; i++) {
    const j = i + r.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  for (let i = 0; i < k; i++) donors.set(pool[i], pool[(i + 1) % k]);
  return donors;
}

/**
 * The share of training items whose caption targets really changed: a donor with the same
 * canonical caption (the same scene drawn twice) corrupts nothing.
 * @param canonicalCaption caption of an item index (e.g. `(i) => data.items[i].captions[0]`).
 */
export function effectiveCorruption(train: readonly number[], donors: ReadonlyMap<number, number>, canonicalCaption: (item: number) => string): number {
  if (train.length === 0) return 0;
  let changed = 0;
  for (const [item, donor] of donors) if (canonicalCaption(item) !== canonicalCaption(donor)) changed++;
  return changed / train.length;
}
