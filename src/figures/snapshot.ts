/**
 * Figure snapshots: the committed `figures/<id>.plotly.json` is the canonical JSON
 * ({@link canonicalJson}) of the figure's builder. A test (and `npm run figures:check`) rebuilds
 * the JSON and compares; on a mismatch it writes `figures/<id>-changed.plotly.json` next to the
 * snapshot (gitignored) so the difference can be inspected or uploaded by CI.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../io/atomic";
import { canonicalJson } from "./canonical";
import { sha256 } from "../io/hash";
import type { FigureSpec } from "./types";

/** `<dir>/<id>.plotly.json`. */
export function snapshotPath(dir: string, id: string): string {
  return path.join(dir, `${id}.plotly.json`);
}

/** `<dir>/<id>-changed.plotly.json`: written when a rebuild differs from the snapshot. */
export function changedPath(dir: string, id: string): string {
  return path.join(dir, `${id}-changed.plotly.json`);
}

/** Run a figure's builder and return its canonical JSON text. Errors name the figure. */
export function buildCanonical(spec: FigureSpec): string {
  let fig;
  try {
    fig = spec.build();
  } catch (e) {
    throw new Error(`figure "${spec.id}": build failed: ${(e as Error).message}`);
  }
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== "object" || fig.layout === null) {
    throw new Error(`figure "${spec.id}": build must return {data: [...], layout: {...}}`);
  }
  return canonicalJson(fig);
}

/** The outcome of comparing one figure with its snapshot. */
export interface SnapshotResult {
  id: string;
  /** `"same"`, `"changed"` (differs; `-changed` file written) or `"missing"` (no snapshot yet). */
  status: "same" | "changed" | "missing";
  /** The rebuilt canonical JSON. */
  actual: string;
  /** Where the rebuilt JSON was written when it did not match. */
  changedFile?: string;
}

/**
 * Rebuild `spec` and compare with `<dir>/<id>.plotly.json`. On a mismatch or a missing snapshot,
 * write the rebuilt JSON to `<dir>/<id>-changed.plotly.json`; on a match, remove a stale one.
 */
export function compareSnapshot(spec: FigureSpec, dir: string): SnapshotResult {
  const actual = buildCanonical(spec);
  const snap = snapshotPath(dir, spec.id);
  const changed = changedPath(dir, spec.id);
  const expected = fs.existsSync(snap) ? fs.readFileSync(snap, "utf8") : null;
  if (expected === actual) {
    fs.rmSync(changed, { force: true });
    return { id: spec.id, status: "same", actual };
  }
  writeFileAtomic(changed, actual);
  return { id: spec.id, status: expected === null ? "missing" : "changed", actual, changedFile: changed };
}
