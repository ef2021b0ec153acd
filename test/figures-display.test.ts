import { test } from "node:test";
import assert from "node:assert/strict";
import { figureHtml, show } from "../src/display/show";
import { formatCell, tableHtml, tableText, toRowObjects, table } from "../src/display/table";
import { formatDuration, formatProgress, progress } from "../src/display/progress";
import { environment } from "../src/display/environment";
import { inKernel } from "../src/display/kernel";
import { FigureRenderer, chromiumUnavailableReason, figureSize, scriptSafeJson, standaloneHtml } from "../src/figures/render";
import type { PlotlyFigure } from "../src/figures/types";

const fig: PlotlyFigure = { data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }], layout: { title: { text: "</script><b>x" }, width: 300, height: 200 } };

test("outside a kernel, show() displays nothing and returns the figure's HTML with a note", async () => {
  assert.equal(inKernel(), false);
  const r = await show(fig);
  assert.ok(r);
  assert.equal(r.displayed, false);
  assert.match(r.note ?? "", /not in a notebook kernel/);
  assert.equal(r.png, undefined, "no browser is launched outside a kernel unless asked");
  assert.match(r.html, /style="width:100%;max-width:300px;height:200px"/, "figures shrink to the notebook column, never wider than designed");
  assert.ok(!r.html.includes("</script><b>"), "the figure JSON cannot close the script element");
  assert.ok(!r.html.includes("DecompressionStream"), "the plotly bundle is not part of the per-figure HTML");
  await assert.rejects(show({ data: "nope" } as unknown as PlotlyFigure), /needs a Plotly figure/);
});

test("scriptSafeJson round-trips through JSON.parse and escapes '<'", () => {
  const v = { s: "</script><!-- \u2028" };
  const text = scriptSafeJson(v);
  assert.ok(!text.includes("<"));
  assert.deepEqual(JSON.parse(text), v);
});

test("figureHtml embeds the PNG placeholder and queues the draw until plotly is loaded", () => {
  const html = figureHtml(fig, "fig-1", { width: 300, height: 200, pngBase64: "QUJD", note: "a <note>" });
  assert.match(html, /<div id="fig-1" style="width:100%;max-width:300px;height:200px"><img src="data:image\/png;base64,QUJD" style="max-width:100%;height:auto"/);
  assert.match(html, /delete layout\.width/, "plotly lays the figure out to the div's width");
  assert.match(html, /__lcoPlotlyWaiters/);
  assert.match(html, /a &lt;note>/);
});

test("figureSize: options, then layout, then 800 × 500; absurd sizes rejected", () => {
  assert.deepEqual(figureSize(fig), { width: 300, height: 200 });
  assert.deepEqual(figureSize(fig, { width: 500 }), { width: 500, height: 200 });
  assert.deepEqual(figureSize({ data: [], layout: {} }), { width: 800, height: 500 });
  assert.throws(() => figureSize(fig, { height: 0 }), /invalid height.*got 0/);
});

test("standaloneHtml references plotly from node_modules (offline) and falls back to the PNG", () => {
  const html = standaloneHtml(fig, { title: "A & B", fallbackImage: "x.png" });
  assert.match(html, /<title>A &amp; B<\/title>/);
  assert.match(html, /<script src="\.\.\/node_modules\/plotly\.js-dist\/plotly\.js"><\/script>/);
  assert.match(html, /<img src="x\.png"/);
});

test("tables: rows, data frames and arquero-like tables; numbers to 4 significant digits; HTML escaped", () => {
  const rows = [{ name: "a<b", value: 1 / 3 }, { name: "c", value: 2, extra: true }];
  assert.equal(
    tableHtml(rows),
    '<table><thead><tr><th>name</th><th>value</th><th>extra</th></tr></thead><tbody>\n' +
      '<tr><td>a&lt;b</td><td style="text-align:right">0.3333</td><td></td></tr>\n' +
      '<tr><td>c</td><td style="text-align:right">2</td><td>true</td></tr>\n</tbody></table>',
  );
  assert.equal(tableText(rows), ["name  value   extra", "----  ------  -----", "a<b   0.3333", "c     2       true"].join("\n"));
  assert.deepEqual(toRowObjects({ columns: ["x", "y"], values: [[1, 2], [3, 4]] }), [{ x: 1, y: 2 }, { x: 3, y: 4 }]);
  const arq = { toHTML: (o?: { limit?: number }) => `<arquero limit=${o?.limit}>`, numRows: () => 1, objects: () => [{ q: 1 }] };
  assert.equal(tableHtml(arq, { limit: 5 }), "<arquero limit=5>");
  assert.doesNotMatch(tableText(Array.from({ length: 25 }, (_, i) => ({ i }))), /more rows/, "a chapter-sized table is shown whole");
  assert.match(tableText(Array.from({ length: 105 }, (_, i) => ({ i }))), /… 5 more rows$/);
  assert.match(tableText(Array.from({ length: 25 }, (_, i) => ({ i })), { limit: 20 }), /… 5 more rows$/);
  assert.equal(formatCell(123456.789), "123500");
  assert.equal(formatCell(null), "");
  assert.throws(() => toRowObjects([1 as unknown as Record<string, unknown>]), /row 0 is number/);
  assert.equal(typeof table([{ a: 1 }]), "string", "outside a kernel table() returns the HTML (and prints text)");
});

test("progress lines: bar, percentage, elapsed time and an ETA from the average step time", () => {
  assert.equal(formatProgress({ i: 5, total: 20, elapsedMs: 10_000, label: "train", text: "loss 2.3", width: 10 }), "train [###.......] 5/20 25% · 10s · ETA 30s · loss 2.3");
  assert.equal(formatProgress({ i: 0, total: 4, elapsedMs: 0, width: 4 }), "[....] 0/4 0% · 0s · ETA ?");
  assert.equal(formatProgress({ i: 4, total: 4, elapsedMs: 61_000, width: 4 }), "[####] 4/4 100% · 1m01s · done");
  assert.deepEqual([formatDuration(59.4), formatDuration(185), formatDuration(3720), formatDuration(NaN)], ["59s", "3m05s", "1h02m", "?"]);
});

test("environment() reports the profile from LCO_PROFILE and the kit version", () => {
  const saved = process.env.LCO_PROFILE;
  process.env.LCO_PROFILE = "smoke";
  try {
    const e = environment();
    assert.equal(e.profile, "smoke");
    assert.match(e.kit, /^\d+\.\d+\.\d+/);
    assert.equal(e.kernel, false);
    assert.match(e.tfjs, /^4\./);
  } finally {
    if (saved === undefined) delete process.env.LCO_PROFILE;
    else process.env.LCO_PROFILE = saved;
  }
});

test("headless Chromium renders a PNG and an SVG of the figure", { skip: chromiumUnavailableReason() ?? false }, async () => {
  const r = new FigureRenderer();
  try {
    const png = await r.render(fig, { format: "png", scale: 1 });
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    assert.equal(png.readUInt32BE(16), 300, "PNG width = layout width");
    assert.equal(png.readUInt32BE(20), 200, "PNG height = layout height");
    const svg = await r.render(fig, { format: "svg" });
    assert.match(svg, /^<svg[^>]*width="300"[^>]*height="200"/);
    assert.match(svg, /&#60;\/script&#62;/, "the title text is in the SVG, escaped");
    // A render that cannot finish in time is abandoned (here: 1 ms, less than any browser
    // launch), and the renderer recovers with a fresh browser.
    await r.close();
    await assert.rejects(r.render(fig, { timeoutMs: 1 }), /rendering timed out after 1 ms/);
    const again = await r.render(fig, { format: "png" });
    assert.equal(again.readUInt32BE(16), 300);
  } finally {
    await r.close();
  }
});

test("inside a (simulated) kernel: one output per figure, the plotly bundle only with the first; no PNG without Chromium", async () => {
  // tslab's display hook, as the kernel installs it for each execute request.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  const sent: { data: Record<string, string>; transient: Record<string, string>; update: boolean }[] = [];
  const savedHook = jupyter.lastWriteDisplayData;
  const savedEnv = process.env.LCO_NO_CHROMIUM;
  jupyter.lastWriteDisplayData = (msg: { data: Record<string, string>; transient: Record<string, string> }, update: boolean) => sent.push({ ...msg, update });
  process.env.LCO_NO_CHROMIUM = "1";
  try {
    assert.equal(inKernel(), true);
    assert.equal(await show(fig), undefined, "nothing for tslab to echo under the figure");
    await show(fig);
    assert.equal(sent.length, 2);
    assert.deepEqual(Object.keys(sent[0].data).sort(), ["text/html", "text/plain"]);
    assert.match(sent[0].data["text/html"], /DecompressionStream\("gzip"\)/);
    assert.ok(sent[0].data["text/html"].length > 1_000_000, "the first output carries the compressed bundle");
    assert.ok(!sent[1].data["text/html"].includes("DecompressionStream"), "later outputs reuse window.Plotly");
    assert.ok(sent[1].data["text/html"].length < 10_000);
    assert.match(sent[1].data["text/html"], /static PNG skipped: static rendering switched off \(LCO_NO_CHROMIUM=1\)/);
    assert.equal(sent[1].data["text/plain"], "<Plotly figure: </script><b>x>");

    // progress: one output, created once and then updated in place under the same display id.
    sent.length = 0;
    const bar = progress(3, { label: "t", minIntervalMs: 0 });
    bar.update(1);
    bar.update(2);
    bar.update(3, "end");
    bar.done();
    assert.deepEqual(sent.map((m) => m.update), [false, true, true]);
    assert.equal(new Set(sent.map((m) => m.transient.display_id)).size, 1);
    assert.match(sent[2].data["text/plain"], /^t \[#{20}\] 3\/3 100% · \d+s · done · end$/);

    // table: HTML + text in one output, nothing returned for tslab to echo
    sent.length = 0;
    assert.equal(table([{ a: 1 }]), undefined);
    assert.deepEqual(Object.keys(sent[0].data).sort(), ["text/html", "text/plain"]);
  } finally {
    jupyter.lastWriteDisplayData = savedHook;
    if (savedEnv === undefined) delete process.env.LCO_NO_CHROMIUM;
    else process.env.LCO_NO_CHROMIUM = savedEnv;
  }
});
