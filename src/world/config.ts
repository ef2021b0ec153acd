/**
 * World configuration: vocabularies, sizes and the held-out compositions, with per-profile
 * defaults. Everything that changes what the world looks like is a typed field here, so a run's
 * saved config reproduces its data exactly (together with the seed).
 *
 * @module
 */
import { InputError } from "../array";
import { byProfile, type Profile } from "../config";
import { ATTRIBUTES, type AssetMode, type WorldConfig } from "./types";

/** RGB (0–1) of every colour name the world may use. */
export const COLOUR_RGB: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [0.9, 0.15, 0.12],
  green: [0.2, 0.78, 0.2],
  blue: [0.2, 0.35, 0.95],
  yellow: [0.95, 0.88, 0.12],
  purple: [0.62, 0.22, 0.85],
  cyan: [0.12, 0.85, 0.9],
  orange: [0.98, 0.55, 0.1],
  white: [0.95, 0.95, 0.95],
};

/** Shapes the procedural renderer can draw. */
export const PROCEDURAL_OBJECTS: readonly string[] = ["circle", "square", "triangle", "ring", "cross", "star"];

/**
 * Objects of the real asset cache: Tux Paint stamps that come with both a picture and a real
 * sound effect (so image and audio of an item share the same real object).
 */
export const REAL_OBJECTS: readonly string[] = ["frog", "dog", "cow", "duck", "pig", "elephant", "horse", "owl"];

/** Default positions (one-object scenes). */
export const POSITIONS: readonly string[] = ["left", "right", "top", "bottom"];
/**
 * Canonical relations of two-object scenes. "right of" and "below" are not scene relations
 * (A right of B = B left of A); they appear only in inverted captions. See `canonicalMeaning`.
 */
export const RELATIONS: readonly string[] = ["left of", "above"];

/**
 * The default held-out compositions: the diagonal (colours[i], objects[i]) for i < min(#colours,
 * #objects). Each held-out colour and each held-out object still appears in training with other
 * partners, so the OOD split tests composition, not unseen words.
 */
export function diagonalHeldOut(colours: readonly string[], objects: readonly string[]): [string, string][] {
  const n = Math.min(colours.length, objects.length);
  return Array.from({ length: n }, (_, i) => [colours[i], objects[i]] as [string, string]);
}

/** Fields a caller may override (vocabularies, sizes, formats). */
export type WorldOverrides = Partial<Omit<WorldConfig, "profile" | "audio" | "document">> & {
  audio?: Partial<WorldConfig["audio"]>;
  document?: Partial<WorldConfig["document"]>;
};

/**
 * The world config for a profile, with overrides.
 *
 * Defaults: one object per scene; 6 objects × 6 colours × 2 sizes × 4 positions = 288 scenes
 * (smoke: 4 × 4 × 2 × 4 = 128), 6 held-out colour–object combinations on the diagonal (smoke 4),
 * few-word summaries naming size, colour, object and position, 24-px images (smoke 16), 8 kHz
 * audio of 1 s (smoke 0.5 s) with 256-point FFT, hop 128 and 32 mel bands, 48×128 documents (two objects: 64×128).
 *
 * In `mode: "real"` the object vocabulary defaults to the first objects of {@link REAL_OBJECTS}.
 *
 * @example worldConfig("smoke", { summaryFormat: "one-word", summaryAttributes: ["colour", "object"] })
 */
export function worldConfig(profile: Profile = "full", overrides: WorldOverrides = {}): WorldConfig {
  const mode: AssetMode = overrides.mode ?? "procedural";
  const nVocab = byProfile(profile, { smoke: 4, full: 6, large: 6 });
  const objects = overrides.objects ?? (mode === "real" ? REAL_OBJECTS : PROCEDURAL_OBJECTS).slice(0, nVocab);
  const colours = overrides.colours ?? Object.keys(COLOUR_RGB).slice(0, nVocab);
  const cfg: WorldConfig = {
    profile,
    mode,
    nObjects: overrides.nObjects ?? 1,
    objects,
    colours,
    sizes: overrides.sizes ?? ["small", "big"],
    positions: overrides.positions ?? POSITIONS,
    relations: overrides.relations ?? RELATIONS,
    heldOut: overrides.heldOut ?? diagonalHeldOut(colours, objects),
    trainRepeats: overrides.trainRepeats ?? byProfile(profile, { smoke: 1, full: 2, large: 4 }),
    maxScenes: overrides.maxScenes ?? byProfile(profile, { smoke: 200, full: 2000, large: 8000 }),
    summaryFormat: overrides.summaryFormat ?? "few-words",
    summaryAttributes: overrides.summaryAttributes ?? ATTRIBUTES,
    imageSize: overrides.imageSize ?? byProfile(profile, { smoke: 16, full: 24, large: 32 }),
    audio: {
      sampleRate: 8000,
      duration: byProfile(profile, { smoke: 0.5, full: 1, large: 1 }),
      nFft: 256,
      hop: 128,
      nMels: 32,
      fMin: 0,
      eps: 1e-6,
      ...overrides.audio,
    },
    // Sized so every caption fits in both scripts and both fonts (the Georgian glyphs are wider).
    document: { height: (overrides.nObjects ?? 1) === 2 ? 64 : 48, width: 128, ...overrides.document },
    videoFrames: overrides.videoFrames ?? 4,
    pairsPerScene: overrides.pairsPerScene ?? 4,
  };
  validateConfig(cfg);
  return cfg;
}

/** Throw (naming the bad value) if a config is inconsistent. */
export function validateConfig(cfg: WorldConfig): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new InputError(`invalid world config: ${msg}`);
  };
  need(cfg.nObjects === 1 || cfg.nObjects === 2, `nObjects must be 1 or 2, got ${cfg.nObjects}`);
  for (const [name, xs] of [["objects", cfg.objects], ["colours", cfg.colours], ["sizes", cfg.sizes], ["positions", cfg.positions], ["relations", cfg.relations]] as const) {
    need(xs.length >= 1, `${name} is empty`);
    need(new Set(xs).size === xs.length, `${name} has duplicates: ${xs.join(", ")}`);
  }
  for (const c of cfg.colours) need(c in COLOUR_RGB, `unknown colour "${c}"; known: ${Object.keys(COLOUR_RGB).join(", ")}`);
  if (cfg.mode === "procedural") {
    for (const o of cfg.objects) need(PROCEDURAL_OBJECTS.includes(o), `procedural mode cannot draw object "${o}"; known: ${PROCEDURAL_OBJECTS.join(", ")}`);
  }
  need(cfg.sizes.length <= 3, `at most 3 sizes, got ${cfg.sizes.length}`);
  need(cfg.positions.every((p) => POSITIONS.includes(p)), `positions must be among ${POSITIONS.join(", ")}, got ${cfg.positions.join(", ")}`);
  need(cfg.relations.every((r) => RELATIONS.includes(r)), `relations must be among ${RELATIONS.join(", ")}, got ${cfg.relations.join(", ")}`);
  for (const [c, o] of cfg.heldOut) {
    need(cfg.colours.includes(c) && cfg.objects.includes(o), `held-out combination (${c}, ${o}) is not in the vocabularies`);
  }
  need(cfg.heldOut.length < cfg.colours.length * cfg.objects.length, `every colour–object combination is held out`);
  need(cfg.summaryAttributes.length >= 1, "summaryAttributes is empty");
  need(Number.isInteger(cfg.imageSize) && cfg.imageSize >= 8, `imageSize must be an integer ≥ 8, got ${cfg.imageSize}`);
  const a = cfg.audio;
  need(Number.isInteger(Math.log2(a.nFft)), `audio.nFft must be a power of 2, got ${a.nFft}`);
  need(a.hop >= 1 && Number.isInteger(a.hop), `audio.hop must be a positive integer, got ${a.hop}`);
  need(a.duration * a.sampleRate >= a.nFft, `audio too short for one frame: ${a.duration} s × ${a.sampleRate} Hz < nFft ${a.nFft}`);
  need(cfg.trainRepeats >= 1 && Number.isInteger(cfg.trainRepeats), `trainRepeats must be a positive integer, got ${cfg.trainRepeats}`);
  need(cfg.videoFrames >= 2, `videoFrames must be ≥ 2, got ${cfg.videoFrames}`);
}
