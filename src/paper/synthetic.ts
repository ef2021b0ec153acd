/**
 * A small **synthetic** paired image/text layer stack in the paper's `[L, n, d]` layout, so
 * chapter 13 runs without a GPU or the real embeddings.
 *
 * Nothing here comes from a model. The stacks are built so that, by construction,
 * - image–text alignment **rises with depth**: row i of both modalities is a mix of a shared
 *   latent z_i (seen through a different random projection per modality) and independent noise,
 *   and the shared part's weight grows from 0 at layer 0 to 1 at the last layer;
 * - anisotropy **falls with depth**: every row also carries a common offset direction (one per
 *   modality) whose size shrinks with depth, which is what makes all cosines large early on.
 * So a metric that works should show alignment at chance at layer 0 and high at the last layer,
 * and anisotropy high at layer 0. Real MLLM curves are measured in the paper, not here.
 *
 * Regenerate the shipped files (`data/examples/`) with
 * `node --import tsx src/paper/synthetic.ts` (seed 2025; same bytes every time).
 *
 * @module
 */
import { InputError } from "../array";
import * as path from "node:path";
import type { NdArray } from "../array";
import { writeNpy } from "../io/npy";
import { writeSafetensors } from "../io/safetensors";
import { rng, splitSeed } from "../random";
import { PROJECT_ROOT } from "../project";

/** Options of {@link makeSyntheticLayerStacks}. */
export interface SyntheticStackOptions {
  /** Number of layers L (index 0 plays the token-embedding output). Default `5`. */
  numLayers?: number;
  /** Number of paired items n. Default `200`. */
  n?: number;
  /** Embedding width d. Default `32`. */
  d?: number;
  /** Width of the shared latent z. Default `8`. */
  latentDim?: number;
  /** Size of the common offset at layer 0, relative to a row's norm; it shrinks to 20 % of this at the last layer. Default `3`. */
  offset?: number;
  /** Seed. Default `2025`. */
  seed?: number;
}

/** The two stacks and the per-layer construction weights (for the chapter's explanation). */
export interface SyntheticStacks {
  /** `[L, n, d]` float32 "image" embeddings. */
  image: NdArray;
  /** `[L, n, d]` float32 "text" embeddings, row i paired with image row i. */
  text: NdArray;
  /** Weight of the shared latent at each layer, 0 → 1. */
  sharedWeight: number[];
  /** Size of the common offset at each layer. */
  offsetScale: number[];
  /** The options used, defaults filled in. */
  options: Required<SyntheticStackOptions>;
}

/**
 * Build the synthetic stacks. Deterministic: all draws come from `rng(splitSeed(seed, name))`.
 * Layer l of modality m: `w_l · z W_m + sqrt(1 − w_l²) · noise + c_l · μ_m`, with
 * `w_l = sqrt(l / (L − 1))` (so the shared variance w_l² grows linearly), `c_l = offset · (1 − 0.8 · w_l)`, `W_m` a random `[latentDim, d]` Gaussian
 * projection scaled so each coordinate has unit variance, and `μ_m` a random direction of norm √d.
 */
export function makeSyntheticLayerStacks(opts: SyntheticStackOptions = {}): SyntheticStacks {
  const o: Required<SyntheticStackOptions> = {
    numLayers: opts.numLayers ?? 5,
    n: opts.n ?? 200,
    d: opts.d ?? 32,
    latentDim: opts.latentDim ?? 8,
    offset: opts.offset ?? 3,
    seed: opts.seed ?? 2025,
  };
  const { numLayers: L, n, d, latentDim: m } = o;
  for (const [k, v] of [["numLayers", L], ["n", n], ["d", d], ["latentDim", m]] as const) {
    if (!(Number.isInteger(v) && v >= 2)) throw new InputError(`invalid ${k}; need an integer ≥ 2, got ${v}`);
  }
  const zr = rng(splitSeed(o.seed, "latent"));
  const z = Float64Array.from({ length: n * m }, () => zr.normal());
  // sqrt so the shared signal variance w² grows linearly with depth.
  const sharedWeight = Array.from({ length: L }, (_, l) => Math.sqrt(l / (L - 1)));
  const offsetScale = sharedWeight.map((w) => o.offset * (1 - 0.8 * w));

  const build = (name: string): NdArray => {
    const r = rng(splitSeed(o.seed, name));
    // Projection with N(0, 1/m) entries: each coordinate of z·W then has unit variance.
    const W = Float64Array.from({ length: m * d }, () => r.normal() / Math.sqrt(m));
    // A random direction with norm √d, comparable to the norm of a row of z·W.
    const mu = Float64Array.from({ length: d }, () => r.normal());
    const muNorm = Math.hypot(...mu);
    for (let j = 0; j < d; j++) mu[j] *= Math.sqrt(d) / muNorm;
    const out = new Float32Array(L * n * d);
    for (let l = 0; l < L; l++) {
      const w = sharedWeight[l];
      const s = Math.sqrt(1 - w * w);
      const c = offsetScale[l];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          let shared = 0;
          for (let t = 0; t < m; t++) shared += z[i * m + t] * W[t * d + j];
          // The noise draw is taken even when s = 0, so every layer consumes the same number of
          // draws and changing L does not silently reshuffle the other layers' noise.
          const noise = r.normal();
          out[(l * n + i) * d + j] = w * shared + s * noise + c * mu[j];
        }
      }
    }
    return { data: out, shape: [L, n, d], dtype: "float32" };
  };
  return { image: build("image"), text: build("text"), sharedWeight, offsetScale, options: o };
}

/** Relative paths of the shipped synthetic example files. */
export const SYNTHETIC_FILES = {
  imageNpy: "data/examples/synthetic_image_layers.npy",
  textNpy: "data/examples/synthetic_text_layers.npy",
  safetensors: "data/examples/synthetic_layers.safetensors",
} as const;

/**
 * Write the synthetic example files (two `.npy` stacks and one `.safetensors` with tensors
 * `image` and `text`) under `root` (default: the project root), atomically.
 * @returns the absolute paths written.
 */
export function writeSyntheticExamples(root: string = PROJECT_ROOT, opts: SyntheticStackOptions = {}): string[] {
  const s = makeSyntheticLayerStacks(opts);
  const abs = (rel: string) => path.join(root, rel);
  writeNpy(abs(SYNTHETIC_FILES.imageNpy), s.image);
  writeNpy(abs(SYNTHETIC_FILES.textNpy), s.text);
  writeSafetensors(
    abs(SYNTHETIC_FILES.safetensors),
    { image: s.image, text: s.text },
    { generator: "lco-kit src/paper/synthetic.ts", seed: String(s.options.seed), synthetic: "true" },
  );
  return [SYNTHETIC_FILES.imageNpy, SYNTHETIC_FILES.textNpy, SYNTHETIC_FILES.safetensors].map(abs);
}

// `node --import tsx src/paper/synthetic.ts` regenerates data/examples/.
if (require.main === module) {
  for (const f of writeSyntheticExamples()) console.log(`wrote ${f}`);
}
