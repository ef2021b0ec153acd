/**
 * Which notebook cell shows which figure. A code cell that shows registered figure `<id>` carries
 * the cell tag `figure:<id>` (Jupyter: View → Cell toolbar → Tags). The registry test checks
 * that every registered id is shown by exactly one tagged cell and that every tag names a
 * registered id; the manifest records the cell.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FigureSpec } from "./types";

/** One `figure:<id>` tag found in a notebook. */
export interface FigureTag {
  /** The figure id after `figure:`. */
  id: string;
  /** Notebook file name, e.g. `"00_setup.ipynb"`. */
  notebook: string;
  /** 0-based index of the cell among all cells of the notebook. */
  cellIndex: number;
  /** The cell's nbformat id (nbformat ≥ 4.5), if it has one. */
  cellId?: string;
}

interface NotebookJson {
  cells?: { cell_type?: string; id?: string; metadata?: { tags?: unknown } }[];
}

/**
 * Every `figure:<id>` tag in the `*.ipynb` files of `dir` (not recursive), sorted by notebook
 * and cell. Tags on markdown cells count too (so the registry test can complain about them).
 * Throws naming the file if a notebook is not valid JSON.
 */
export function findFigureTags(dir: string): FigureTag[] {
  if (!fs.existsSync(dir)) return [];
  const out: FigureTag[] = [];
  for (const notebook of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
    const file = path.join(dir, notebook);
    let nb: NotebookJson;
    try {
      nb = JSON.parse(fs.readFileSync(file, "utf8")) as NotebookJson;
    } catch (e) {
      throw new Error(`cannot read notebook ${file}: ${(e as Error).message}`);
    }
    (nb.cells ?? []).forEach((cell, cellIndex) => {
      const tags = Array.isArray(cell.metadata?.tags) ? (cell.metadata!.tags as unknown[]) : [];
      for (const t of tags) {
        if (typeof t === "string" && t.startsWith("figure:")) {
          out.push({ id: t.slice("figure:".length), notebook, cellIndex, ...(cell.id ? { cellId: cell.id } : {}) });
        }
      }
    });
  }
  return out;
}

/**
 * Problems between a figure list and the tags found in notebooks, one sentence each (empty =
 * consistent): a registered id shown by no cell or by several, a tag naming no registered id,
 * a tag in a different notebook than the spec's `notebook`.
 */
export function checkFigureTags(specs: readonly FigureSpec[], tags: readonly FigureTag[]): string[] {
  const problems: string[] = [];
  const where = (t: FigureTag) => `${t.notebook} cell ${t.cellIndex}`;
  for (const s of specs) {
    const mine = tags.filter((t) => t.id === s.id);
    if (mine.length === 0) problems.push(`figure "${s.id}" is shown by no notebook cell (tag a cell in ${s.notebook} with "figure:${s.id}")`);
    if (mine.length > 1) problems.push(`figure "${s.id}" is tagged in ${mine.length} cells (${mine.map(where).join(", ")}); tag exactly one`);
    for (const t of mine) {
      if (t.notebook !== s.notebook) problems.push(`figure "${s.id}" is registered for ${s.notebook} but tagged in ${where(t)}`);
    }
  }
  const known = new Set(specs.map((s) => s.id));
  for (const t of tags) {
    if (!known.has(t.id)) problems.push(`${where(t)} is tagged "figure:${t.id}", which is not a registered figure id`);
  }
  return problems;
}
