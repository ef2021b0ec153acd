/**
 * Real assets: the registry of sources (Debian packages, their files and sha256 sums), the
 * check that a file is exactly the one registered, and the loader of the committed derived cache.
 *
 * The pipeline has two stages so that a fresh clone needs neither apt nor network:
 * 1. `environment/fetch-assets.mjs` downloads the Debian packages into the gitignored
 *    `data/cache/`, checks every package and every file it reads against `registry.json`, and
 *    writes a small derived cache `data/world/assets.json` (pictures at 32×32, sounds at 8 kHz,
 *    glyph atlases), whose own sha256 it records in the registry.
 * 2. {@link loadAssets} reads that committed cache, after checking its sha256.
 *
 * @module
 */
import { InputError } from "../array";
import * as fs from "node:fs";
import * as path from "node:path";
import { sha256File } from "../io/hash";
import type { AssetBundle, GlyphAtlas, Script, Sprite } from "./types";

/** Folder of the world's committed data (`data/world/` at the package root). */
export function worldDataDir(): string {
  // This file lives in src/world/ (tsx) or dist/world/ (built); both are two levels below the root.
  return path.resolve(__dirname, "..", "..", "data", "world");
}

/** One file read from a source package, with its sha256. */
export interface RegistryFile {
  /** Path inside the extracted package (no leading slash). */
  readonly path: string;
  readonly sha256: string;
  /** What the file is used for, e.g. `"picture of frog"`. */
  readonly use: string;
}

/** One source package. */
export interface RegistrySource {
  readonly name: string;
  /** Debian package name and version. */
  readonly package: string;
  readonly version: string;
  /** The .deb file name and its sha256 (as in the Debian archive index). */
  readonly deb: string;
  readonly debSha256: string;
  readonly licence: string;
  readonly files: readonly RegistryFile[];
}

/** `data/world/registry.json`. */
export interface Registry {
  readonly format: "lco-world-registry v1";
  readonly sources: readonly RegistrySource[];
  /** The derived cache and its sha256. */
  readonly derived: { readonly path: string; readonly sha256: string; readonly tools?: readonly string[] };
}

/**
 * Check that a file has the registered sha256; throw, naming the file and both sums, if not
 * (a modified, truncated or different-version file must never be used silently).
 */
export function verifySha256(file: string, expected: string): void {
  if (!fs.existsSync(file)) throw new InputError(`asset file missing: ${file}`);
  const got = sha256File(file);
  if (got !== expected.toLowerCase()) throw new InputError(`sha256 mismatch for ${file}: expected ${expected}, got ${got}`);
}

/** Read `registry.json` from a data folder (default {@link worldDataDir}). */
export function readRegistry(dir: string = worldDataDir()): Registry {
  const file = path.join(dir, "registry.json");
  const reg = JSON.parse(fs.readFileSync(file, "utf8")) as Registry;
  if (reg.format !== "lco-world-registry v1") throw new InputError(`${file}: unknown registry format ${JSON.stringify(reg.format)}`);
  return reg;
}

/** True if the committed real-asset cache is present (real mode is available). */
export function hasAssets(dir: string = worldDataDir()): boolean {
  return fs.existsSync(path.join(dir, "registry.json")) && fs.existsSync(path.join(dir, "assets.json"));
}

/** The derived cache's JSON layout (`"lco-world-assets v1"`); binary arrays are base64. */
export interface AssetCacheJson {
  format: "lco-world-assets v1";
  sources: string[];
  /** RGBA uint8 `[h, w, 4]`. */
  sprites: Record<string, { width: number; height: number; rgba: string }>;
  soundRate: number;
  /** int16 mono PCM. */
  sounds: Record<string, string>;
  /** Per script: glyph height and per character a uint8 grey bitmap `[height, width]`. */
  fonts: Record<Script, { height: number; glyphs: Record<string, { width: number; data: string }> }>;
  lowresMap: Record<string, string>;
}

function b64(s: string): Buffer {
  return Buffer.from(s, "base64");
}

/**
 * Load the real asset bundle from the committed derived cache, after checking its sha256
 * against the registry. Throws, saying how to rebuild it, if the cache is missing or modified.
 */
export function loadAssets(dir: string = worldDataDir()): AssetBundle {
  if (!hasAssets(dir)) throw new InputError(`real assets missing in ${dir}; run: node environment/fetch-assets.mjs (or use world mode "procedural")`);
  const reg = readRegistry(dir);
  const file = path.join(dir, "assets.json");
  verifySha256(file, reg.derived.sha256);
  const j = JSON.parse(fs.readFileSync(file, "utf8")) as AssetCacheJson;
  if (j.format !== "lco-world-assets v1") throw new InputError(`${file}: unknown asset cache format ${JSON.stringify(j.format)}`);
  const sprites = new Map<string, Sprite>();
  for (const [name, s] of Object.entries(j.sprites)) {
    const u8 = b64(s.rgba);
    if (u8.length !== s.width * s.height * 4) throw new InputError(`${file}: sprite "${name}" has ${u8.length} bytes, expected ${s.width * s.height * 4}`);
    sprites.set(name, { width: s.width, height: s.height, data: Float32Array.from(u8, (v) => v / 255) });
  }
  const sounds = new Map<string, Float32Array>();
  for (const [name, s] of Object.entries(j.sounds)) {
    const buf = b64(s);
    const pcm = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2);
    sounds.set(name, Float32Array.from(pcm, (v) => v / 32768));
  }
  const font = (f: AssetCacheJson["fonts"]["latin"]): GlyphAtlas => {
    const glyphs = new Map<string, { width: number; data: Float32Array }>();
    for (const [ch, g] of Object.entries(f.glyphs)) glyphs.set(ch, { width: g.width, data: Float32Array.from(b64(g.data), (v) => v / 255) });
    return { height: f.height, glyphs };
  };
  return {
    sprites,
    sounds,
    soundRate: j.soundRate,
    fonts: { latin: font(j.fonts.latin), lowres: font(j.fonts.lowres) },
    lowresMap: new Map(Object.entries(j.lowresMap)),
    sources: j.sources,
  };
}
