/**
 * Turning rendered arrays into pictures a notebook can show: a tiny PNG encoder (node:zlib does
 * the compression) and a grid that tiles many images into one, scaled up with nearest-neighbour
 * so each world pixel stays a crisp square.
 *
 * @module
 */
import { InputError } from "../array";
import * as zlib from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * Encode an 8-bit RGB PNG from float values in [0, 1] (clipped).
 * @param data `[height, width, channels]` row-major, channels 1 (grey) or 3 (RGB).
 */
export function encodePng(data: Float32Array, height: number, width: number, channels: 1 | 3 = 3): Uint8Array {
  if (data.length !== height * width * channels) throw new InputError(`encodePng: data has ${data.length} values, expected ${height}×${width}×${channels} = ${height * width * channels}`);
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter type 0 (none)
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) {
      const v = data[(y * width + x) * channels + (channels === 1 ? 0 : c)];
      raw[y * (1 + width * 3) + 1 + x * 3 + c] = Math.round(Math.max(0, Math.min(1, v)) * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  ]);
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/** One tile of an {@link imageGrid}: `[height, width, channels]` values in [0, 1]. */
export interface Tile {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  /** 1 (grey) or 3 (RGB); default 3. */
  readonly channels?: number;
}

/**
 * Tile images into one RGB picture `[rows·(h+gap)·scale, cols·(w+gap)·scale, 3]`, each pixel
 * repeated `scale` times in both directions, with a `gap`-pixel mid-grey border. Tiles may differ
 * in size (each cell is as large as the largest tile).
 * @returns `{data, height, width}` ready for {@link encodePng}.
 */
export function imageGrid(tiles: readonly Tile[], cols: number, scale = 4, gap = 1): { data: Float32Array; height: number; width: number } {
  if (tiles.length === 0) throw new InputError("imageGrid needs at least one tile");
  const th = Math.max(...tiles.map((t) => t.height)), tw = Math.max(...tiles.map((t) => t.width));
  const rows = Math.ceil(tiles.length / cols);
  const H = rows * (th + gap) + gap, W = cols * (tw + gap) + gap;
  const out = new Float32Array(H * scale * W * scale * 3).fill(0.5);
  tiles.forEach((t, i) => {
    const ch = t.channels ?? 3;
    const oy = gap + Math.floor(i / cols) * (th + gap), ox = gap + (i % cols) * (tw + gap);
    for (let y = 0; y < t.height; y++) for (let x = 0; x < t.width; x++) for (let c = 0; c < 3; c++) {
      const v = t.data[(y * t.width + x) * ch + (ch === 1 ? 0 : c)];
      for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) {
        out[(((oy + y) * scale + sy) * W * scale + (ox + x) * scale + sx) * 3 + c] = v;
      }
    }
  });
  return { data: out, height: H * scale, width: W * scale };
}
