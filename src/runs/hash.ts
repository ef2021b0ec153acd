/**
 * Canonical JSON and config hashes. Two configs that hold the same values get the same hash,
 * whatever order their keys were written in, so a cached run is found again after someone
 * reorders a preset.
 *
 * @module
 */
import { InputError } from "../array";
import { sha256 } from "../io/hash";

/**
 * JSON with object keys sorted (recursively) and no whitespace. Array order is kept (it is
 * meaningful). `undefined` object fields are dropped, as `JSON.stringify` does.
 * @throws InputError on a non-finite number, a function, a bigint or a cycle, naming the path
 *   (`NaN` would silently become `null` in plain JSON and collide with a real `null`).
 */
export function stableJson(value: unknown): string {
  const seen = new Set<object>();
  const enc = (v: unknown, path: string): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "number":
        if (!Number.isFinite(v)) throw new InputError(`cannot hash ${path} = ${v}; config values must be finite`);
        return JSON.stringify(v);
      case "string":
      case "boolean":
        return JSON.stringify(v);
      case "object": {
        if (seen.has(v as object)) throw new InputError(`cannot hash ${path}: it contains a cycle`);
        seen.add(v as object);
        let out: string;
        if (Array.isArray(v)) {
          out = `[${v.map((x, i) => (x === undefined ? "null" : enc(x, `${path}[${i}]`))).join(",")}]`;
        } else if (ArrayBuffer.isView(v)) {
          out = enc(Array.from(v as unknown as ArrayLike<number>), path);
        } else {
          const o = v as Record<string, unknown>;
          const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
          out = `{${keys.map((k) => `${JSON.stringify(k)}:${enc(o[k], `${path}.${k}`)}`).join(",")}}`;
        }
        seen.delete(v as object);
        return out;
      }
      default:
        throw new InputError(`cannot hash ${path}: a ${typeof v} is not JSON data`);
    }
  };
  return enc(value, "config");
}

/**
 * sha256 of the canonical JSON of `cfg` (64 hex characters). Stable across key order; changes
 * when any value changes.
 * @example configHash({a: 1, b: 2}) === configHash({b: 2, a: 1}) // true
 */
export function configHash(cfg: unknown): string {
  return sha256(stableJson(cfg));
}
