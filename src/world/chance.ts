/**
 * Chance levels of the retrieval metrics on a gallery of world items: what a random ranking
 * scores. Every metric the organism chapters report is printed next to its chance level, because
 * small galleries make chance high (48 OOD scenes: mutual-kNN@10 chance ≈ 0.21).
 *
 * @module
 */
import { InputError } from "../array";
import { chanceLevel } from "../probes/measure";
import { retrievalChance } from "../retrieval/retrieval";
import type { Attribute, World } from "./types";

/** Chance levels of one gallery (queries = gallery items, one correct match each). */
export interface ChanceLevels {
  /** Gallery size. */
  n: number;
  /** Instance R@1: 1/n. */
  r1: number;
  /** Instance R@k: k/n. */
  rk: number;
  /** Mutual-kNN@k of two unrelated embeddings: expected overlap k/(n−1). */
  mutualKnn: number;
  /** Class-R@1: the top-1 shares the query's summary class; Σ_c (n_c/n)². */
  classR1: number;
  /** Within-class R@1: mean over queries of 1/n_c (rank only among the query's own class). */
  withinClassR1: number;
  /** Attribute top-1: the top-1 shares the attribute's value; Σ_v (n_v/n)² per attribute. */
  attribute: Record<Attribute, number>;
  /** Number of summary classes in the gallery. */
  nClasses: number;
}

/**
 * Chance levels for a gallery of items (default: the whole split), with summary classes given by
 * each item's `summary.word` (so they follow `config.summaryAttributes`). A random top-1 is a
 * uniform draw from the gallery, which gives the formulas in {@link ChanceLevels}.
 * @param ids item ids of the gallery.
 * @param k neighbourhood size for R@k and mutual-kNN (paper: 10).
 */
export function chanceLevels(world: World, ids: readonly number[], k = 10): ChanceLevels {
  const n = ids.length;
  if (n < 2) throw new InputError(`a gallery needs at least 2 items, got ${n}`);
  if (!(Number.isInteger(k) && k >= 1 && k < n)) throw new InputError(`invalid k; need 1 ≤ k < n = ${n}, got ${k}`);
  const count = (key: (id: number) => string) => {
    const m = new Map<string, number>();
    for (const id of ids) m.set(key(id), (m.get(key(id)) ?? 0) + 1);
    return m;
  };
  const sumSq = (m: Map<string, number>) => [...m.values()].reduce((s, c) => s + (c / n) ** 2, 0);
  const cls = count((id) => world.items[id].summary.word);
  const item = (id: number) => world.items[id].meaning;
  // For two objects an attribute value is the pair (first object's, second object's).
  const attr = (a: Attribute) => (id: number) =>
    a === "position" ? item(id).relation ?? item(id).position ?? "" : item(id).objects.map((o) => o[a]).join("|");
  return {
    n,
    // The formulas live with the metrics (one home per chance formula).
    r1: retrievalChance(n, { ks: [1] })["recall@1"],
    rk: retrievalChance(n, { ks: [k] })[`recall@${k}`],
    mutualKnn: chanceLevel("mutual_knn", n, k)!,
    classR1: sumSq(cls),
    withinClassR1: ids.reduce((s, id) => s + 1 / cls.get(world.items[id].summary.word)!, 0) / n,
    attribute: {
      size: sumSq(count(attr("size"))),
      colour: sumSq(count(attr("colour"))),
      object: sumSq(count(attr("object"))),
      position: sumSq(count(attr("position"))),
    },
    nClasses: cls.size,
  };
}
