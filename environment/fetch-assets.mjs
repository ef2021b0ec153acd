#!/usr/bin/env node
// Build the world's real-asset cache from Debian packages. Idempotent: what is already there
// and verified is not fetched again; a second run only re-checks.
//
//   node environment/fetch-assets.mjs                    # fetch, verify, (re)build data/world/assets.json
//   node environment/fetch-assets.mjs --check            # verify the committed cache only (no network)
//   node environment/fetch-assets.mjs --update-registry  # maintainers: record new sha256 sums
//   node environment/fetch-assets.mjs --only verses      # only the Bible verse pairs (no decoders needed)
//   node environment/fetch-assets.mjs --only assets      # only pictures, sounds and glyphs
//   node environment/fetch-assets.mjs --only verses --verses-full
//                                                        # also write every aligned pair (~30k) to the
//                                                        # gitignored data/cache/verses-full.json
//
// Stages (see src/world/assets.ts):
//   1. `apt-get download` the pinned .deb files into data/cache/debs/ (gitignored; no root needed)
//      and check each against the sha256 in data/world/registry.json;
//   2. `dpkg -x` them into data/cache/<package>/ and check every file we read against its sha256;
//   3. decode pictures (pngjs), sounds (@wasm-audio-decoders/ogg-vorbis) and font glyphs
//      (@resvg/resvg-js, which rasterises text with a given .ttf), shrink them, and write the
//      small derived cache data/world/assets.json, whose sha256 goes into the registry.
// The verse stage (src/world/verses.ts, loaded from source through tsx) does stages 1–2 for the
// Debian SWORD Bible modules sword-text-kjv and sword-text-web, reads their zText files, pairs
// the verses and writes the committed subset data/world/verses.json (a seeded choice of whole
// chapters, VERSES_RECIPE), whose sha256 goes into the registry under "verses".
// The decoders are needed only here, never at run time. If they are not installed:
//   npm install --no-save --save-exact pngjs@7.0.0 @resvg/resvg-js@2.6.2 @wasm-audio-decoders/ogg-vorbis@0.1.20
// (or point LCO_ASSET_TOOLS at a folder whose node_modules holds them).
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.join(root, "data", "world");
const cacheDir = path.join(root, "data", "cache");
const registryFile = path.join(dataDir, "registry.json");
const assetsFile = path.join(dataDir, "assets.json");
const argv = process.argv.slice(2);
const args = new Set(argv);
const checkOnly = args.has("--check");
const update = args.has("--update-registry");
const onlyArg = argv.find((a) => a.startsWith("--only="))?.slice(7) ?? (argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined);
if (onlyArg !== undefined && onlyArg !== "assets" && onlyArg !== "verses") {
  console.error(`fetch-assets: invalid --only ${JSON.stringify(onlyArg)}; need "assets" or "verses"`);
  process.exit(1);
}
const runAssets = onlyArg === undefined || onlyArg === "assets";
const runVerses = onlyArg === undefined || onlyArg === "verses";
const versesFile = path.join(dataDir, "verses.json");
const versesFullFile = path.join(cacheDir, "verses-full.json");

const SPRITE = 32; // pictures are stored at 32×32 RGBA
const SOUND_RATE = 8000; // sounds are stored at 8 kHz, the world's default audio rate
const SOUND_MAX_S = 1.0;
const GLYPH_H = 10; // glyph atlas line height (pixels)
const FONT_PX = 9; // font size for the glyph atlases

// The objects of the real world: Tux Paint stamps that have both a picture and a sound effect.
const STAMPS = {
  frog: "animals/amphibians/frog",
  dog: "animals/mammals/dogs/dog",
  cow: "animals/mammals/bovines/cow",
  duck: "animals/birds/duck",
  pig: "animals/mammals/pig",
  elephant: "animals/mammals/elephant",
  horse: "animals/mammals/equines/horse",
  owl: "animals/birds/owl",
};
const STAMP_DIR = "usr/share/tuxpaint/stamps";
const FONT_FILE = "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const LATIN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-:.";
// The low-resource script: Latin letters → Georgian Mkhedruli letters, one for one (loosely after
// the Georgian national romanisation; it is a cipher of English, not Georgian spelling).
const GEORGIAN = {
  a: "ა", b: "ბ", c: "ც", d: "დ", e: "ე", f: "ფ", g: "გ", h: "ჰ", i: "ი", j: "ჯ", k: "კ", l: "ლ", m: "მ",
  n: "ნ", o: "ო", p: "პ", q: "ქ", r: "რ", s: "ს", t: "ტ", u: "უ", v: "ვ", w: "წ", x: "ხ", y: "ყ", z: "ზ",
};

// Bible translations for real paraphrase pairs (src/world/verses.ts): SWORD zText modules.
const BIBLES = [
  {
    name: "bible-kjv", package: "sword-text-kjv", version: "14.3-1", module: "engKJV2006eb",
    licence: "public domain (King James Version, 1769 text; Crosswire Bible Society and eBible.org); Debian packaging GPL-2+ (Debian copyright file)",
  },
  {
    name: "bible-web", package: "sword-text-web", version: "426.0-1", module: "engWEB2015eb",
    licence: "public domain (World English Bible; \"World English Bible\" is a trademark of eBible.org); Debian packaging GPL-2+ (Debian copyright file)",
  },
];
const SWORD_DIR = "usr/share/sword";

const PACKAGES = [
  { name: "tuxpaint-stamps", package: "tuxpaint-stamps-default", version: "2022.06.04-1", licence: "GPL-2 (Tux Paint stamps © 2002-2022 Bill Kendrick and contributors; Debian copyright file)" },
  { name: "dejavu-fonts", package: "fonts-dejavu-core", version: "2.37-6", licence: "Bitstream Vera Fonts licence + public-domain DejaVu changes (permissive; Debian copyright file)" },
];

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const die = (msg) => {
  console.error(`fetch-assets: ${msg}`);
  process.exit(1);
};
const writeAtomic = (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
};

function readRegistry() {
  if (!fs.existsSync(registryFile)) return null;
  return JSON.parse(fs.readFileSync(registryFile, "utf8"));
}

// ------------------------------------------------------------------ --check: the committed cache only
if (checkOnly) {
  const reg = readRegistry();
  if (!reg) die(`missing ${path.relative(root, registryFile)}`);
  if (!fs.existsSync(assetsFile)) die(`missing ${path.relative(root, assetsFile)}; run without --check to build it`);
  const got = sha256(fs.readFileSync(assetsFile));
  if (got !== reg.derived.sha256) die(`sha256 mismatch for data/world/assets.json: registry ${reg.derived.sha256}, file ${got}`);
  console.log(`ok: data/world/assets.json matches the registry (${got.slice(0, 12)}…)`);
  if (reg.verses) {
    if (!fs.existsSync(versesFile)) die(`missing ${path.relative(root, versesFile)}; run: node environment/fetch-assets.mjs --only verses`);
    const gotV = sha256(fs.readFileSync(versesFile));
    if (gotV !== reg.verses.sha256) die(`sha256 mismatch for data/world/verses.json: registry ${reg.verses.sha256}, file ${gotV}`);
    console.log(`ok: data/world/verses.json matches the registry (${gotV.slice(0, 12)}…)`);
  }
  process.exit(0);
}

// ------------------------------------------------------------------ tools
async function loadTool(name) {
  const bases = [path.join(root, "package.json")];
  if (process.env.LCO_ASSET_TOOLS) bases.push(path.join(path.resolve(process.env.LCO_ASSET_TOOLS), "package.json"));
  for (const b of bases) {
    try {
      const req = createRequire(b);
      let resolved;
      try {
        resolved = req.resolve(name);
      } catch {
        // ESM-only packages: find the folder and use its "main".
        const dir = path.join(path.dirname(b), "node_modules", name);
        const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        resolved = path.join(dir, pj.main ?? "index.js");
      }
      return await import(pathToFileURL(resolved).href);
    } catch {
      /* try the next base */
    }
  }
  return null;
}

const missing = [];
const pngjs = runAssets ? await loadTool("pngjs") : null;
const resvg = runAssets ? await loadTool("@resvg/resvg-js") : null;
const ogg = runAssets ? await loadTool("@wasm-audio-decoders/ogg-vorbis") : null;
if (runAssets && !pngjs) missing.push("pngjs@7.0.0");
if (runAssets && !resvg) missing.push("@resvg/resvg-js@2.6.2");
if (runAssets && !ogg) missing.push("@wasm-audio-decoders/ogg-vorbis@0.1.20");
if (missing.length) {
  die(`missing npm decoders: ${missing.join(", ")}\n  install them with: npm install --no-save --save-exact ${missing.join(" ")}\n  (or set LCO_ASSET_TOOLS to a folder with them). Procedural mode needs none of this.`);
}

// ------------------------------------------------------------------ stage 1–2: packages and files
const registry = readRegistry() ?? { format: "lco-world-registry v1", sources: [], derived: { path: "data/world/assets.json", sha256: "" } };
const debDir = path.join(cacheDir, "debs");
fs.mkdirSync(debDir, { recursive: true });

function ensureDeb(p) {
  const src = registry.sources.find((s) => s.package === p.package);
  const deb = `${p.package}_${p.version}_all.deb`;
  const file = path.join(debDir, deb);
  if (!fs.existsSync(file)) {
    let hasApt = true;
    try {
      execFileSync("apt-get", ["--version"], { stdio: "ignore" });
    } catch {
      hasApt = false;
    }
    if (!hasApt) die(`missing ${deb} and no apt-get on this machine; copy the .deb into ${path.relative(root, debDir)}/ or use world mode "procedural"`);
    console.log(`downloading ${p.package}=${p.version} …`);
    try {
      execFileSync("apt-get", ["download", `${p.package}=${p.version}`], { cwd: debDir, stdio: "inherit" });
    } catch {
      die(`apt-get download ${p.package}=${p.version} failed (run 'apt-get update' first, or check the Debian mirror)`);
    }
  }
  const got = sha256(fs.readFileSync(file));
  if (src && !update && got !== src.debSha256) die(`sha256 mismatch for ${deb}: registry ${src.debSha256}, file ${got}`);
  const out = path.join(cacheDir, p.package);
  const marker = path.join(out, `.extracted-${got.slice(0, 16)}`);
  if (!fs.existsSync(marker)) {
    console.log(`extracting ${deb} …`);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    execFileSync("dpkg", ["-x", file, out], { stdio: "inherit" });
    fs.writeFileSync(marker, "");
  }
  return { deb, debSha256: got, dir: out, registered: src };
}

const pk = {};
const addPackages = (list) => list.forEach((p) => (pk[p.name] = { ...p, ...ensureDeb(p), files: [] }));
/** A package's registry entry as this run saw it (its .deb and every file read, with sha256 sums). */
const sourceEntry = (p) => ({ name: p.name, package: p.package, version: p.version, deb: pk[p.name].deb, debSha256: pk[p.name].debSha256, licence: p.licence, files: pk[p.name].files });

/** Read a file from an extracted package, checking (or recording) its sha256. */
function readChecked(pkgName, rel, use) {
  const p = pk[pkgName];
  const file = path.join(p.dir, rel);
  if (!fs.existsSync(file)) die(`missing ${rel} in ${p.package}`);
  const buf = fs.readFileSync(file);
  const got = sha256(buf);
  const known = p.registered?.files.find((f) => f.path === rel);
  if (!update) {
    if (!known) die(`${rel} is not in the registry; run with --update-registry to record it`);
    if (known.sha256 !== got) die(`sha256 mismatch for ${p.package}:${rel}: registry ${known.sha256}, file ${got}`);
  }
  p.files.push({ path: rel, sha256: got, use });
  return buf;
}

// ------------------------------------------------------------------ stage 3: decode and shrink
/** Crop a decoded RGBA PNG to its opaque part, pad to a square, and area-average to SPRITE×SPRITE. */
function shrinkSprite(png) {
  const { width: W, height: H, data } = png;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (data[(y * W + x) * 4 + 3] > 8) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  if (x1 < 0) die("a picture is fully transparent");
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const cx = (x0 + x1 + 1) / 2, cy = (y0 + y1 + 1) / 2;
  const out = new Uint8Array(SPRITE * SPRITE * 4);
  const cell = side / SPRITE;
  for (let oy = 0; oy < SPRITE; oy++) for (let ox = 0; ox < SPRITE; ox++) {
    // Average the premultiplied colour over the source area this output pixel covers.
    let r = 0, g = 0, b = 0, a = 0, n = 0;
    const sx0 = cx - side / 2 + ox * cell, sy0 = cy - side / 2 + oy * cell;
    for (let sy = Math.floor(sy0); sy < Math.ceil(sy0 + cell); sy++) for (let sx = Math.floor(sx0); sx < Math.ceil(sx0 + cell); sx++) {
      n++;
      if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
      const o = (sy * W + sx) * 4;
      const al = data[o + 3] / 255;
      r += data[o] * al; g += data[o + 1] * al; b += data[o + 2] * al; a += al;
    }
    const o = (oy * SPRITE + ox) * 4;
    if (a > 0) { out[o] = Math.round(r / a); out[o + 1] = Math.round(g / a); out[o + 2] = Math.round(b / a); }
    out[o + 3] = Math.round((255 * a) / Math.max(1, n));
  }
  return out;
}

/** Mono mix → trim leading/trailing silence → low-pass + resample to SOUND_RATE → ≤ 1 s → peak 0.9 → int16. */
function shrinkSound(channels, rate) {
  const n = channels[0].length;
  const mono = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) mono[i] += ch[i] / channels.length;
  const peak0 = mono.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let s = 0, e = n - 1;
  while (s < n && Math.abs(mono[s]) < 0.05 * peak0) s++;
  while (e > s && Math.abs(mono[e]) < 0.05 * peak0) e--;
  const step = rate / SOUND_RATE;
  const len = Math.min(Math.floor((e - s) / step), Math.round(SOUND_MAX_S * SOUND_RATE));
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    // Box filter over one output period: a simple anti-aliasing low-pass before decimation.
    const a = s + i * step;
    let acc = 0, k = 0;
    for (let j = Math.floor(a); j < Math.min(e + 1, Math.floor(a + step)); j++) { acc += mono[j]; k++; }
    out[i] = k ? acc / k : 0;
  }
  const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  const pcm = new Int16Array(len);
  for (let i = 0; i < len; i++) pcm[i] = Math.round((out[i] / peak) * 0.9 * 32767);
  return Buffer.from(pcm.buffer);
}

/** Rasterise one character with the DejaVu font into a GLYPH_H-high grey bitmap cropped to its ink (+ fixed space width). */
function glyph(ch, fontPath) {
  const W = 24;
  const esc = ch === "<" ? "&lt;" : ch === "&" ? "&amp;" : ch;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${GLYPH_H}"><text x="4" y="${GLYPH_H - 2.5}" font-family="DejaVu Sans" font-size="${FONT_PX}" fill="#000">${esc}</text></svg>`;
  const r = new resvg.Resvg(svg, { font: { fontFiles: [fontPath], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" }, background: "rgba(255,255,255,0)" });
  const img = r.render();
  const px = img.pixels; // RGBA, premultiplied-free; ink in alpha
  let x0 = W, x1 = -1;
  for (let y = 0; y < GLYPH_H; y++) for (let x = 0; x < W; x++) if (px[(y * W + x) * 4 + 3] > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); }
  if (x1 < 0) die(`the font has no visible glyph for "${ch}"`);
  const w = x1 - x0 + 1;
  const data = new Uint8Array(w * GLYPH_H);
  for (let y = 0; y < GLYPH_H; y++) for (let x = 0; x < w; x++) data[y * w + x] = px[(y * W + x0 + x) * 4 + 3];
  return { width: w, data: Buffer.from(data).toString("base64") };
}

// The registry this run writes (with --update-registry or when there is none): each stage that
// runs replaces its own sources and derived entry; what a stage that did not run recorded stays.
const newSources = new Map(registry.sources.map((s) => [s.name, s]));
let newDerived = registry.derived;
let newVerses = registry.verses;

if (runAssets) {
  addPackages(PACKAGES);
  const sprites = {}, sounds = {};
  const decoder = new ogg.OggVorbisDecoder();
  await decoder.ready;
  for (const [name, stem] of Object.entries(STAMPS)) {
    const png = pngjs.PNG.sync.read(readChecked("tuxpaint-stamps", `${STAMP_DIR}/${stem}.png`, `picture of ${name}`));
    sprites[name] = { width: SPRITE, height: SPRITE, rgba: Buffer.from(shrinkSprite(png)).toString("base64") };
    const buf = readChecked("tuxpaint-stamps", `${STAMP_DIR}/${stem}.ogg`, `sound of ${name}`);
    const dec = await decoder.decodeFile(new Uint8Array(buf));
    await decoder.reset();
    sounds[name] = shrinkSound(dec.channelData, dec.sampleRate).toString("base64");
    console.log(`  ${name}: picture ${png.width}×${png.height} → ${SPRITE}×${SPRITE}; sound ${(dec.samplesDecoded / dec.sampleRate).toFixed(2)} s at ${dec.sampleRate} Hz → ${(Buffer.from(sounds[name], "base64").length / 2 / SOUND_RATE).toFixed(2)} s at ${SOUND_RATE} Hz`);
  }
  decoder.free();
  readChecked("tuxpaint-stamps", "usr/share/doc/tuxpaint-stamps-default/copyright", "licence");

  readChecked("dejavu-fonts", FONT_FILE, "font for documents (Latin and Georgian glyphs)");
  readChecked("dejavu-fonts", "usr/share/doc/fonts-dejavu-core/copyright", "licence");
  const fontPath = path.join(pk["dejavu-fonts"].dir, FONT_FILE);
  const space = { width: 2, data: Buffer.alloc(2 * GLYPH_H).toString("base64") };
  const latin = { height: GLYPH_H, glyphs: { " ": space } };
  for (const ch of LATIN_CHARS) latin.glyphs[ch] = glyph(ch, fontPath);
  const lowres = { height: GLYPH_H, glyphs: { " ": space, "-": latin.glyphs["-"], ":": latin.glyphs[":"], ".": latin.glyphs["."] } };
  for (const ch of Object.values(GEORGIAN)) lowres.glyphs[ch] = glyph(ch, fontPath);

  const sources = PACKAGES.map((p) => `${p.package} ${p.version} (Debian bookworm): ${p.licence}`);
  const cache = { format: "lco-world-assets v1", sources, sprites, soundRate: SOUND_RATE, sounds, fonts: { latin, lowres }, lowresMap: GEORGIAN };
  const text = JSON.stringify(cache) + "\n";
  fs.mkdirSync(dataDir, { recursive: true });
  const prev = fs.existsSync(assetsFile) ? fs.readFileSync(assetsFile, "utf8") : null;
  if (prev !== text) writeAtomic(assetsFile, text);
  const derivedSha = sha256(Buffer.from(text));
  if (!update && registry.derived.sha256 && registry.derived.sha256 !== derivedSha) {
    die(`the rebuilt data/world/assets.json (${derivedSha}) differs from the registered one (${registry.derived.sha256}); a decoder version changed? Re-run with --update-registry if that is intended`);
  }
  for (const p of PACKAGES) newSources.set(p.name, sourceEntry(p));
  newDerived = { path: "data/world/assets.json", sha256: derivedSha, tools: ["pngjs@7.0.0", "@resvg/resvg-js@2.6.2", "@wasm-audio-decoders/ogg-vorbis@0.1.20"] };
  console.log(`ok: data/world/assets.json (${(text.length / 1024).toFixed(0)} kB, sha256 ${derivedSha.slice(0, 12)}…), ${Object.keys(sprites).length} pictures, ${Object.keys(sounds).length} sounds, ${Object.keys(latin.glyphs).length} + ${Object.keys(lowres.glyphs).length} glyphs; every source file matched the registry`);
}

// ------------------------------------------------------------------ verses: Bible paraphrase pairs
if (runVerses) {
  addPackages(BIBLES);
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    die("the verse stage loads src/world/verses.ts through tsx (a devDependency); run npm ci first");
  }
  const V = await tsx.tsImport(pathToFileURL(path.join(root, "src", "world", "verses.ts")).href, import.meta.url);
  const modules = {};
  for (const b of BIBLES) {
    const conf = `${SWORD_DIR}/mods.d/${b.module}.conf`;
    readChecked(b.name, conf, "SWORD module configuration (driver, versification)");
    const dataPath = V.parseSwordConf(fs.readFileSync(path.join(pk[b.name].dir, conf), "utf8"), conf).dataPath.replace(/^\.\//, "").replace(/\/$/, "");
    for (const t of ["ot", "nt"]) for (const ext of ["bzs", "bzv", "bzz"]) {
      readChecked(b.name, `${SWORD_DIR}/${dataPath}/${t}.${ext}`, { bzs: "block index", bzv: "verse index", bzz: "compressed text" }[ext] + ` (${t === "ot" ? "Old" : "New"} Testament)`);
    }
    readChecked(b.name, `usr/share/doc/${b.package}/copyright`, "licence");
    // The files were just checked against the registry; the reader opens them by path.
    modules[b.name] = V.readSwordModule(path.join(pk[b.name].dir, conf));
  }
  const { pairs, stats } = V.alignVersePairs(modules["bible-kjv"], modules["bible-web"]);
  const sources = BIBLES.map((b) => `${b.package} ${b.version} (Debian bookworm), SWORD module ${b.module} (${modules[b.name].conf.description}, ${modules[b.name].conf.versification} versification): ${b.licence}`);
  const recipe = { ...V.VERSES_RECIPE, unit: "whole chapters", rules: "66 books; chapters with the same verse count in both versifications; neither side empty; no merged extra verse; not identical ignoring case" };
  const subset = V.selectVerseChapters(pairs, V.VERSES_RECIPE);
  const vText = V.versesFileText(subset, { sources, recipe, stats });
  V.parseVersesFile(vText, "the rebuilt verses.json"); // never write a file the loader would reject
  const prevV = fs.existsSync(versesFile) ? fs.readFileSync(versesFile, "utf8") : null;
  if (prevV !== vText) writeAtomic(versesFile, vText);
  const versesSha = sha256(Buffer.from(vText));
  if (!update && registry.verses?.sha256 && registry.verses.sha256 !== versesSha) {
    die(`the rebuilt data/world/verses.json (${versesSha}) differs from the registered one (${registry.verses.sha256}); did src/world/verses.ts change? Re-run with --update-registry if that is intended`);
  }
  for (const b of BIBLES) newSources.set(b.name, sourceEntry(b));
  newVerses = { path: "data/world/verses.json", sha256: versesSha, recipe: V.VERSES_RECIPE, builder: "src/world/verses.ts" };
  const nCh = new Set(subset.map((p) => p.id.slice(0, p.id.lastIndexOf(".")))).size;
  console.log(`ok: data/world/verses.json (${(Buffer.byteLength(vText) / 1024).toFixed(0)} kB, sha256 ${versesSha.slice(0, 12)}…), ${subset.length} pairs in ${nCh} chapters, of ${stats.kept} aligned (${stats.common} common ids; skipped ${stats.skippedVersification} versification, ${stats.skippedEmpty} empty, ${stats.skippedMerged} merged, ${stats.skippedIdentical} identical)`);
  if (args.has("--verses-full")) {
    fs.mkdirSync(cacheDir, { recursive: true });
    writeAtomic(versesFullFile, V.versesFileText(pairs, { sources, recipe: { all: true, rules: recipe.rules }, stats }));
    console.log(`ok: ${path.relative(root, versesFullFile)} (all ${pairs.length} pairs; not committed; load with loadVersePairs({ file }))`);
  }
}

const order = [...PACKAGES, ...BIBLES].map((p) => p.name);
const newRegistry = {
  format: "lco-world-registry v1",
  sources: [...order.filter((n) => newSources.has(n)).map((n) => newSources.get(n)), ...[...newSources.values()].filter((s) => !order.includes(s.name))],
  derived: newDerived,
  ...(newVerses ? { verses: newVerses } : {}),
};
if (update || !fs.existsSync(registryFile)) writeAtomic(registryFile, JSON.stringify(newRegistry, null, 2) + "\n");
