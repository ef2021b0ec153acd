/**
 * A word-level tokenizer trained on the world's text. The world's language is small (a few
 * dozen words), so one token per word keeps sequences short and every token readable, which
 * matters when a student inspects what a model generates.
 *
 * Text is normalised to lower case; `:`, `,`, `.`, `?`, `!` become tokens of their own;
 * hyphenated compounds such as `big-red-circle` stay one token (the "one word" summary).
 *
 * @module
 */
import { InputError } from "../array";
import * as fs from "node:fs";
import { writeJsonAtomic } from "../io/atomic";

/** Special tokens, always ids 0..SPECIAL_TOKENS.length-1 in this order. */
export const SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<unk>", "<sep>", "<img>", "<aud>", "<doc>", "<vid>"] as const;

/** Split text into word tokens (lower case, punctuation separated). */
export function splitWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/([:,.?!])/g, " $1 ")
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Prepend `<bos>`. Default false. */
  bos?: boolean;
  /** Append `<eos>`. Default false. */
  eos?: boolean;
  /**
   * Map a word the vocabulary lacks to `<unk>` instead of throwing. Default false: text the
   * tokenizer never saw would otherwise be trained on (or embedded) as `<unk>` without a word said.
   */
  unk?: boolean;
}

/** The saved form of a tokenizer (`"lco-world-tokenizer v1"`). */
export interface TokenizerJson {
  format: "lco-world-tokenizer v1";
  vocab: string[];
}

/** A word-level tokenizer: `Tokenizer.fit(texts)`, `encode`, `decode`, save/load as JSON. */
export class Tokenizer {
  /** id → token. */
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;

  private constructor(vocab: readonly string[]) {
    this.vocab = vocab;
    this.index = new Map(vocab.map((t, i) => [t, i]));
    if (this.index.size !== vocab.length) throw new InputError("tokenizer vocabulary has duplicate tokens");
    SPECIAL_TOKENS.forEach((t, i) => {
      if (vocab[i] !== t) throw new InputError(`tokenizer vocabulary must start with the special tokens; position ${i} is "${vocab[i]}", expected "${t}"`);
    });
  }

  /**
   * Fit on texts: the special tokens, then every word seen, sorted by descending count and then
   * alphabetically (so the vocabulary does not depend on the order of `texts`).
   */
  static fit(texts: Iterable<string>): Tokenizer {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of splitWords(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const s of SPECIAL_TOKENS) counts.delete(s);
    const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w]) => w);
    return new Tokenizer([...SPECIAL_TOKENS, ...words]);
  }

  /** Number of tokens (special tokens included). */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Id of a token; throws on an unknown token (use {@link encode} for text). */
  id(token: string): number {
    const i = this.index.get(token);
    if (i === undefined) throw new InputError(`unknown token "${token}"`);
    return i;
  }

  /** Special token ids by name, e.g. `tok.special.pad`. */
  get special(): Record<"pad" | "bos" | "eos" | "unk" | "sep" | "img" | "aud" | "doc" | "vid", number> {
    return { pad: 0, bos: 1, eos: 2, unk: 3, sep: 4, img: 5, aud: 6, doc: 7, vid: 8 };
  }

  /**
   * Text → ids. Special tokens written in the text (`<img>`) are kept.
   * @throws InputError naming the first word the vocabulary lacks, unless `opts.unk` asks for `<unk>`.
   */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const wordId = (w: string) => {
      const i = this.index.get(w);
      if (i !== undefined) return i;
      if (opts.unk) return 3;
      throw new InputError(`unknown word "${w}" in ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + "…" : text)}; the tokenizer knows ${this.vocab.length} tokens (pass {unk: true} to map it to <unk>)`);
    };
    const ids = text
      .split(/(<[a-z]+>)/)
      .flatMap((part) => (this.index.has(part) && part.startsWith("<") ? [this.index.get(part)!] : splitWords(part).map(wordId)));
    if (opts.bos) ids.unshift(1);
    if (opts.eos) ids.push(2);
    return ids;
  }

  /** Ids → text (words joined by spaces; special tokens dropped unless `keepSpecial`). Throws on an id out of range. */
  decode(ids: readonly number[], keepSpecial = false): string {
    const out: string[] = [];
    for (const i of ids) {
      if (!(Number.isInteger(i) && i >= 0 && i < this.vocab.length)) throw new InputError(`invalid token id ${i}; vocabulary size is ${this.vocab.length}`);
      if (!keepSpecial && i < SPECIAL_TOKENS.length) continue;
      out.push(this.vocab[i]);
    }
    return out.join(" ").replace(/ ([:,.?!])/g, "$1");
  }

  /** The JSON form. */
  toJSON(): TokenizerJson {
    return { format: "lco-world-tokenizer v1", vocab: [...this.vocab] };
  }

  /** Rebuild from {@link toJSON} output; throws on another format. */
  static fromJSON(j: TokenizerJson): Tokenizer {
    if (j?.format !== "lco-world-tokenizer v1" || !Array.isArray(j.vocab)) throw new InputError(`not a world tokenizer: format ${JSON.stringify(j?.format)}`);
    return new Tokenizer(j.vocab);
  }

  /** Save as JSON (atomically). */
  save(file: string): void {
    writeJsonAtomic(file, this.toJSON());
  }

  /** Load a tokenizer saved with {@link save}. */
  static load(file: string): Tokenizer {
    return Tokenizer.fromJSON(JSON.parse(fs.readFileSync(file, "utf8")) as TokenizerJson);
  }
}
