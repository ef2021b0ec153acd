/**
 * What the organism reads, and how a training batch is assembled.
 *
 * The organism does not depend on how the world is generated: it reads {@link OrganismItem}s
 * (captions, a summary answer, attributes and the raw modality inputs) and a
 * {@link OrganismTokenizer}. `src/organism/world.ts` adapts the kit's world to these.
 *
 * Every sequence the decoder sees has the layout
 *
 * ```
 * [modality tokens (P_m, from the encoder)] [BOS] text … [EOS] [PAD …]
 * ```
 *
 * and position `t` is trained to predict the token at `t + 1` only where the loss mask is 1.
 * Right padding is safe with causal attention: a pad token comes after everything real, so no
 * real position can attend to it.
 *
 * @module
 */
import { InputError } from "../array";
import { summaryPrompt } from "../world/generate";
import type { AnswerFormat, Modality, OrganismConfig } from "./config";
import { ENCODED_MODALITIES, MODALITIES } from "./config";

/** Raw input of one non-text modality: row-major values with their shape. */
export interface ModalityInput {
  /** Image / document: `[H, W, C]` (C = 1 or 3, values ~[0, 1]); audio: log-mel `[frames, mels]`. */
  data: Float32Array;
  shape: readonly number[];
}

/** One item of the world as the organism sees it. */
export interface OrganismItem {
  /** Stable id (e.g. `"small-red-circle-left"`). */
  id: string;
  /** Paraphrased captions; at least one. `captions[0]` is the canonical one. */
  captions: string[];
  /** The one-word (compound) summary answer, e.g. `"big-red-circle"`. */
  summaryWord: string;
  /** The few-word summary answer, e.g. `"big red circle left"`. */
  fewWords: string;
  /** Named attributes, e.g. `{size: "big", colour: "red", shape: "circle", position: "left"}`. */
  attributes: Record<string, string>;
  /** Raw inputs of the non-text modalities this item is rendered in. */
  inputs: Partial<Record<Exclude<Modality, "text">, ModalityInput>>;
  /** Which caption the document input shows (index into `captions`). Default 0. */
  documentCaption?: number;
}

/** The tokenizer interface the organism needs. */
export interface OrganismTokenizer {
  /** Number of token ids (ids are `0 … vocabSize − 1`). */
  readonly vocabSize: number;
  /** Special ids. */
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  /** Text → ids, without BOS/EOS. Throws an `InputError` naming a word it does not know (never `<unk>` silently). */
  encode(text: string): number[];
  /** Ids → text (special ids dropped). */
  decode(ids: readonly number[]): string;
}

/** The answer the instruction task trains on, for an item and a format. */
export function summaryAnswer(item: OrganismItem, format: AnswerFormat): string {
  return format === "one-word" ? item.summaryWord : item.fewWords;
}

/**
 * Turn a raw input into the encoder's input tokens `[P, featDim]` (row-major Float32Array).
 * - image / document `[H, W, C]`: non-overlapping `patch × patch` squares, row-major over the
 *   grid, each flattened as `(dy, dx, c)`; H and W must be multiples of `patch`.
 * - audio `[F, M]`: `patch` consecutive frames stacked; a trailing incomplete group is zero-padded.
 */
export function featurize(input: ModalityInput, modality: Exclude<Modality, "text">, patch: number): { data: Float32Array; tokens: number; dim: number } {
  const { data, shape } = input;
  if (modality === "audio") {
    if (shape.length !== 2) throw new InputError(`audio input must be a log-mel [frames, mels]; got shape [${shape.join(", ")}]`);
    const [F, M] = shape;
    const tokens = Math.ceil(F / patch);
    const dim = patch * M;
    const out = new Float32Array(tokens * dim); // zero-padded tail
    out.set(data.subarray(0, F * M));
    return { data: out, tokens, dim };
  }
  if (shape.length !== 3 && shape.length !== 2) {
    throw new InputError(`${modality} input must be [H, W, C] or [H, W]; got shape [${shape.join(", ")}]`);
  }
  const [H, W] = shape;
  const C = shape.length === 3 ? shape[2] : 1;
  if (H % patch !== 0 || W % patch !== 0) {
    throw new InputError(`${modality} size ${H}×${W} is not a multiple of patch ${patch}`);
  }
  const gh = H / patch, gw = W / patch;
  const dim = patch * patch * C;
  const out = new Float32Array(gh * gw * dim);
  let o = 0;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      for (let dy = 0; dy < patch; dy++) {
        const rowStart = ((gy * patch + dy) * W + gx * patch) * C;
        out.set(data.subarray(rowStart, rowStart + patch * C), o);
        o += patch * C;
      }
    }
  }
  return { data: out, tokens: gh * gw, dim };
}

/** Encoder input tokens of every item for every modality, computed once per data set. */
export interface FeatureCache {
  /** Per modality: `[nItems, P, featDim]` packed, plus `P` and `featDim`. */
  byModality: Partial<Record<Exclude<Modality, "text">, { data: Float32Array; tokens: number; dim: number }>>;
}

/** Options of {@link buildFeatureCache}. */
export interface FeatureCacheOptions {
  /** Modalities to featurize. Default image, audio, document (those every item has). */
  modalities?: readonly Exclude<Modality, "text">[];
}

/** Featurize every item (all must have the modality, with the same shape). */
export function buildFeatureCache(items: readonly OrganismItem[], cfg: OrganismConfig, options: FeatureCacheOptions | readonly Exclude<Modality, "text">[] = {}): FeatureCache {
  const opts: FeatureCacheOptions = Array.isArray(options) ? { modalities: options as readonly Exclude<Modality, "text">[] } : (options as FeatureCacheOptions);
  const modalities = opts.modalities ?? ENCODED_MODALITIES;
  const out: FeatureCache = { byModality: {} };
  for (const m of modalities) {
    if (!items.every((it) => it.inputs[m])) continue;
    let packed: Float32Array | null = null;
    let tokens = 0, dim = 0;
    items.forEach((it, i) => {
      const f = featurize(it.inputs[m]!, m, cfg.encoders[m].patch);
      if (!packed) {
        tokens = f.tokens;
        dim = f.dim;
        packed = new Float32Array(items.length * tokens * dim);
      } else if (f.tokens !== tokens || f.dim !== dim) {
        throw new InputError(`item ${it.id} gives ${m} tokens [${f.tokens}, ${f.dim}]; item 0 gives [${tokens}, ${dim}]`);
      }
      packed!.set(f.data, i * tokens * dim);
    });
    if (!packed) continue;
    const data: Float32Array = packed;
    out.byModality[m] = { data, tokens, dim };
  }
  return out;
}

/** The task of one training sequence. */
export type Task = "caption" | "instruct";

/** One sequence before padding: which item, modality and task, and its text ids and loss mask. */
export interface SequenceSpec {
  item: number;
  modality: Modality;
  task: Task;
  /** Text ids after the modality tokens, starting with BOS. */
  ids: number[];
  /**
   * `lossOn[j] = 1` when text position `j` is trained to predict `ids[j + 1]` (only the targets
   * count: caption tokens and EOS for captioning; answer tokens and EOS for the instruction).
   */
  lossOn: number[];
  /** Index into `ids` of the prompt's last token (instruct only): where the embedding is read. */
  promptEnd?: number;
}

/**
 * Build one sequence.
 * @param caption which paraphrase to use (index into `item.captions`).
 * @param withAnswer for `instruct`, whether to append the answer and EOS (false = embedding input).
 */
export function buildSequence(
  tok: OrganismTokenizer,
  item: OrganismItem,
  itemIndex: number,
  modality: Modality,
  task: Task,
  format: AnswerFormat,
  caption = 0,
  withAnswer = true,
): SequenceSpec {
  const cap = tok.encode(item.captions[caption]);
  if (task === "caption") {
    // [BOS] caption [EOS]: BOS predicts the first caption word, the last word predicts EOS.
    const ids = [tok.bos, ...cap, tok.eos];
    const lossOn = ids.map((_, j) => (j < ids.length - 1 ? 1 : 0));
    return { item: itemIndex, modality, task, ids, lossOn };
  }
  const head = promptHead(tok, modality, format, cap);
  const promptEnd = head.length - 1;
  if (!withAnswer) return { item: itemIndex, modality, task, ids: head, lossOn: head.map(() => 0), promptEnd };
  const answer = tok.encode(summaryAnswer(item, format));
  const ids = [...head, ...answer, tok.eos];
  // Targets are the answer and EOS: positions promptEnd … ids.length − 2 predict them.
  const lossOn = ids.map((_, j) => (j >= promptEnd && j < ids.length - 1 ? 1 : 0));
  return { item: itemIndex, modality, task, ids, lossOn, promptEnd };
}

/**
 * The ids of an embedding input up to the prompt's last token: `[BOS] prompt` after a modality's
 * tokens, or `[BOS] text prompt` for text (`textIds` = the encoded text, e.g. a caption).
 */
export function promptHead(tok: OrganismTokenizer, modality: Modality, format: AnswerFormat, textIds: readonly number[] = []): number[] {
  const prompt = tok.encode(summaryPrompt(modality, format));
  return modality === "text" ? [tok.bos, ...textIds, ...prompt] : [tok.bos, ...prompt];
}

/** A padded batch, grouped by modality (fixed order: image, audio, document, text). */
export interface AssembledBatch {
  /** Total length `T` of every row (modality tokens + text, right-padded). */
  T: number;
  /** Groups in row order. Each group's rows are contiguous in the batch. */
  groups: {
    modality: Modality;
    /** Item indices (into the item list / feature cache), one per row. */
    items: number[];
    /** Number of modality tokens `P_m` (0 for text). */
    prefix: number;
    /** Text ids `[rows, T − P_m]`, right-padded with PAD, row-major. */
    ids: Int32Array;
  }[];
  /** Next-token targets `[B, T]` (PAD where masked). */
  targets: Int32Array;
  /** Loss mask `[B, T]`: 1 where the position's prediction counts. */
  mask: Float32Array;
  /** Position of each row's prompt end in the full sequence (−1 if none). */
  promptEnd: Int32Array;
  /** Number of rows `B`. */
  B: number;
}

/**
 * Pad and group sequences into one batch.
 * @param prefixTokens number of modality tokens per modality (from the feature cache).
 */
export function assembleBatch(
  seqs: readonly SequenceSpec[],
  prefixTokens: Partial<Record<Modality, number>>,
  tok: OrganismTokenizer,
  maxLen: number,
): AssembledBatch {
  const order: Modality[] = ["image", "audio", "document", "text"];
  const grouped = order.map((m) => ({ m, seqs: seqs.filter((s) => s.modality === m) })).filter((g) => g.seqs.length > 0);
  const prefixOf = (m: Modality) => {
    if (m === "text") return 0;
    const p = prefixTokens[m];
    if (p === undefined) throw new InputError(`no ${m} tokens available (the feature cache lacks ${m})`);
    return p;
  };
  let T = 0;
  for (const g of grouped) for (const s of g.seqs) T = Math.max(T, prefixOf(g.m) + s.ids.length);
  if (T > maxLen) throw new InputError(`a sequence has ${T} tokens; decoder.maxLen is ${maxLen}`);
  const B = seqs.length;
  const targets = new Int32Array(B * T).fill(tok.pad);
  const mask = new Float32Array(B * T);
  const promptEnd = new Int32Array(B).fill(-1);
  let row = 0;
  const groups: AssembledBatch["groups"] = [];
  for (const g of grouped) {
    const P = prefixOf(g.m);
    const width = T - P;
    const ids = new Int32Array(g.seqs.length * width).fill(tok.pad);
    g.seqs.forEach((s, r) => {
      ids.set(s.ids, r * width);
      for (let j = 0; j < s.ids.length - 1; j++) {
        targets[row * T + P + j] = s.ids[j + 1];
        mask[row * T + P + j] = s.lossOn[j];
      }
      if (s.promptEnd !== undefined) promptEnd[row] = P + s.promptEnd;
      row++;
    });
    groups.push({ modality: g.m, items: g.seqs.map((s) => s.item), prefix: P, ids });
  }
  return { T, groups, targets, mask, promptEnd, B };
}

/** Everything the organism trains and is evaluated on. */
export interface OrganismData {
  /** All items (indices below point into this list). */
  items: OrganismItem[];
  tokenizer: OrganismTokenizer;
  /** Encoder input tokens of every item (see `buildFeatureCache`). */
  cache: FeatureCache;
  /** Item indices per split: `train` (pretraining), `iid` (training-like, held out), `ood` (held-out compositions). */
  splits: { train: number[]; iid: number[]; ood: number[] };
  /** Provenance (world config, asset mode, …), copied into the run's organism.json. */
  meta?: Record<string, unknown>;
  /**
   * Caption corruption (the GRSL intervention arm): training item → the item whose captions are
   * its captioning targets (`captionDonors` in `corruption.ts`). Absent: every item keeps its own.
   */
  captionDonors?: ReadonlyMap<number, number>;
}

/** The modalities the data can feed (text always; the others if the cache has them). */
export function availableModalities(data: OrganismData): Modality[] {
  return MODALITIES.filter((m) => m === "text" || data.cache.byModality[m] !== undefined);
}

/** Number of modality tokens per modality in a feature cache. */
export function prefixTokens(cache: FeatureCache): Partial<Record<Modality, number>> {
  const out: Partial<Record<Modality, number>> = {};
  for (const m of ENCODED_MODALITIES) {
    const f = cache.byModality[m];
    if (f) out[m] = f.tokens;
  }
  return out;
}

/**
 * One sequence as a reader sees it: `[16 image tokens] <bos> a small red … [word] [<eos>]`, with
 * the modality's token count in front and every **target** (a token the loss trains the model to
 * predict) in brackets.
 */
export function describeSequence(s: SequenceSpec, data: Pick<OrganismData, "tokenizer" | "cache">): string {
  const tok = data.tokenizer;
  const word = (id: number) => (id === tok.bos ? "<bos>" : id === tok.eos ? "<eos>" : tok.decode([id]));
  const prefix = s.modality === "text" ? "" : `[${prefixTokens(data.cache)[s.modality]} ${s.modality} tokens] `;
  // Position j is a target when the position before it predicts it (lossOn[j − 1]).
  return prefix + s.ids.map((id, j) => (j > 0 && s.lossOn[j - 1] ? `[${word(id)}]` : word(id))).join(" ");
}
