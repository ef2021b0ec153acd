/**
 * The figure registry: every figure the kit can draw, by id. `npm run figures`, the snapshot
 * tests and the notebooks all reach a figure through here, so each figure has exactly one
 * builder.
 *
 * Builders live next to it, one file per track (`./paper.ts`, `./organism.ts`); they read their
 * inputs through the data areas (`../paper`, and `../experiments/published` for run results) and
 * never import this registry or the `./index` barrel.
 *
 * @module
 */
import { paperFigures } from "./paper";
import { organismFigures } from "./organism";
import { grslOrganismFigures } from "./grsl-organism";
import { refinementFigures } from "./refinement";
import type { FigureSpec } from "./types";

/** Ids are kebab-case: lowercase letters, digits and single dashes, e.g. `"grsl-panels"`. */
const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Check a list of figure specs and return it: ids must be kebab-case and unique, and every spec
 * needs a title, a notebook file name and an `inputs` array. Throws naming the offending id.
 */
export function checkFigureList(specs: readonly FigureSpec[]): FigureSpec[] {
  const seen = new Set<string>();
  for (const s of specs) {
    if (typeof s.id !== "string" || !ID_PATTERN.test(s.id)) {
      throw new Error(`invalid figure id; need kebab-case like "grsl-panels", got ${JSON.stringify(s.id)}`);
    }
    if (seen.has(s.id)) throw new Error(`duplicate figure id "${s.id}"; each figure is registered once`);
    seen.add(s.id);
    if (!s.title) throw new Error(`figure "${s.id}" has no title`);
    if (!/^[^/]+\.ipynb$/.test(s.notebook ?? "")) {
      throw new Error(`figure "${s.id}": notebook must be a file name under notebooks/, got ${JSON.stringify(s.notebook)}`);
    }
    if (!Array.isArray(s.inputs)) throw new Error(`figure "${s.id}": inputs must be an array of paths`);
    if (typeof s.build !== "function") throw new Error(`figure "${s.id}": build is not a function`);
  }
  return [...specs];
}

/** Every registered figure: the paper track's, then the model-organism track's. */
export const FIGURES: readonly FigureSpec[] = checkFigureList([...paperFigures, ...organismFigures, ...grslOrganismFigures, ...refinementFigures]);

/**
 * The figure with this id. Throws listing the known ids when there is none.
 * @param specs the list to search; default {@link FIGURES}.
 */
export function figureById(id: string, specs: readonly FigureSpec[] = FIGURES): FigureSpec {
  const spec = specs.find((s) => s.id === id);
  if (!spec) {
    const known = specs.map((s) => s.id).join(", ") || "(none registered)";
    throw new Error(`unknown figure id "${id}"; known ids: ${known}`);
  }
  return spec;
}
