/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The chapters as a student meets them: Jupyter's notebook UI in a real browser (Debian's
 * Chromium through playwright-core), the server started by `npm run notebook`'s own code.
 *
 * Opens chapter 00 and chapter 21 (interactive Plotly figures and a live progress display) at the
 * smoke profile, runs every cell through the UI (Cell → Run All), waits for the kernel to go
 * idle and checks what is on the page: no cell shows an error, every Plotly figure was drawn
 * with its traces, the progress display is one output updated in place. Then it answers an
 * exercise by typing into its cell: a wrong answer shows the hint, a right one passes.
 * Screenshots go to out/screenshots/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM_ARGS, chromiumPath, chromiumUnavailableReason } from "../src/figures/render";
import { rng } from "../src/random";

interface NotebookServer {
  url: string;
  base: string;
  token: string;
  stop(): Promise<void>;
  log(): string;
}
interface ServerScript {
  startNotebookServer(opts: { port?: number; profile?: string; quiet?: boolean }): Promise<NotebookServer>;
  notebookUnavailableReason(): string | null;
}

const ROOT = path.resolve(__dirname, "..");
const SHOTS = path.join(ROOT, "out", "screenshots");
const script = import(path.join(ROOT, "scripts", "notebook.mjs")) as Promise<ServerScript>;

// Skip (one clear line) only where the browser or Jupyter's server cannot start.
const skip: string | false = chromiumUnavailableReason() ?? false;

/** What a code cell shows, read from the notebook UI's own model of the page. */
interface CellView {
  index: number;
  prompt: number | string | null;
  source: string;
  outputs: { type: string; name?: string; text: string }[];
}

async function cells(page: Page): Promise<CellView[]> {
  return page.evaluate(() => {
    const J = (window as unknown as { Jupyter: any }).Jupyter; // eslint-disable-line @typescript-eslint/no-explicit-any
    return J.notebook
      .get_cells()
      .map((c: any, index: number) => ({ c, index })) // eslint-disable-line @typescript-eslint/no-explicit-any
      .filter(({ c }: any) => c.cell_type === "code") // eslint-disable-line @typescript-eslint/no-explicit-any
      .map(({ c, index }: any) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
        index,
        prompt: c.input_prompt_number ?? null,
        source: c.get_text(),
        outputs: c.output_area.outputs.map((o: any) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
          type: o.output_type,
          name: o.name,
          text: [o.text ?? o.data?.["text/plain"] ?? o.evalue ?? ""].flat().join(""),
        })),
      }));
  });
}

/** Open a chapter and wait until its kernel (tslab) is connected. */
async function openChapter(page: Page, server: NotebookServer, file: string): Promise<void> {
  await page.goto(`${server.base}/notebooks/${file}?token=${server.token}`);
  await page.waitForFunction(() => (window as unknown as { Jupyter?: any }).Jupyter?.notebook?.kernel?.is_connected?.(), null, { timeout: 120_000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
  const kernel = await page.evaluate(() => (window as unknown as { Jupyter: any }).Jupyter.notebook.kernel.name); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(kernel, "tslab", `${file} opened with the tslab kernel`);
  // Count in-place updates as the page receives them.
  await page.evaluate(() => {
    const w = window as unknown as { IPython: any; __lcoUpdates: number }; // eslint-disable-line @typescript-eslint/no-explicit-any
    w.__lcoUpdates = 0;
    const proto = w.IPython.OutputArea.prototype;
    if (!proto.__lcoWrapped) {
      const orig = proto.update_display_data;
      proto.update_display_data = function (...args: unknown[]) {
        w.__lcoUpdates++;
        return orig.apply(this, args);
      };
      proto.__lcoWrapped = true;
    }
  });
}

/** Cell → Run All, then wait until every code cell has run and the kernel is idle. */
async function runAll(page: Page, timeoutMs: number): Promise<void> {
  await page.click("#celllink");
  await page.click("#run_all_cells");
  await page.waitForFunction(
    () => {
      const J = (window as unknown as { Jupyter: any }).Jupyter; // eslint-disable-line @typescript-eslint/no-explicit-any
      const done = J.notebook.get_cells().every((c: any) => c.cell_type !== "code" || typeof c.input_prompt_number === "number"); // eslint-disable-line @typescript-eslint/no-explicit-any
      return done && document.querySelector("#kernel_indicator_icon")?.classList.contains("kernel_idle_icon");
    },
    null,
    { timeout: timeoutMs, polling: 500 },
  );
}

/** Every cell ran, no error output, nothing on stderr. */
function assertNoErrors(file: string, views: CellView[]): void {
  for (const v of views) {
    assert.equal(typeof v.prompt, "number", `${file} cell ${v.index} did not run`);
    const bad = v.outputs.filter((o) => o.type === "error" || o.name === "stderr");
    assert.deepEqual(bad, [], `${file} cell ${v.index} (${v.source.split("\n")[0]}) shows an error:\n${bad.map((o) => o.text).join("\n")}`);
  }
}

/** Every figure div of `show()` was drawn by plotly with at least one trace; returns how many. */
async function assertFiguresDrawn(page: Page, file: string): Promise<number> {
  const figs = await page.evaluate(() =>
    [...document.querySelectorAll('[id^="lco-fig-"]')].map((el) => ({
      id: el.id,
      plotly: el.classList.contains("js-plotly-plot"),
      traces: ((el as unknown as { data?: unknown[] }).data ?? []).length,
      svg: el.querySelectorAll(".main-svg").length,
    })),
  );
  for (const f of figs) {
    assert.ok(f.plotly && f.traces > 0 && f.svg > 0, `${file}: figure ${f.id} not drawn by plotly (${JSON.stringify(f)})`);
  }
  return figs.length;
}

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  if (selector) await page.locator(selector).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, name) });
}

/** Replace a code cell's text by typing into its editor, run it, and return its output text. */
async function typeAndRun(page: Page, cellIndex: number, text: string): Promise<string> {
  const cell = page.locator(".cell").nth(cellIndex);
  await cell.locator(".CodeMirror").click();
  await page.keyboard.press("Control+A");
  // insertText types the characters as input (no key events), so the editor's auto-closing of
  // brackets and quotes does not double them.
  await page.keyboard.insertText(text);
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(
    (i) => {
      const c = (window as unknown as { Jupyter: any }).Jupyter.notebook.get_cell(i); // eslint-disable-line @typescript-eslint/no-explicit-any
      return typeof c.input_prompt_number === "number" && c.output_area.outputs.length > 0;
    },
    cellIndex,
    { timeout: 60_000, polling: 200 },
  );
  return (await cells(page)).find((v) => v.index === cellIndex)!.outputs.map((o) => o.text).join("");
}

test("the chapters in the notebook UI: run all, no errors, figures drawn, progress in place, an exercise answered", { skip, timeout: 15 * 60_000 }, async (t) => {
  const { startNotebookServer, notebookUnavailableReason } = await script;
  const why = notebookUnavailableReason();
  if (why) {
    t.skip(`Jupyter's notebook server cannot start: ${why}`);
    return;
  }
  const server = await startNotebookServer({ port: 0, profile: "smoke", quiet: true });
  let browser: Browser | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require("playwright-core") as typeof import("playwright-core");
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
    // Leaving a chapter with unsaved outputs asks "leave the page?": yes (nothing is saved to disk).
    page.on("dialog", (d) => void d.accept());

    // Chapter 00: every cell, then the exercise.
    await openChapter(page, server, "00_setup.ipynb");
    await runAll(page, 5 * 60_000);
    const c00 = await cells(page);
    assertNoErrors("00_setup", c00);
    assert.ok((await assertFiguresDrawn(page, "00_setup")) >= 1, "chapter 00 shows its histogram");
    const demo = c00.find((v) => v.source.includes('label: "demo"'))!;
    assert.equal(demo.outputs.length, 1, "chapter 00's progress bar is one output");
    assert.match(demo.outputs[0].text, /^demo \[#{20}\] 20\/20 100% · .* · done/);
    await shot(page, "notebook-00-figure.png", '[id^="lco-fig-"]');

    const ex = c00.find((v) => v.source.includes('check("0.1"'))!;
    const wrong = await typeAndRun(page, ex.index, 'const answer01: number = 0.5;\nlco.exercises.check("0.1", answer01);');
    assert.match(wrong, /✗ 0\.1: .*0\.5[\s\S]*hint: /, `a wrong answer shows ✗ and a hint, got: ${wrong}`);
    await shot(page, "notebook-00-exercise-wrong.png", `.cell >> nth=${ex.index}`);
    const r = rng(7);
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += r.next();
    const right = await typeAndRun(page, ex.index, `const answer01: number = ${(sum / 1000).toFixed(4)};\nlco.exercises.check("0.1", answer01);`);
    assert.match(right, /✓ 0\.1: /, `the right answer passes, got: ${right}`);
    await shot(page, "notebook-00-exercise-right.png", `.cell >> nth=${ex.index}`);

    // Chapter 21: training with a live progress display, then interactive figures.
    await openChapter(page, server, "21_pretraining.ipynb");
    await runAll(page, 10 * 60_000);
    const c21 = await cells(page);
    assertNoErrors("21_pretraining", c21);
    const nFigs = await assertFiguresDrawn(page, "21_pretraining");
    const showCalls = c21.filter((v) => /display\.show\(/.test(v.source)).length;
    assert.equal(nFigs, showCalls, `chapter 21: one drawn figure per show() cell (${showCalls})`);
    const train = c21.find((v) => v.source.includes('label: "train S"'))!;
    const bars = train.outputs.filter((o) => /^train S \[/.test(o.text));
    assert.equal(bars.length, 1, `the training progress is one output, not one line per step: ${train.outputs.map((o) => o.text.slice(0, 60)).join(" | ")}`);
    assert.match(bars[0].text, /· done · loss /, "the progress output shows the final state");
    const updates = await page.evaluate(() => (window as unknown as { __lcoUpdates: number }).__lcoUpdates);
    assert.ok(updates >= 1, `the progress display was updated in place (${updates} updates received)`);
    await shot(page, "notebook-21-training.png", `.cell >> nth=${train.index}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- the notebook server's last log lines:\n${server.log().split("\n").slice(-15).join("\n")}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
});
