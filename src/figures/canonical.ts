/**
 * Canonical figure JSON: the form in which figures are committed and compared.
 *
 * Figures are compared as data, not pixels (the Observable Plot snapshot rule). Two builds of the
 * same figure must give byte-identical files, so we (1) round every number to a fixed number of
 * significant digits (floating-point noise in the last bits must not show up as a diff),
 * (2) sort object keys (insertion order depends on how a builder happened to write its
 * literal), and (3) print arrays of plain values on one line so that a diff shows which trace
 * changed instead of thousands of one-number lines.
 *
 * @module
 */

/** Default significant digits kept by {@link roundNumbers} and {@link canonicalJson}. */
export const SIGNIFICANT_DIGITS = 6;

/**
 * Round one number to `digits` significant digits. `-0` becomes `0`; NaN and ±Infinity become
 * `null`, which is what `JSON.stringify` would write anyway (and Plotly treats as a gap).
 * @example roundNumber(0.1 + 0.2) // 0.3
 * @example roundNumber(123456.789, 3) // 123000
 */
export function roundNumber(x: number, digits: number = SIGNIFICANT_DIGITS): number | null {
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) {
    throw new Error(`invalid digits; need an integer in [1, 17], got ${digits}`);
  }
  if (!Number.isFinite(x)) return null;
  if (x === 0) return 0; // also turns -0 into 0
  return Number(x.toPrecision(digits));
}

/**
 * A deep copy of `value` with every number rounded ({@link roundNumber}), object keys sorted,
 * typed arrays turned into plain arrays and `undefined` object entries dropped (as JSON would).
 * Throws on values JSON cannot hold (functions, bigints, symbols), naming the path.
 */
export function roundNumbers(value: unknown, digits: number = SIGNIFICANT_DIGITS, path = "$"): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "number":
      return roundNumber(value, digits);
    case "string":
    case "boolean":
      return value;
    case "object": {
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return Array.from(value as unknown as ArrayLike<number>, (x, i) => roundNumbers(x, digits, `${path}[${i}]`));
      }
      if (Array.isArray(value)) return value.map((x, i) => (x === undefined ? null : roundNumbers(x, digits, `${path}[${i}]`)));
      if (value instanceof Date) return value.toISOString();
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        out[key] = roundNumbers(v, digits, `${path}.${key}`);
      }
      return out;
    }
    default:
      throw new Error(`figure JSON cannot hold a ${typeof value} (at ${path})`);
  }
}

function isFlat(xs: unknown[]): boolean {
  return xs.every((x) => x === null || typeof x !== "object");
}

function write(v: unknown, indent: string): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    // Arrays of plain values (coordinates, labels) stay on one line.
    if (isFlat(v)) return "[" + v.map((x) => JSON.stringify(x)).join(", ") + "]";
    return "[\n" + v.map((x) => inner + write(x, inner)).join(",\n") + "\n" + indent + "]";
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return "{}";
  const rows = keys.map((k) => inner + JSON.stringify(k) + ": " + write((v as Record<string, unknown>)[k], inner));
  return "{\n" + rows.join(",\n") + "\n" + indent + "}";
}

/**
 * The canonical text of a figure (or any JSON value): rounded, keys sorted, 2-space indent,
 * flat arrays on one line, trailing newline. This is exactly what `figures/<id>.plotly.json`
 * holds, so `canonicalJson(spec.build()) === readFileSync(snapshot, "utf8")` is the snapshot test.
 */
export function canonicalJson(value: unknown, digits: number = SIGNIFICANT_DIGITS): string {
  return write(roundNumbers(value, digits), "") + "\n";
}
