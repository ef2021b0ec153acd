/**
 * The GRSL figure of the organism track, styled like the paper's (`assets/scaling.png`: bubbles,
 * a dashed red least-squares line, one panel per modality), with the paper's own digitised points
 * in the top row and ours below, column by column (paper OCR ↔ our documents, video ↔ video,
 * audio ↔ audio; image and the combined score have no paper panel).
 *
 * Each of our panels shows the after-refinement points (filled, colour = size, ◆ = caption-
 * corruption arm) with their OLS line, the before-refinement points (hollow grey) with theirs
 * (dotted), the chance level, and an annotation with n (points and runs), the slope with its
 * t-interval and its run-level bootstrap interval, Spearman ρ with its permutation p-value and
 * run-level interval, the Deming slope and the leave-one-run-out skill. A panel without results
 * says "not yet measured"; nothing is drawn that was not measured.
 *
 * Pure: data in, Plotly JSON out. It imports helpers from `./types`, never the `figures` barrel.
 *
 * @module
 */
import * as fs from "node:fs";
import type { FigureSpec, PlotlyFigure } from "./types";
import { PAPER_FILES } from "../paper/data";
import { projectPath } from "../project";
import { fitGrslPanel, loadGrslPanels } from "../paper/grsl";
import type { GrslPanel } from "../paper/grsl";
import { GRSL_MODALITIES, grslPanelStatistics, loadPublishedGrsl, PAPER_PANEL_OF, publishedGrslFile, theoryOrderings } from "../experiments/grsl";
import type { GrslModality, GrslResults, PanelStatistics, TheoryOrdering } from "../experiments/grsl";

const r4 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const SIZE_COLOURS: Record<string, string> = { S: "#4C78A8", M: "#F58518", L: "#54A24B" };
const FAMILY_COLOURS: Record<string, string> = { "qwen2.5-vl": "#0072B2", "qwen2.5-omni": "#D55E00", llava: "#009E73" };
const TITLES: Record<GrslModality, string> = {
  document: "documents (paper: OCR)",
  video: "video",
  audio: "audio",
  image: "image (no paper panel)",
  combined: "combined (mean over modalities)",
};

/** Options of {@link grslOrganismFigure}. */
export interface GrslOrganismFigureOptions {
  /** Columns to draw, in order. Default: every modality with a paper panel or a measured point, then `combined`. */
  modalities?: GrslModality[];
  /** Seed and resamples of the run-level bootstrap. Defaults 0 and 2000. */
  seed?: number;
  nBoot?: number;
  /** Title. */
  title?: string;
}

/** The annotation of one of our panels (both phases). */
export function grslPanelAnnotation(after: PanelStatistics, before: PanelStatistics): string {
  if (!after.stats) return `<b>ours: ${after.reason}</b>`;
  const line = (p: PanelStatistics, label: string) => {
    const s = p.stats;
    if (!s) return `${label}: ${p.reason}`;
    const pv = s.spearman.pValue < 0.001 ? "< 0.001" : `= ${s.spearman.pValue.toFixed(3)}`;
    const sb = s.slopeBootstrap;
    const rb = s.spearmanBootstrap;
    return (
      `${label}: slope ${f3(s.ols.slope)} [t ${f3(s.ols.slopeCI[0])}, ${f3(s.ols.slopeCI[1])}` +
      (sb ? `; runs ${f3(sb.lo)}, ${f3(sb.hi)}]` : "]") +
      `<br>  ρ = ${f3(s.spearman.observed)} (perm. p ${pv}` + (rb ? `; runs ${f3(rb.lo)}, ${f3(rb.hi)})` : ")")
    );
  };
  const s = after.stats;
  const loro = s.leaveOneRunOut ? `, leave-one-run-out skill ${f3(s.leaveOneRunOut.skill)}` : "";
  return [
    `n = ${s.n} models, ${s.nClusters} runs`,
    line(after, "after"),
    `  Deming slope ${f3(s.deming.slope)}${loro}`,
    line(before, "before"),
  ].join("<br>");
}

/**
 * The GRSL figure: the paper's panels (top) beside ours (bottom).
 * @param paper the paper's panels (`paper.loadGrslPanels()`).
 * @param results our sweep, or `null` before it has run (every panel then says "not yet measured").
 */
export function grslOrganismFigure(paper: readonly GrslPanel[], results: GrslResults | null, opts: GrslOrganismFigureOptions = {}): PlotlyFigure {
  const measured = new Set(results?.points.map((p) => p.modality) ?? []);
  const cols: GrslModality[] =
    opts.modalities ??
    GRSL_MODALITIES.filter((m) => m === "combined" || PAPER_PANEL_OF[m] !== null || measured.has(m as Exclude<GrslModality, "combined">));
  if (cols.length === 0) throw new Error("grslOrganismFigure needs at least one modality column");
  const stat = { seed: opts.seed ?? 0, nBoot: opts.nBoot ?? 2000 };
  const gap = 0.05;
  const w = (1 - gap * (cols.length - 1)) / cols.length;
  const rows = [
    { y0: 0.6, y1: 0.86 }, // paper
    { y0: 0.0, y1: 0.36 }, // ours
  ];
  const data: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? "GRSL: the paper's published points (top) beside the organism's (bottom)", y: 0.995, yanchor: "top" },
    showlegend: true,
    legend: { orientation: "h", y: -0.1 },
    height: 980,
    width: 330 * cols.length + 80,
    margin: { t: 90, b: 90, l: 60, r: 20 },
    annotations,
    shapes,
  };
  let axis = 0;
  const nextAxes = (x0: number, row: { y0: number; y1: number }, xTitle: string, yTitle: string, xr?: number[], yr?: number[]) => {
    axis++;
    const ax = axis === 1 ? "" : String(axis);
    layout[`xaxis${ax}`] = { domain: [r4(x0), r4(x0 + w)], anchor: `y${ax}`, title: { text: xTitle, font: { size: 11 } }, zeroline: false, ...(xr ? { range: xr } : {}) };
    layout[`yaxis${ax}`] = { domain: [row.y0, row.y1], anchor: `x${ax}`, title: { text: yTitle, font: { size: 11 } }, zeroline: false, ...(yr ? { range: yr } : {}) };
    return { xa: `x${ax}`, ya: `y${ax}` };
  };
  const legendShown = new Set<string>();
  const showOnce = (key: string) => {
    const first = !legendShown.has(key);
    legendShown.add(key);
    return first;
  };

  cols.forEach((m, k) => {
    const x0 = k * (w + gap);
    annotations.push({ text: `<b>${TITLES[m]}</b>`, xref: "paper", yref: "paper", x: r4(x0 + w / 2), y: 0.985, xanchor: "center", yanchor: "top", showarrow: false });

    // Top row: the paper's panel, as published (digitised points, OLS line, exact permutation p).
    const pName = PAPER_PANEL_OF[m];
    const pp = pName ? paper.find((p) => p.name === pName) : undefined;
    if (pp) {
      const f = fitGrslPanel(pp);
      const xs = f.x;
      const { xa, ya } = nextAxes(x0, rows[0], pp.xLabel, pp.yLabel);
      const maxParams = Math.max(...pp.points.map((q) => q.nParams));
      data.push({
        type: "scatter", mode: "markers+text", name: "paper: published backbone", showlegend: showOnce("paper-pt"), legendgroup: "paper-pt",
        x: xs.map(r4), y: f.y.map(r4), text: pp.points.map((q) => q.model), textposition: "top center", textfont: { size: 9 },
        marker: { size: pp.points.map((q) => r4(8 + 14 * Math.sqrt(q.nParams / maxParams))), color: pp.points.map((q) => FAMILY_COLOURS[q.family] ?? "#000"), opacity: 0.8, line: { color: "#333", width: 1 } },
        xaxis: xa, yaxis: ya,
      });
      data.push({
        type: "scatter", mode: "lines", name: "paper: OLS fit", showlegend: showOnce("paper-fit"), legendgroup: "paper-fit",
        x: [r4(Math.min(...xs)), r4(Math.max(...xs))], y: [r4(f.fit.intercept + f.fit.slope * Math.min(...xs)), r4(f.fit.intercept + f.fit.slope * Math.max(...xs))],
        line: { color: "#C81E1E", dash: "dash", width: 2 }, xaxis: xa, yaxis: ya,
      });
      const ci = f.exactByConstruction ? "no interval: n = 2 lies on a line by construction" : `[t ${f3(f.fit.slopeCI[0])}, ${f3(f.fit.slopeCI[1])}]`;
      annotations.push({
        text: `paper: n = ${f.fit.n} models<br>slope ${f3(f.fit.slope)} ${ci}<br>ρ = ${f3(f.fit.spearman)} (exact perm. p of r = ${f3(f.permutationP)})`,
        xref: "paper", yref: "paper", x: r4(x0), y: rows[0].y1 + 0.005, xanchor: "left", yanchor: "bottom", showarrow: false, align: "left", font: { size: 9 },
      });
    } else {
      annotations.push({ text: "the paper has no such panel", xref: "paper", yref: "paper", x: r4(x0 + w / 2), y: (rows[0].y0 + rows[0].y1) / 2, showarrow: false, font: { size: 11, color: "#777" } });
    }

    // Bottom row: ours, after (filled) and before (hollow) refinement.
    const after = results ? grslPanelStatistics(results, m, "after", stat) : null;
    const before = results ? grslPanelStatistics(results, m, "before", stat) : null;
    const allY = [...(after?.points ?? []), ...(before?.points ?? [])].map((p) => p.y);
    const chance = m === "combined" || !results ? undefined : results.chance[m];
    const { xa, ya } = nextAxes(x0, rows[1], "generative score (0–1)", "representation score ½(R@1 + nDCG@10)", [0, 1], allY.length ? undefined : [0, 1]);
    if (!after || after.points.length === 0) {
      annotations.push({ text: "<b>ours: not yet measured</b>", xref: "paper", yref: "paper", x: r4(x0 + w / 2), y: (rows[1].y0 + rows[1].y1) / 2, showarrow: false, font: { size: 12, color: "#777" } });
      return;
    }
    const bf = before as PanelStatistics;
    data.push({
      type: "scatter", mode: "markers", name: "ours, before refinement", showlegend: showOnce("before"), legendgroup: "before",
      x: bf.points.map((p) => r4(p.x)), y: bf.points.map((p) => r4(p.y)),
      marker: { size: 7, color: "#999999", line: { width: 1 }, symbol: bf.points.map((p) => (p.arm === "corruption" ? "diamond-open" : "circle-open")) },
      text: bf.points.map((p) => `${p.cluster} step ${p.step}`), hovertemplate: "%{text}<br>x %{x}<br>y %{y}<extra>before</extra>",
      xaxis: xa, yaxis: ya,
    });
    for (const size of [...new Set(after.points.map((p) => p.size))]) {
      const ps = after.points.filter((p) => p.size === size);
      data.push({
        type: "scatter", mode: "markers", name: `ours, after refinement: ${size}`, showlegend: showOnce(`after-${size}`), legendgroup: `after-${size}`,
        x: ps.map((p) => r4(p.x)), y: ps.map((p) => r4(p.y)),
        marker: { size: 9, color: SIZE_COLOURS[size] ?? "#444", opacity: 0.85, line: { color: "#333", width: 0.5 }, symbol: ps.map((p) => (p.arm === "corruption" ? "diamond" : "circle")) },
        text: ps.map((p) => `${p.cluster} step ${p.step}${p.arm === "corruption" ? `, corrupted ${Math.round(100 * p.corruptionRate)} %` : ""}`),
        hovertemplate: "%{text}<br>x %{x}<br>y %{y}<extra>after</extra>",
        xaxis: xa, yaxis: ya,
      });
    }
    const xsAll = after.points.map((p) => p.x);
    const lo = Math.min(...xsAll), hi = Math.max(...xsAll);
    for (const [p, style, label] of [[after, { color: "#C81E1E", dash: "dash", width: 2 }, "ours: OLS after"], [bf, { color: "#888", dash: "dot", width: 2 }, "ours: OLS before"]] as const) {
      if (!p.stats) continue;
      data.push({
        type: "scatter", mode: "lines", name: label, showlegend: showOnce(label), legendgroup: label,
        x: [r4(lo), r4(hi)], y: [r4(p.stats.ols.intercept + p.stats.ols.slope * lo), r4(p.stats.ols.intercept + p.stats.ols.slope * hi)],
        line: style, xaxis: xa, yaxis: ya,
      });
    }
    if (chance !== undefined) {
      shapes.push({ type: "line", xref: xa, yref: ya, x0: 0, x1: 1, y0: r4(chance), y1: r4(chance), line: { color: "#777", dash: "dot", width: 1 } });
      annotations.push({ text: `chance ${f3(chance)}`, xref: xa, yref: ya, x: 1, y: r4(chance), xanchor: "right", yanchor: "bottom", showarrow: false, font: { size: 9, color: "#777" } });
    }
    annotations.push({
      text: grslPanelAnnotation(after, bf), xref: "paper", yref: "paper", x: r4(x0), y: rows[1].y1 + 0.005,
      xanchor: "left", yanchor: "bottom", showarrow: false, align: "left", font: { size: 9 },
    });
  });
  return { data, layout };
}

/**
 * The theory plots of chapter 14's bound on our models: (left) generative loss L_g of each
 * checkpoint against its held-out contrastive loss after LoRA refinement; (right) the squared
 * weight change ‖ΔW‖² (log scale; a proxy of KL(Q‖P)) against the held-out − train contrastive
 * gap, LoRA (●) and full fine-tuning (■). Each panel's title says whether the bound's ordering holds
 * (`theoryOrderings`). Without measured points, both panels say "not yet measured".
 */
export function grslTheoryFigure(results: GrslResults | null, opts: { seed?: number; nBoot?: number } = {}): PlotlyFigure {
  const pts = results?.theory ?? [];
  const orderings = pts.length ? theoryOrderings(pts, opts) : null;
  const verdict = (o: TheoryOrdering | undefined) =>
    !o || o.holds === null ? "not yet measured" : `${o.holds ? "holds" : "does not hold"}: ${o.name === "LoRA vs full: distance to the prior" ? "share" : "ρ"} = ${f3(o.value)}${o.interval ? ` [runs ${f3(o.interval[0])}, ${f3(o.interval[1])}]` : ""}, n = ${o.n}`;
  const data: Record<string, unknown>[] = [];
  const lora = pts.filter((p) => p.strategy === "lora");
  for (const size of [...new Set(lora.map((p) => p.size))]) {
    const ps = lora.filter((p) => p.size === size);
    data.push({
      type: "scatter", mode: "markers", name: `LoRA, ${size}`, legendgroup: size, x: ps.map((p) => r4(p.generativeLoss)), y: ps.map((p) => r4(p.contrastiveHeldOut)),
      marker: { size: 8, color: SIZE_COLOURS[size] ?? "#444" }, text: ps.map((p) => `${p.run} step ${p.step}`), xaxis: "x", yaxis: "y",
    });
  }
  for (const strategy of ["lora", "full"] as const) {
    const ps = pts.filter((p) => p.strategy === strategy);
    if (!ps.length) continue;
    data.push({
      type: "scatter", mode: "markers", name: strategy === "lora" ? "LoRA (‖ΔW‖² vs gap)" : "full fine-tuning (‖ΔW‖² vs gap)",
      x: ps.map((p) => r4(p.weightChangeSq)), y: ps.map((p) => r4(p.contrastiveHeldOut - p.contrastiveTrain)),
      marker: { size: 8, symbol: strategy === "lora" ? "circle" : "square", color: ps.map((p) => SIZE_COLOURS[p.size] ?? "#444"), line: { color: "#333", width: 0.5 } },
      text: ps.map((p) => `${p.run} step ${p.step}`), xaxis: "x2", yaxis: "y2",
    });
  }
  const annotations: Record<string, unknown>[] = [
    { text: `<b>L_g vs contrastive loss after refinement</b><br>${verdict(orderings?.[0])}`, xref: "paper", yref: "paper", x: 0.2, y: 1.02, xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 11 } },
    { text: `<b>‖ΔW‖² vs generalisation gap</b><br>LoRA closer to the prior: ${verdict(orderings?.[1])}<br>gap rises with ‖ΔW‖²: ${verdict(orderings?.[2])}`, xref: "paper", yref: "paper", x: 0.8, y: 1.02, xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: 11 } },
  ];
  if (!pts.length) {
    for (const x of [0.2, 0.8]) annotations.push({ text: "<b>not yet measured</b>", xref: "paper", yref: "paper", x, y: 0.5, showarrow: false, font: { size: 13, color: "#777" } });
  }
  return {
    data,
    layout: {
      title: { text: "The bound's orderings on our models (chapter 14's reconstruction, not the paper's theorem)", y: 0.99, yanchor: "top" },
      xaxis: { domain: [0, 0.42], title: { text: "generative loss L_g (caption NLL, nats/token)" }, anchor: "y" },
      yaxis: { title: { text: "held-out contrastive loss after refinement (nats)" }, anchor: "x" },
      xaxis2: { domain: [0.58, 1], type: "log", title: { text: "‖ΔW‖² (log; proxy of KL(Q‖P))" }, anchor: "y2" },
      yaxis2: { title: { text: "held-out − train contrastive loss (nats)" }, anchor: "x2" },
      annotations, height: 500, width: 1000, margin: { t: 140 }, legend: { orientation: "h", y: -0.2 },
    },
  };
}

/** Where the published sweep lives (relative to the project root). */
export const GRSL_FIGURE_INPUT = publishedGrslFile("full");

/**
 * The registered GRSL figure: the paper's points beside the published full-profile sweep, or
 * beside "not yet measured" panels while `data/organism/full/grsl.json` does not exist.
 */
export const grslOrganismFigures: FigureSpec[] = [
  {
    id: "grsl-organism",
    title: "GRSL on models we trained: the paper's points (top) beside ours, before and after refinement (bottom)",
    notebook: "25_grsl-organism.ipynb",
    inputs: [PAPER_FILES.grslPoints, PAPER_FILES.grslComponents, ...(fs.existsSync(projectPath(GRSL_FIGURE_INPUT)) ? [GRSL_FIGURE_INPUT] : [])],
    build: () => grslOrganismFigure(loadGrslPanels(), loadPublishedGrsl("full")),
  },
  {
    id: "grsl-theory",
    title: "The bound's orderings on our models: L_g vs contrastive loss, ‖ΔW‖² (LoRA vs full) vs generalisation gap",
    notebook: "25_grsl-organism.ipynb",
    inputs: fs.existsSync(projectPath(GRSL_FIGURE_INPUT)) ? [GRSL_FIGURE_INPUT] : [],
    build: () => grslTheoryFigure(loadPublishedGrsl("full")),
  },
];
