/**
 * Profiles: how big a run is. Every experiment preset has a size per profile, and the same code
 * path runs in all of them.
 *
 * - `smoke`: seconds; what CI and `npm test` run (`LCO_PROFILE=smoke`).
 * - `full`: minutes on a 2-core laptop CPU; the default for `npm run reproduce`.
 * - `large`: for users with a GPU (tfjs-node-gpu); bigger models, more seeds.
 *
 * @module
 */
import { InputError } from "./array";

/** Size of a run. */
export type Profile = "smoke" | "full" | "large";

/** All profiles, smallest first. */
export const PROFILES: readonly Profile[] = ["smoke", "full", "large"];

/**
 * The profile named by `LCO_PROFILE`, else `fallback` (default `"full"`).
 * Throws on an unknown name, naming it.
 */
export function profileFromEnv(fallback: Profile = "full"): Profile {
  const v = process.env.LCO_PROFILE;
  if (v === undefined || v === "") return fallback;
  if ((PROFILES as readonly string[]).includes(v)) return v as Profile;
  throw new InputError(`invalid LCO_PROFILE; expected one of ${PROFILES.join(", ")}, got "${v}"`);
}

/** Pick the value for a profile from a per-profile table, e.g. `byProfile(p, {smoke: 2, full: 200, large: 2000})`. */
export function byProfile<T>(profile: Profile, values: Record<Profile, T>): T {
  if (!(profile in values)) throw new InputError(`invalid profile "${profile}"`);
  return values[profile];
}

// ---------------------------------------------------------------------------------------------
// Typed experiment presets and validated overrides
//
// A preset is a plain typed object of defaults plus, per profile, the fields that change size
// (steps, widths, number of seeds). Overrides from code or the command line are checked against
// the defaults' keys and types, so a typo (`--lrr=0.1`) or a wrong type (`--numSteps=abc`) fails
// at start-up with the bad key and value named, instead of silently training the default model.


/** A value a config may hold: JSON data (numbers must be finite). */
export type ConfigValue = number | string | boolean | null | readonly ConfigValue[] | { readonly [key: string]: ConfigValue };

/** Every field optional, recursively (for per-profile sizes and overrides). Arrays are replaced whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * `T`, but not used to infer `T` (so a preset's type comes from its `defaults` alone, not from a
 * profile's partial sizes). The same trick as TypeScript 5.4's `NoInfer`, which the notebooks'
 * TypeScript 5.0 lacks.
 */
export type NoInferType<T> = [T][T extends unknown ? 0 : never];

/**
 * An experiment preset.
 * @typeParam T the config type (a plain object of numbers, strings, booleans, arrays and nested objects).
 */
export interface Preset<T extends object> {
  /** Experiment name; also the first folder of its run directories (`runs/<name>/…`). Filesystem-safe. */
  name: string;
  /** One line saying what the experiment does. */
  description?: string;
  /** The defaults: every field of `T`. */
  defaults: T;
  /** Per-profile changes applied on top of `defaults` (e.g. `{smoke: {numSteps: 20}}`). */
  profiles?: Partial<Record<Profile, DeepPartial<NoInferType<T>>>>;
  /** Domain checks on the resolved config (e.g. `nHeads` divides `dModel`); throw an `InputError`. */
  validate?: (cfg: NoInferType<T>) => void;
}

/** Overrides: nested partial objects and/or dotted keys (`{"encoder.dModel": 64}`). */
export type Overrides = Readonly<Record<string, unknown>>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return String(v); // JSON.stringify(NaN) would print "null"
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Levenshtein distance, for "did you mean" hints on misspelled keys. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/**
 * Check `value` against the type of `def` (the default at `path`) and return the merged value.
 * Objects merge field by field; arrays are replaced whole (elements checked against the default's
 * first element); a `null` default accepts any JSON value.
 */
function mergeChecked(def: unknown, value: unknown, path: string, where: string): unknown {
  if (def === null) {
    checkJson(value, path, where);
    return value;
  }
  if (isPlainObject(def)) {
    if (!isPlainObject(value)) {
      throw new InputError(`invalid ${where} value for "${path}": expected an object, got ${kindOf(value)} ${show(value)}`);
    }
    const out: Record<string, unknown> = { ...def };
    for (const [k, v] of Object.entries(value)) {
      const sub = `${path}.${k}`;
      if (!(k in def)) throw unknownKey(sub, Object.keys(def).map((kk) => `${path}.${kk}`), where);
      if (v === undefined) continue;
      out[k] = mergeChecked(def[k], v, sub, where);
    }
    return out;
  }
  if (Array.isArray(def)) {
    if (!Array.isArray(value)) {
      throw new InputError(`invalid ${where} value for "${path}": expected an array, got ${kindOf(value)} ${show(value)}`);
    }
    if (def.length > 0) value.forEach((v, i) => mergeChecked(def[0], v, `${path}[${i}]`, where));
    else checkJson(value, path, where);
    return value.slice();
  }
  if (typeof def === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new InputError(`invalid ${where} value for "${path}": expected a finite number, got ${kindOf(value)} ${show(value)}`);
    }
    return value;
  }
  if (typeof value !== typeof def) {
    throw new InputError(`invalid ${where} value for "${path}": expected a ${typeof def}, got ${kindOf(value)} ${show(value)}`);
  }
  return value;
}

function checkJson(value: unknown, path: string, where: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InputError(`invalid ${where} value for "${path}": ${value} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkJson(v, `${path}[${i}]`, where));
  if (isPlainObject(value)) return Object.entries(value).forEach(([k, v]) => checkJson(v, `${path}.${k}`, where));
  throw new InputError(`invalid ${where} value for "${path}": ${kindOf(value)} is not JSON data`);
}

function unknownKey(key: string, known: string[], where: string): InputError {
  const best = known
    .map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  const hint = best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best.k}"?)` : "";
  return new InputError(`unknown ${where} key "${key}"${hint}; known keys: ${known.join(", ")}`);
}

/** Turn `{"a.b": 1, c: {d: 2}}` into nested form `{a: {b: 1}, c: {d: 2}}`, rejecting conflicts. */
function nestDotted(overrides: Overrides): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split(".");
    if (parts.some((p) => p === "")) throw new InputError(`invalid config key "${key}"`);
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i];
      if (node[p] === undefined) node[p] = {};
      else if (!isPlainObject(node[p])) throw new InputError(`config key "${key}" conflicts with "${parts.slice(0, i + 1).join(".")}"`);
      node = node[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (isPlainObject(value) && isPlainObject(node[last])) {
      node[last] = { ...(node[last] as object), ...value };
    } else if (node[last] !== undefined) {
      throw new InputError(`config key "${key}" is given twice`);
    } else {
      node[last] = value;
    }
  }
  return out;
}

function mergeTop<T extends object>(defaults: T, overrides: Overrides, where: string): T {
  const nested = nestDotted(overrides);
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const known = Object.keys(defaults);
  for (const [k, v] of Object.entries(nested)) {
    if (!(k in defaults)) throw unknownKey(k, known, where);
    if (v === undefined) continue;
    out[k] = mergeChecked((defaults as Record<string, unknown>)[k], v, k, where);
  }
  return out as T;
}

/**
 * Define a preset, checking that each profile's sizes use known keys of the right types.
 * @example
 * const ALIGNMENT = definePreset({
 *   name: "alignment",
 *   defaults: { lr: 1e-3, numSteps: 500, batchSize: 32, dModel: 64 },
 *   profiles: { smoke: { numSteps: 20, dModel: 16 }, large: { numSteps: 5000, dModel: 256 } },
 * });
 * @throws InputError naming a bad profile key or value, or an unsafe name.
 */
export function definePreset<T extends object>(preset: Preset<T>): Preset<T> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(preset.name)) {
    throw new InputError(`invalid preset name ${show(preset.name)}; use letters, digits, ".", "_" and "-"`);
  }
  checkJson(preset.defaults, preset.name, "preset default");
  for (const [profile, sizes] of Object.entries(preset.profiles ?? {})) {
    if (!(PROFILES as readonly string[]).includes(profile)) {
      throw new InputError(`preset "${preset.name}" has an unknown profile "${profile}"; expected one of ${PROFILES.join(", ")}`);
    }
    mergeTop(preset.defaults, sizes as Overrides, `preset "${preset.name}" profile ${profile}`);
  }
  return preset;
}

/** The preset's defaults for one profile (defaults with that profile's sizes applied). */
export function presetDefaults<T extends object>(preset: Preset<T>, profile: Profile = "full"): T {
  if (!(PROFILES as readonly string[]).includes(profile)) {
    throw new InputError(`invalid profile "${profile}"; expected one of ${PROFILES.join(", ")}`);
  }
  const sizes = preset.profiles?.[profile];
  return sizes ? mergeTop(preset.defaults, sizes as Overrides, `preset "${preset.name}" profile ${profile}`) : { ...preset.defaults };
}

/** Options for {@link resolveConfig}. */
export interface ResolveOptions {
  /** Which profile's sizes to start from. Default: `profileFromEnv()` (`LCO_PROFILE`, else `"full"`). */
  profile?: Profile;
}

/**
 * The config of one run: the preset's defaults, then the profile's sizes, then `overrides`.
 * Every override key must exist in the defaults and have the default's type (numbers must be
 * finite; nested objects merge; arrays are replaced whole). Dotted keys reach into nested
 * objects: `{"encoder.dModel": 64}`. Then the preset's `validate` runs.
 * @example resolveConfig(ALIGNMENT, { lr: 3e-4 }, { profile: "smoke" }) // {lr: 0.0003, numSteps: 20, …}
 * @throws InputError naming the bad key (with a "did you mean" hint) or the bad value and its type.
 */
export function resolveConfig<T extends object>(preset: Preset<T>, overrides: Overrides = {}, opts: ResolveOptions = {}): T {
  const profile = opts.profile ?? profileFromEnv();
  const base = presetDefaults(preset, profile);
  const cfg = mergeTop(base, overrides, `config override for preset "${preset.name}":`);
  preset.validate?.(cfg);
  return cfg;
}

/** Options for {@link parseOverrides}. */
export interface ParseOverridesOptions {
  /**
   * Defaults to parse against: a value is read as the default's type (so `--name=123` stays the
   * string "123" when `name` defaults to a string). Without defaults the type is guessed: numbers,
   * `true` / `false`, `null`, JSON arrays / objects, otherwise a string.
   */
  defaults?: object;
}

function guessValue(raw: string): unknown {
  const t = raw.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  if (t.startsWith("[") || t.startsWith("{")) {
    try {
      return JSON.parse(t);
    } catch {
      throw new InputError(`invalid JSON value ${show(raw)}`);
    }
  }
  return raw;
}

function lookupDefault(defaults: object, key: string): { found: boolean; value?: unknown } {
  let node: unknown = defaults;
  for (const p of key.split(".")) {
    if (!isPlainObject(node) || !(p in node)) return { found: false };
    node = node[p];
  }
  return { found: true, value: node };
}

function parseAs(def: unknown, raw: string, key: string): unknown {
  if (typeof def === "string") return raw;
  if (typeof def === "number") {
    const v = raw.trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(v)) throw new InputError(`invalid value for --${key}: expected a number, got ${show(raw)}`);
    return v;
  }
  if (typeof def === "boolean") {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new InputError(`invalid value for --${key}: expected true or false, got ${show(raw)}`);
  }
  if (Array.isArray(def)) {
    const t = raw.trim();
    if (t.startsWith("[")) return guessValue(t);
    // Comma lists: --layers=1,2,3 or --names=a,b (elements read as the default's element type).
    if (t === "") return [];
    return t.split(",").map((s) => (def.length > 0 ? parseAs(def[0], s, key) : guessValue(s)));
  }
  return guessValue(raw);
}

/**
 * Parse `--key=value` command-line overrides into an object for {@link resolveConfig}.
 * `--flag` alone means `true`, `--no-flag` means `false`; dotted keys (`--encoder.dModel=64`) are
 * kept as dotted keys. Anything else (a positional argument, a bare `-x`) is an error: a CLI
 * should take its own flags out first.
 * @example parseOverrides(["--lr=0.001", "--numSteps=20"]) // {lr: 0.001, numSteps: 20}
 * @throws InputError naming the malformed argument, an unknown key (when `defaults` is given) or
 *   a value that does not parse as the default's type.
 */
export function parseOverrides(argv: readonly string[], opts: ParseOverridesOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of argv) {
    const m = /^--([A-Za-z_][\w.-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) throw new InputError(`invalid override ${show(arg)}; expected --key=value`);
    let key = m[1];
    const raw = m[2];
    let value: unknown;
    if (raw === undefined) {
      // A bare flag. `--no-x` turns x off when x is a known key (or there are no defaults to ask).
      const neg = key.startsWith("no-") ? key.slice(3) : null;
      if (neg && (!opts.defaults || lookupDefault(opts.defaults, neg).found)) {
        key = neg;
        value = false;
      } else {
        value = true;
      }
    }
    if (opts.defaults) {
      const d = lookupDefault(opts.defaults, key);
      if (!d.found) {
        throw unknownKey(key, Object.keys(opts.defaults), "override");
      }
      if (raw !== undefined) value = parseAs(d.value, raw, key);
    } else if (raw !== undefined) {
      value = guessValue(raw);
    }
    if (key in out) throw new InputError(`override --${key} is given twice`);
    out[key] = value;
  }
  return out;
}
