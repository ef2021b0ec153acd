/**
 * `table(data)`: show rows as an HTML table in a notebook (plain text elsewhere).
 *
 * Accepts an arquero table (rendered by its own `toHTML()`), a danfo-style data frame
 * (`columns` + `values`), or an array of plain row objects.
 *
 * @module
 */
import { displayData, inKernel } from "./kernel";

const DEFAULT_LIMIT = 100;

/** Options for {@link table}. */
export interface TableOptions {
  /** Maximum rows shown; default 100 (a chapter's tables are small: show them whole). */
  limit?: number;
  /** Significant digits for non-integer numbers; default 4. */
  digits?: number;
  /** Optional caption above the table. */
  caption?: string;
}

/** Something with arquero's `toHTML`, `numRows` and `objects` (we do not import arquero). */
interface ArqueroLike {
  toHTML(options?: { limit?: number }): string;
  numRows(): number;
  objects(options?: { limit?: number }): Record<string, unknown>[];
}

/** Something with danfo's `columns` and `values`. */
interface FrameLike {
  columns: string[];
  values: unknown[][];
}

/** What {@link table} accepts. */
export type TableInput = readonly Record<string, unknown>[] | ArqueroLike | FrameLike;

function isArquero(x: unknown): x is ArqueroLike {
  return typeof (x as ArqueroLike)?.toHTML === "function" && typeof (x as ArqueroLike)?.objects === "function";
}

function isFrame(x: unknown): x is FrameLike {
  return Array.isArray((x as FrameLike)?.columns) && Array.isArray((x as FrameLike)?.values);
}

/** Rows as plain objects, whatever the input. Throws naming the input's type if unsupported. */
export function toRowObjects(data: TableInput): Record<string, unknown>[] {
  if (isArquero(data)) return data.objects();
  if (isFrame(data)) return data.values.map((row) => Object.fromEntries(data.columns.map((c, j) => [c, row[j]])));
  if (Array.isArray(data)) {
    data.forEach((r, i) => {
      if (r === null || typeof r !== "object") throw new Error(`table rows must be objects; row ${i} is ${r === null ? "null" : typeof r}`);
    });
    return data as Record<string, unknown>[];
  }
  throw new Error(`table() needs row objects, an arquero table or a data frame, got ${typeof data}`);
}

/** One cell as text: integers as is, other numbers to `digits` significant digits. */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(digits)));
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function columnsOf(rows: Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The table as HTML (arquero tables use their own renderer). */
export function tableHtml(data: TableInput, opts: TableOptions = {}): string {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const caption = opts.caption ? `<caption>${esc(opts.caption)}</caption>` : "";
  if (isArquero(data)) return (caption ? `<div><b>${esc(opts.caption!)}</b></div>` : "") + data.toHTML({ limit });
  const rows = toRowObjects(data);
  const cols = columnsOf(rows);
  const shown = rows.slice(0, limit);
  const head = "<tr>" + cols.map((c) => `<th>${esc(c)}</th>`).join("") + "</tr>";
  const body = shown
    .map((r) => "<tr>" + cols.map((c) => `<td${typeof r[c] === "number" ? ' style="text-align:right"' : ""}>${esc(formatCell(r[c], opts.digits))}</td>`).join("") + "</tr>")
    .join("\n");
  const more = rows.length > shown.length ? `<p>… ${rows.length - shown.length} more rows</p>` : "";
  return `<table>${caption}<thead>${head}</thead><tbody>\n${body}\n</tbody></table>${more}`;
}

/** The table as aligned plain text (for the CLI and text-only viewers). */
export function tableText(data: TableInput, opts: TableOptions = {}): string {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const rows = toRowObjects(data);
  const cols = columnsOf(rows);
  const shown = rows.slice(0, limit).map((r) => cols.map((c) => formatCell(r[c], opts.digits)));
  const widths = cols.map((c, j) => Math.max(c.length, ...shown.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((s, j) => s.padEnd(widths[j])).join("  ").trimEnd();
  const out = [line(cols), line(widths.map((w) => "-".repeat(w))), ...shown.map(line)];
  if (opts.caption) out.unshift(opts.caption);
  if (rows.length > shown.length) out.push(`… ${rows.length - shown.length} more rows`);
  return out.join("\n");
}

/**
 * Show a table: HTML in a notebook, plain text on stdout elsewhere.
 * @returns the HTML outside a kernel; `undefined` inside one (so tslab does not echo it).
 */
export function table(data: TableInput, opts: TableOptions = {}): string | undefined {
  const html = tableHtml(data, opts);
  if (inKernel()) {
    displayData({ "text/html": html, "text/plain": tableText(data, opts) });
    return undefined;
  }
  console.log(tableText(data, opts));
  return html;
}
