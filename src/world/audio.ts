/**
 * The audio front end, in plain TypeScript: short-time Fourier transform → power spectrum →
 * mel filterbank → log. This is what speech and audio encoders (Whisper, the paper's audio
 * towers) feed their first layer; here it turns a waveform into a `[frames, nMels]` matrix the
 * audio encoder reads like a sequence of patches.
 *
 * @module
 */
import { InputError } from "../array";
import type { LogMel, LogMelOptions, Waveform } from "./types";

/** Hz → mel (the HTK formula, 2595·log10(1 + f/700)). */
export function hzToMel(f: number): number {
  return 2595 * Math.log10(1 + f / 700);
}

/** mel → Hz (inverse of {@link hzToMel}). */
export function melToHz(m: number): number {
  return 700 * (Math.pow(10, m / 2595) - 1);
}

/**
 * In-place radix-2 FFT of (re, im), length a power of 2. Returns nothing; the arrays hold the
 * spectrum X[k] = Σ x[n]·e^{-2πikn/N}.
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (im.length !== n || (n & (n - 1)) !== 0) throw new InputError(`fft needs equal power-of-2 lengths, got ${n} and ${im.length}`);
  // Bit-reversal permutation, then butterflies of growing size.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/**
 * Triangular mel filterbank `[nMels, nFft/2 + 1]` (row-major): nMels + 2 edge frequencies equally
 * spaced on the mel scale from fMin to fMax; filter m rises from edge m to edge m+1 and falls to
 * edge m+2 (peak 1, no area normalisation).
 */
export function melFilterbank(sampleRate: number, nFft: number, nMels: number, fMin = 0, fMax = sampleRate / 2): Float32Array {
  if (!(fMax > fMin && fMin >= 0 && fMax <= sampleRate / 2)) throw new InputError(`invalid mel range; need 0 ≤ fMin < fMax ≤ ${sampleRate / 2}, got ${fMin}..${fMax}`);
  const nBins = nFft / 2 + 1;
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz(hzToMel(fMin) + ((hzToMel(fMax) - hzToMel(fMin)) * i) / (nMels + 1)));
  const w = new Float32Array(nMels * nBins);
  for (let m = 0; m < nMels; m++) {
    const [lo, mid, hi] = [edges[m], edges[m + 1], edges[m + 2]];
    for (let k = 0; k < nBins; k++) {
      const f = (k * sampleRate) / nFft;
      const up = (f - lo) / (mid - lo);
      const down = (hi - f) / (hi - mid);
      w[m * nBins + k] = Math.max(0, Math.min(up, down));
    }
  }
  return w;
}

/** Filterbank, each band's non-zero bin range, and the Hann window, cached per setting (a world renders thousands of clips with one setting). */
const frontEndCache = new Map<string, { fb: Float32Array; lo: Int32Array; hi: Int32Array; win: Float64Array }>();
function frontEnd(sr: number, nFft: number, nMels: number, fMin: number, fMax: number) {
  const key = `${sr}/${nFft}/${nMels}/${fMin}/${fMax}`;
  let v = frontEndCache.get(key);
  if (v === undefined) {
    const fb = melFilterbank(sr, nFft, nMels, fMin, fMax);
    const nBins = nFft / 2 + 1;
    const lo = new Int32Array(nMels), hi = new Int32Array(nMels);
    for (let m = 0; m < nMels; m++) {
      let a = nBins, b = 0;
      for (let k = 0; k < nBins; k++) if (fb[m * nBins + k] > 0) { a = Math.min(a, k); b = k + 1; }
      lo[m] = a;
      hi[m] = Math.max(a, b);
    }
    const win = new Float64Array(nFft);
    // Periodic Hann window: its DFT has exactly three non-zero bins, which makes hand checks easy.
    for (let i = 0; i < nFft; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft);
    v = { fb, lo, hi, win };
    frontEndCache.set(key, v);
  }
  return v;
}

/**
 * Log-mel spectrogram of a waveform: frames of `nFft` samples every `hop` samples (no padding:
 * frames = 1 + ⌊(N − nFft)/hop⌋), a periodic Hann window, power |X[k]|², the mel filterbank,
 * then natural log of (energy + eps). Output `[frames, nMels]`.
 */
export function logMel(wave: Waveform, opts: Partial<LogMelOptions> = {}): LogMel {
  const nFft = opts.nFft ?? 256, hop = opts.hop ?? 128, nMels = opts.nMels ?? 32;
  const fMin = opts.fMin ?? 0, fMax = opts.fMax ?? wave.sampleRate / 2, eps = opts.eps ?? 1e-6;
  const x = wave.data;
  if (x.length < nFft) throw new InputError(`waveform too short for one frame: ${x.length} samples < nFft ${nFft}`);
  const frames = 1 + Math.floor((x.length - nFft) / hop);
  const nBins = nFft / 2 + 1;
  const { fb, lo, hi, win } = frontEnd(wave.sampleRate, nFft, nMels, fMin, fMax);
  const out = new Float32Array(frames * nMels);
  const re = new Float64Array(nFft), im = new Float64Array(nFft), pow = new Float64Array(nBins);
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < nFft; i++) {
      re[i] = x[t * hop + i] * win[i];
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < nBins; k++) pow[k] = re[k] * re[k] + im[k] * im[k];
    for (let m = 0; m < nMels; m++) {
      let e = 0;
      for (let k = lo[m]; k < hi[m]; k++) e += fb[m * nBins + k] * pow[k];
      out[t * nMels + m] = Math.log(e + eps);
    }
  }
  return { data: out, frames, nMels };
}

/** Encode a waveform as a 16-bit PCM mono WAV file (for `<audio>` players and export). */
export function encodeWav(wave: Waveform): Uint8Array {
  const n = wave.data.length;
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(wave.sampleRate, 24);
  buf.writeUInt32LE(wave.sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, wave.data[i])) * 32767), 44 + 2 * i);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}
