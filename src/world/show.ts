/**
 * Showing the world in a notebook: image grids as PNG, spectrograms as colour-mapped PNG
 * heatmaps, audio as a playable `<audio>` element. Outside a kernel (tests, CLI) each helper
 * prints one line of text instead and still returns what it would have shown.
 *
 * @module
 */
import { displayData } from "../display/kernel";
import { encodeWav } from "./audio";
import { encodePng, imageGrid, type Tile } from "./png";
import type { LogMel, Waveform } from "./types";

/** Options of {@link showImages}. */
export interface ShowImagesOptions {
  /** Tiles per row. Default min(#tiles, 8). */
  cols?: number;
  /** Pixel repeat factor. Default 4. */
  scale?: number;
  /** Text shown in plain-text frontends (and printed outside a kernel). */
  label?: string;
}

/**
 * Show images (RGB `[h, w, 3]` or grey `[h, w]` tiles) as one PNG grid. Returns nothing, so a
 * notebook cell ending with it prints nothing extra (use `imageGrid` + `encodePng` for the bytes).
 */
export function showImages(tiles: readonly Tile[], opts: ShowImagesOptions = {}): void {
  const g = imageGrid(tiles, opts.cols ?? Math.min(tiles.length, 8), opts.scale ?? 4);
  const png = encodePng(g.data, g.height, g.width);
  const label = opts.label ?? `${tiles.length} images`;
  if (!displayData({ "image/png": Buffer.from(png).toString("base64"), "text/plain": label })) console.log(`[image grid: ${label}]`);
}

// A perceptual dark-to-bright colour map (anchors sampled from matplotlib's "magma").
const MAGMA: [number, number, number][] = [
  [0.001, 0.0, 0.014], [0.232, 0.059, 0.438], [0.551, 0.161, 0.506], [0.868, 0.288, 0.409], [0.994, 0.624, 0.427], [0.987, 0.991, 0.75],
];

function colourMap(v: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, v)) * (MAGMA.length - 1);
  const i = Math.min(MAGMA.length - 2, Math.floor(x)), a = x - i;
  return [0, 1, 2].map((c) => MAGMA[i][c] * (1 - a) + MAGMA[i + 1][c] * a) as [number, number, number];
}

/**
 * A log-mel spectrogram as an RGB tile `[nMels, frames, 3]`: time runs left to right, low
 * frequencies at the bottom, colour = log energy mapped linearly from `[lo, hi]` (default: the
 * spectrogram's own min and max) through the magma colour map.
 */
export function melTile(lm: LogMel, lo?: number, hi?: number): Tile {
  let mn = Infinity, mx = -Infinity;
  for (const v of lm.data) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const a = lo ?? mn, b = hi ?? mx;
  const data = new Float32Array(lm.nMels * lm.frames * 3);
  for (let t = 0; t < lm.frames; t++) for (let m = 0; m < lm.nMels; m++) {
    const rgb = colourMap((lm.data[t * lm.nMels + m] - a) / (b - a || 1));
    const o = ((lm.nMels - 1 - m) * lm.frames + t) * 3;
    data[o] = rgb[0];
    data[o + 1] = rgb[1];
    data[o + 2] = rgb[2];
  }
  return { data, height: lm.nMels, width: lm.frames, channels: 3 };
}

/** Show a playable audio player for a waveform (a WAV data URL inside an `<audio>` tag). */
export function showAudio(wave: Waveform, label = "audio"): void {
  const b64 = Buffer.from(encodeWav(wave)).toString("base64");
  const esc = label.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const html = `<div style="display:flex;align-items:center;gap:8px"><audio controls src="data:audio/wav;base64,${b64}"></audio><span>${esc}</span></div>`;
  if (!displayData({ "text/html": html, "text/plain": `[audio: ${label}]` })) console.log(`[audio: ${label}]`);
}
