/**
 * Strict flag parsing and output helpers shared by the `lco` sub-commands.
 *
 * Parsing is Node's own `util.parseArgs` in strict mode (unknown flags and missing values are
 * errors), with its messages rewritten into short {@link UsageError}s that name the bad flag.
 * Numbers are parsed strictly too: `--k 10x` is an error, not 10.
 *
 * @module
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { InputError, checkedRowSquares, layers } from "../array";
import type { Matrix, NdArray } from "../array";
import { backendLayer } from "../backend/lazy";
import { nativeMatMulActive } from "../backend/native";
import { readArray } from "../io";
import { JS_ENGINE_MAX_WORK } from "../probes";
import { PROFILES, type Profile } from "../config";
import type { CliIO } from "./command";
import { UsageError } from "./command";

/** Flag kinds: `string` takes a value (`--k 10` or `--k=10`), `boolean` does not (`--json`). */
export type FlagSpec = Record<string, "string" | "boolean">;

/** Result of {@link parseCommandArgs}. */
export interface ParsedArgs {
  /** Positional arguments, in order. */
  positionals: string[];
  /** Flag values by name (without `--`); absent flags are missing. */
  flags: Record<string, string | boolean | undefined>;
}

/**
 * Parse `argv` strictly against `flags`, and check the number of positionals.
 * @param positionalNames names of the expected positionals, used in the error when some are
 *   missing or extra (e.g. `["A", "B"]`); a last name ending in "…" (`["PLAN…"]`) takes one or more.
 * @throws UsageError for an unknown flag, a flag without its value, a value given to a boolean
 *   flag, or a wrong number of positionals.
 */
export function parseCommandArgs(argv: string[], flags: FlagSpec, positionalNames: string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, type] of Object.entries(flags)) options[name] = { type };
  // `--k -3` would make parseArgs complain about an "ambiguous" value; a negative number after a
  // flag that takes a value is that value, so join it (`--k=-3`) and let the number check speak.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : "";
    if (flags[name] === "string" && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      args.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else args.push(argv[i]);
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(rewriteParseError(e as Error & { code?: string }, flags));
  }
  const out: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  const pos = parsed.positionals;
  // A last name ending in "…" (e.g. "PLAN…") takes one or more arguments.
  const variadic = positionalNames.at(-1)?.endsWith("…") ?? false;
  if (pos.length !== positionalNames.length && !(variadic && pos.length > positionalNames.length)) {
    const want = positionalNames.join(" ");
    throw new UsageError(
      pos.length < positionalNames.length
        ? `missing argument ${positionalNames[pos.length]}; expected ${want}`
        : `unexpected extra argument ${JSON.stringify(pos[positionalNames.length])}; expected ${want}`,
    );
  }
  return { positionals: pos, flags: out };
}

function rewriteParseError(e: Error & { code?: string }, flags: FlagSpec): string {
  const known = Object.keys(flags).map((f) => `--${f}`).join(", ");
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}; known flags: ${known}, --help`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/ambiguous/.test(e.message)) return `flag ${flag} got a value starting with '-'; write it as ${flag}=VALUE`;
      return flags[flag.replace(/^-+/, "")] === "boolean" ? `flag ${flag} takes no value` : `flag ${flag} needs a value`;
    default:
      return e.message;
  }
}

/**
 * A strict integer: digits only (with an optional sign), within `[min, max]`.
 * @param flag used in the message, e.g. `"--k"`.
 */
export function parseIntStrict(value: string, flag: string, min = -Infinity, max = Infinity): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new UsageError(`invalid ${flag}; need an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`invalid ${flag}; need an integer ${range}, got ${value}`);
  }
  return n;
}

/** `--profile`: one of `PROFILES`, default `"full"`. @throws UsageError naming the bad value. */
export function parseProfile(v: string | boolean | undefined): Profile {
  const p = (v as string | undefined) ?? "full";
  if (!(PROFILES as readonly string[]).includes(p)) throw new UsageError(`invalid --profile; expected one of ${PROFILES.join(", ")}, got "${p}"`);
  return p as Profile;
}

/** A comma-separated list of strict integers, e.g. `"1,5,10"` → `[1, 5, 10]` (sorted, unique). */
export function parseIntList(value: string, flag: string, min = -Infinity): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`invalid ${flag}; need integers separated by commas, got ${JSON.stringify(value)}`);
  const nums = parts.map((p) => parseIntStrict(p, flag, min));
  return [...new Set(nums)].sort((a, b) => a - b);
}

/**
 * Print one JSON object as a single line: the machine-readable result of a command run with
 * `--json` (always the last line of stdout). Non-finite numbers become `null` (JSON has no NaN).
 */
export function printJson(io: CliIO, value: Record<string, unknown>): void {
  io.out(JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
}

/** Format a score for the human-readable output: 4 decimals, or `n/a` for null. */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return "n/a";
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/** One input file of a command, loaded and split into layers. */
export interface LoadedInput {
  /** The argument as given (`x.npy` or `x.safetensors:name`), used in messages. */
  label: string;
  /** The array as read. */
  array: NdArray;
  /** One matrix `[n, d]` per layer (a 2-D input gives one). */
  layers: Matrix[];
  /** True for a `[layers, n, d]` input. */
  stacked: boolean;
}

/**
 * Read a command's input: a `.npy` file, a `.safetensors` file holding one tensor, or
 * `FILE.safetensors:NAME` for one tensor of a multi-tensor file. The array must be `[n, d]` or
 * `[layers, n, d]`.
 * @throws InputError naming the file: missing, wrong type, corrupt, unsupported dtype, wrong rank.
 */
export function loadInput(arg: string): LoadedInput {
  let file = arg;
  let tensor: string | undefined;
  // `x.safetensors:name` picks a tensor, unless a file with that literal name exists.
  const m = /^(.*\.safetensors):([^:/\\]+)$/i.exec(arg);
  if (m && !fs.existsSync(arg)) {
    file = m[1];
    tensor = m[2];
  }
  const array = readArray(file, { tensor });
  if (array.shape.length !== 2 && array.shape.length !== 3) {
    throw new InputError(`${arg} must be 2-D [n, d] or 3-D [layers, n, d]; got shape [${array.shape.join(", ")}]`);
  }
  if (array.shape.some((s) => s === 0)) throw new InputError(`${arg} is empty; got shape [${array.shape.join(", ")}]`);
  return { label: arg, array, layers: layers(array, arg), stacked: array.shape.length === 3 };
}

/** Name of layer `l` of an input in messages: `x.npy` for a 2-D input, `x.npy layer 3` otherwise. */
export function layerLabel(input: LoadedInput, l: number): string {
  return input.stacked ? `${input.label} layer ${l}` : input.label;
}

/**
 * Check every layer for NaN/Inf and zero-norm rows (cosine similarity needs unit-normalisable
 * rows), naming the file, layer, row and column of the first problem.
 */
export function checkRowsUsable(input: LoadedInput): void {
  input.layers.forEach((m, l) => void checkedRowSquares(m, layerLabel(input, l)));
}

/**
 * Check a neighbourhood size against the number of rows: `1 ≤ k < n` (an item's neighbour list
 * leaves the item itself out, so at most n − 1 neighbours exist).
 */
export function checkKRange(k: number, n: number, flag = "--k"): void {
  if (!(Number.isInteger(k) && k >= 1 && k < n)) {
    throw new InputError(`invalid k (${flag}); need 1 ≤ k < n = ${n}, got ${k}`);
  }
}

/**
 * Make sure a TF.js backend is ready when the probes will want one, and say which engine runs.
 * The probes compute small problems in exact float64 JS and hand large ones (more than
 * `JS_ENGINE_MAX_WORK` multiply–adds) to the native BLAS path when it is on (no TF.js backend
 * needed), else to TF.js, which needs `initBackend()` first; starting TF.js for a problem it will
 * not compute would only slow the command down.
 * @param work the largest similarity product the command will compute, in multiply–adds
 *   (e.g. n·n·d for a Gram matrix).
 * @returns `"js"`, `"native"` or `"tfjs-<backend>"` (e.g. `"tfjs-wasm"`), for the JSON `backend` field.
 */
export async function backendFor(work: number): Promise<string> {
  if (work <= JS_ENGINE_MAX_WORK) return "js";
  if (nativeMatMulActive()) return "native";
  const info = await backendLayer().initBackend();
  return `tfjs-${info.name}`;
}
