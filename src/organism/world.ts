/**
 * Adapter from the kit's world (`src/world`) to what the organism reads: items with their
 * rendered inputs, a tokenizer with the special ids, and the splits.
 *
 * - image: `renderImage` `[S, S, 3]` in [0, 1];
 * - audio: `renderAudio` → `logMel` `[frames, nMels]`, standardised with the mean and standard
 *   deviation over all items (so encoder inputs are O(1) like the pixels);
 * - document: `renderDocument` `[H, W]` (ink 1), the caption index the renderer chose is recorded
 *   so the reading task targets the text actually drawn.
 *
 * @module
 */
import { InputError } from "../array";
import type { Profile } from "../config";
import { documentText, generateWorld, logMel, renderAudio, renderDocument, renderImage, Tokenizer, worldConfig, worldTexts } from "../world";
import type { Item, Script, World, WorldOverrides } from "../world";
import type { AnswerFormat, Modality, OrganismConfig } from "./config";
import { buildFeatureCache, type OrganismData, type OrganismItem, type OrganismTokenizer } from "./data";

/** A world tokenizer seen through the organism's {@link OrganismTokenizer} interface. */
export function organismTokenizer(tok: Tokenizer): OrganismTokenizer & { readonly inner: Tokenizer } {
  const sp = tok.special;
  return {
    inner: tok,
    vocabSize: tok.vocabSize,
    bos: sp.bos,
    eos: sp.eos,
    pad: sp.pad,
    encode: (text: string) => tok.encode(text),
    decode: (ids: readonly number[]) => tok.decode(ids),
  };
}

/** Options of {@link organismDataFromWorld}. */
export interface WorldDataOptions {
  /** Which non-text modalities to render. Default image, audio, document. */
  modalities?: readonly Exclude<Modality, "text">[];
  /**
   * Script the documents are written in: `"latin"` (default) or `"lowres"`, the low-resource
   * script the pretraining never shows (the continual-pretraining arm reads documents in it; the
   * caption target stays the Latin caption, so the task is OCR-style reading plus transliteration).
   */
  documentScript?: Script;
}

/** Convert one world item (rendering every requested modality). */
function toOrganismItem(world: World, item: Item, modalities: readonly Exclude<Modality, "text">[], script: Script = "latin"): OrganismItem {
  const m = item.meaning;
  if (m.objects.length !== 1) throw new InputError(`the organism adapter supports one-object worlds; item ${item.id} has ${m.objects.length} objects`);
  const o = m.objects[0];
  const inputs: OrganismItem["inputs"] = {};
  let documentCaption: number | undefined;
  for (const mod of modalities) {
    if (mod === "image") {
      const im = renderImage(world, item);
      inputs.image = { data: im.data, shape: [im.height, im.width, 3] };
    } else if (mod === "audio") {
      const mel = logMel(renderAudio(world, item), world.config.audio);
      inputs.audio = { data: mel.data, shape: [mel.frames, mel.nMels] };
    } else {
      const doc = renderDocument(world, item, { script });
      inputs.document = { data: doc.data, shape: [doc.height, doc.width] };
      // The caption the document shows (compared in the document's script).
      documentCaption = item.captions.findIndex((c) => documentText(world, c, script) === doc.text);
      if (documentCaption < 0) documentCaption = undefined;
    }
  }
  return {
    id: `${item.id}:${item.scene}`,
    captions: [...item.captions],
    summaryWord: item.summary.word,
    fewWords: item.summary.fewWords,
    attributes: { size: o.size, colour: o.colour, object: o.object, position: m.position ?? "" },
    inputs,
    documentCaption,
  };
}

/** Standardise every item's log-mel in place with one global mean and standard deviation. */
function standardiseAudio(items: OrganismItem[]): { mean: number; std: number } {
  let s = 0, s2 = 0, n = 0;
  for (const it of items) {
    const a = it.inputs.audio;
    if (!a) continue;
    for (const v of a.data) { s += v; s2 += v * v; n++; }
  }
  if (n === 0) return { mean: 0, std: 1 };
  const mean = s / n;
  const std = Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12));
  for (const it of items) {
    const a = it.inputs.audio;
    if (!a) continue;
    const d = new Float32Array(a.data.length);
    for (let i = 0; i < d.length; i++) d[i] = (a.data[i] - mean) / std;
    it.inputs.audio = { data: d, shape: a.shape };
  }
  return { mean, std };
}

/**
 * Build the organism's data from a world: render every item, fit the tokenizer on the world's
 * texts (captions, summaries, every prompt), featurize with `cfg`'s patch sizes, keep the splits.
 */
export function organismDataFromWorld(world: World, cfg: OrganismConfig, options: WorldDataOptions = {}): OrganismData {
  const modalities = options.modalities ?? (["image", "audio", "document"] as const);
  const items = world.items.map((it) => toOrganismItem(world, it, modalities, options.documentScript));
  const audioNorm = standardiseAudio(items);
  const tokenizer = organismTokenizer(Tokenizer.fit(worldTexts(world)));
  return {
    items,
    tokenizer,
    cache: buildFeatureCache(items, cfg),
    splits: { train: [...world.splits.train], iid: [...world.splits.iid], ood: [...world.splits.ood] },
    meta: {
      world: { seed: world.seed, mode: world.mode, profile: world.config.profile, config: world.config },
      audioNorm,
      tokenizer: tokenizer.inner.toJSON(),
      ...(options.documentScript && options.documentScript !== "latin" ? { documentScript: options.documentScript } : {}),
    },
  };
}

/**
 * A world for the organism at a profile: one object per scene, the summary format matching
 * `cfg.answerFormat`, procedural assets unless `overrides.mode` says otherwise.
 */
export function organismWorld(profile: Profile, cfg: OrganismConfig, seed: number, overrides: WorldOverrides = {}): World {
  return generateWorld(worldConfig(profile, { nObjects: 1, summaryFormat: cfg.answerFormat, ...overrides }), seed);
}
