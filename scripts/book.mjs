#!/usr/bin/env node
// `npm run book`: the course as a static website in out/book/.
//
//   node scripts/book.mjs [--from DIR] [--out out/book]
//
// Executes every chapter (scripts/notebooks.mjs's runner, the real tslab kernel) and exports it
// as one HTML page, plus a table of contents (index.html) in chapter order with each chapter's
// "What you'll learn". Profiles: a chapter that would train a model (TRAINING_CHAPTERS) runs at
// the smoke profile and shows the published full-profile results the kit ships; every other
// chapter runs at the full profile (it only reads published numbers or computes small things).
// Each page says which profile it ran with.
//
// `--from DIR` skips the execution and uses executed notebooks already in DIR (e.g. the smoke
// runs of the notebook tests); the profile shown is then the one each run printed.
//
// Offline: pages load plotly.js once from the site (plotly.js, copied from node_modules), not
// from a CDN; each figure's inline copy of the bundle (which `show()` sends with a notebook's
// first figure) is removed, and its static PNG stays in place until plotly draws. Each page
// links to its notebook file (copied into notebooks/). Publish by copying out/book/ to any static
// host (GitHub Pages, a university web folder, `python3 -m http.server`).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { kernelEnv, runNotebook } from "./notebooks.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NB_DIR = join(ROOT, "notebooks");
const PYTHON = process.env.LCO_PYTHON || "/usr/bin/python3";
/** Chapters that train models: run at the smoke profile (they also show the published full results). */
export const TRAINING_CHAPTERS = ["21_", "22_"];

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The profile a chapter is executed with for the book. */
export function bookProfile(file) {
  return TRAINING_CHAPTERS.some((p) => basename(file).startsWith(p)) ? "smoke" : "full";
}

/** The profile an executed notebook ran with, read from its setup cell's `profile …` line. */
export function profileOf(nb) {
  for (const c of nb.cells ?? []) {
    for (const o of c.outputs ?? []) {
      const text = [o.text ?? o.data?.["text/plain"] ?? ""].flat().join("");
      const m = /^profile (smoke|full|large)\b/m.exec(text);
      if (m) return m[1];
    }
  }
  return "unknown";
}

/**
 * Remove the inline plotly bundle that `show()` puts in front of a notebook's first figure
 * (the page loads plotly.js once from the site instead). Returns how many were removed.
 */
export function stripInlinePlotly(nb) {
  let n = 0;
  const loader = /^<script>\(function \(\) \{\n  var w = window;\n  if \(w\.Plotly \|\| w\.__lcoPlotlyLoading\) return;[\s\S]*?\n\}\)\(\);<\/script>/;
  for (const c of nb.cells ?? []) {
    for (const o of c.outputs ?? []) {
      const html = o.data?.["text/html"];
      if (!html) continue;
      const text = [html].flat().join("");
      if (loader.test(text)) {
        o.data["text/html"] = text.replace(loader, "");
        n++;
      }
    }
  }
  return n;
}

function title(nb, file) {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const m = /^#\s+(.+)$/m.exec([c.source].flat().join(""));
    if (m) return m[1].trim();
  }
  return basename(file, ".ipynb");
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:0 auto;padding:0 1.2em 3em;line-height:1.5;color:#222}
header.book,footer.book{border-bottom:1px solid #ddd;padding:.6em 0;margin-bottom:1em;font-size:.95em}
footer.book{border-top:1px solid #ddd;border-bottom:none;margin-top:2em}
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;background:#eef;color:#335;font-size:.85em}
.badge.smoke{background:#fff3d6;color:#6b4a00}
pre,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
.input_area pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6em;overflow-x:auto;margin:.3em 0}
.output_area pre{margin:.2em 0;white-space:pre-wrap}
.prompt{display:none}
.output_stderr pre{background:#fdd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.2em .6em}
img{max-width:100%;height:auto}
.anchor-link{display:none}
ol.toc>li{margin-bottom:1.2em}
ol.toc .learn{font-size:.92em;color:#333}`;

function page(titleText, body, head = "") {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(titleText)}</title><style>${CSS}</style>${head}</head>
<body>${body}</body></html>
`;
}

/**
 * What a chapter teaches, for the table of contents: the `<ul>` under its "What you'll learn"
 * heading in nbconvert's HTML; for a chapter without that section, the lead quote under its title.
 */
export function learnList(html) {
  const m = /<h2 id="What-you'll-learn"[\s\S]*?<\/h2>\s*(<ul>[\s\S]*?<\/ul>)/.exec(html);
  if (m) return `What you'll learn:${m[1]}`;
  const q = /<blockquote>([\s\S]*?)<\/blockquote>/.exec(html);
  return q ? q[1] : "";
}

function parseArgs(argv) {
  const o = { from: null, out: join(ROOT, "out", "book"), timeout: 900 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--from") o.from = resolve(argv[++i] ?? "");
    else if (a === "--out") o.out = resolve(argv[++i] ?? "");
    else if (a === "--timeout") o.timeout = Number(argv[++i]);
    else throw new Error(`unknown option ${a}; usage: node scripts/book.mjs [--from DIR] [--out out/book]`);
  }
  return o;
}

/** Build the site; returns {pages: [{file, title, profile}], failed: [names]}. */
export function buildBook({ from = null, out = join(ROOT, "out", "book"), timeout = 900, log = (s) => process.stderr.write(s) } = {}) {
  const sources = readdirSync(NB_DIR).filter((f) => f.endsWith(".ipynb")).sort();
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "notebooks"), { recursive: true });
  const work = join(out, ".executed");
  mkdirSync(work, { recursive: true });
  // plotly.js once for the whole site (offline; no CDN).
  const require = createRequire(import.meta.url);
  copyFileSync(require.resolve("plotly.js-dist/plotly.js"), join(out, "plotly.js"));

  const pages = [];
  const failed = [];
  for (const f of sources) {
    const src = join(NB_DIR, f);
    copyFileSync(src, join(out, "notebooks", f));
    let executed;
    if (from) {
      executed = join(from, f);
      if (!existsSync(executed)) throw new Error(`--from ${from}: no executed copy of ${f}`);
      log(`${f}: using ${executed}\n`);
    } else {
      const profile = bookProfile(f);
      log(`running ${f} (profile ${profile}) … `);
      const r = runNotebook(src, { profile, outDir: work, timeout, html: false });
      log(r.failures.length ? `FAILED\n` : `ok in ${r.seconds.toFixed(0)} s\n`);
      if (r.failures.length) failed.push(f);
      executed = r.outFile;
    }
    const nb = JSON.parse(readFileSync(executed, "utf8"));
    const profile = profileOf(nb);
    stripInlinePlotly(nb);
    const tmp = join(work, `book-${f}`);
    writeFileSync(tmp, JSON.stringify(nb));
    const h = spawnSync(PYTHON, ["-m", "nbconvert", "--to", "html", "--template", "basic", "--stdout", "--log-level", "ERROR", tmp], {
      cwd: ROOT, env: kernelEnv(profile), encoding: "utf8", maxBuffer: 512 * 1024 * 1024,
    });
    if (h.status !== 0) throw new Error(`nbconvert failed on ${f}: ${(h.stderr || "").trim().split("\n").slice(-3).join("\n")}`);
    const name = basename(f, ".ipynb");
    const t = title(nb, f);
    const badge = `<span class="badge ${profile}">ran with profile ${esc(profile)}</span>`;
    const note = profile === "smoke" ? " This chapter trains models, so the book runs it at the quick smoke profile; the full-profile results it shows are the published ones." : "";
    const header = `<header class="book"><a href="index.html">← contents</a> · ${badge} · <a href="notebooks/${esc(f)}" download>notebook file ${esc(f)}</a>${note ? `<div>${esc(note.trim())}</div>` : ""}</header>`;
    writeFileSync(join(out, `${name}.html`), page(t, `${header}\n${h.stdout}\n<footer class="book"><a href="index.html">← contents</a></footer>`, `<script src="plotly.js"></script>`));
    pages.push({ file: f, page: `${name}.html`, title: t, profile, learn: learnList(h.stdout) });
  }
  const items = pages
    .map((p) => `<li><a href="${esc(p.page)}"><b>${esc(p.title)}</b></a> <span class="badge ${p.profile}">${esc(p.profile)}</span> · <a href="notebooks/${esc(p.file)}" download>${esc(p.file)}</a>
<div class="learn">${p.learn}</div></li>`)
    .join("\n");
  const index = `<h1>lco-kit: the course</h1>
<p>Language-centric omnimodal representation learning, in TypeScript notebooks: the paper's published numbers (chapters 10–14) and a
family of small models trained from scratch (chapters 20–22). Every page is an executed chapter; figures are interactive (plotly.js,
included once with this site, works offline) with a static picture as fallback. Download a chapter's notebook file to run it yourself
(<code>npm run notebook</code> in the kit).</p>
<ol class="toc">
${items}
</ol>`;
  writeFileSync(join(out, "index.html"), page("lco-kit: the course", index));
  rmSync(work, { recursive: true, force: true });
  return { pages, failed };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const { pages, failed } = buildBook(o);
    console.error(`book: ${pages.length} chapters in ${o.out}/index.html${failed.length ? `; ${failed.length} chapter(s) had failing cells: ${failed.join(", ")}` : ""}`);
    process.exitCode = failed.length ? 1 : 0;
  } catch (e) {
    console.error(e.message);
    process.exitCode = 2;
  }
}
