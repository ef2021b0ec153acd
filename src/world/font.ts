/**
 * Fonts for documents in procedural mode (no font files needed): a classic 5×7 pixel font for
 * the Latin script (capitals; documents are written in capitals) and a made-up "cipher"
 * alphabet of seeded 5×7 glyphs that stands in for a low-resource script. Real mode uses glyph
 * atlases rasterised from the DejaVu fonts instead (see `assets.ts`).
 *
 * @module
 */
import { rng, splitSeed } from "../random";
import type { GlyphAtlas } from "./types";

// 5×7 capitals, digits and a little punctuation; "#" = ink.
const ROWS: Record<string, string> = {
  A: ".###.|#...#|#...#|#####|#...#|#...#|#...#",
  B: "####.|#...#|#...#|####.|#...#|#...#|####.",
  C: ".###.|#...#|#....|#....|#....|#...#|.###.",
  D: "####.|#...#|#...#|#...#|#...#|#...#|####.",
  E: "#####|#....|#....|####.|#....|#....|#####",
  F: "#####|#....|#....|####.|#....|#....|#....",
  G: ".###.|#...#|#....|#.###|#...#|#...#|.####",
  H: "#...#|#...#|#...#|#####|#...#|#...#|#...#",
  I: ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
  J: "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
  K: "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
  L: "#....|#....|#....|#....|#....|#....|#####",
  M: "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
  N: "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
  O: ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
  P: "####.|#...#|#...#|####.|#....|#....|#....",
  Q: ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
  R: "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
  S: ".####|#....|#....|.###.|....#|....#|####.",
  T: "#####|..#..|..#..|..#..|..#..|..#..|..#..",
  U: "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
  V: "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
  W: "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
  X: "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
  Y: "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
  Z: "#####|....#|...#.|..#..|.#...|#....|#####",
  "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
  "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
  "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
  "3": "####.|....#|....#|.###.|....#|....#|####.",
  "-": ".....|.....|.....|.###.|.....|.....|.....",
  ":": ".....|..#..|.....|.....|.....|..#..|.....",
  ".": ".....|.....|.....|.....|.....|.....|..#..",
  " ": ".....|.....|.....|.....|.....|.....|.....",
};

function glyphFromRows(rows: string): { width: number; data: Float32Array } {
  const lines = rows.split("|");
  const data = new Float32Array(5 * 7);
  lines.forEach((l, y) => {
    for (let x = 0; x < 5; x++) data[y * 5 + x] = l[x] === "#" ? 1 : 0;
  });
  return { width: 5, data };
}

/**
 * The procedural Latin font: 5×7 capitals (lower-case input is drawn in capitals). Characters
 * it lacks are drawn as blanks.
 */
export function pixelFont(): GlyphAtlas {
  const glyphs = new Map<string, { width: number; data: Float32Array }>();
  for (const [ch, rows] of Object.entries(ROWS)) {
    const g = glyphFromRows(rows);
    glyphs.set(ch, g);
    glyphs.set(ch.toLowerCase(), g);
  }
  return { height: 7, glyphs };
}

/**
 * Strokes of the cipher alphabet on the 5×7 grid: each glyph is a union of 3 of them. Drawn from
 * a fixed seed, so the script is the same everywhere.
 */
const STROKES: [number, number, number, number][] = [
  [0, 0, 4, 0], [0, 3, 4, 3], [0, 6, 4, 6], // horizontals
  [0, 0, 0, 6], [2, 0, 2, 6], [4, 0, 4, 6], // verticals
  [0, 0, 4, 6], [4, 0, 0, 6], // diagonals
  [0, 3, 2, 0], [2, 0, 4, 3], [0, 3, 2, 6], [2, 6, 4, 3], // a diamond's sides
];

function drawStroke(data: Float32Array, [x0, y0, x1, y1]: [number, number, number, number]): void {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
  for (let i = 0; i <= n; i++) {
    const x = Math.round(x0 + ((x1 - x0) * i) / n), y = Math.round(y0 + ((y1 - y0) * i) / n);
    data[y * 5 + x] = 1;
  }
}

/**
 * The procedural low-resource script: the letters a–z each get a distinct glyph made of 3
 * strokes, chosen with a fixed seed. Its "transliteration" maps each Latin letter to itself (the
 * glyphs differ, the letters do not), so the text of a cipher document is the Latin caption.
 */
export function cipherFont(): GlyphAtlas {
  const r = rng(splitSeed(20, "world/cipher-font"));
  const glyphs = new Map<string, { width: number; data: Float32Array }>();
  const used = new Set<string>();
  for (const ch of "abcdefghijklmnopqrstuvwxyz") {
    for (;;) {
      const data = new Float32Array(35);
      const picks = new Set<number>();
      while (picks.size < 3) picks.add(r.int(STROKES.length));
      for (const p of picks) drawStroke(data, STROKES[p]);
      const key = Array.from(data).join("");
      if (used.has(key)) continue;
      used.add(key);
      glyphs.set(ch, { width: 5, data });
      break;
    }
  }
  // Punctuation and space are shared with the Latin font: a script change, not a layout change.
  for (const ch of [" ", "-", ":", "."]) glyphs.set(ch, glyphFromRows(ROWS[ch]));
  return { height: 7, glyphs };
}
