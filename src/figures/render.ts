/**
 * Static rendering of Plotly figures (PNG, SVG) through headless Chromium, and standalone HTML.
 *
 * Plotly needs a DOM to draw, so static images come from a real browser: Debian's `chromium`
 * driven by `playwright-core` (which downloads no browser of its own). One browser per process
 * is launched lazily on the first render and closed when the process exits; the plotly bundle is
 * loaded into its page once (1–2 s), after which a PNG takes about 70 ms
 * (`shared/stack-notes.md` §7).
 *
 * @module
 */
import * as fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import type { PlotlyFigure } from "./types";

/** Launch flags measured to work for headless Debian chromium (stack-notes §7). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The Chromium executable: `LCO_CHROMIUM` if set, else `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.LCO_CHROMIUM || "/usr/bin/chromium";
}

/**
 * Whether static rendering can work here; `null` when it can, else the reason it cannot
 * (shown to the user instead of a PNG). `LCO_NO_CHROMIUM=1` switches rendering off on purpose.
 */
export function chromiumUnavailableReason(): string | null {
  if (process.env.LCO_NO_CHROMIUM === "1") return "static rendering switched off (LCO_NO_CHROMIUM=1)";
  const exe = chromiumPath();
  try {
    fs.accessSync(exe, fs.constants.X_OK);
  } catch {
    return `no Chromium at ${exe} (install Debian's chromium, or set LCO_CHROMIUM)`;
  }
  try {
    require.resolve("playwright-core");
  } catch {
    return "playwright-core is not installed";
  }
  return null;
}

/** Path of the full plotly.js bundle shipped by `plotly.js-dist` (about 10 MB). */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist/plotly.js");
}

/** Options for a static render. */
export interface RenderOptions {
  /** `"png"` (default) or `"svg"`. */
  format?: "png" | "svg";
  /** Pixel width; default `layout.width`, else 800. */
  width?: number;
  /** Pixel height; default `layout.height`, else 500. */
  height?: number;
  /** Device pixel ratio for PNG; default 1 (2 gives sharp images on high-DPI screens). */
  scale?: number;
  /**
   * Give up after this many milliseconds (browser launch included); default
   * `LCO_RENDER_TIMEOUT_MS`, else 60 000. On a timeout the browser is closed, so the next render
   * starts a fresh one: a crashed or stuck renderer must not hang a notebook or `npm run figures`.
   */
  timeoutMs?: number;
}

/** The figure's size: explicit option, else the layout's, else 800 × 500. */
export function figureSize(fig: PlotlyFigure, opts: { width?: number; height?: number } = {}): { width: number; height: number } {
  const lw = fig.layout?.width, lh = fig.layout?.height;
  const width = opts.width ?? (typeof lw === "number" ? lw : 800);
  const height = opts.height ?? (typeof lh === "number" ? lh : 500);
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!(Number.isFinite(v) && v >= 10 && v <= 10000)) throw new Error(`invalid ${name}; need 10 ≤ ${name} ≤ 10000 px, got ${v}`);
  }
  return { width, height };
}

/**
 * A headless Chromium page with plotly loaded, rendering figures to PNG or SVG. Use
 * {@link sharedRenderer} rather than constructing one: a browser costs about 300 MB.
 */
export class FigureRenderer {
  private browser: Browser | null = null;
  private page: Promise<Page> | null = null;

  /** Bumped by {@link close}, so a launch still in flight when we gave up closes its browser. */
  private generation = 0;

  /** Launch the browser and load plotly (once); later calls reuse the page. */
  private getPage(): Promise<Page> {
    if (!this.page) {
      const gen = this.generation;
      this.page = (async () => {
        const reason = chromiumUnavailableReason();
        if (reason) throw new Error(`cannot render figures: ${reason}`);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { chromium } = require("playwright-core") as typeof import("playwright-core");
        const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
        if (gen !== this.generation) {
          await browser.close().catch(() => undefined);
          throw new Error("renderer was closed while the browser started");
        }
        this.browser = browser;
        const page = await browser.newPage();
        await page.setContent("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>");
        await page.addScriptTag({ path: plotlyBundlePath() });
        return page;
      })();
      // A failed launch must not poison later attempts.
      const p = this.page;
      p.catch(() => {
        if (this.page === p) this.page = null;
      });
    }
    return this.page;
  }

  /**
   * Render a figure. Returns PNG bytes for `"png"`, SVG text for `"svg"`.
   * Throws if Chromium is unavailable ({@link chromiumUnavailableReason}) or Plotly rejects the figure.
   */
  async render(fig: PlotlyFigure, opts: RenderOptions & { format: "svg" }): Promise<string>;
  async render(fig: PlotlyFigure, opts?: RenderOptions & { format?: "png" }): Promise<Buffer>;
  async render(fig: PlotlyFigure, opts: RenderOptions = {}): Promise<Buffer | string> {
    const timeoutMs = opts.timeoutMs ?? Number(process.env.LCO_RENDER_TIMEOUT_MS || 60_000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rendering timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.renderNow(fig, opts), timeout]);
    } catch (e) {
      if (/timed out/.test((e as Error).message)) await this.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async renderNow(fig: PlotlyFigure, opts: RenderOptions): Promise<Buffer | string> {
    const format = opts.format ?? "png";
    const { width, height } = figureSize(fig, opts);
    const scale = opts.scale ?? 1;
    const page = await this.getPage();
    const url = await page.evaluate(
      async ({ fig, format, width, height, scale }) => {
        // Runs inside Chromium; the kit compiles without DOM types, hence the casts.
        const P = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
        return P.toImage({ data: fig.data, layout: fig.layout, config: { staticPlot: true } }, { format, width, height, scale });
      },
      { fig, format, width, height, scale },
    );
    const comma = url.indexOf(",");
    const head = url.slice(0, comma), body = url.slice(comma + 1);
    if (format === "png") return Buffer.from(body, "base64");
    return head.endsWith(";base64") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
  }

  /** Close the browser (if launched). The renderer can be used again afterwards. */
  async close(): Promise<void> {
    this.generation++;
    const b = this.browser;
    this.browser = null;
    this.page = null;
    if (b) await b.close().catch(() => undefined);
  }
}

let shared: FigureRenderer | null = null;

/**
 * The process-wide renderer: one browser per process (per notebook kernel), launched on first
 * use. playwright kills the browser when the process exits or gets SIGINT/SIGTERM/SIGHUP; the
 * `beforeExit` hook below closes it politely when Node runs out of work (scripts, tests).
 */
export function sharedRenderer(): FigureRenderer {
  if (!shared) {
    const r = new FigureRenderer();
    shared = r;
    process.once("beforeExit", () => void r.close());
  }
  return shared;
}

/** Close the process-wide renderer, if any (so a script can exit promptly). */
export async function closeSharedRenderer(): Promise<void> {
  const r = shared;
  shared = null;
  if (r) await r.close();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** JSON that is safe inside a `<script>` element (no `</script>` or `<!--` can appear). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Options for {@link standaloneHtml}. */
export interface StandaloneHtmlOptions {
  /** Page title. */
  title: string;
  /**
   * `src` of the plotly script, relative to the HTML file. Default: the copy in the project's
   * `node_modules`, seen from `figures/` (works offline, opened from disk, after `npm ci`).
   */
  plotlySrc?: string;
  /** A static image shown while plotly loads, or if it cannot (e.g. `"<id>.png"`). */
  fallbackImage?: string;
}

/**
 * A small standalone HTML page drawing the figure interactively. The plotly bundle is
 * referenced, not inlined, so the file stays a few kB and can be committed.
 */
export function standaloneHtml(fig: PlotlyFigure, opts: StandaloneHtmlOptions): string {
  const src = opts.plotlySrc ?? "../node_modules/plotly.js-dist/plotly.js";
  const fallback = opts.fallbackImage
    ? `<img src="${escapeHtml(opts.fallbackImage)}" alt="${escapeHtml(opts.title)}">`
    : "";
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(opts.title)}</title>
<script src="${escapeHtml(src)}"></script>
</head>
<body>
<div id="figure">${fallback}</div>
<p id="note" style="font-family: sans-serif; color: #666"></p>
<script>
  var fig = ${scriptSafeJson(fig)};
  if (window.Plotly) {
    document.getElementById("figure").innerHTML = "";
    Plotly.newPlot("figure", fig.data, fig.layout, {responsive: true});
  } else {
    document.getElementById("note").textContent =
      "Interactive view unavailable: plotly was not found at ${escapeHtml(src)} (run npm ci in the project).";
  }
</script>
</body>
</html>
`;
}
