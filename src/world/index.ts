/**
 * The `world` area: a seeded omnimodal world for the model organism (items with a structured
 * meaning, rendered as text, image, audio, document and video), its splits, text triples,
 * tokenizer and real-asset cache. Named exports only.
 *
 * @module
 */
export { ATTRIBUTES, MODALITIES } from "./types";
export type {
  AssetBundle,
  AssetMode,
  Attribute,
  DocumentData,
  GlyphAtlas,
  ImageData,
  Item,
  LogMel,
  LogMelOptions,
  Meaning,
  Modality,
  ObjectSpec,
  Script,
  Split,
  Sprite,
  Summary,
  SummaryFormat,
  TextPair,
  VideoData,
  Waveform,
  World,
  WorldConfig,
} from "./types";
export { COLOUR_RGB, POSITIONS, PROCEDURAL_OBJECTS, REAL_OBJECTS, RELATIONS, diagonalHeldOut, validateConfig, worldConfig } from "./config";
export type { WorldOverrides } from "./config";
export {
  caption,
  captionsOf,
  generateWorld,
  isHeldOut,
  itemsOf,
  mentionsHeldOut,
  nCaptions,
  parseCaption,
  sceneKey,
  summarize,
  summaryOf,
  summaryPrompt,
  worldTexts,
} from "./generate";
export { documentText, fontOf, renderAudio, renderDocument, renderImage, renderVideo } from "./render";
export type { DocumentOptions } from "./render";
export { encodeWav, fft, hzToMel, logMel, melCentres, melFilterbank, melToHz } from "./audio";
export { SPECIAL_TOKENS, Tokenizer, splitWords } from "./tokenizer";
export type { EncodeOptions, TokenizerJson } from "./tokenizer";
export { cipherFont, pixelFont } from "./font";
export { hasAssets, loadAssets, readRegistry, sha256File, verifySha256, worldDataDir } from "./assets";
export type { AssetCacheJson, Registry, RegistryFile, RegistrySource } from "./assets";
export {
  BIBLE_BOOKS,
  VERSES_FORMAT,
  VERSES_RECIPE,
  alignVersePairs,
  loadVersePairs,
  osisToPlain,
  parseSwordConf,
  parseVerseId,
  parseVersesFile,
  readSwordModule,
  readZTextTestament,
  selectVerseChapters,
  verseId,
  verseRetrievalBaseline,
  verseTriples,
  verseWords,
  versesFileText,
  versificationBooks,
} from "./verses";
export type {
  AlignStats,
  LoadVersesOptions,
  SelectOptions,
  SwordConf,
  SwordModule,
  VerseBaseline,
  VersePair,
  VerseRef,
  VerseSplit,
  VerseTriple,
  VerseTripleOptions,
  Versification,
  VersificationBook,
  VersesFile,
  VersesMeta,
  VersesRegistryEntry,
  ZTextFiles,
} from "./verses";
export { encodePng, imageGrid } from "./png";
export type { Tile } from "./png";
export { melTile, showAudio, showImages } from "./show";
export type { ShowImagesOptions } from "./show";
export { documentBatch, imageBatch, logMelBatch, videoBatch, worldInfo } from "./batch";
export type { Batch, WorldInfo } from "./batch";
export { chanceLevels } from "./chance";
export type { ChanceLevels } from "./chance";
