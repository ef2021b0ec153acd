/**
 * The world generator: meanings, captions, summaries, splits and text-only triples.
 *
 * Rendering (pixels, sound) lives in `render.ts`; this file only decides *what* each item
 * means and how it is said.
 *
 * @module
 */
import { InputError } from "../array";
import { rng, splitSeed, shuffle, sampleIndices, type Rng } from "../random";
import type { Attribute, AssetBundle, Item, Meaning, Modality, ObjectSpec, Split, Summary, SummaryFormat, TextPair, World, WorldConfig } from "./types";
import { validateConfig } from "./config";

/** How a position is said in a caption. */
const POSITION_PHRASE: Record<string, string> = {
  left: "on the left",
  right: "on the right",
  top: "at the top",
  bottom: "at the bottom",
};

/** How a relation is said, and its inverse (used for the inverted paraphrase). */
const RELATION_PHRASE: Record<string, string> = {
  "left of": "to the left of",
  "right of": "to the right of",
  above: "above",
  below: "below",
};
const RELATION_INVERSE: Record<string, string> = {
  "left of": "right of",
  "right of": "left of",
  above: "below",
  below: "above",
};

/** Caption templates for one object: {s} size, {c} colour, {o} object, {P} position phrase. */
const TEMPLATES_1 = [
  "a {s} {c} {o} {P}",
  "{P} there is a {s} {c} {o}",
  "the {o} {P} is {c} and {s}",
  "there is a {s} {o} {P} and it is {c}",
  "{P} you can see a {c} {o} which is {s}",
  "a {c} {o} of {s} size {P}",
];

/**
 * Caption templates for two objects: {A}/{B} are "size colour object" phrases, {R} the relation
 * phrase of A to B and {I} the inverse relation phrase (B to A), so template 1 is the inverted
 * paraphrase "a B is right of a A".
 */
const TEMPLATES_2 = [
  "a {A} is {R} a {B}",
  "a {B} is {I} a {A}",
  "there is a {A} {R} a {B}",
  "a {A} sits {R} a {B}",
  "{R} a {B} there is a {A}",
];

/**
 * The canonical form of a two-object meaning. "A right of B" says the same as "B left of A", so
 * scenes only use the canonical relations `"left of"` and `"above"`; `"right of"` and `"below"`
 * appear in captions only through the inverted paraphrase. Without this, one picture would have
 * two scene ids and retrieval would count a correct match as wrong. One-object meanings are
 * returned unchanged.
 */
export function canonicalMeaning(m: Meaning): Meaning {
  if (m.objects.length !== 2 || m.relation === undefined) return m;
  if (m.relation === "right of") return { objects: [m.objects[1], m.objects[0]], relation: "left of" };
  if (m.relation === "below") return { objects: [m.objects[1], m.objects[0]], relation: "above" };
  return m;
}

/** Number of caption paraphrases per item for a config. */
export function nCaptions(cfg: WorldConfig): number {
  return cfg.nObjects === 1 ? TEMPLATES_1.length : TEMPLATES_2.length;
}

function objectPhrase(o: ObjectSpec): string {
  return `${o.size} ${o.colour} ${o.object}`;
}

/** Caption `template` (0-based) of a meaning. Throws on an out-of-range template. */
export function caption(meaning: Meaning, template: number): string {
  if (meaning.objects.length === 1) {
    if (!(template >= 0 && template < TEMPLATES_1.length)) throw new InputError(`invalid template ${template}; need 0 ≤ t < ${TEMPLATES_1.length}`);
    const o = meaning.objects[0];
    const P = POSITION_PHRASE[meaning.position ?? ""];
    if (P === undefined) throw new InputError(`invalid position "${meaning.position}"`);
    return TEMPLATES_1[template].replace("{s}", o.size).replace("{c}", o.colour).replace("{o}", o.object).replace("{P}", P);
  }
  if (!(template >= 0 && template < TEMPLATES_2.length)) throw new InputError(`invalid template ${template}; need 0 ≤ t < ${TEMPLATES_2.length}`);
  const r = meaning.relation ?? "";
  if (!(r in RELATION_PHRASE)) throw new InputError(`invalid relation "${r}"`);
  return TEMPLATES_2[template]
    .replace("{A}", objectPhrase(meaning.objects[0]))
    .replace("{B}", objectPhrase(meaning.objects[1]))
    .replace("{R}", RELATION_PHRASE[r])
    .replace("{I}", RELATION_PHRASE[RELATION_INVERSE[r]]);
}

/** All paraphrases of a meaning, in template order. */
export function captionsOf(meaning: Meaning): string[] {
  const n = meaning.objects.length === 1 ? TEMPLATES_1.length : TEMPLATES_2.length;
  return Array.from({ length: n }, (_, t) => caption(meaning, t));
}

/**
 * Parse a caption back into its meaning, or `null` if it is not a well-formed caption of this
 * config's world. Used to score greedy captioning ("is the generated caption correct?") and by
 * the tests. Matching is exact on whitespace-normalised lower-case text. Two-object meanings are
 * returned in canonical form ({@link canonicalMeaning}), so every paraphrase parses to the same
 * meaning.
 */
export function parseCaption(text: string, cfg: WorldConfig): Meaning | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, " ");
  const alt = (xs: readonly string[]) => `(${xs.map((x) => x.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&")).join("|")})`;
  const S = alt(cfg.sizes), C = alt(cfg.colours), O = alt(cfg.objects);
  if (cfg.nObjects === 1) {
    const phrases = cfg.positions.map((p) => POSITION_PHRASE[p]);
    for (const tpl of TEMPLATES_1) {
      // Record the order of the slots in this template, then build one regex.
      const order: string[] = [];
      const re = tpl.replace(/\{(s|c|o|P)\}/g, (_, k: string) => {
        order.push(k);
        return k === "s" ? S : k === "c" ? C : k === "o" ? O : alt(phrases);
      });
      const m = new RegExp(`^${re}$`).exec(t);
      if (!m) continue;
      const v: Record<string, string> = {};
      order.forEach((k, i) => (v[k] = m[i + 1]));
      const position = cfg.positions.find((p) => POSITION_PHRASE[p] === v.P)!;
      return { objects: [{ size: v.s, colour: v.c, object: v.o }], position };
    }
    return null;
  }
  const OBJ = `${S} ${C} ${O}`;
  // Captions may use any of the four relation phrases (the inverted paraphrase uses the inverse).
  const allRel = Object.keys(RELATION_PHRASE);
  const rel = allRel.map((r) => RELATION_PHRASE[r]);
  const invRel = rel;
  for (const tpl of TEMPLATES_2) {
    const order: string[] = [];
    const re = tpl.replace(/\{(A|B|R|I)\}/g, (_, k: string) => {
      order.push(k);
      return k === "A" || k === "B" ? OBJ : k === "R" ? alt(rel) : alt(invRel);
    });
    const m = new RegExp(`^${re}$`).exec(t);
    if (!m) continue;
    const v: Record<string, string | ObjectSpec> = {};
    let g = 1;
    for (const k of order) {
      if (k === "A" || k === "B") {
        v[k] = { size: m[g], colour: m[g + 1], object: m[g + 2] };
        g += 3;
      } else v[k] = m[g++];
    }
    let relation: string | undefined;
    if (v.R !== undefined) relation = allRel.find((r) => RELATION_PHRASE[r] === v.R);
    else relation = allRel.find((r) => RELATION_PHRASE[RELATION_INVERSE[r]] === v.I);
    if (relation === undefined) return null;
    const canon = canonicalMeaning({ objects: [v.A as ObjectSpec, v.B as ObjectSpec], relation });
    return cfg.relations.includes(canon.relation!) ? canon : null;
  }
  return null;
}

/** The value of one attribute of object `k` (position/relation are scene-level). */
function attrValue(meaning: Meaning, a: Attribute, k: number): string {
  if (a === "position") return meaning.relation ?? meaning.position ?? "";
  return meaning.objects[k][a];
}

/**
 * The summary answer of a meaning in both formats, naming `attributes` in that order.
 * One object: `word` = `big-red-circle-left`, `fewWords` = `big red circle left`.
 * Two objects: the first object's attributes, the relation (if `position` is named), then the
 * second object's attributes: `big red circle left of small blue square`. (In a two-object world
 * the compound word is nearly a scene id, one token per scene: prefer `fewWords` there.)
 */
export function summarize(meaning: Meaning, attributes: readonly Attribute[]): Summary {
  const words: string[] = [];
  if (meaning.objects.length === 1) {
    for (const a of attributes) words.push(attrValue(meaning, a, 0));
  } else {
    const objAttrs = attributes.filter((a) => a !== "position");
    for (const a of objAttrs) words.push(attrValue(meaning, a, 0));
    if (attributes.includes("position")) words.push(meaning.relation ?? "");
    for (const a of objAttrs) words.push(attrValue(meaning, a, 1));
  }
  const fewWords = words.join(" ");
  return { word: fewWords.replace(/ /g, "-"), fewWords };
}

/** The summary answer the config selects (`word` or `fewWords`). */
export function summaryOf(item: Item, format: SummaryFormat): string {
  return format === "one-word" ? item.summary.word : item.summary.fewWords;
}

/** Modality names as they appear in the summarize prompt. */
const MODALITY_NOUN: Record<Modality, string> = { text: "text", image: "image", audio: "audio", document: "document", video: "video" };

/**
 * The paper's summarize prompt for a modality: `"Summarize the above image in one word:"`, or
 * for few-word answers `"Summarize the above image in a few words:"`. The embedding is the
 * last-token state at the end of this prompt, before any answer token. The one summarize prompt
 * of the kit: the tokenizer is fitted on it (`worldTexts`) and the organism's sequences use it.
 */
export function summaryPrompt(modality: Modality, format: SummaryFormat = "one-word"): string {
  return format === "one-word"
    ? `Summarize the above ${MODALITY_NOUN[modality]} in one word:`
    : `Summarize the above ${MODALITY_NOUN[modality]} in a few words:`;
}

/** True if object `o` is a held-out colour–object combination of the config. */
export function isHeldOut(o: ObjectSpec, cfg: WorldConfig): boolean {
  return cfg.heldOut.some(([c, obj]) => c === o.colour && obj === o.object);
}

/** True if any object of the meaning is a held-out combination. */
export function mentionsHeldOut(meaning: Meaning, cfg: WorldConfig): boolean {
  return meaning.objects.some((o) => isHeldOut(o, cfg));
}

/** A readable scene key, e.g. `big|red|circle|left` or `big|red|circle|left of|small|blue|square`. */
export function sceneKey(meaning: Meaning): string {
  const o = meaning.objects;
  const a = `${o[0].size}|${o[0].colour}|${o[0].object}`;
  return o.length === 1 ? `${a}|${meaning.position}` : `${a}|${meaning.relation}|${o[1].size}|${o[1].colour}|${o[1].object}`;
}

/** Every one-object spec of the config (size × colour × object). */
function allObjects(cfg: WorldConfig): ObjectSpec[] {
  const out: ObjectSpec[] = [];
  for (const size of cfg.sizes) for (const colour of cfg.colours) for (const object of cfg.objects) out.push({ size, colour, object });
  return out;
}

/** Decode scene number `k` of the two-object world (objects A ≠ B). */
function twoObjectScene(k: number, objs: ObjectSpec[], relations: readonly string[]): Meaning | null {
  const n = objs.length;
  const r = k % relations.length;
  const ab = Math.floor(k / relations.length);
  const a = Math.floor(ab / n), b = ab % n;
  if (a === b) return null;
  return { objects: [objs[a], objs[b]], relation: relations[r] };
}

/** All scene meanings, split by whether they mention a held-out combination. Two-object worlds are sampled (≤ maxScenes training scenes). */
function scenes(cfg: WorldConfig, r: Rng): { train: Meaning[]; ood: Meaning[] } {
  const train: Meaning[] = [];
  const ood: Meaning[] = [];
  const objs = allObjects(cfg);
  if (cfg.nObjects === 1) {
    for (const o of objs) for (const position of cfg.positions) {
      const m: Meaning = { objects: [o], position };
      (mentionsHeldOut(m, cfg) ? ood : train).push(m);
    }
    return { train, ood };
  }
  // Two objects: there are (#objects)² × #relations scenes; enumerate them by number and sample.
  const total = objs.length * objs.length * cfg.relations.length;
  const nEval = Math.max(1, Math.floor(cfg.maxScenes / 4));
  const order = sampleIndices(total, Math.min(total, cfg.maxScenes * 3), r);
  for (const k of order) {
    const m = twoObjectScene(k, objs, cfg.relations);
    if (m === null) continue;
    if (mentionsHeldOut(m, cfg)) {
      if (ood.length < nEval) ood.push(m);
    } else if (train.length < cfg.maxScenes) train.push(m);
  }
  return { train, ood };
}

/** Change exactly one attribute (or the relation) of a meaning, avoiding held-out combinations. Returns null if no such change exists. */
function hardNegative(m: Meaning, cfg: WorldConfig, r: Rng): { meaning: Meaning; changed: Attribute | "relation" } | null {
  const options: { meaning: Meaning; changed: Attribute | "relation" }[] = [];
  const objAttrs: ("size" | "colour" | "object")[] = ["size", "colour", "object"];
  const vocab = { size: cfg.sizes, colour: cfg.colours, object: cfg.objects };
  m.objects.forEach((o, k) => {
    for (const a of objAttrs) for (const v of vocab[a]) {
      if (v === o[a]) continue;
      const objects = m.objects.map((x, j) => (j === k ? { ...x, [a]: v } : x));
      options.push({ meaning: { ...m, objects }, changed: a });
    }
  });
  if (m.objects.length === 1) {
    for (const p of cfg.positions) if (p !== m.position) options.push({ meaning: { ...m, position: p }, changed: "position" });
  } else {
    // A changed relation: another canonical relation, or the reversed one (A right of B, which
    // canonically is B left of A: the classic "swapped relation" contradiction).
    for (const rel of cfg.relations) if (rel !== m.relation) options.push({ meaning: { ...m, relation: rel }, changed: "relation" });
    options.push({ meaning: { objects: [m.objects[1], m.objects[0]], relation: m.relation }, changed: "relation" });
  }
  // Hard negatives must never mention a held-out combination: that would leak OOD vocabulary
  // (colour–object pairs) into training text (organism-notes, pitfalls). Two-object negatives
  // must also keep the two objects distinct.
  const distinct = (x: Meaning) => {
    if (x.objects.length === 1) return true;
    const [a, b] = x.objects;
    return a.size !== b.size || a.colour !== b.colour || a.object !== b.object;
  };
  const ok = options.filter((x) => !mentionsHeldOut(x.meaning, cfg) && distinct(x.meaning));
  if (ok.length === 0) return null;
  // Choose the attribute first, then a value, so each attribute is changed equally often.
  const kinds = [...new Set(ok.map((x) => x.changed))];
  const kind = kinds[r.int(kinds.length)];
  const ofKind = ok.filter((x) => x.changed === kind);
  return ofKind[r.int(ofKind.length)];
}

/**
 * Generate a world: items in three splits, and text-only contrastive triples.
 *
 * - `train`: `trainRepeats` renders of every scene without a held-out combination;
 * - `iid`: one fresh render (new jitter, so never pixel-identical to a training item) of every
 *   training scene (two-object worlds: of a sample of them): training-like compositions;
 * - `ood`: one render of every scene containing a held-out colour–object combination, which no
 *   training item, caption or text triple ever mentions.
 *
 * Items are ordered train, iid, ood; `items[i].id === i`. Same config and seed → identical world.
 *
 * @param cfg from `worldConfig(profile, overrides)`.
 * @param seed any integer.
 * @param assets the real asset bundle (`loadAssets()`), required when `cfg.mode === "real"`.
 */
export function generateWorld(cfg: WorldConfig, seed: number, assets: AssetBundle | null = null): World {
  validateConfig(cfg);
  if (cfg.mode === "real") {
    if (assets === null) throw new InputError(`world mode "real" needs an asset bundle; call loadAssets() (or use mode "procedural")`);
    for (const o of cfg.objects) if (!assets.sprites.has(o)) throw new InputError(`real asset cache has no picture for object "${o}"; available: ${[...assets.sprites.keys()].join(", ")}`);
  }
  const sceneRng = rng(splitSeed(seed, "world/scenes"));
  const renderRng = rng(splitSeed(seed, "world/render"));
  const pairRng = rng(splitSeed(seed, "world/pairs"));
  const { train, ood } = scenes(cfg, sceneRng);
  const nIid = cfg.nObjects === 1 ? train.length : Math.min(train.length, Math.max(1, Math.floor(cfg.maxScenes / 4)));
  const iid = cfg.nObjects === 1 ? train : sampleIndices(train.length, nIid, sceneRng).sort((a, b) => a - b).map((i) => train[i]);

  const items: Item[] = [];
  const add = (meaning: Meaning, split: Split) => {
    items.push({
      id: items.length,
      scene: sceneKey(meaning),
      meaning,
      captions: captionsOf(meaning),
      summary: summarize(meaning, cfg.summaryAttributes),
      split,
      renderSeed: renderRng.seedInt(),
    });
  };
  for (let rep = 0; rep < cfg.trainRepeats; rep++) for (const m of train) add(m, "train");
  for (const m of iid) add(m, "iid");
  for (const m of ood) add(m, "ood");

  const splits: Record<Split, number[]> = { train: [], iid: [], ood: [] };
  for (const it of items) splits[it.split].push(it.id);

  // Text triples from the first render of each training scene only.
  const textPairs: TextPair[] = [];
  const nT = nCaptions(cfg);
  for (let s = 0; s < train.length; s++) {
    const it = items[s];
    for (let p = 0; p < cfg.pairsPerScene; p++) {
      const neg = hardNegative(it.meaning, cfg, pairRng);
      if (neg === null) continue;
      const ta = pairRng.int(nT);
      // Positive and negative templates are both drawn from the templates other than the
      // anchor's, so wording alone never tells the positive from the negative.
      const others = Array.from({ length: nT }, (_, t) => t).filter((t) => t !== ta);
      const tp = others[pairRng.int(others.length)];
      const tn = others[pairRng.int(others.length)];
      textPairs.push({
        anchor: it.captions[ta],
        positive: it.captions[tp],
        negative: caption(neg.meaning, tn),
        itemId: it.id,
        changed: neg.changed,
        negativeMeaning: neg.meaning,
      });
    }
  }
  return { config: cfg, seed, mode: cfg.mode, items, splits, textPairs: shuffle(textPairs, pairRng), assets: cfg.mode === "real" ? assets : null };
}

/**
 * Every text of the world a tokenizer must know: all captions (all splits, so held-out
 * *words* are known, although held-out *combinations* never appear in training sequences),
 * both summary formats, the summarize prompts of every modality and both formats, and the
 * text triples. Prompt words must be in the tokenizer's training text, or they keep random
 * embeddings (organism-notes, pitfalls).
 *
 * @param splits which splits' items to include (default all). With all splits, compound summary
 *   words of held-out scenes (`big-red-circle-left`) become tokens that training never shows;
 *   pass `["train"]` to leave them out (they then encode as `<unk>`).
 */
export function worldTexts(world: World, splits: readonly Split[] = ["train", "iid", "ood"]): string[] {
  const out: string[] = [];
  for (const it of world.items) {
    if (!splits.includes(it.split)) continue;
    out.push(...it.captions, it.summary.word, it.summary.fewWords);
  }
  for (const m of ["text", "image", "audio", "document", "video"] as Modality[]) {
    out.push(summaryPrompt(m, "one-word"), summaryPrompt(m, "few-words"));
  }
  for (const p of world.textPairs) out.push(p.anchor, p.positive, p.negative);
  return out;
}
