/**
 * Generative capability: greedy decoding, caption NLL, and the **generative score** that plays the
 * role of the paper's benchmark average in the generation–representation scaling law (GRSL).
 *
 * Generative score (documented definition, range [0, 1], higher is better): for each encoded
 * modality m (image, audio, document) on held-out items,
 *
 * ```
 * score_m = ½ · captionExact_m + ½ · answerAttr_m
 * generativeScore = mean over modalities of score_m
 * ```
 *
 * - `captionExact`: the greedy caption (from `[modality tokens][BOS]`) equals one of the item's
 *   paraphrases exactly.
 * - `answerAttr`: after the summarize prompt, the greedy answer is split into its parts (the
 *   compound word at `-`, the few-word answer at spaces); the fraction of parts equal to the
 *   reference's part at the same position.
 *
 * Also reported (not in the score): caption NLL (nats per token, teacher forced on the canonical
 * caption) and perplexity `exp(NLL)`, and exact-match of the whole answer.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import type { AnswerFormat, Modality } from "./config";
import { ENCODED_MODALITIES } from "./config";
import { assembleBatch, availableModalities, buildSequence, prefixTokens, summaryAnswer, type AssembledBatch, type OrganismData, type OrganismItem, type Task } from "./data";
import { forward, maskedNextTokenLoss, type Organism } from "./model";
import { readOnce, runAsync, runSync, type Reads } from "../backend/reads";

/** Options of {@link greedyDecode}. */
export interface DecodeOptions {
  /** Most tokens to generate per item. Default 16 (captions) / 8 (answers). */
  maxNew?: number;
  /** Rows per forward pass. Default 64. */
  batchSize?: number;
  /** Prompt format for `instruct`; default the model's. */
  format?: AnswerFormat;
}

/**
 * Greedy decoding for items `indices` in `modality`: for `task = "caption"` the model continues
 * `[modality tokens][BOS]`; for `"instruct"` it continues the summarize prompt. Stops at EOS or
 * `maxNew` tokens. Without a KV cache each new token re-runs the sequence: fine at this size.
 * Rows are right-padded; causal attention means padding never influences a real position.
 * @returns decoded strings, one per index.
 */
export function greedyDecode(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, task: Task, options: DecodeOptions = {}): string[] {
  return runSync(greedyDecodeReads(model, data, indices, modality, task, options));
}

/** {@link greedyDecode} with asynchronous reads (the same tokens; also runs on `webgpu`). */
export function greedyDecodeAsync(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, task: Task, options: DecodeOptions = {}): Promise<string[]> {
  return runAsync(greedyDecodeReads(model, data, indices, modality, task, options));
}

/** The body of {@link greedyDecode}: yields each step's chosen tokens `[rows]` (int32) to be read. */
function* greedyDecodeReads(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, task: Task, options: DecodeOptions = {}): Reads<string[]> {
  const tok = data.tokenizer;
  const format = options.format ?? model.config.answerFormat;
  const maxNew = options.maxNew ?? (task === "caption" ? 16 : 8);
  const bs = options.batchSize ?? 64;
  const V = model.config.vocabSize;
  const out: string[] = [];
  for (let b0 = 0; b0 < indices.length; b0 += bs) {
    const idx = indices.slice(b0, b0 + bs);
    const seqs = idx.map((i) => {
      const s = buildSequence(tok, data.items[i], i, modality, task, format, 0, false);
      // A caption prompt is just BOS: buildSequence("caption") adds the caption, so cut it off.
      return task === "caption" ? { ...s, ids: [tok.bos], lossOn: [0] } : s;
    });
    const base = assembleBatch(seqs, prefixTokens(data.cache), tok, model.config.decoder.maxLen);
    const P = base.groups[0].prefix;
    const width0 = base.T - P;
    const maxLenText = model.config.decoder.maxLen - P;
    const width = Math.min(maxLenText, width0 + maxNew);
    const ids = new Int32Array(idx.length * width).fill(tok.pad);
    const len = seqs.map((s) => s.ids.length);
    seqs.forEach((s, r) => ids.set(s.ids, r * width));
    const gen: number[][] = seqs.map(() => []);
    const finished = seqs.map(() => false);
    for (let k = 0; k < maxNew; k++) {
      if (finished.every(Boolean)) break;
      const batch: AssembledBatch = { ...base, T: P + width, groups: [{ ...base.groups[0], ids }] };
      const pick = len.map((l, r) => r * (P + width) + P + l - 1);
      const chosen = tf.tidy(() => {
        const { logits } = forward(model, batch, data.cache);
        const rows = tf.gather(logits.reshape([idx.length * (P + width), V]), tf.tensor1d(pick, "int32"));
        return tf.argMax(rows, -1);
      });
      const next = (yield* readOnce(chosen)) as Int32Array;
      next.forEach((t, r) => {
        if (finished[r]) return;
        if (t === tok.eos || len[r] >= width) {
          finished[r] = true;
          return;
        }
        ids[r * width + len[r]] = t;
        len[r]++;
        gen[r].push(t);
      });
    }
    for (const g of gen) out.push(tok.decode(g));
  }
  return out;
}

/**
 * Teacher-forced caption NLL (nats per target token) of `indices` in `modality`: the canonical
 * caption (index 0), or for documents the caption the document shows. A floor above 0 remains
 * because the model cannot know which paraphrase is the reference.
 */
export function captionNll(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, batchSize = 64): number {
  return runSync(captionNllReads(model, data, indices, modality, batchSize));
}

/** {@link captionNll} with asynchronous reads (the same value; also runs on `webgpu`). */
export function captionNllAsync(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, batchSize = 64): Promise<number> {
  return runAsync(captionNllReads(model, data, indices, modality, batchSize));
}

/** The body of {@link captionNll}: yields each batch's mean loss to be read. */
function* captionNllReads(model: Organism, data: OrganismData, indices: readonly number[], modality: Modality, batchSize = 64): Reads<number> {
  let sum = 0, count = 0;
  for (let b0 = 0; b0 < indices.length; b0 += batchSize) {
    const idx = indices.slice(b0, b0 + batchSize);
    const seqs = idx.map((i) => {
      const it = data.items[i];
      return buildSequence(data.tokenizer, it, i, modality, "caption", model.config.answerFormat, modality === "document" ? it.documentCaption ?? 0 : 0);
    });
    const batch = assembleBatch(seqs, prefixTokens(data.cache), data.tokenizer, model.config.decoder.maxLen);
    let n = 0;
    for (const v of batch.mask) n += v;
    const value = tf.tidy(() => maskedNextTokenLoss(forward(model, batch, data.cache).logits, batch.targets, batch.mask));
    const loss = (yield* readOnce(value))[0];
    sum += loss * n;
    count += n;
  }
  return sum / count;
}

const norm = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

/** Whether a generated caption is exact: equal to one of the item's paraphrases after normalising spaces and case (the `captionExact` rule). */
export function captionIsExact(item: Pick<OrganismItem, "captions">, caption: string): boolean {
  return item.captions.some((x) => norm(x) === norm(caption));
}

/**
 * Fraction of reference parts matched position-wise. One-word format: only the first generated
 * word counts (the answer is one compound token), split at `-`; few-words format: the words.
 * Extra generated words never help.
 */
export function answerAttributeAccuracy(pred: string, ref: string, format: AnswerFormat): number {
  const words = (s: string) => norm(s).split(" ").filter((x) => x.length > 0);
  const split = (s: string) => (format === "one-word" ? (words(s)[0] ?? "").split("-").filter((x) => x.length > 0) : words(s));
  const p = split(pred), r = split(ref);
  if (r.length === 0) throw new InputError(`empty reference answer "${ref}"`);
  let ok = 0;
  r.forEach((w, i) => { if (p[i] === w) ok++; });
  return ok / r.length;
}

/** Per-modality generative metrics on one split. */
export interface ModalityGenMetrics {
  modality: Modality;
  n: number;
  captionNll: number;
  captionPerplexity: number;
  captionExact: number;
  answerExact: number;
  answerAttr: number;
  /** `½·captionExact + ½·answerAttr` (text: answerAttr only; not part of the overall score). */
  score: number;
  /** A few generated examples `{id, caption, answer}` for display. */
  samples: { id: string; caption: string; answer: string }[];
}

/** Generative evaluation of one split. */
export interface GenerativeEval {
  split: string;
  /** Mean of `score` over the encoded modalities (image, audio, document) present. */
  generativeScore: number;
  byModality: ModalityGenMetrics[];
}

/**
 * Evaluate generative capability on items `indices` (e.g. `data.splits.iid` or `.ood`).
 * @param maxItems evaluate at most this many items (the first ones). Default all.
 */
export function evaluateGenerative(model: Organism, data: OrganismData, indices: readonly number[], split: string, maxItems?: number): GenerativeEval {
  return runSync(evaluateGenerativeReads(model, data, indices, split, maxItems));
}

/** {@link evaluateGenerative} with asynchronous reads (the same metrics; also runs on `webgpu`). */
export function evaluateGenerativeAsync(model: Organism, data: OrganismData, indices: readonly number[], split: string, maxItems?: number): Promise<GenerativeEval> {
  return runAsync(evaluateGenerativeReads(model, data, indices, split, maxItems));
}

/** The body of {@link evaluateGenerative}, yielding the tensors it reads. */
function* evaluateGenerativeReads(model: Organism, data: OrganismData, indices: readonly number[], split: string, maxItems?: number): Reads<GenerativeEval> {
  const idx = maxItems === undefined ? indices.slice() : indices.slice(0, maxItems);
  if (idx.length === 0) throw new InputError(`split "${split}" has no items to evaluate`);
  const format = model.config.answerFormat;
  const byModality: ModalityGenMetrics[] = [];
  for (const m of availableModalities(data)) {
    if (m !== "text" && !model.inputs[m]) continue;
    const answers = yield* greedyDecodeReads(model, data, idx, m, "instruct");
    const refs = idx.map((i) => summaryAnswer(data.items[i], format));
    const answerExact = mean(answers.map((a, j) => (norm(a) === norm(refs[j]) ? 1 : 0)));
    const answerAttr = mean(answers.map((a, j) => answerAttributeAccuracy(a, refs[j], format)));
    let captions: string[] = idx.map(() => "");
    let captionExact = NaN, nll = NaN;
    if (m !== "text") {
      captions = yield* greedyDecodeReads(model, data, idx, m, "caption");
      captionExact = mean(captions.map((c, j) => (captionIsExact(data.items[idx[j]], c) ? 1 : 0)));
      nll = yield* captionNllReads(model, data, idx, m);
    }
    byModality.push({
      modality: m,
      n: idx.length,
      captionNll: nll,
      captionPerplexity: Math.exp(nll),
      captionExact,
      answerExact,
      answerAttr,
      score: m === "text" ? answerAttr : 0.5 * captionExact + 0.5 * answerAttr,
      samples: idx.slice(0, 3).map((i, j) => ({ id: data.items[i].id, caption: captions[j], answer: answers[j] })),
    });
  }
  const enc = byModality.filter((b) => (ENCODED_MODALITIES as readonly string[]).includes(b.modality));
  return { split, generativeScore: enc.length ? mean(enc.map((b) => b.score)) : NaN, byModality };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
