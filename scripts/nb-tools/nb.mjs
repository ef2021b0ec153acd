// A tiny helper for writing chapter notebooks from a script, for authors who prefer that to
// editing in Jupyter. The .ipynb it writes is the source of truth (commit it; keep the script in
// scratch/ or throw it away): clean, nbformat 4.5, cell ids, the tslab kernelspec.
//
//   import { md, code, writeNotebook } from "../scripts/nb-tools/nb.mjs";
//   writeNotebook("notebooks/03_kernel-alignment.ipynb", [
//     md`# 3 · Kernel alignment`,
//     code(`import * as lco from "lco-kit";`),
//     code(`await lco.display.show(lco.figures.figureById("cka-vs-width").build());`, { tags: ["figure:cka-vs-width"] }),
//   ]);
//
// Cell ids are derived from the notebook name and the cell's position among cells with the same
// first line, so regenerating after an edit keeps most ids stable.
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { KERNELSPEC, cleanNotebook, nbJson } from "../notebooks.mjs";

function dedent(s) {
  const lines = s.replace(/^\n/, "").replace(/\n\s*$/, "").split("\n");
  const pad = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return lines.map((l) => l.slice(Number.isFinite(pad) ? pad : 0)).join("\n");
}

/** A markdown cell; usable as a tag (md`...`) or a function (md("...")). Indentation is removed. */
export function md(strings, ...values) {
  const text = Array.isArray(strings) ? String.raw({ raw: strings }, ...values) : String(strings);
  return { cell_type: "markdown", metadata: {}, source: dedent(text) };
}

/** A code cell with optional tags (e.g. `figure:<id>`). Indentation is removed. */
export function code(text, { tags } = {}) {
  return { cell_type: "code", metadata: tags?.length ? { tags } : {}, source: dedent(text), outputs: [], execution_count: null };
}

/** Write a clean notebook (nbformat 4.5, ids, tslab kernelspec) atomically. */
export function writeNotebook(file, cells) {
  const name = basename(file);
  const seen = new Map();
  for (const c of cells) {
    const first = c.source.split("\n")[0];
    const k = seen.get(first) ?? 0;
    seen.set(first, k + 1);
    c.id = createHash("sha256").update(`${name}\n${c.cell_type}\n${first}\n${k}`).digest("hex").slice(0, 8);
  }
  const nb = cleanNotebook({ cells, metadata: { kernelspec: KERNELSPEC }, nbformat: 4, nbformat_minor: 5 }, name);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, nbJson(nb));
  renameSync(tmp, file);
  return file;
}
