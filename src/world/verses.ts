/**
 * Real paraphrase pairs for the text-only contrastive data: the same Bible verse in the King
 * James Version (KJV, 1769 text) and the World English Bible (WEB, a modern-English update of
 * the ASV). Both are public domain; `data/world/LICENSES.md` has the details.
 *
 * Three stages, like the picture and sound assets (`./assets.ts`):
 * 1. `environment/fetch-assets.mjs` downloads the Debian packages `sword-text-kjv` and
 *    `sword-text-web` (sha256-pinned in `data/world/registry.json`) and reads their SWORD modules
 *    with {@link readSwordModule} (a reader of the zText format in TypeScript; no libsword).
 * 2. {@link alignVersePairs} pairs the verses by id and strips the OSIS markup
 *    ({@link osisToPlain}); {@link selectVerseChapters} keeps a seeded subset of whole chapters,
 *    which is committed as `data/world/verses.json` (its sha256 is in the registry).
 * 3. At run time {@link loadVersePairs} reads that file, {@link verseTriples} turns it into
 *    all-NLI-style triples (anchor = KJV, positive = WEB of the same verse, hard negative = WEB of
 *    the neighbouring verse) with a train / eval split by whole chapters, and
 *    {@link verseRetrievalBaseline} gives a bag-of-words floor for KJV→WEB retrieval.
 *
 * The full aligned set (about 30k pairs) is not committed; build it on demand with
 * `node environment/fetch-assets.mjs --only verses --verses-full` (it is written to the
 * gitignored `data/cache/verses-full.json`) and load it with `loadVersePairs({ file })`.
 *
 * @module
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { InputError } from "../array";
import { rng, shuffle, splitSeed } from "../random";
import { worldDataDir } from "./assets";

// ------------------------------------------------------------------ versification

/**
 * The KJV versification (SWORD's default, `canon.h`): per book its OSIS id and the number of
 * verses of each chapter. 66 books, 1,189 chapters, 31,102 verses.
 */
const KJV_TABLE: readonly (readonly [string, string])[] = [
  ["Gen", "31 25 24 26 32 22 24 22 29 32 32 20 18 24 21 16 27 33 38 18 34 24 20 67 34 35 46 22 35 43 55 32 20 31 29 43 36 30 23 23 57 38 34 34 28 34 31 22 33 26"],
  ["Exod", "22 25 22 31 23 30 25 32 35 29 10 51 22 31 27 36 16 27 25 26 36 31 33 18 40 37 21 43 46 38 18 35 23 35 35 38 29 31 43 38"],
  ["Lev", "17 16 17 35 19 30 38 36 24 20 47 8 59 57 33 34 16 30 37 27 24 33 44 23 55 46 34"],
  ["Num", "54 34 51 49 31 27 89 26 23 36 35 16 33 45 41 50 13 32 22 29 35 41 30 25 18 65 23 31 40 16 54 42 56 29 34 13"],
  ["Deut", "46 37 29 49 33 25 26 20 29 22 32 32 18 29 23 22 20 22 21 20 23 30 25 22 19 19 26 68 29 20 30 52 29 12"],
  ["Josh", "18 24 17 24 15 27 26 35 27 43 23 24 33 15 63 10 18 28 51 9 45 34 16 33"],
  ["Judg", "36 23 31 24 31 40 25 35 57 18 40 15 25 20 20 31 13 31 30 48 25"],
  ["Ruth", "22 23 18 22"],
  ["1Sam", "28 36 21 22 12 21 17 22 27 27 15 25 23 52 35 23 58 30 24 42 15 23 29 22 44 25 12 25 11 31 13"],
  ["2Sam", "27 32 39 12 25 23 29 18 13 19 27 31 39 33 37 23 29 33 43 26 22 51 39 25"],
  ["1Kgs", "53 46 28 34 18 38 51 66 28 29 43 33 34 31 34 34 24 46 21 43 29 53"],
  ["2Kgs", "18 25 27 44 27 33 20 29 37 36 21 21 25 29 38 20 41 37 37 21 26 20 37 20 30"],
  ["1Chr", "54 55 24 43 26 81 40 40 44 14 47 40 14 17 29 43 27 17 19 8 30 19 32 31 31 32 34 21 30"],
  ["2Chr", "17 18 17 22 14 42 22 18 31 19 23 16 22 15 19 14 19 34 11 37 20 12 21 27 28 23 9 27 36 27 21 33 25 33 27 23"],
  ["Ezra", "11 70 13 24 17 22 28 36 15 44"],
  ["Neh", "11 20 32 23 19 19 73 18 38 39 36 47 31"],
  ["Esth", "22 23 15 17 14 14 10 17 32 3"],
  ["Job", "22 13 26 21 27 30 21 22 35 22 20 25 28 22 35 22 16 21 29 29 34 30 17 25 6 14 23 28 25 31 40 22 33 37 16 33 24 41 30 24 34 17"],
  ["Ps", "6 12 8 8 12 10 17 9 20 18 7 8 6 7 5 11 15 50 14 9 13 31 6 10 22 12 14 9 11 12 24 11 22 22 28 12 40 22 13 17 13 11 5 26 17 11 9 14 20 23 19 9 6 7 23 13 11 11 17 12 8 12 11 10 13 20 7 35 36 5 24 20 28 23 10 12 20 72 13 19 16 8 18 12 13 17 7 18 52 17 16 15 5 23 11 13 12 9 9 5 8 28 22 35 45 48 43 13 31 7 10 10 9 8 18 19 2 29 176 7 8 9 4 8 5 6 5 6 8 8 3 18 3 3 21 26 9 8 24 13 10 7 12 15 21 10 20 14 9 6"],
  ["Prov", "33 22 35 27 23 35 27 36 18 32 31 28 25 35 33 33 28 24 29 30 31 29 35 34 28 28 27 28 27 33 31"],
  ["Eccl", "18 26 22 16 20 12 29 17 18 20 10 14"],
  ["Song", "17 17 11 16 16 13 13 14"],
  ["Isa", "31 22 26 6 30 13 25 22 21 34 16 6 22 32 9 14 14 7 25 6 17 25 18 23 12 21 13 29 24 33 9 20 24 17 10 22 38 22 8 31 29 25 28 28 25 13 15 22 26 11 23 15 12 17 13 12 21 14 21 22 11 12 19 12 25 24"],
  ["Jer", "19 37 25 31 31 30 34 22 26 25 23 17 27 22 21 21 27 23 15 18 14 30 40 10 38 24 22 17 32 24 40 44 26 22 19 32 21 28 18 16 18 22 13 30 5 28 7 47 39 46 64 34"],
  ["Lam", "22 22 66 22 22"],
  ["Ezek", "28 10 27 17 17 14 27 18 11 22 25 28 23 23 8 63 24 32 14 49 32 31 49 27 17 21 36 26 21 26 18 32 33 31 15 38 28 23 29 49 26 20 27 31 25 24 23 35"],
  ["Dan", "21 49 30 37 31 28 28 27 27 21 45 13"],
  ["Hos", "11 23 5 19 15 11 16 14 17 15 12 14 16 9"],
  ["Joel", "20 32 21"],
  ["Amos", "15 16 15 13 27 14 17 14 15"],
  ["Obad", "21"],
  ["Jonah", "17 10 10 11"],
  ["Mic", "16 13 12 13 15 16 20"],
  ["Nah", "15 13 19"],
  ["Hab", "17 20 19"],
  ["Zeph", "18 15 20"],
  ["Hag", "15 23"],
  ["Zech", "21 13 10 14 11 15 14 23 17 12 17 14 9 21"],
  ["Mal", "14 17 18 6"],
  ["Matt", "25 23 17 25 48 34 29 34 38 42 30 50 58 36 39 28 27 35 30 34 46 46 39 51 46 75 66 20"],
  ["Mark", "45 28 35 41 43 56 37 38 50 52 33 44 37 72 47 20"],
  ["Luke", "80 52 38 44 39 49 50 56 62 42 54 59 35 35 32 31 37 43 48 47 38 71 56 53"],
  ["John", "51 25 36 54 47 71 53 59 41 42 57 50 38 31 27 33 26 40 42 31 25"],
  ["Acts", "26 47 26 37 42 15 60 40 43 48 30 25 52 28 41 40 34 28 41 38 40 30 35 27 27 32 44 31"],
  ["Rom", "32 29 31 25 21 23 25 39 33 21 36 21 14 23 33 27"],
  ["1Cor", "31 16 23 21 13 20 40 13 27 33 34 31 13 40 58 24"],
  ["2Cor", "24 17 18 18 21 18 16 24 15 18 33 21 14"],
  ["Gal", "24 21 29 31 26 18"],
  ["Eph", "23 22 21 32 33 24"],
  ["Phil", "30 30 21 23"],
  ["Col", "29 23 25 18"],
  ["1Thess", "10 20 13 18 28"],
  ["2Thess", "12 17 18"],
  ["1Tim", "20 15 16 16 25 21"],
  ["2Tim", "18 26 17 22"],
  ["Titus", "16 15 15"],
  ["Phlm", "25"],
  ["Heb", "14 18 19 16 14 20 28 13 28 39 40 29 25"],
  ["Jas", "27 26 18 17 20"],
  ["1Pet", "25 25 22 19 14"],
  ["2Pet", "21 22 18"],
  ["1John", "10 29 24 21 21"],
  ["2John", "13"],
  ["3John", "14"],
  ["Jude", "25"],
  ["Rev", "20 29 22 11 14 17 17 13 21 11 19 17 18 20 8 21 18 24 21 15 27 21"],
];

/**
 * The books the NRSVA versification (used by the WEB module) adds to the Old Testament, after
 * Malachi (SWORD's `canon_nrsva.h`). We never read their text, but they occupy entries of the
 * Old Testament verse index, so the index length can only be checked with them.
 */
const NRSVA_EXTRA_OT: readonly (readonly [string, string])[] = [
  ["Tob", "22 14 17 21 22 18 16 21 6 13 18 22 17 15"],
  ["Jdt", "16 28 10 15 24 21 32 36 14 23 23 20 20 19 14 25"],
  ["EsthGr", "22 23 15 17 14 14 10 17 32 13 12 6 18 19 16 24"],
  ["Wis", "16 24 19 20 23 25 30 21 18 21 26 27 19 31 19 29 21 25 22"],
  ["Sir", "30 18 31 31 15 37 36 19 18 31 34 18 26 27 20 30 32 33 30 31 28 27 27 34 26 29 30 26 28 25 31 24 33 31 26 31 31 34 35 30 22 25 33 23 26 20 25 25 16 29 30"],
  ["Bar", "22 35 37 37 9 73"],
  ["PrAzar", "68"],
  ["Sus", "64"],
  ["Bel", "42"],
  ["1Macc", "64 70 60 61 68 63 50 32 73 89 74 53 53 49 41 24"],
  ["2Macc", "36 32 40 50 27 31 42 36 29 38 38 45 26 46 39"],
  ["1Esd", "58 30 24 63 73 34 15 96 55"],
  ["PrMan", "15"],
  ["AddPs", "7"],
  ["3Macc", "29 33 30 21 51 41 23"],
  ["2Esd", "40 48 36 52 56 59 140 63 47 59 46 51 58 48 63 78"],
  ["4Macc", "35 24 21 26 38 35 23 29 32 21 27 19 27 20 32 25 24 24"],
];

/** Where NRSVA differs from KJV within the 66 books: `[book, chapter, verses]`. */
const NRSVA_CHANGES: readonly (readonly [string, number, number])[] = [
  ["3John", 1, 15], // KJV 3 John 1:14 is split in two
  ["Rev", 12, 18], // NRSV moves the first clause of Rev 13:1 to 12:18
];

/** A versification system a SWORD module can declare (`Versification=` in its `.conf`). */
export type Versification = "KJV" | "NRSVA";

/** One book of a versification. */
export interface VersificationBook {
  /** OSIS book id, e.g. `"Gen"`, `"1John"`. */
  readonly book: string;
  /** 1 = Old Testament file (`ot.*`), 2 = New Testament file (`nt.*`). */
  readonly testament: 1 | 2;
  /** `verses[c - 1]` = number of verses of chapter c. */
  readonly verses: readonly number[];
}

const parseTable = (t: readonly (readonly [string, string])[]) => t.map(([book, v]) => ({ book, verses: v.split(" ").map(Number) }));

/** The 66 books shared by both translations, as OSIS ids in canonical order (Gen … Rev). */
export const BIBLE_BOOKS: readonly string[] = KJV_TABLE.map(([b]) => b);
const N_OT_BOOKS = 39;
const BOOK_INDEX = new Map(BIBLE_BOOKS.map((b, i) => [b, i]));

/**
 * The books of a versification in index order, with their chapter lengths.
 * @param v11n `"KJV"` (66 books) or `"NRSVA"` (66 books with two chapters changed, plus 17
 *   deuterocanonical books after Malachi in the Old Testament file).
 */
export function versificationBooks(v11n: Versification): VersificationBook[] {
  const base = parseTable(KJV_TABLE).map((b, i) => ({ ...b, testament: (i < N_OT_BOOKS ? 1 : 2) as 1 | 2 }));
  if (v11n === "KJV") return base;
  if (v11n !== "NRSVA") throw new InputError(`unknown versification ${JSON.stringify(v11n)}; need "KJV" or "NRSVA"`);
  for (const [book, ch, n] of NRSVA_CHANGES) base[BOOK_INDEX.get(book)!].verses[ch - 1] = n;
  const extra = parseTable(NRSVA_EXTRA_OT).map((b) => ({ ...b, testament: 1 as const }));
  return [...base.slice(0, N_OT_BOOKS), ...extra, ...base.slice(N_OT_BOOKS)];
}

/** A verse reference; `verse = 0` is a chapter heading, `chapter = 0` a book heading. */
export interface VerseRef {
  readonly book: string;
  readonly chapter: number;
  readonly verse: number;
}

/** The OSIS id of a verse, `"Book.chapter.verse"`, e.g. `"Prov.15.1"`. */
export function verseId(ref: VerseRef): string {
  return `${ref.book}.${ref.chapter}.${ref.verse}`;
}

const ID_RE = /^([1-3]?[A-Z][A-Za-z]*)\.([1-9]\d*)\.([1-9]\d*)$/;
// The largest verse number of each chapter under either versification ("Book.chapter" → n).
const MAX_VERSE = new Map<string, number>();
for (const v of ["KJV", "NRSVA"] as const) {
  for (const b of versificationBooks(v)) {
    if (!BOOK_INDEX.has(b.book)) continue;
    b.verses.forEach((n, c) => MAX_VERSE.set(`${b.book}.${c + 1}`, Math.max(n, MAX_VERSE.get(`${b.book}.${c + 1}`) ?? 0)));
  }
}

/**
 * Parse `"Book.chapter.verse"` (one of the 66 {@link BIBLE_BOOKS}, a chapter and verse that exist
 * under KJV or NRSVA); throws an `InputError` naming the bad id.
 */
export function parseVerseId(id: string): VerseRef {
  const m = typeof id === "string" ? ID_RE.exec(id) : null;
  if (!m) throw new InputError(`invalid verse id ${JSON.stringify(id)}; need "Book.chapter.verse" like "Prov.15.1"`);
  if (!BOOK_INDEX.has(m[1])) throw new InputError(`invalid verse id ${JSON.stringify(id)}: unknown book ${JSON.stringify(m[1])}; need one of Gen, Exod, … Rev`);
  const max = MAX_VERSE.get(`${m[1]}.${m[2]}`);
  if (max === undefined || Number(m[3]) > max) {
    throw new InputError(`invalid verse id ${JSON.stringify(id)}: ${max === undefined ? `${m[1]} has no chapter ${m[2]}` : `${m[1]} ${m[2]} has ${max} verses`}`);
  }
  return { book: m[1], chapter: Number(m[2]), verse: Number(m[3]) };
}

/** `"Book.chapter"` of a verse id (the unit of the train / eval split). */
function chapterOf(id: string): string {
  return id.slice(0, id.lastIndexOf("."));
}

/** Canonical order of two verse ids (book order, then chapter, then verse). */
function compareIds(a: VerseRef, b: VerseRef): number {
  return BOOK_INDEX.get(a.book)! - BOOK_INDEX.get(b.book)! || a.chapter - b.chapter || a.verse - b.verse;
}

/**
 * The entries of one testament's verse index. SWORD (≥ 1.6) stores, per testament: entry 0
 * (unused), entry 1 (testament heading), then for each book one book-heading entry and for each
 * chapter one chapter-heading entry followed by one entry per verse.
 */
function testamentLayout(books: readonly VersificationBook[], testament: 1 | 2): VerseRef[] {
  const out: VerseRef[] = [{ book: "", chapter: 0, verse: 0 }, { book: "", chapter: 0, verse: 0 }];
  for (const b of books) {
    if (b.testament !== testament) continue;
    out.push({ book: b.book, chapter: 0, verse: 0 });
    b.verses.forEach((n, c) => {
      for (let v = 0; v <= n; v++) out.push({ book: b.book, chapter: c + 1, verse: v });
    });
  }
  return out;
}

// ------------------------------------------------------------------ SWORD modules (zText)

/** The fields of a SWORD module's `.conf` (in `mods.d/`) that the reader needs. */
export interface SwordConf {
  /** The module name, the `[section]` of the file, e.g. `"engKJV2006eb"`. */
  readonly module: string;
  readonly description: string;
  readonly version: string;
  /** Storage driver; only `"zText"` is supported. */
  readonly modDrv: string;
  /** Folder of the data files, relative to the SWORD library root (the folder holding `mods.d/`). */
  readonly dataPath: string;
  /** Markup of the text, e.g. `"OSIS"`. */
  readonly sourceType: string;
  readonly encoding: string;
  /** Block compression; only `"ZIP"` (zlib) is supported. */
  readonly compressType: string;
  /** How much text one compressed block holds (`"BOOK"`, `"CHAPTER"` or `"VERSE"`); the reader does not depend on it. */
  readonly blockType: string;
  readonly versification: Versification;
}

/**
 * Parse a SWORD `.conf` file (INI-like: a `[Module]` line, then `Key=Value` lines; a key may repeat).
 * Throws an `InputError`, naming the value, for what the reader cannot read: a driver other than
 * zText, compression other than ZIP, an encoding other than UTF-8, an unknown versification, or a
 * `CipherKey` (an enciphered module).
 * @param source the file name, for error messages.
 */
export function parseSwordConf(text: string, source = "module .conf"): SwordConf {
  const kv = new Map<string, string>();
  let module = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      module = sec[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && !kv.has(line.slice(0, eq))) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (!module) throw new InputError(`${source}: no [module name] line`);
  const get = (k: string, dflt?: string) => {
    const v = kv.get(k) ?? dflt;
    if (v === undefined) throw new InputError(`${source}: missing ${k}=`);
    return v;
  };
  const modDrv = get("ModDrv");
  if (modDrv.toLowerCase() !== "ztext") throw new InputError(`${source}: ModDrv=${modDrv}; this reader supports only zText`);
  // SWORD's default for zText is LZSS compression, so a missing CompressType is not ZIP.
  const compressType = get("CompressType", "LZSS");
  if (compressType.toUpperCase() !== "ZIP") throw new InputError(`${source}: CompressType=${compressType}; this reader supports only ZIP (zlib)`);
  const encoding = get("Encoding", "Latin-1");
  if (encoding.toUpperCase() !== "UTF-8") throw new InputError(`${source}: Encoding=${encoding}; this reader supports only UTF-8`);
  if (kv.has("CipherKey")) throw new InputError(`${source}: the module is enciphered (CipherKey=…); cannot read it`);
  const versification = get("Versification", "KJV");
  if (versification !== "KJV" && versification !== "NRSVA") {
    throw new InputError(`${source}: Versification=${versification}; this reader knows "KJV" and "NRSVA"`);
  }
  return {
    module,
    description: get("Description", ""),
    version: get("Version", ""),
    modDrv,
    dataPath: get("DataPath"),
    sourceType: get("SourceType", "Plain"),
    encoding,
    compressType,
    blockType: get("BlockType", "CHAPTER"),
    versification,
  };
}

/** The three files of one testament of a zText module. */
export interface ZTextFiles {
  /** Block index (`*.bzs`): per block, uint32 LE offset in `bzz`, compressed size, uncompressed size. */
  readonly bzs: Uint8Array;
  /** Verse index (`*.bzv`): per entry, uint32 LE block number, uint32 offset in the uncompressed block, uint16 size. */
  readonly bzv: Uint8Array;
  /** The zlib-compressed blocks, back to back (`*.bzz`). */
  readonly bzz: Uint8Array;
}

/**
 * Decode one testament of a zText module: every verse entry of the index, as its raw markup
 * (UTF-8), keyed by verse id. Book and chapter headings are skipped, but each chapter heading that
 * carries an OSIS `<chapter osisID="…">` tag is checked against the versification, so a wrong
 * versification fails loudly instead of shifting every verse.
 * @param label names the files in error messages, e.g. `"engKJV2006eb ot"`.
 */
export function readZTextTestament(files: ZTextFiles, v11n: Versification, testament: 1 | 2, label = `testament ${testament}`): Map<string, string> {
  const layout = testamentLayout(versificationBooks(v11n), testament);
  const bzs = Buffer.from(files.bzs.buffer, files.bzs.byteOffset, files.bzs.byteLength);
  const bzv = Buffer.from(files.bzv.buffer, files.bzv.byteOffset, files.bzv.byteLength);
  const bzz = Buffer.from(files.bzz.buffer, files.bzz.byteOffset, files.bzz.byteLength);
  if (bzv.length !== layout.length * 10) {
    throw new InputError(`${label}: the verse index has ${bzv.length} bytes (${bzv.length / 10} entries); the ${v11n} versification needs ${layout.length} entries of 10 bytes`);
  }
  if (bzs.length % 12 !== 0) throw new InputError(`${label}: the block index has ${bzs.length} bytes, not a multiple of 12`);
  const nBlocks = bzs.length / 12;
  const blocks = new Map<number, Buffer>();
  const block = (b: number): Buffer => {
    let buf = blocks.get(b);
    if (buf) return buf;
    if (b >= nBlocks) throw new InputError(`${label}: block ${b} is out of range; the block index has ${nBlocks} blocks`);
    const off = bzs.readUInt32LE(b * 12), comp = bzs.readUInt32LE(b * 12 + 4), size = bzs.readUInt32LE(b * 12 + 8);
    if (off + comp > bzz.length) throw new InputError(`${label}: block ${b} spans bytes ${off}..${off + comp} of a ${bzz.length}-byte text file`);
    try {
      buf = zlib.inflateSync(bzz.subarray(off, off + comp));
    } catch (e) {
      throw new InputError(`${label}: block ${b} does not inflate (${(e as Error).message})`);
    }
    if (buf.length !== size) throw new InputError(`${label}: block ${b} inflates to ${buf.length} bytes; the block index says ${size}`);
    blocks.set(b, buf);
    return buf;
  };
  const out = new Map<string, string>();
  for (let i = 0; i < layout.length; i++) {
    const ref = layout[i];
    if (ref.chapter === 0) continue; // unused, testament or book heading
    const b = bzv.readUInt32LE(i * 10), start = bzv.readUInt32LE(i * 10 + 4), size = bzv.readUInt16LE(i * 10 + 8);
    let text = "";
    if (size > 0) {
      const buf = block(b);
      if (start + size > buf.length) throw new InputError(`${label}: entry ${i} (${verseId(ref)}) spans bytes ${start}..${start + size} of a ${buf.length}-byte block`);
      text = buf.subarray(start, start + size).toString("utf8");
    }
    if (ref.verse === 0) {
      const m = /<chapter\b[^>]*\bosisID="([^"]+)"/.exec(text);
      if (m && m[1] !== `${ref.book}.${ref.chapter}`) {
        throw new InputError(`${label}: entry ${i} should be the heading of ${ref.book}.${ref.chapter} under ${v11n} but holds ${m[1]}; wrong versification?`);
      }
      continue;
    }
    out.set(verseId(ref), text);
  }
  return out;
}

/** A SWORD Bible module read from disk. */
export interface SwordModule {
  readonly conf: SwordConf;
  /** Verse id (`"Gen.1.1"`) → raw markup (OSIS), `""` for an empty verse; in index order. */
  readonly verses: ReadonlyMap<string, string>;
}

/**
 * Read a SWORD zText Bible module as Debian ships it (`usr/share/sword/mods.d/<name>.conf` and
 * `usr/share/sword/modules/texts/ztext/<name>/{ot,nt}.{bzs,bzv,bzz}`).
 * @param confFile path of the module's `.conf`; the library root is the folder above `mods.d/`.
 */
export function readSwordModule(confFile: string): SwordModule {
  if (!fs.existsSync(confFile)) throw new InputError(`SWORD module .conf not found: ${confFile}`);
  const conf = parseSwordConf(fs.readFileSync(confFile, "utf8"), confFile);
  const root = path.dirname(path.dirname(path.resolve(confFile)));
  const dir = path.resolve(root, conf.dataPath);
  const verses = new Map<string, string>();
  for (const [t, name] of [[1, "ot"], [2, "nt"]] as const) {
    const files = Object.fromEntries(
      (["bzs", "bzv", "bzz"] as const).map((ext) => {
        const f = path.join(dir, `${name}.${ext}`);
        if (!fs.existsSync(f)) throw new InputError(`${conf.module}: missing data file ${f}`);
        return [ext, fs.readFileSync(f)];
      }),
    ) as unknown as ZTextFiles;
    for (const [id, text] of readZTextTestament(files, conf.versification, t, `${conf.module} ${name}`)) verses.set(id, text);
  }
  return { conf, verses };
}

// ------------------------------------------------------------------ markup → plain text

// Tags that separate words (line, paragraph and division breaks, headings, list items). Removing
// them without a space would glue the words on both sides together ("wrath,but"); every other tag
// (<w> with its Strong's lemma, <transChange>, <q>, <divineName>, …) sits inside running text.
const BREAK_TAGS = new Set(["l", "lb", "lg", "p", "div", "chapter", "verse", "milestone", "list", "item", "br", "title", "note", "cell", "row", "table", "head"]);
const SEP = "\u0000";
const BOOK_END_RE = /<div\b(?=[^>]*\beID=)(?=[^>]*\btype="book")[^>]*>/;
// A "pre-verse" milestone opens each verse's lead-in (paragraph starts, headings). One that
// starts after the verse's text and is followed by more text means the importer (osis2mod)
// merged a verse the versification lacks into this entry: the WEB's Rom 14:24-26 sit in its
// Rom 14:23 under NRSVA.
const PREVERSE_RE = /<div\b(?=[^>]*subType="x-preverse")(?=[^>]*\bsID=)[^>]*>/g;

/** True if a verse entry holds a merged extra verse (see `PREVERSE_RE`). */
function holdsMergedVerse(markup: string): boolean {
  for (const m of markup.matchAll(PREVERSE_RE)) {
    if (osisToPlain(markup.slice(0, m.index)) !== "" && osisToPlain(markup.slice(m.index)) !== "") return true;
  }
  return false;
}
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * OSIS markup of one verse → plain text. Removes footnotes (`<note>…</note>`), headings
 * (`<title>…</title>`, including canonical psalm titles), whatever follows the end of a book
 * (back matter such as a glossary), the KJV's paragraph sign `¶` (a
 * typographic paragraph mark, like an OSIS `<p>`), stray USFM markers (`\nd `, `\+nd*`), then every tag (Strong's numbers sit in
 * `<w lemma="strong:H0430">` attributes and bare `<G3588>`-style tags); keeps the text of
 * inline tags; upper-cases `<divineName>` text ("LORD", as printed); decodes XML entities;
 * collapses whitespace. Where a removed note or break stood between two words, one space remains;
 * before closing punctuation none does ("God<note>…</note>created" → "God created",
 * "earth<note>…</note>." → "earth.").
 */
export function osisToPlain(markup: string): string {
  // What follows the end of a book is back matter, not verse text: the WEB module carries its
  // glossary (17k characters) in the entry of Rev 22:21, the last verse of its index.
  const end = BOOK_END_RE.exec(markup);
  let s = (end ? markup.slice(0, end.index) : markup)
    // A note or heading takes the spaces around it along: the importer often writes
    // "coins</q> <note>…</note> <q>?", and the text reads "coins?".
    .replace(/\s*<note\b[^>]*\/>\s*/g, SEP)
    .replace(/\s*<note\b[^>]*>[\s\S]*?<\/note>\s*/g, SEP)
    .replace(/\s*<title\b[^>]*\/>\s*/g, SEP)
    .replace(/\s*<title\b[^>]*>[\s\S]*?<\/title>\s*/g, SEP)
    .replace(/¶/g, SEP)
    // Stray USFM character markers the module's importer left in the text (27 KJV verses read
    // "the \\nd LORD"): a closing marker ("\\+nd*") goes alone, an opening one with its space.
    .replace(/\\\+?[a-z]+\d*\*/g, "")
    .replace(/\\\+?[a-z]+\d*(?: |$)/g, "")
    .replace(/<divineName\b[^>]*>([\s\S]*?)<\/divineName>/g, (_, inner: string) => inner.replace(/(^|>)([^<]*)/g, (_m, a: string, t: string) => a + t.toUpperCase()))
    .replace(/<\/?([A-Za-z][\w:-]*)\b[^>]*>/g, (_, name: string) => (BREAK_TAGS.has(name) ? SEP : ""))
    .replace(/<[GH]\d+>/g, "");
  s = s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) =>
    e[0] === "#" ? String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e] ?? m,
  );
  // A separator next to real whitespace adds nothing; before closing punctuation it goes; elsewhere it is a space.
  s = s
    .replace(/\s*\u0000[\s\u0000]*/g, (m) => (/\s/.test(m) ? " " : SEP))
    .replace(/\u0000(?=[,.;:!?’”)\]]|$)/g, "")
    .replace(/^\u0000/, "")
    .replace(/\u0000/g, " ");
  return s.replace(/\s+/g, " ").trim();
}

// ------------------------------------------------------------------ aligned pairs

/** One aligned verse: the same verse id in both translations, as plain text. */
export interface VersePair {
  /** OSIS verse id, e.g. `"Prov.15.1"`. */
  readonly id: string;
  /** King James Version text. */
  readonly kjv: string;
  /** World English Bible text. */
  readonly web: string;
}

/** What {@link alignVersePairs} kept and skipped. */
export interface AlignStats {
  /** Verse ids of the 66 books present in both modules. */
  readonly common: number;
  /** Skipped: the chapter has a different number of verses in the two versifications (verse ids may not mean the same text). */
  readonly skippedVersification: number;
  /** Skipped: either side empty after markup removal (e.g. a verse the WEB relegates to a footnote). */
  readonly skippedEmpty: number;
  /** Skipped: an entry that also holds a verse its versification lacks (the WEB's Rom 14:23 holds 14:24-26). */
  readonly skippedMerged: number;
  /** Skipped: identical ignoring case and whitespace (no paraphrase to learn). */
  readonly skippedIdentical: number;
  /** Pairs kept. */
  readonly kept: number;
}

/** Same text ignoring case and whitespace runs. */
function sameText(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\s+/g, " ") === b.toLowerCase().replace(/\s+/g, " ");
}

/**
 * Pair the verses of a KJV module and a WEB module by verse id, in canonical order, as plain text.
 * Keeps only the 66 books; skips whole chapters whose verse count differs between the two
 * versifications (3 John 1 and Revelation 12 between KJV and NRSVA: there the same id may hold
 * different text), verses empty on either side, entries that hold a merged extra verse, and pairs
 * identical ignoring case.
 */
export function alignVersePairs(kjv: SwordModule, web: SwordModule): { pairs: VersePair[]; stats: AlignStats } {
  const counts = (m: SwordModule) => new Map<string, number>(versificationBooks(m.conf.versification).flatMap((b) => b.verses.map((n, c): [string, number] => [`${b.book}.${c + 1}`, n])));
  const ck = counts(kjv), cw = counts(web);
  let common = 0, skippedVersification = 0, skippedEmpty = 0, skippedMerged = 0, skippedIdentical = 0;
  const pairs: VersePair[] = [];
  for (const [id, rawK] of kjv.verses) {
    const rawW = web.verses.get(id);
    if (rawW === undefined || !BOOK_INDEX.has(id.slice(0, id.indexOf(".")))) continue;
    common++;
    const ch = chapterOf(id);
    if (ck.get(ch) !== cw.get(ch)) {
      skippedVersification++;
      continue;
    }
    const k = osisToPlain(rawK), w = osisToPlain(rawW);
    if (k === "" || w === "") skippedEmpty++;
    else if (holdsMergedVerse(rawK) || holdsMergedVerse(rawW)) skippedMerged++;
    else if (sameText(k, w)) skippedIdentical++;
    else pairs.push({ id, kjv: k, web: w });
  }
  pairs.sort((a, b) => compareIds(parseVerseId(a.id), parseVerseId(b.id)));
  return { pairs, stats: { common, skippedVersification, skippedEmpty, skippedMerged, skippedIdentical, kept: pairs.length } };
}

/** How the committed subset `data/world/verses.json` is drawn (see {@link selectVerseChapters}). */
export const VERSES_RECIPE = {
  seed: 2024,
  nPairs: 2000,
  /** Chapters always included: they hold the known examples Gen 1:1 and Prov 15:1, and John 11 shows that the identical John 11:35 ("Jesus wept.") is skipped. */
  include: ["Gen.1", "Prov.15", "John.11"],
} as const;

/** Options of {@link selectVerseChapters}. */
export interface SelectOptions {
  /** Seed of the chapter order. */
  seed: number;
  /** Upper bound on the number of pairs (whole chapters are never cut). */
  nPairs: number;
  /** Chapters (`"Book.chapter"`) to take first. Default none. */
  include?: readonly string[];
}

/**
 * A seeded subset of whole chapters: the `include` chapters first, then the other chapters in a
 * seeded random order, each taken if it still fits under `nPairs` (so the total is at most
 * `nPairs`). Whole chapters, because the hard negative of a verse is its neighbour in the same
 * chapter and the split holds out whole chapters. Chapters with fewer than 2 pairs are never
 * taken (a lone verse has no neighbour). Returns the pairs in canonical order.
 */
export function selectVerseChapters(pairs: readonly VersePair[], opts: SelectOptions): VersePair[] {
  if (!(Number.isInteger(opts.nPairs) && opts.nPairs >= 2)) throw new InputError(`invalid nPairs; need an integer ≥ 2, got ${opts.nPairs}`);
  const byChapter = groupByChapter(pairs);
  const chosen: string[] = [];
  let total = 0;
  for (const ch of opts.include ?? []) {
    const g = byChapter.get(ch);
    if (!g) throw new InputError(`cannot include chapter ${JSON.stringify(ch)}: it has no pairs`);
    chosen.push(ch);
    total += g.length;
  }
  const rest = shuffle([...byChapter.keys()].filter((c) => !chosen.includes(c) && byChapter.get(c)!.length >= 2), rng(splitSeed(opts.seed, "verse-chapters")));
  for (const ch of rest) {
    const n = byChapter.get(ch)!.length;
    if (total + n <= opts.nPairs) {
      chosen.push(ch);
      total += n;
    }
  }
  if (total > opts.nPairs) throw new InputError(`the included chapters hold ${total} pairs, more than nPairs = ${opts.nPairs}`);
  const keep = new Set(chosen);
  return pairs.filter((p) => keep.has(chapterOf(p.id)));
}

function groupByChapter(pairs: readonly VersePair[]): Map<string, VersePair[]> {
  const m = new Map<string, VersePair[]>();
  for (const p of pairs) {
    const ch = chapterOf(p.id);
    const g = m.get(ch);
    if (g) g.push(p);
    else m.set(ch, [p]);
  }
  return m;
}

// ------------------------------------------------------------------ the committed file

/** Format tag of `data/world/verses.json`. */
export const VERSES_FORMAT = "lco-world-verses v1";

/** Metadata of a verse-pair file (everything but the pairs). */
export interface VersesMeta {
  /** The Debian packages and modules read, with versions and licences. */
  readonly sources: readonly string[];
  /** How the pairs were chosen (e.g. {@link VERSES_RECIPE}, or `{ all: true }`). */
  readonly recipe: Record<string, unknown>;
  /** {@link AlignStats} of the full alignment. */
  readonly stats: AlignStats;
}

/** A parsed verse-pair file. */
export interface VersesFile extends VersesMeta {
  readonly format: typeof VERSES_FORMAT;
  readonly pairs: readonly VersePair[];
}

/**
 * Serialise pairs to the verse-pair file format: one JSON object, one `[id, kjv, web]` array per
 * line (so that a change shows up as a readable diff). Deterministic: the same pairs and metadata
 * give the same bytes, hence the same sha256.
 */
export function versesFileText(pairs: readonly VersePair[], meta: VersesMeta): string {
  const head = {
    format: VERSES_FORMAT,
    about: "Aligned Bible verses: King James Version (1769) and World English Bible, plain text, for paraphrase pairs. Built by environment/fetch-assets.mjs; see data/world/LICENSES.md.",
    sources: meta.sources,
    recipe: meta.recipe,
    stats: meta.stats,
    columns: ["id", "kjv", "web"],
  };
  const body = pairs.map((p) => JSON.stringify([p.id, p.kjv, p.web])).join(",\n");
  return `${JSON.stringify(head).slice(0, -1)},"pairs":[\n${body}\n]}\n`;
}

/**
 * Parse and validate a verse-pair file. Throws an `InputError` naming the file, the position
 * and the bad value: wrong format tag, a row that is not `[id, kjv, web]`, an invalid or
 * duplicate id, ids out of canonical order, an empty text, or a pair identical ignoring case.
 * @param source the file name, for error messages.
 */
export function parseVersesFile(text: string, source = "verses.json"): VersesFile {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (j === null || typeof j !== "object") throw new InputError(`${source}: need a JSON object, got ${JSON.stringify(j)}`);
  if (j.format !== VERSES_FORMAT) throw new InputError(`${source}: unknown format ${JSON.stringify(j.format)}; need ${JSON.stringify(VERSES_FORMAT)}`);
  if (!Array.isArray(j.pairs)) throw new InputError(`${source}: "pairs" must be an array, got ${JSON.stringify(typeof j.pairs)}`);
  const pairs: VersePair[] = [];
  let prev: VerseRef | null = null;
  j.pairs.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== 3 || !row.every((x) => typeof x === "string")) {
      throw new InputError(`${source}: pair ${i} must be ["id", "kjv", "web"], got ${JSON.stringify(row)?.slice(0, 120)}`);
    }
    const [id, kjv, web] = row as string[];
    let ref: VerseRef;
    try {
      ref = parseVerseId(id);
    } catch (e) {
      throw new InputError(`${source}: pair ${i}: ${(e as Error).message}`);
    }
    if (prev && compareIds(prev, ref) >= 0) throw new InputError(`${source}: pair ${i} has id ${JSON.stringify(id)}, not after ${JSON.stringify(verseId(prev))} (ids must be unique and in canonical order)`);
    if (kjv.trim() === "" || web.trim() === "") throw new InputError(`${source}: pair ${i} (${id}) has an empty ${kjv.trim() === "" ? "kjv" : "web"} text`);
    if (sameText(kjv, web)) throw new InputError(`${source}: pair ${i} (${id}) is identical ignoring case: ${JSON.stringify(kjv)}`);
    prev = ref;
    pairs.push({ id, kjv, web });
  });
  return { format: VERSES_FORMAT, sources: (j.sources as string[]) ?? [], recipe: (j.recipe as Record<string, unknown>) ?? {}, stats: j.stats as AlignStats, pairs };
}

/** The registry entry of the committed verse file (`registry.json` → `verses`). */
export interface VersesRegistryEntry {
  readonly path: string;
  readonly sha256: string;
  readonly recipe?: Record<string, unknown>;
}

/** Options of {@link loadVersePairs}. */
export interface LoadVersesOptions {
  /** Data folder holding `registry.json` and `verses.json`. Default {@link worldDataDir}. */
  dir?: string;
  /**
   * A verse-pair file built locally (e.g. the full set, `data/cache/verses-full.json`). It is
   * validated but, not being committed, has no registered sha256 to check.
   */
  file?: string;
}

/**
 * Load the committed verse pairs (`data/world/verses.json`) after checking its sha256 against
 * `registry.json` (a modified file is never used silently), and validate it
 * ({@link parseVersesFile}). Throws an `InputError` that says how to rebuild it if it is missing.
 * @returns the pairs in canonical order.
 */
export function loadVersePairs(opts: LoadVersesOptions = {}): VersePair[] {
  if (opts.file !== undefined) {
    if (!fs.existsSync(opts.file)) throw new InputError(`verse-pair file not found: ${opts.file}; build the full set with: node environment/fetch-assets.mjs --only verses --verses-full`);
    return [...parseVersesFile(fs.readFileSync(opts.file, "utf8"), opts.file).pairs];
  }
  const dir = opts.dir ?? worldDataDir();
  const regFile = path.join(dir, "registry.json");
  const file = path.join(dir, "verses.json");
  if (!fs.existsSync(regFile) || !fs.existsSync(file)) throw new InputError(`verse pairs missing in ${dir}; run: node environment/fetch-assets.mjs --only verses`);
  const entry = (JSON.parse(fs.readFileSync(regFile, "utf8")) as { verses?: VersesRegistryEntry }).verses;
  if (!entry || typeof entry.sha256 !== "string") throw new InputError(`${regFile} has no "verses" entry with a sha256; run: node environment/fetch-assets.mjs --only verses --update-registry`);
  const bytes = fs.readFileSync(file);
  const got = crypto.createHash("sha256").update(bytes).digest("hex");
  if (got !== entry.sha256.toLowerCase()) throw new InputError(`sha256 mismatch for ${file}: registry ${entry.sha256}, file ${got}`);
  return [...parseVersesFile(bytes.toString("utf8"), file).pairs];
}

// ------------------------------------------------------------------ triples and split

/** One all-NLI-style triple built from verses. */
export interface VerseTriple {
  /** KJV text of the verse. */
  readonly anchor: string;
  /** WEB text of the same verse (a paraphrase of the anchor). */
  readonly positive: string;
  /** WEB text of the neighbouring verse in the same chapter (a hard negative). */
  readonly negative: string;
  /** Verse id of anchor and positive. */
  readonly id: string;
  /** Verse id of the negative. */
  readonly negativeId: string;
  /** `"Book.chapter"`: the unit of the split. */
  readonly chapter: string;
}

/** Options of {@link verseTriples}. */
export interface VerseTripleOptions {
  /** Seed of the split (which chapters are held out). */
  seed: number;
  /** Fraction of the pairs whose chapters go to eval (at least; whole chapters). Default 0.3. */
  evalFraction?: number;
}

/** Triples split by whole chapters. */
export interface VerseSplit {
  /** Training triples, in canonical order (shuffle per epoch with your own seeded `Rng`). */
  readonly train: readonly VerseTriple[];
  /** Held-out triples, in canonical order; their chapters never occur in `train`. */
  readonly eval: readonly VerseTriple[];
  readonly trainChapters: readonly string[];
  readonly evalChapters: readonly string[];
  /** Pairs without a triple: the only pair of their chapter (no neighbour). */
  readonly dropped: number;
}

/**
 * Turn aligned pairs into all-NLI-style triples (anchor = KJV, positive = WEB of the same verse,
 * negative = WEB of the neighbouring verse in the same chapter) and split them by whole chapters.
 *
 * Why the neighbouring verse is a *hard* negative: it comes from the same passage, so it shares
 * the topic, the names, much of the vocabulary and the WEB's modern register with the positive
 * (often it continues the same sentence), yet it says something else. A model that matches topic
 * or style cannot tell it from the positive; only one that matches what this verse says can.
 * It is a "related but not equivalent" negative, not a logical contradiction as in NLI data.
 * It is hard for topic, not for wording: plain word overlap already puts the anchor closer to its
 * positive than to this negative in about 99% of eval triples ({@link verseRetrievalBaseline}).
 *
 * The neighbour is the next verse present in the chapter, or, for the last one, the previous
 * verse (ids are skipped where a pair was filtered out). The split draws a seeded order of the
 * chapters and moves chapters to eval until eval holds at least `evalFraction` of the triples,
 * so eval verses come from chapters never seen in training (no shared neighbours or context).
 */
export function verseTriples(pairs: readonly VersePair[], opts: VerseTripleOptions): VerseSplit {
  if (!Number.isInteger(opts.seed)) throw new InputError(`invalid seed; need an integer, got ${opts.seed}`);
  const evalFraction = opts.evalFraction ?? 0.3;
  if (!(evalFraction > 0 && evalFraction < 1)) throw new InputError(`invalid evalFraction; need 0 < evalFraction < 1, got ${evalFraction}`);
  const sorted = pairs.map((p) => ({ p, ref: parseVerseId(p.id) }));
  sorted.sort((a, b) => compareIds(a.ref, b.ref));
  for (let i = 1; i < sorted.length; i++) if (sorted[i].p.id === sorted[i - 1].p.id) throw new InputError(`duplicate verse id ${JSON.stringify(sorted[i].p.id)}`);
  const byChapter = groupByChapter(sorted.map((x) => x.p));
  const triples = new Map<string, VerseTriple[]>();
  let dropped = 0;
  for (const [chapter, g] of byChapter) {
    if (g.length < 2) {
      dropped += g.length;
      continue;
    }
    triples.set(
      chapter,
      g.map((p, i) => {
        const nb = i + 1 < g.length ? g[i + 1] : g[i - 1];
        return { anchor: p.kjv, positive: p.web, negative: nb.web, id: p.id, negativeId: nb.id, chapter };
      }),
    );
  }
  const chapters = [...triples.keys()];
  const total = chapters.reduce((s, c) => s + triples.get(c)!.length, 0);
  const target = Math.ceil(evalFraction * total);
  const evalSet = new Set<string>();
  let nEval = 0;
  for (const c of shuffle(chapters, rng(splitSeed(opts.seed, "verse-split")))) {
    if (nEval >= target) break;
    evalSet.add(c);
    nEval += triples.get(c)!.length;
  }
  if (evalSet.size === chapters.length && chapters.length > 1) {
    // Never leave training empty: give back the last chapter drawn.
    const last = [...evalSet].pop()!;
    evalSet.delete(last);
  }
  const trainChapters = chapters.filter((c) => !evalSet.has(c));
  const evalChapters = chapters.filter((c) => evalSet.has(c));
  return {
    train: trainChapters.flatMap((c) => triples.get(c)!),
    eval: evalChapters.flatMap((c) => triples.get(c)!),
    trainChapters,
    evalChapters,
    dropped,
  };
}

// ------------------------------------------------------------------ bag-of-words baseline

/** Lower-cased word tokens (letters and digits) of a text. */
export function verseWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Result of {@link verseRetrievalBaseline}. */
export interface VerseBaseline {
  /** Number of queries (= candidates). */
  readonly n: number;
  /** Fraction of KJV queries whose own WEB verse is the single best candidate (ties count against). */
  readonly recallAt1: number;
  /** Mean reciprocal rank of the own WEB verse. */
  readonly mrr: number;
  /** R@1 of a random ranking, 1 / n. */
  readonly chance: number;
  /**
   * Fraction of the same `n` triples whose anchor is strictly closer to its positive than to its
   * hard negative (ties count against); chance 0.5. Word overlap separates them easily (the
   * positive shares the verse's own rare words; the neighbour shares only the passage's), so this
   * measures the floor of a model that has learnt topic but not wording: it should beat this.
   */
  readonly tripleAccuracy: number;
  /** Rank (1 = best) of the own WEB verse for each query. */
  readonly ranks: Int32Array;
}

/**
 * A floor for later chapters: KJV→WEB retrieval with bag-of-words cosine similarity (raw word
 * counts, no stop words, no IDF, no learning) on the first `n` eval triples, anchors as queries
 * and positives as candidates; and the same similarity's accuracy on the triples (anchor closer
 * to positive than to negative). R@1 counts a query as correct only if its own verse scores strictly
 * higher than every other candidate (ties count against, as in the `retrieval` area).
 * @param triples usually `verseTriples(pairs, { seed }).eval`; taken in the given order.
 * @param n number of pairs (default 512, or all if fewer); chance is 1 / n.
 */
export function verseRetrievalBaseline(triples: readonly VerseTriple[], n = 512): VerseBaseline {
  if (!(Number.isInteger(n) && n >= 2)) throw new InputError(`invalid n; need an integer ≥ 2, got ${n}`);
  const m = Math.min(n, triples.length);
  if (m < 2) throw new InputError(`need at least 2 triples for retrieval, got ${triples.length}`);
  const bag = (t: string) => {
    const c = new Map<string, number>();
    for (const w of verseWords(t)) c.set(w, (c.get(w) ?? 0) + 1);
    let sq = 0;
    for (const v of c.values()) sq += v * v;
    return { c, norm: Math.sqrt(sq) };
  };
  const q = triples.slice(0, m).map((t) => bag(t.anchor));
  const c = triples.slice(0, m).map((t) => bag(t.positive));
  const cos = (a: ReturnType<typeof bag>, b: ReturnType<typeof bag>) => {
    if (a.norm === 0 || b.norm === 0) return 0;
    let dot = 0;
    const [small, large] = a.c.size <= b.c.size ? [a.c, b.c] : [b.c, a.c];
    for (const [w, v] of small) dot += v * (large.get(w) ?? 0);
    return dot / (a.norm * b.norm);
  };
  const ranks = new Int32Array(m);
  let hits = 0, rr = 0, closer = 0;
  for (let i = 0; i < m; i++) {
    const own = cos(q[i], c[i]);
    let rank = 1;
    for (let j = 0; j < m; j++) if (j !== i && cos(q[i], c[j]) >= own) rank++;
    ranks[i] = rank;
    if (rank === 1) hits++;
    rr += 1 / rank;
    if (own > cos(q[i], bag(triples[i].negative))) closer++;
  }
  return { n: m, recallAt1: hits / m, mrr: rr / m, chance: 1 / m, tripleAccuracy: closer / m, ranks };
}
