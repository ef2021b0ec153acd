/**
 * `show(fig)`: draw a Plotly figure in a notebook, interactively and as a static PNG.
 *
 * Each call sends one output carrying two MIME types:
 * - `text/html`: a `<div>` that plotly.js draws into (zoom, hover) when the notebook runs
 *   scripts; until then (or forever, in untrusted notebooks and on GitHub, which strip scripts)
 *   the div holds the static PNG as an `<img>`;
 * - `image/png`: the same PNG, for viewers that skip HTML.
 *
 * plotly.js is bundled offline (no CDN) and sent only with the first figure of each kernel:
 * gzip-compressed and base64-encoded (about 2.6 MB instead of 10 MB), decompressed in the
 * browser with `DecompressionStream`, and kept as `window.Plotly` for every later figure. So an
 * executed notebook carries the bundle once, not once per figure.
 *
 * @module
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { chromiumUnavailableReason, figureSize, plotlyBundlePath, scriptSafeJson, sharedRenderer } from "../figures/render";
import type { PlotlyFigure } from "../figures/types";
import { displayData, inKernel, newDisplayId } from "./kernel";

/** Options for {@link show}. */
export interface ShowOptions {
  /** Pixel width; default `layout.width`, else 800. */
  width?: number;
  /** Pixel height; default `layout.height`, else 500. */
  height?: number;
  /**
   * Render the static PNG. Default: true inside a kernel, false elsewhere (tests and scripts
   * rarely want a browser launched for them).
   */
  png?: boolean;
}

/** What {@link show} produced outside a kernel. */
export interface ShowResult {
  /** Whether the figure reached a notebook (always false: inside a kernel `show` returns undefined). */
  displayed: boolean;
  /** The HTML output (without the plotly bundle). */
  html: string;
  /** The PNG bytes, when rendered. */
  png?: Buffer;
  /** Why something was skipped (no kernel, no Chromium), else undefined. */
  note?: string;
}

let bundleSent = false;
let bundleScript: string | null = null;

/**
 * The `<script>` that installs plotly.js in the page from a gzip+base64 copy of the
 * `plotly.js-dist` bundle. Built once per process (about 0.6 s to compress).
 */
export function plotlyLoaderScript(): string {
  if (bundleScript) return bundleScript;
  const b64 = zlib.gzipSync(fs.readFileSync(plotlyBundlePath()), { level: 9 }).toString("base64");
  // Hiding `define` while the bundle runs makes its UMD header set window.Plotly even where
  // RequireJS is present (the classic notebook), instead of registering an anonymous module.
  bundleScript = `<script>(function () {
  var w = window;
  if (w.Plotly || w.__lcoPlotlyLoading) return;
  w.__lcoPlotlyLoading = true;
  var bin = atob("${b64}");
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function (src) {
    var d = w.define;
    w.define = undefined;
    try { (0, eval)(src); } finally { w.define = d; }
    var q = w.__lcoPlotlyWaiters || [];
    w.__lcoPlotlyWaiters = [];
    q.forEach(function (f) { f(); });
  });
})();</script>`;
  return bundleScript;
}

/**
 * The HTML for one figure: a sized div (holding `pngBase64` as a placeholder image, if given),
 * and a script that draws the figure once `window.Plotly` exists.
 */
export function figureHtml(fig: PlotlyFigure, divId: string, opts: { width: number; height: number; pngBase64?: string; note?: string }): string {
  // The figure fits the page: at most its designed width, narrower when the notebook column is
  // (a 1,200 px figure would otherwise be cut off); plotly re-lays it out to the div's width.
  const img = opts.pngBase64 ? `<img src="data:image/png;base64,${opts.pngBase64}" style="max-width:100%;height:auto" alt="figure">` : "";
  const note = opts.note ? `<div style="color:#888;font-size:small">${opts.note.replace(/</g, "&lt;")}</div>` : "";
  return `<div id="${divId}" style="width:100%;max-width:${opts.width}px;height:${opts.height}px">${img}</div>${note}
<script>(function () {
  var w = window, fig = ${scriptSafeJson(fig)};
  function draw() {
    var el = document.getElementById("${divId}");
    if (!el) return;
    el.innerHTML = "";
    var layout = Object.assign({}, fig.layout, {autosize: true});
    delete layout.width;
    w.Plotly.newPlot(el, fig.data, layout, {responsive: true});
  }
  if (w.Plotly) draw(); else (w.__lcoPlotlyWaiters = w.__lcoPlotlyWaiters || []).push(draw);
})();</script>`;
}

function figureTitle(fig: PlotlyFigure): string {
  const t = fig.layout.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") return (t as { text: string }).text;
  return "";
}

function checkFigure(fig: PlotlyFigure): void {
  if (!fig || typeof fig !== "object" || !Array.isArray(fig.data) || typeof fig.layout !== "object" || fig.layout === null) {
    throw new Error(`show() needs a Plotly figure {data: [...], layout: {...}}, got ${fig === null ? "null" : typeof fig}`);
  }
}

/**
 * Show a Plotly figure in the notebook: interactive when scripts run, a static PNG otherwise
 * (see the module comment). **Await it** (`await lco.display.show(fig)`): rendering the PNG is
 * asynchronous, and an un-awaited call could attach its output to a later cell.
 *
 * Without Chromium the interactive version is shown with a one-line note instead of the PNG.
 * Outside a kernel nothing is displayed; the HTML is returned with a note.
 * @param fig `{data, layout}` as returned by a figure builder.
 * @returns inside a kernel `undefined` (so tslab does not echo a return value under the figure);
 *   elsewhere a {@link ShowResult} with the HTML.
 */
export async function show(fig: PlotlyFigure, opts: ShowOptions = {}): Promise<ShowResult | undefined> {
  checkFigure(fig);
  const kernel = inKernel();
  const { width, height } = figureSize(fig, opts);
  let png: Buffer | undefined;
  let note: string | undefined;
  if (opts.png ?? kernel) {
    const reason = chromiumUnavailableReason();
    if (reason) note = `static PNG skipped: ${reason}`;
    else {
      try {
        png = await sharedRenderer().render(fig, { format: "png", width, height });
      } catch (e) {
        note = `static PNG failed: ${(e as Error).message.split("\n")[0]}`;
      }
    }
  }
  const html = figureHtml(fig, newDisplayId("lco-fig"), { width, height, pngBase64: png?.toString("base64"), note });
  if (!kernel) return { displayed: false, html, png, note: note ?? "not in a notebook kernel: nothing displayed" };

  const data: Record<string, string> = {
    "text/html": (bundleSent ? "" : plotlyLoaderScript()) + html,
    "text/plain": `<Plotly figure${figureTitle(fig) ? `: ${figureTitle(fig)}` : ""}>`,
  };
  if (png) data["image/png"] = png.toString("base64");
  displayData(data);
  bundleSent = true;
  return undefined;
}
