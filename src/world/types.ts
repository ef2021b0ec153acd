/**
 * The types of the model organism's world: what an item means, how it is split, and the
 * rendered forms (text, image, audio, document, video) a model sees.
 *
 * A world is a small, fully known universe. Every item has a structured meaning (one object,
 * or two objects and a relation), and that one meaning is rendered in every modality. Because we
 * know the meaning exactly, we can ask precise questions later: does the image embedding agree
 * with the caption embedding on the colour? on the position? on a colour–object combination the
 * model never saw in training?
 *
 * Shapes follow the kit's row-major convention: an image is `[H, W, 3]`, a document `[H, W]`,
 * a log-mel spectrogram `[frames, nMels]`, a video `[T, H, W, 3]`.
 *
 * @module
 */
import type { Profile } from "../config";

/** The modalities the world renders. `text` is a caption; `document` is a caption drawn as an image. */
export type Modality = "text" | "image" | "audio" | "document" | "video";

/** All modalities, in a fixed order. */
export const MODALITIES: readonly Modality[] = ["text", "image", "audio", "document", "video"];

/** The four attributes of one object. `object` is a drawn shape (procedural) or a real picture's name (real). */
export type Attribute = "size" | "colour" | "object" | "position";

/** All attributes, in the default summary order (size, colour, object, position). */
export const ATTRIBUTES: readonly Attribute[] = ["size", "colour", "object", "position"];

/**
 * How the summarize instruction is answered (organism-notes, round 3):
 * - `"one-word"`: one compound token such as `big-red-circle-left` (the paper's "in one word");
 * - `"few-words"`: a generated few-word answer such as `big red circle left`.
 * The same vocabulary serves the world, the tokenizer and the organism (its `AnswerFormat`).
 */
export type SummaryFormat = "one-word" | "few-words";

/**
 * Where pixels and sounds come from.
 * - `"procedural"`: drawn shapes and synthesised tones; needs nothing outside this repository
 *   (what the tests use).
 * - `"real"`: pictures, sounds and font glyphs extracted from Debian packages (Tux Paint stamps,
 *   DejaVu fonts) into the committed cache `data/world/assets/`, recoloured, resized and placed
 *   by the generator, so the meaning stays compositional while the pixels are real.
 */
export type AssetMode = "real" | "procedural";

/**
 * The script a document is written in.
 * - `"latin"`: the caption as is.
 * - `"lowres"`: the same caption letter-by-letter transliterated into a second script the
 *   pretraining never shows (real mode: Georgian Mkhedruli letters drawn with the DejaVu Sans
 *   font; procedural mode: a made-up cipher alphabet of seeded 5×7 glyphs). It plays the role of
 *   the paper's low-resource language for continual pretraining.
 */
export type Script = "latin" | "lowres";

/** Data split of an item. */
export type Split = "train" | "iid" | "ood";

/** The attributes of one object in a scene. */
export interface ObjectSpec {
  /** The object: a shape name (procedural, e.g. `"circle"`) or a picture's name (real, e.g. `"frog"`). */
  readonly object: string;
  /** Colour name, e.g. `"red"`. */
  readonly colour: string;
  /** Size name, e.g. `"big"`. */
  readonly size: string;
}

/**
 * A structured meaning. One-object scenes have `position`; two-object scenes have a `relation`
 * between `objects[0]` and `objects[1]` (e.g. `objects[0]` is `"left of"` `objects[1]`) and no
 * position.
 */
export interface Meaning {
  /** One or two objects. */
  readonly objects: readonly ObjectSpec[];
  /** Position of the single object (`"left"`, `"right"`, `"top"`, `"bottom"`); absent for two objects. */
  readonly position?: string;
  /** Relation of objects[0] to objects[1]: canonical `"left of"` or `"above"` (captions may say the inverse); absent for one object. */
  readonly relation?: string;
}

/** The answer to the summarize instruction, in both formats. */
export interface Summary {
  /** Compound word, e.g. `big-red-circle-left` (a single token in the world tokenizer). */
  readonly word: string;
  /** Few-word answer, e.g. `big red circle left`. */
  readonly fewWords: string;
}

/** One item of the world: a meaning plus everything needed to render it deterministically. */
export interface Item {
  /** Position in `world.items` (0-based); stable for a given config and seed. */
  readonly id: number;
  /** A readable key for the scene (composition + position/relation), e.g. `big|red|circle|left`; repeats of one scene share it. */
  readonly scene: string;
  /** The structured meaning. */
  readonly meaning: Meaning;
  /**
   * Paraphrased captions of the meaning, all true and all distinct; index 0 is the canonical
   * one (used for documents by default). Includes reordered and (two objects) inverted phrasings.
   */
  readonly captions: readonly string[];
  /** The summary answer in both formats (the answer the config selects is `summaryOf(world, item)`). */
  readonly summary: Summary;
  /** Which split the item belongs to. */
  readonly split: Split;
  /** Seed of this item's rendering jitter (sub-pixel placement, colour jitter, noise, audio phase). */
  readonly renderSeed: number;
}

/** An RGB image `[height, width, 3]`, row-major, values in [0, 1]. */
export interface ImageData {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** A grey document image `[height, width]`, row-major; ink = 1, paper = 0. */
export interface DocumentData {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  /** The exact string drawn (after transliteration for the `lowres` script). */
  readonly text: string;
  readonly script: Script;
}

/** A mono waveform in [-1, 1]. */
export interface Waveform {
  readonly data: Float32Array;
  /** Samples per second (Hz). */
  readonly sampleRate: number;
}

/** A log-mel spectrogram `[frames, nMels]`, row-major (frame-major: row t = one frame). */
export interface LogMel {
  readonly data: Float32Array;
  readonly frames: number;
  readonly nMels: number;
}

/** A short clip `[frames, height, width, 3]`, values in [0, 1]: the object moves towards its position. */
export interface VideoData {
  readonly data: Float32Array;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 3;
}

/** Options of the log-mel front end (defaults in {@link WorldConfig.audio}). */
export interface LogMelOptions {
  /** FFT size (samples; a power of 2). Default 256. */
  readonly nFft: number;
  /** Hop between frames (samples). Default 128. */
  readonly hop: number;
  /** Number of mel bands. Default 32. */
  readonly nMels: number;
  /** Lowest filter edge (Hz). Default 0. */
  readonly fMin: number;
  /** Highest filter edge (Hz); default sampleRate / 2. */
  readonly fMax?: number;
  /** Added before the log so silence gives a finite value. Default 1e-6. */
  readonly eps: number;
}

/** Everything that defines a world. Build with `worldConfig(profile, overrides)`. */
export interface WorldConfig {
  /** Profile the defaults came from. */
  readonly profile: Profile;
  /** Asset mode; `"procedural"` needs nothing outside the repository. */
  readonly mode: AssetMode;
  /** Objects per scene: 1 (the easy world: position) or 2 (two objects and a relation). Default 1. */
  readonly nObjects: 1 | 2;
  /** Object vocabulary (shapes in procedural mode, picture names in real mode). */
  readonly objects: readonly string[];
  /** Colour vocabulary (names of {@link COLOUR_RGB} entries). */
  readonly colours: readonly string[];
  /** Size vocabulary, smallest first (`["small", "big"]`). */
  readonly sizes: readonly string[];
  /** Position vocabulary for one-object scenes. */
  readonly positions: readonly string[];
  /** Relation vocabulary for two-object scenes: canonical relations only (`"left of"`, `"above"`). */
  readonly relations: readonly string[];
  /**
   * Colour–object combinations held out of all training (OOD split). Default: 6 combinations on a
   * diagonal, so every held-out colour and object still appears in training with other partners.
   */
  readonly heldOut: readonly (readonly [colour: string, object: string])[];
  /** Rendered copies (different jitter) of each training scene. Default smoke 1, full 2, large 4. */
  readonly trainRepeats: number;
  /** Two-object worlds are large; at most this many distinct training scenes are drawn (one-object worlds use all). */
  readonly maxScenes: number;
  /** The summary answer format. Default `"few-words"`. */
  readonly summaryFormat: SummaryFormat;
  /** Which attributes the summary names, in order (the granularity/ordering sweep). Default all four. */
  readonly summaryAttributes: readonly Attribute[];
  /** Image side (pixels). Default 24 (smoke 16). */
  readonly imageSize: number;
  /** Audio: sample rate (Hz), duration (s) and the log-mel front end. */
  readonly audio: { readonly sampleRate: number; readonly duration: number } & LogMelOptions;
  /** Document image size (pixels); captions are word-wrapped to fit. */
  readonly document: { readonly height: number; readonly width: number };
  /** Video frames. Default 4. */
  readonly videoFrames: number;
  /** Text-only contrastive triples per training scene. Default 4. */
  readonly pairsPerScene: number;
}

/** One all-NLI-style text triple: `positive` paraphrases `anchor`; `negative` contradicts it in exactly one attribute or relation. */
export interface TextPair {
  readonly anchor: string;
  readonly positive: string;
  readonly negative: string;
  /** The item the anchor and positive describe. */
  readonly itemId: number;
  /** Which attribute the negative changed (`"relation"` for a changed relation). */
  readonly changed: Attribute | "relation";
  /** The meaning the negative describes (the anchor's meaning with one attribute changed). */
  readonly negativeMeaning: Meaning;
}

/** A generated world. Render items with `renderImage`, `renderAudio`, `renderDocument`, `renderVideo`. */
export interface World {
  readonly config: WorldConfig;
  readonly seed: number;
  /** Which asset mode the renderers use (recorded in run metadata as `world.mode`). */
  readonly mode: AssetMode;
  /** All items; `items[i].id === i`. */
  readonly items: readonly Item[];
  /** Item ids per split. */
  readonly splits: Readonly<Record<Split, readonly number[]>>;
  /** Text-only contrastive triples built from training items only (never mention a held-out combination). */
  readonly textPairs: readonly TextPair[];
  /** The asset bundle the renderers draw from (`null` in procedural mode). */
  readonly assets: AssetBundle | null;
}

/** A rasterised real picture, `[height, width, 4]` RGBA in [0, 1] (alpha = coverage). */
export interface Sprite {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

/** A glyph atlas: one grey bitmap `[height, width]` per character (ink = 1). */
export interface GlyphAtlas {
  /** Line height in pixels (every glyph has this height). */
  readonly height: number;
  /** Character → glyph. */
  readonly glyphs: ReadonlyMap<string, { readonly width: number; readonly data: Float32Array }>;
}

/** Real assets decoded from the committed cache `data/world/assets/`. */
export interface AssetBundle {
  /** Picture per object name. */
  readonly sprites: ReadonlyMap<string, Sprite>;
  /** A real sound per object name (mono, at `sampleRate`). */
  readonly sounds: ReadonlyMap<string, Float32Array>;
  readonly soundRate: number;
  /** Glyphs of the Latin script and the low-resource script. */
  readonly fonts: Readonly<Record<Script, GlyphAtlas>>;
  /** Transliteration of the low-resource script: Latin character → character of that script. */
  readonly lowresMap: ReadonlyMap<string, string>;
  /** Source description (packages and versions) for provenance. */
  readonly sources: readonly string[];
}
