/**
 * Figures of contrastive refinement (P2, chapter 23) and of the strategies (P3, chapter 24).
 *
 * - `refinement-before-after`: per answer format (rows) and modality (columns), IID, last layer:
 *   R@1 and each attribute's top-1 agreement before and after text-only refinement, and the
 *   random init after the same refinement; bars = mean over seeds, error bars = 95 % CI, black
 *   dashes = chance.
 * - `refinement-strategies`: ours (left: avg of the paper-category columns per strategy, mean ±
 *   95 % CI over seeds, against trained parameters) beside the paper's table (right: recomputed
 *   Avg per backbone and strategy).
 *
 * Without published results, our panels are drawn empty with "not yet measured". Pure: data in,
 * Plotly JSON out.
 *
 * @module
 */
import * as fs from "node:fs";
import type { FigureSpec, PlotlyFigure } from "./types";
import { projectPath } from "../project";
import { loadTrainingStrategies, PAPER_FILES, type TrainingRow } from "../paper/data";
import { trainingAverage } from "../paper/training";
import { meanCI } from "../stats";
import { publishedExperimentFiles } from "../experiments/published";
import { loadPublishedRefinement, refinementComparison, type RefinementResults } from "../experiments/refinement";
import { loadPublishedStrategies, PAPER_STRATEGY, strategyColumns, type StrategiesResults } from "../experiments/strategies";

const r4 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
const COLOURS = { before: "#9ecae1", after: "#08519c", init: "#bbbbbb" };

/** An empty panel that says so. */
function notMeasured(title: string, experiment: string): PlotlyFigure {
  return {
    data: [],
    layout: {
      title: { text: title },
      height: 360,
      width: 760,
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [{ text: `<b>ours: not yet measured</b><br>(run \`lco experiment ${experiment} --profile full --publish\`)`, xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 14, color: "#777" } }],
    },
  };
}

/**
 * Before / after refinement per format × modality (IID, last layer).
 * @param results refinement results (published or from a run), or `null` (drawn empty, "not yet measured").
 */
export function refinementBeforeAfterFigure(results: RefinementResults | null, opts: { title?: string; split?: "iid" | "ood" } = {}): PlotlyFigure {
  const title = opts.title ?? "Text-only refinement: before / after (IID, last layer; mean ± 95 % CI over seeds)";
  if (!results || results.cells.length === 0) return notMeasured(title, "refinement");
  const split = opts.split ?? "iid";
  const rows = refinementComparison(results.cells).filter((r) => r.split === split && (r.modality === "image" || r.modality === "audio") && (r.metric === "R@1" || r.metric.endsWith(" top1")));
  const formats = [...new Set(rows.map((r) => r.format))];
  const mods = [...new Set(rows.map((r) => r.modality))];
  const sizes = [...new Set(rows.map((r) => r.size))];
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    barmode: "group",
    height: 320 * formats.length + 80,
    width: 480 * mods.length + 80,
    legend: { orientation: "h", y: -0.12 },
    annotations: [] as Record<string, unknown>[],
  };
  const gap = 0.08;
  const w = (1 - gap * (mods.length - 1)) / mods.length;
  const h = (1 - 0.12 * (formats.length - 1)) / formats.length;
  let axis = 0;
  formats.forEach((format, fi) => {
    mods.forEach((modality, mi) => {
      axis++;
      const xa = axis === 1 ? "x" : `x${axis}`, ya = axis === 1 ? "y" : `y${axis}`;
      const x0 = mi * (w + gap), y1 = 1 - fi * (h + 0.12);
      layout[`xaxis${axis === 1 ? "" : axis}`] = { domain: [r4(x0), r4(x0 + w)], anchor: ya, tickangle: -30 };
      layout[`yaxis${axis === 1 ? "" : axis}`] = { domain: [r4(y1 - h), r4(y1)], anchor: xa, range: [0, 1], title: { text: `${format}` } };
      (layout.annotations as Record<string, unknown>[]).push({ text: `<b>${format} · ${modality}</b>`, xref: "paper", yref: "paper", x: r4(x0 + w / 2), y: r4(y1 + 0.01), showarrow: false, yanchor: "bottom" });
      const sel = rows.filter((r) => r.format === format && r.modality === modality);
      const label = (r: (typeof rows)[number]) => `${sizes.length > 1 ? `${r.size} ` : ""}${r.metric.replace(/ top1$/, "")}`;
      const first = axis === 1;
      for (const [name, key, half, colour] of [
        ["pretrained", "beforeMean", "beforeHalf", COLOURS.before],
        ["pretrained + refined", "afterMean", "afterHalf", COLOURS.after],
        ["random init + refined", "initAfterMean", "initAfterHalf", COLOURS.init],
      ] as const) {
        data.push({
          type: "bar", name, legendgroup: name, showlegend: first, marker: { color: colour },
          x: sel.map(label), y: sel.map((r) => r4(r[key])),
          error_y: { type: "data", array: sel.map((r) => r4(r[half]) ?? 0), visible: true },
          xaxis: xa, yaxis: ya,
        });
      }
      data.push({
        type: "scatter", mode: "markers", name: "chance", legendgroup: "chance", showlegend: first,
        x: sel.map(label), y: sel.map((r) => (typeof r.chance === "number" ? r4(r.chance) : null)),
        marker: { symbol: "line-ew", size: 28, line: { width: 3, color: "#000" } }, xaxis: xa, yaxis: ya,
      });
    });
  });
  return { data, layout };
}

/**
 * Our strategies beside the paper's table.
 * @param results strategies results, or `null` (our panel says "not yet measured").
 * @param paper the paper's training-strategy rows (`paper.loadTrainingStrategies()`).
 */
export function refinementStrategiesFigure(results: StrategiesResults | null, paper: readonly TrainingRow[], opts: { title?: string } = {}): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [
    { text: "<b>ours</b>: avg of 4 columns (0–1)", xref: "paper", yref: "paper", x: 0.22, y: 1.02, showarrow: false, yanchor: "bottom" },
    { text: "<b>paper</b>: recomputed Avg (0–100)", xref: "paper", yref: "paper", x: 0.78, y: 1.02, showarrow: false, yanchor: "bottom" },
  ];
  const order = ["none", "linear", "full", "lora", "clip"] as const;
  if (results && results.cells.length > 0) {
    for (const size of [...new Set(results.cells.map((c) => c.size))]) {
      const variants = [...new Set(results.cells.filter((c) => c.size === size).map((c) => c.variant))];
      const stat = variants.map((v) => {
        const vals = results.cells.filter((c) => c.size === size && c.variant === v).map((c) => strategyColumns(c.measurement).avg).filter(Number.isFinite);
        const ci = vals.length ? meanCI(vals) : null;
        return { v, mean: ci ? ci.mean : NaN, half: ci && vals.length > 1 ? ci.halfWidth : 0 };
      });
      data.push({
        type: "bar", name: `ours, ${size}`, x: stat.map((s) => s.v), y: stat.map((s) => r4(s.mean)),
        error_y: { type: "data", array: stat.map((s) => r4(s.half) ?? 0), visible: true }, xaxis: "x", yaxis: "y",
      });
    }
  } else {
    annotations.push({ text: "<b>ours: not yet measured</b>", xref: "paper", yref: "paper", x: 0.22, y: 0.5, showarrow: false, font: { size: 13, color: "#777" } });
  }
  for (const backbone of [...new Set(paper.map((r) => r.backbone))]) {
    const rs = order.map((s) => paper.find((r) => r.backbone === backbone && r.strategy === PAPER_STRATEGY[s]));
    data.push({ type: "bar", name: backbone, x: order.map((s) => s), y: rs.map((r) => (r ? r4(trainingAverage(r)) : null)), xaxis: "x2", yaxis: "y2" });
  }
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Which refinement? Ours (left, mean ± 95 % CI over seeds) beside the paper's table (right)" },
      barmode: "group",
      height: 440,
      width: 980,
      legend: { orientation: "h", y: -0.18 },
      xaxis: { domain: [0, 0.44], anchor: "y", categoryorder: "array", categoryarray: [...order] },
      yaxis: { anchor: "x", title: { text: "avg (0–1)" }, rangemode: "tozero" },
      xaxis2: { domain: [0.56, 1], anchor: "y2", categoryorder: "array", categoryarray: [...order] },
      yaxis2: { anchor: "x2", title: { text: "Avg (0–100)" }, rangemode: "tozero" },
      annotations,
    },
  };
}

const inputIf = (rel: string) => (fs.existsSync(projectPath(rel)) ? [rel] : []);
const REFINEMENT_INPUT = publishedExperimentFiles("full", "refinement").result;
const STRATEGIES_INPUT = publishedExperimentFiles("full", "strategies").result;

/** The refinement figures (full-profile published results; empty panels until they exist). */
export const refinementFigures: FigureSpec[] = [
  {
    id: "refinement-before-after",
    title: "Text-only refinement: image and audio agreement before / after, with the random-init control",
    notebook: "23_contrastive-refinement.ipynb",
    inputs: inputIf(REFINEMENT_INPUT),
    build: () => refinementBeforeAfterFigure(loadPublishedRefinement("full")),
  },
  {
    id: "refinement-strategies",
    title: "Which refinement? Our strategies beside the paper's training-strategy table",
    notebook: "24_refinement-strategies.ipynb",
    inputs: [PAPER_FILES.trainingStrategies, ...inputIf(STRATEGIES_INPUT)],
    build: () => refinementStrategiesFigure(loadPublishedStrategies("full"), loadTrainingStrategies()),
  },
];
