/**
 * Run directories whose names say what differs from the preset:
 *
 *   runs/<experiment>/<k1-v1>_<k2-v2>…__<hash8>/seed-<n>/
 *
 * e.g. `runs/alignment/lr-0.0003_numSteps-20__3f9a1c0e/seed-1/`. Only the keys that differ from
 * the preset's defaults appear (nothing differs → `defaults__<hash8>`), so names stay short; the
 * 8-hex hash of the whole config (without the seed) keeps two configs from ever sharing a folder,
 * even when the readable part is cut short or two values print alike.
 *
 * @module
 */
import * as path from "node:path";
import { InputError } from "../array";
import type { Preset } from "../config";
import { PROJECT_ROOT } from "../project";
import { configHash } from "./hash";

/**
 * The runs folder: `root` (default `"runs"`) resolved from the project root when it is relative,
 * so a notebook kernel (which starts in `notebooks/`), the CLI and the tests all find the same run
 * folders whatever their working directory.
 * @example runsRoot() // "/…/lco-kit/runs"
 */
export function runsRoot(root = "runs"): string {
  if (typeof root !== "string" || root === "") throw new InputError(`invalid runs folder ${JSON.stringify(root)}; need a path`);
  return path.resolve(PROJECT_ROOT, root);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Flatten nested objects into dotted keys: `{a: {b: 1}}` → `[["a.b", 1]]` (arrays stay values). */
export function flattenConfig(cfg: object, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of Object.keys(cfg).sort()) {
    const v = (cfg as Record<string, unknown>)[k];
    if (v === undefined) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...flattenConfig(v, key));
    else out.push([key, v]);
  }
  return out;
}

/**
 * The dotted keys whose values in `cfg` differ from `defaults` (compared by canonical JSON),
 * sorted by key. Keys missing from `defaults` count as different.
 */
export function configDiff(defaults: object, cfg: object): [string, unknown][] {
  const base = new Map(flattenConfig(defaults).map(([k, v]) => [k, JSON.stringify(v)]));
  return flattenConfig(cfg).filter(([k, v]) => base.get(k) !== JSON.stringify(v));
}

/** A value as a short filesystem-safe token: `0.0003`, `true`, `a,b`, `left~of`. */
function token(v: unknown): string {
  let s: string;
  if (Array.isArray(v)) s = v.map((x) => token(x)).join(",");
  else if (typeof v === "object" && v !== null) s = configHash(v).slice(0, 6);
  else s = String(v);
  // Keep letters, digits and . , + - ; everything else (spaces, slashes, colons, quotes) becomes "~".
  return s.replace(/[^A-Za-z0-9.,+-]/g, "~");
}

/** Options for {@link runDir}. */
export interface RunDirOptions {
  /** Defaults to compare against when `experiment` is a name (with a preset, its `defaults` are used). */
  defaults?: object;
  /** Longest readable part before the hash (characters). Default 80. */
  maxLength?: number;
}

/**
 * The directory of one run (not created).
 *
 * @param root the runs folder, e.g. `"runs"`.
 * @param experiment a preset (its name and defaults are used) or an experiment name.
 * @param cfg the resolved config. A `seed` field in it is ignored for the config folder: the seed
 *   gets its own `seed-<n>` level, so all seeds of one config sit side by side.
 * @param seed the run's integer seed.
 * @example runDir("runs", ALIGNMENT, {...ALIGNMENT.defaults, lr: 3e-4}, 1) // "runs/alignment/lr-0.0003__ab12cd34/seed-1"
 * @throws InputError for a non-integer seed or an unsafe experiment name.
 */
export function runDir<T extends object>(root: string, experiment: string | Preset<T>, cfg: T, seed: number, opts: RunDirOptions = {}): string {
  if (!Number.isInteger(seed)) throw new InputError(`invalid seed for runDir; need an integer, got ${seed}`);
  const name = typeof experiment === "string" ? experiment : experiment.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new InputError(`invalid experiment name ${JSON.stringify(name)}; use letters, digits, ".", "_" and "-"`);
  }
  const defaults = typeof experiment === "string" ? opts.defaults ?? {} : experiment.defaults;
  const { seed: _ignored, ...rest } = cfg as Record<string, unknown>;
  void _ignored;
  const diff = configDiff(defaults, rest).filter(([k]) => k !== "seed");
  const maxLength = opts.maxLength ?? 80;
  let readable = diff.map(([k, v]) => `${token(k)}-${token(v)}`).join("_");
  if (readable.length > maxLength) readable = readable.slice(0, maxLength).replace(/[_-]+$/, "") + "+more";
  const folder = `${readable || "defaults"}__${configHash(rest).slice(0, 8)}`;
  return path.join(root, name, folder, `seed-${seed}`);
}
