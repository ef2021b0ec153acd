/**
 * Renderers: one meaning → pixels, a waveform, a document image, a short video.
 *
 * Every renderer is a pure function of (world, item): its jitter comes from `item.renderSeed`,
 * so rendering the same item twice gives identical arrays, and no renderer touches a global
 * random state.
 *
 * @module
 */
import { InputError } from "../array";
import { rng, splitSeed, type Rng } from "../random";
import { COLOUR_RGB, PROCEDURAL_OBJECTS } from "./config";
import { cipherFont, pixelFont } from "./font";
import { nCaptions } from "./generate";
import type { DocumentData, GlyphAtlas, ImageData, Item, Script, Sprite, VideoData, Waveform, World } from "./types";

// ---------------------------------------------------------------- layout

interface Placement {
  object: string;
  colour: string;
  cx: number;
  cy: number;
  /** Half the object's extent (pixels). */
  rad: number;
}

const POSITION_XY: Record<string, [number, number]> = { left: [0.27, 0.5], right: [0.73, 0.5], top: [0.5, 0.27], bottom: [0.5, 0.73] };
const RELATION_XY: Record<string, [[number, number], [number, number]]> = {
  "left of": [[0.27, 0.5], [0.73, 0.5]],
  "right of": [[0.73, 0.5], [0.27, 0.5]],
  above: [[0.5, 0.27], [0.5, 0.73]],
  below: [[0.5, 0.73], [0.5, 0.27]],
};

/** Radius as a fraction of the image side, for size index i of n sizes. */
function radiusFrac(i: number, n: number, two: boolean): number {
  const [lo, hi] = two ? [0.11, 0.19] : [0.15, 0.28];
  return n === 1 ? hi : lo + ((hi - lo) * i) / (n - 1);
}

/** Where each object of an item goes. `t` in [0, 1] moves objects from the centre (0) to their place (1), for video. */
function layout(world: World, item: Item, r: Rng, t = 1): Placement[] {
  const S = world.config.imageSize;
  const m = item.meaning;
  const two = m.objects.length === 2;
  const targets = two ? RELATION_XY[m.relation!] : [POSITION_XY[m.position!]];
  // Jitter keeps renders of one scene distinct (so IID items are never pixel copies of training items).
  const jit = () => (r.next() - 0.5) * 0.1;
  const side = two ? (r.next() - 0.5) * 0.16 : 0;
  return m.objects.map((o, k) => {
    let [fx, fy] = targets[k];
    fx += jit();
    fy += jit();
    // Two objects: a shared sideways shift, perpendicular to the relation's axis.
    if (two && (m.relation === "left of" || m.relation === "right of")) fy += side;
    else if (two) fx += side;
    const cx = (0.5 + (fx - 0.5) * t) * S, cy = (0.5 + (fy - 0.5) * t) * S;
    const rad = radiusFrac(world.config.sizes.indexOf(o.size), world.config.sizes.length, two) * S;
    return { object: o.object, colour: o.colour, cx, cy, rad };
  });
}

// ---------------------------------------------------------------- shapes

const STAR: [number, number][] = Array.from({ length: 10 }, (_, i) => {
  const a = -Math.PI / 2 + (i * Math.PI) / 5;
  const rr = i % 2 === 0 ? 1 : 0.45;
  return [rr * Math.cos(a), rr * Math.sin(a)];
});

function inPolygon(u: number, v: number, poly: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Is the point (u, v) — in units of the radius, v pointing down — inside the shape? */
function insideShape(shape: string, u: number, v: number): boolean {
  switch (shape) {
    case "circle": return u * u + v * v <= 1;
    case "square": return Math.abs(u) <= 0.85 && Math.abs(v) <= 0.85;
    case "triangle": return v <= 0.75 && v >= -1 && Math.abs(u) <= (0.95 * (v + 1)) / 1.75;
    case "ring": { const d = u * u + v * v; return d <= 1 && d >= 0.3; }
    case "cross": return (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1);
    case "star": return inPolygon(u, v, STAR);
    default: throw new InputError(`procedural renderer cannot draw "${shape}"; known: ${PROCEDURAL_OBJECTS.join(", ")}`);
  }
}

/** Bilinear sample of an RGBA sprite at fractional pixel (x, y); outside = transparent. */
function sampleSprite(s: Sprite, x: number, y: number, out: Float64Array): void {
  out.fill(0);
  const x0 = Math.floor(x - 0.5), y0 = Math.floor(y - 0.5);
  const ax = x - 0.5 - x0, ay = y - 0.5 - y0;
  for (const [dx, dy, w] of [[0, 0, (1 - ax) * (1 - ay)], [1, 0, ax * (1 - ay)], [0, 1, (1 - ax) * ay], [1, 1, ax * ay]] as const) {
    const xi = x0 + dx, yi = y0 + dy;
    if (xi < 0 || yi < 0 || xi >= s.width || yi >= s.height || w === 0) continue;
    const o = (yi * s.width + xi) * 4;
    // Premultiplied accumulation so transparent neighbours do not darken edges.
    const a = s.data[o + 3];
    out[0] += w * s.data[o] * a;
    out[1] += w * s.data[o + 1] * a;
    out[2] += w * s.data[o + 2] * a;
    out[3] += w * a;
  }
}

/** Draw one placed object into an `[S, S, 3]` buffer (4×4 supersampling for smooth edges). */
function drawObject(img: Float32Array, S: number, p: Placement, rgb: [number, number, number], sprite: Sprite | null): void {
  const SS = 4;
  const px = new Float64Array(4);
  const x0 = Math.max(0, Math.floor(p.cx - p.rad - 1)), x1 = Math.min(S - 1, Math.ceil(p.cx + p.rad + 1));
  const y0 = Math.max(0, Math.floor(p.cy - p.rad - 1)), y1 = Math.min(S - 1, Math.ceil(p.cy + p.rad + 1));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    let cov = 0;
    const col = [0, 0, 0];
    for (let sy = 0; sy < SS; sy++) for (let sx = 0; sx < SS; sx++) {
      const fx = x + (sx + 0.5) / SS, fy = y + (sy + 0.5) / SS;
      const u = (fx - p.cx) / p.rad, v = (fy - p.cy) / p.rad;
      if (sprite === null) {
        if (insideShape(p.object, u, v)) {
          cov += 1;
          for (let c = 0; c < 3; c++) col[c] += rgb[c];
        }
      } else {
        // The sprite fills the square [-1, 1]²; tint it: keep its light/dark pattern (the real
        // picture's texture and outlines) and replace its hue by the item's colour.
        sampleSprite(sprite, ((u + 1) / 2) * sprite.width, ((v + 1) / 2) * sprite.height, px);
        const a = px[3];
        if (a <= 0) continue;
        const lum = (0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]) / a;
        const shade = 0.25 + 0.75 * Math.min(1, lum * 1.3);
        cov += a;
        for (let c = 0; c < 3; c++) col[c] += a * rgb[c] * shade;
      }
    }
    if (cov === 0) continue;
    const alpha = cov / (SS * SS);
    const o = (y * S + x) * 3;
    for (let c = 0; c < 3; c++) img[o + c] = (1 - alpha) * img[o + c] + (col[c] / cov) * alpha;
  }
}

function colourOf(name: string, r: Rng): [number, number, number] {
  const base = COLOUR_RGB[name];
  if (base === undefined) throw new InputError(`unknown colour "${name}"`);
  return base.map((v) => Math.min(1, Math.max(0, v + (r.next() - 0.5) * 0.08))) as [number, number, number];
}

function drawScene(world: World, item: Item, r: Rng, t: number): Float32Array {
  const S = world.config.imageSize;
  const img = new Float32Array(S * S * 3);
  // A dark, slightly noisy background (noise drawn per pixel from the item's own stream).
  for (let i = 0; i < img.length; i++) img[i] = 0.08 + 0.02 * r.normal();
  const places = layout(world, item, r, t);
  for (const p of places) {
    const sprite = world.mode === "real" ? world.assets!.sprites.get(p.object) ?? null : null;
    if (world.mode === "real" && sprite === null) throw new InputError(`no real picture for object "${p.object}"`);
    drawObject(img, S, p, colourOf(p.colour, r), sprite);
  }
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, img[i]));
  return img;
}

/**
 * Render an item's image `[S, S, 3]` in [0, 1] (S = `config.imageSize`): the object(s) drawn
 * (procedural) or a real picture recoloured (real) at its size and position, with small
 * placement and colour jitter and background noise from `item.renderSeed`.
 */
export function renderImage(world: World, item: Item): ImageData {
  const r = rng(splitSeed(item.renderSeed, "image"));
  const S = world.config.imageSize;
  return { data: drawScene(world, item, r, 1), height: S, width: S, channels: 3 };
}

/**
 * Render a short video `[T, S, S, 3]` (T = `config.videoFrames`): the object(s) start at the
 * centre and move to their place; the last frame equals {@link renderImage} of the item (same
 * jitter stream), so motion, not the final picture, is what video adds.
 */
export function renderVideo(world: World, item: Item): VideoData {
  const S = world.config.imageSize, T = world.config.videoFrames;
  const data = new Float32Array(T * S * S * 3);
  for (let f = 0; f < T; f++) {
    const r = rng(splitSeed(item.renderSeed, "image"));
    data.set(drawScene(world, item, r, f / (T - 1)), f * S * S * 3);
  }
  return { data, frames: T, height: S, width: S, channels: 3 };
}

// ---------------------------------------------------------------- audio

/** Pitch (Hz) of each colour: a C-major scale, so colour is heard as pitch. */
const COLOUR_PITCH: Record<string, number> = { red: 262, green: 330, blue: 392, yellow: 494, purple: 587, cyan: 698, orange: 784, white: 880 };
/** Pitch (Hz) of the relation marker tone at the end of two-object clips. */
const RELATION_PITCH: Record<string, number> = { "left of": 2800, above: 3500 };

/** Add one procedural sound event: timbre = object, pitch = colour, loudness = size. */
function addToneEvent(out: Float32Array, sr: number, start: number, len: number, shape: string, f0: number, gain: number, phase: number): void {
  const nyq = sr * 0.45;
  for (let i = 0; i < len && start + i < out.length; i++) {
    const t = i / sr;
    // 10 ms attack, 30 ms release: no clicks, so the spectrum shows the timbre, not the edges.
    const env = Math.min(1, t / 0.01, (len - i) / sr / 0.03);
    let s = 0;
    switch (shape) {
      case "circle": s = Math.sin(2 * Math.PI * f0 * t + phase); break;
      case "square": for (let k = 1; k * f0 < nyq; k += 2) s += Math.sin(2 * Math.PI * k * f0 * t + phase) / k; s *= 0.8; break;
      case "triangle": for (let k = 1; k * f0 < nyq; k += 2) s += Math.sin(2 * Math.PI * k * f0 * t + phase) / (k * k); break;
      case "ring": s = Math.sin(2 * Math.PI * f0 * t + phase) * (0.5 + 0.5 * Math.sin(2 * Math.PI * 14 * t)); break;
      case "cross": s = Math.sin(2 * Math.PI * f0 * t + 0.06 * (f0 / 7) * Math.sin(2 * Math.PI * 7 * t) + phase); break;
      case "star": for (let k = 1; k * f0 < nyq; k++) s += Math.sin(2 * Math.PI * k * f0 * t + phase) / k; s *= 0.6 * Math.exp(-4 * t); break;
      default: throw new InputError(`procedural audio has no timbre for "${shape}"`);
    }
    out[start + i] += gain * env * s;
  }
}

/** Add one real sound event: the object's recorded sound, pitch-shifted by playback rate. */
function addRealEvent(out: Float32Array, sr: number, start: number, len: number, src: Float32Array, srcRate: number, rate: number, gain: number): void {
  const step = (rate * srcRate) / sr;
  for (let i = 0; i < len && start + i < out.length; i++) {
    // Loop the source if the event is longer than the recording.
    const pos = (i * step) % (src.length - 1);
    const j = Math.floor(pos), a = pos - j;
    const env = Math.min(1, i / sr / 0.01, (len - i) / sr / 0.03);
    out[start + i] += gain * env * ((1 - a) * src[j] + a * src[j + 1]);
  }
}

/**
 * Render an item's audio: a mono clip of `config.audio.duration` s at `sampleRate` Hz, a
 * sonification of the meaning:
 * - object → timbre (procedural: sine, square, triangle, tremolo, vibrato, plucked saw; real:
 *   the object's recorded Tux Paint sound effect),
 * - colour → pitch (a C-major scale from 262 Hz; real sounds are sped up or slowed down by the
 *   ratio of that pitch to 392 Hz),
 * - size → loudness, and
 * - position → when the sound starts (left, right, top, bottom = earliest … latest).
 * Two-object clips play object A, then object B, then a short marker tone whose pitch names the
 * relation. A faint noise floor and a random phase come from `item.renderSeed`.
 */
export function renderAudio(world: World, item: Item): Waveform {
  const cfg = world.config;
  const sr = cfg.audio.sampleRate;
  const n = Math.round(cfg.audio.duration * sr);
  const out = new Float32Array(n);
  const r = rng(splitSeed(item.renderSeed, "audio"));
  const m = item.meaning;
  const events: { start: number; len: number }[] = [];
  if (m.objects.length === 1) {
    const len = Math.round(0.45 * n);
    const k = cfg.positions.indexOf(m.position!);
    const nPos = cfg.positions.length;
    events.push({ start: nPos === 1 ? 0 : Math.round((k / (nPos - 1)) * (n - len)), len });
  } else {
    const len = Math.round(0.38 * n);
    events.push({ start: Math.round(0.02 * n), len }, { start: Math.round(0.44 * n), len });
    const mStart = Math.round(0.86 * n), mLen = n - mStart - Math.round(0.01 * n);
    addToneEvent(out, sr, mStart, mLen, "circle", RELATION_PITCH[m.relation!], 0.3, r.next() * 2 * Math.PI);
  }
  m.objects.forEach((o, k) => {
    const f0 = COLOUR_PITCH[o.colour];
    const si = cfg.sizes.indexOf(o.size), ns = cfg.sizes.length;
    const gain = ns === 1 ? 0.7 : 0.2 + (0.6 * si) / (ns - 1);
    const { start, len } = events[k];
    if (world.mode === "real") {
      const src = world.assets!.sounds.get(o.object);
      if (src === undefined) throw new InputError(`no real sound for object "${o.object}"`);
      addRealEvent(out, sr, start, len, src, world.assets!.soundRate, f0 / 392, gain);
    } else {
      addToneEvent(out, sr, start, len, o.object, f0, gain, r.next() * 2 * Math.PI);
    }
  });
  for (let i = 0; i < n; i++) out[i] = Math.max(-1, Math.min(1, out[i] + 0.003 * r.normal()));
  return { data: out, sampleRate: sr };
}

// ---------------------------------------------------------------- documents

let pixelFontCache: GlyphAtlas | null = null;
let cipherFontCache: GlyphAtlas | null = null;

/** The glyph atlas a world uses for a script. */
export function fontOf(world: World, script: Script): GlyphAtlas {
  if (world.mode === "real") return world.assets!.fonts[script];
  if (script === "latin") return (pixelFontCache ??= pixelFont());
  return (cipherFontCache ??= cipherFont());
}

/**
 * The exact text of a document: the caption, transliterated letter by letter for the `lowres`
 * script (real mode: Latin letter → Georgian Mkhedruli letter; procedural mode: unchanged
 * letters, drawn with the cipher glyphs).
 */
export function documentText(world: World, text: string, script: Script): string {
  if (script === "latin" || world.mode !== "real") return text;
  const map = world.assets!.lowresMap;
  return Array.from(text).map((ch) => map.get(ch) ?? ch).join("");
}

/** Options of {@link renderDocument}. */
export interface DocumentOptions {
  /** Script to write in. Default `"latin"`. */
  script?: Script;
  /** Which caption to write (index into `item.captions`). Default `item.renderSeed % #captions`, so documents vary across items. */
  caption?: number;
}

/**
 * Render a document `[H, W]` (ink 1 on paper 0; H × W from `config.document`): one of the
 * item's captions, word-wrapped and drawn with a font (real mode: glyphs rasterised from DejaVu
 * Sans; procedural: a 5×7 pixel font), shifted by up to one pixel from `item.renderSeed`.
 * Throws, naming the caption, if it does not fit.
 */
export function renderDocument(world: World, item: Item, opts: DocumentOptions = {}): DocumentData {
  const script = opts.script ?? "latin";
  const ci = opts.caption ?? item.renderSeed % nCaptions(world.config);
  if (!(ci >= 0 && ci < item.captions.length)) throw new InputError(`invalid caption index ${ci}; item ${item.id} has ${item.captions.length}`);
  const text = documentText(world, item.captions[ci], script);
  const font = fontOf(world, script);
  const { height: H, width: W } = world.config.document;
  const r = rng(splitSeed(item.renderSeed, "document"));
  const ox = 1 + r.int(2), oy = 1 + r.int(2);
  const data = new Float32Array(H * W);
  const adv = (ch: string) => (font.glyphs.get(ch)?.width ?? font.glyphs.get(" ")?.width ?? 3) + 1;
  const lineH = font.height + 1;
  // Greedy word wrap.
  const lines: string[] = [];
  let cur = "";
  for (const word of text.split(" ")) {
    const cand = cur === "" ? word : `${cur} ${word}`;
    const w = Array.from(cand).reduce((s, ch) => s + adv(ch), 0);
    if (w <= W - ox - 1 || cur === "") cur = cand;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur !== "") lines.push(cur);
  if (oy + lines.length * lineH > H) throw new InputError(`document ${H}×${W} too small for "${text}" (${lines.length} lines of ${lineH} px)`);
  lines.forEach((line, li) => {
    let x = ox;
    const y = oy + li * lineH;
    for (const ch of Array.from(line)) {
      const g = font.glyphs.get(ch);
      if (g !== undefined) {
        for (let gy = 0; gy < font.height; gy++) for (let gx = 0; gx < g.width; gx++) {
          const X = x + gx, Y = y + gy;
          if (X < W && Y < H) data[Y * W + X] = Math.max(data[Y * W + X], g.data[gy * g.width + gx]);
        }
      }
      x += adv(ch);
    }
  });
  return { data, height: H, width: W, text, script };
}
