/**
 * Figure builders of the paper track. Each builder is pure (data in → Plotly JSON out); each
 * registered {@link FigureSpec} loads its inputs from `data/paper/` and calls one builder.
 *
 * Builders import nothing from the `./index` barrel (it imports this file through the registry).
 *
 * @module
 */
import * as path from "node:path";
import type { NdArray } from "../array";
import type { FigureSpec, PlotlyFigure } from "./types";
import { readNpy } from "../io/npy";
import { anisotropyByLayer } from "../probes/anisotropy";
import { chanceLevel, measureByLayer } from "../probes/measure";
import {
  loadMiebLiteCategories,
  loadMiebLiteMeans,
  loadTheoryGrid,
  loadTrainingStrategies,
  MIEB_COLUMN_LABELS,
  MIEB_COLUMNS,
  PAPER_FILES,
  PROJECT_ROOT,
  TRAINING_COLUMN_LABELS,
  TRAINING_COLUMNS,
} from "../paper/data";
import type { MiebCategoryRow, MiebMeansRow, TheoryGrid, TrainingRow } from "../paper/data";
import { fitGrslPanel, loadGrslPanels } from "../paper/grsl";
import type { GrslFit, GrslPanel } from "../paper/grsl";
import { SYNTHETIC_FILES } from "../paper/synthetic";
import { grid, theoryBoundCurve } from "../paper/theory";
import { checkTrainingTable, trainingRowLabel } from "../paper/training";

/** Round for stable JSON (4 significant decimals are far below what a chart can show). */
const r4 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);

/** A colour per model family / strategy, colour-blind-safe (Okabe–Ito). */
const FAMILY_COLOURS: Record<string, string> = {
  "qwen2.5-vl": "#0072B2",
  "qwen2.5-omni": "#D55E00",
  llava: "#009E73",
  user: "#CC79A7",
};
const STRATEGY_COLOURS: Record<string, string> = {
  "no training": "#999999",
  "CLIP-style CL": "#E69F00",
  "linear projection": "#56B4E9",
  "full fine-tune": "#009E73",
  LoRA: "#D55E00",
};
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

const PANEL_TITLES: Record<string, string> = { ocr: "OCR (image–text)", video: "Video–text", audio: "Audio–text" };

/** The annotation text of one fit: slope, intercept, R², Pearson, Spearman, n (and the n = 2 caveat). */
export function fitAnnotation(f: GrslFit): string {
  const { fit } = f;
  const lines = [
    `y = ${fit.slope.toFixed(4)}·x ${fit.intercept < 0 ? "−" : "+"} ${Math.abs(fit.intercept).toFixed(3)}`,
    `R² = ${fit.r2.toFixed(3)}, r = ${fit.pearson.toFixed(3)}, ρ = ${fit.spearman.toFixed(3)}, n = ${fit.n}`,
  ];
  lines.push(f.exactByConstruction ? "n = 2: exact by construction, no band" : `exact permutation p = ${f.permutationP.toFixed(3)}`);
  return lines.join("<br>");
}

/** Options of {@link grslPanelsFigure}. */
export interface GrslFigureOptions {
  /** Fits to draw (default: {@link fitGrslPanel} of each panel, 95 % band). */
  fits?: GrslFit[];
  /** Largest bubble diameter in px. Default `36`. */
  maxBubble?: number;
  /** Title. */
  title?: string;
}

/**
 * GRSL panels side by side: bubbles (area ∝ parameter count), the OLS line, its 95 % confidence
 * band and an annotation with slope, intercept, R², Pearson, Spearman and n.
 * @param panels one or more panels (e.g. from `loadGrslPanels()` or `addModel`).
 */
export function grslPanelsFigure(panels: readonly GrslPanel[], opts: GrslFigureOptions = {}): PlotlyFigure {
  if (panels.length === 0) throw new Error("grslPanelsFigure needs at least one panel");
  const fits = opts.fits ?? panels.map((p) => fitGrslPanel(p));
  if (fits.length !== panels.length) throw new Error(`got ${fits.length} fits for ${panels.length} panels`);
  const maxB = opts.maxBubble ?? 36;
  const maxParams = Math.max(...panels.flatMap((p) => p.points.map((q) => q.nParams)));
  // Plotly's rule for area-scaled bubbles: sizeref = 2·max(size) / maxDiameter².
  const sizeref = (2 * (maxParams / 1e9)) / (maxB * maxB);
  const gap = 0.07;
  const w = (1 - gap * (panels.length - 1)) / panels.length;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? "Generation–representation scaling law (published points, digitised)", y: 0.98, yanchor: "top" },
    showlegend: false,
    height: 540,
    width: 380 * panels.length + 80,
    margin: { t: 170, b: 70, l: 70, r: 30 },
    annotations: [] as Record<string, unknown>[],
  };
  const annotations = layout.annotations as Record<string, unknown>[];
  panels.forEach((panel, k) => {
    const f = fits[k];
    const ax = k === 0 ? "" : String(k + 1);
    const xa = `x${ax}`;
    const ya = `y${ax}`;
    const x0 = k * (w + gap);
    const band = f.band;
    // Explicit ranges with margins so the model labels and the band are not clipped.
    const xs = f.x;
    const ys = [...f.y, ...band.flatMap((b) => [b.lo, b.hi]).filter(Number.isFinite)];
    const pad = (lo: number, hi: number, a: number, b: number) => [r4(lo - a * (hi - lo || 1)), r4(hi + b * (hi - lo || 1))];
    layout[`xaxis${ax}`] = { domain: [r4(x0), r4(x0 + w)], title: { text: panel.xLabel }, anchor: ya, zeroline: false, range: pad(Math.min(...xs), Math.max(...xs), 0.12, 0.18) };
    layout[`yaxis${ax}`] = { title: { text: panel.yLabel }, anchor: xa, zeroline: false, range: pad(Math.min(...ys), Math.max(...ys), 0.1, 0.2) };
    if (!f.exactByConstruction) {
      data.push({
        type: "scatter", mode: "lines", x: band.map((b) => r4(b.x)), y: band.map((b) => r4(b.lo)),
        line: { width: 0 }, hoverinfo: "skip", xaxis: xa, yaxis: ya, name: "95% CI (lo)",
      });
      data.push({
        type: "scatter", mode: "lines", x: band.map((b) => r4(b.x)), y: band.map((b) => r4(b.hi)),
        line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(200,30,30,0.12)", hoverinfo: "skip",
        xaxis: xa, yaxis: ya, name: `${Math.round(f.fit.level * 100)}% confidence band`,
      });
    }
    data.push({
      type: "scatter", mode: "lines", x: band.map((b) => r4(b.x)), y: band.map((b) => r4(b.fit)),
      line: { color: "#C81E1E", dash: "dash", width: 2 }, xaxis: xa, yaxis: ya, name: "OLS fit",
    });
    data.push({
      type: "scatter", mode: "markers+text",
      x: f.x.map(r4), y: f.y.map(r4),
      text: panel.points.map((p) => p.model), textposition: "top center", textfont: { size: 10 },
      marker: {
        size: panel.points.map((p) => r4(p.nParams / 1e9)), sizemode: "area", sizeref: r4(sizeref) ?? 1, sizemin: 4,
        color: panel.points.map((p) => FAMILY_COLOURS[p.family] ?? "#000000"), opacity: 0.8,
        line: { color: "#333333", width: 1 },
      },
      customdata: panel.points.map((p) => [p.nParams / 1e9, p.xReconstructed === null ? "n/a" : r4(p.xReconstructed)]),
      hovertemplate: "%{text}<br>x = %{x}<br>y = %{y}<br>params ≈ %{customdata[0]}B<br>x reconstructed = %{customdata[1]}<extra></extra>",
      xaxis: xa, yaxis: ya, name: PANEL_TITLES[panel.name] ?? panel.name,
    });
    annotations.push({
      text: `<b>${PANEL_TITLES[panel.name] ?? panel.name}</b>`, xref: "paper", yref: "paper",
      x: r4(x0 + w / 2), y: 1.22, xanchor: "center", yanchor: "bottom", showarrow: false,
    });
    annotations.push({
      text: fitAnnotation(f), xref: "paper", yref: "paper", x: r4(x0), y: 1.02,
      xanchor: "left", yanchor: "bottom", showarrow: false, align: "left", font: { size: 10 },
    });
  });
  return { data, layout };
}

/**
 * Grouped bars of the training-strategy table: one subplot per backbone, one bar group per
 * category (plus the recomputed average), one colour per strategy.
 */
export function trainingStrategiesFigure(rows: readonly TrainingRow[]): PlotlyFigure {
  const { rows: checked } = checkTrainingTable(rows);
  const backbones = [...new Set(rows.map((r) => r.backbone))];
  const cats = [...TRAINING_COLUMNS.map((c) => TRAINING_COLUMN_LABELS[c]), "Avg (recomputed)"];
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: "Training strategies (ablation subset; higher is better)" },
    barmode: "group",
    height: 700,
    width: 900,
    legend: { orientation: "h", y: -0.12 },
    annotations: [] as Record<string, unknown>[],
  };
  const gap = 0.12;
  const h = (1 - gap * (backbones.length - 1)) / backbones.length;
  backbones.forEach((bb, k) => {
    const ax = k === 0 ? "" : String(k + 1);
    const y0 = 1 - (k + 1) * h - k * gap;
    layout[`xaxis${ax}`] = { anchor: `y${ax}`, domain: [0, 1] };
    layout[`yaxis${ax}`] = { anchor: `x${ax}`, domain: [r4(y0), r4(y0 + h)], title: { text: "score" }, range: [0, 95] };
    (layout.annotations as Record<string, unknown>[]).push({
      text: `<b>${bb}</b>`, xref: "paper", yref: "paper", x: 0, y: r4(y0 + h), xanchor: "left", yanchor: "bottom", showarrow: false,
    });
    for (const r of checked.filter((q) => q.backbone === bb)) {
      data.push({
        type: "bar", name: r.strategy + (r.trainedOn ? ` (${r.trainedOn})` : ""), legendgroup: r.strategy, showlegend: k === 0,
        x: cats, y: [...TRAINING_COLUMNS.map((c) => r.scores[c]), r4(r.avgRecomputed)],
        marker: { color: STRATEGY_COLOURS[r.strategy] ?? "#000000" },
        xaxis: `x${ax}`, yaxis: `y${ax}`,
        hovertemplate: `${trainingRowLabel(r)}<br>%{x}: %{y}<extra></extra>`,
      });
    }
  });
  return { data, layout };
}

/**
 * Cost vs quality: recomputed average against GPU-hours (log x), one colour per strategy, one
 * symbol per backbone; the untrained baselines as dashed horizontal lines.
 */
export function trainingCostQualityFigure(rows: readonly TrainingRow[]): PlotlyFigure {
  const { rows: checked } = checkTrainingTable(rows);
  const backbones = [...new Set(rows.map((r) => r.backbone))];
  const symbols = ["circle", "diamond", "square", "triangle-up"];
  const data: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  backbones.forEach((bb, k) => {
    const trained = checked.filter((r) => r.backbone === bb && r.gpuHours !== null);
    data.push({
      type: "scatter", mode: "markers+text", name: bb, showlegend: false,
      x: trained.map((r) => r.gpuHours), y: trained.map((r) => r4(r.avgRecomputed)),
      text: trained.map((r) => r.strategy), textposition: "top center", textfont: { size: 10 },
      marker: { size: 13, symbol: symbols[k % symbols.length], color: trained.map((r) => STRATEGY_COLOURS[r.strategy] ?? "#000000"), line: { color: "#333333", width: 1 } },
      hovertemplate: `${bb} + %{text}<br>%{x} GPU-h<br>avg %{y}<extra></extra>`,
    });
    // A legend-only trace in grey: the symbol stands for the backbone, the colour for the strategy.
    data.push({ type: "scatter", mode: "markers", name: bb, x: [null], y: [null], marker: { size: 12, symbol: symbols[k % symbols.length], color: "#888888" } });
    const base = checked.find((r) => r.backbone === bb && r.gpuHours === null);
    if (base) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: r4(base.avgRecomputed), y1: r4(base.avgRecomputed), line: { dash: "dot", color: "#777777", width: 1 } });
      annotations.push({ text: `${bb}, no training (${base.avgRecomputed.toFixed(2)})`, xref: "paper", x: 0.45, xanchor: "center", y: r4(base.avgRecomputed), yanchor: k === 0 ? "top" : "bottom", showarrow: false, font: { size: 10, color: "#555555" } });
    }
  });
  return {
    data,
    layout: {
      title: { text: "Training cost vs quality (recomputed average of the six categories)" },
      // Plotly log axes take their range in log10 units: 3 to 1000 GPU-hours.
      xaxis: { type: "log", title: { text: "training cost (GPU-hours, log scale)" }, range: [r4(Math.log10(3)), 3] },
      yaxis: { title: { text: "average score" } },
      shapes, annotations, height: 480, width: 820,
      legend: { title: { text: "backbone (symbol)" } },
    },
  };
}

/** MIEB-Lite means: Mean(51) and Mean(en, 47) per model, horizontal grouped bars. */
export function miebLiteMeansFigure(rows: readonly MiebMeansRow[]): PlotlyFigure {
  const models = rows.map((r) => (r.variant === "LCO-Emb" ? `<b>${r.model}</b>` : r.model));
  return {
    data: [
      { type: "bar", orientation: "h", name: "Mean (51 tasks)", y: models, x: rows.map((r) => r.mean51), marker: { color: "#0072B2" } },
      { type: "bar", orientation: "h", name: "Mean (en, 47 tasks)", y: models, x: rows.map((r) => r.meanEn47), marker: { color: "#E69F00" } },
    ],
    layout: {
      title: { text: "MIEB-Lite means [secondary source: third-party paper notes, not checked against the PDF]" },
      barmode: "group", height: 520, width: 860, margin: { l: 230 },
      // Bars start at 0: a truncated axis would exaggerate gaps of a few points.
      xaxis: { title: { text: "score" }, range: [0, 75] }, yaxis: { autorange: "reversed" },
    },
  };
}

/** MIEB-Lite per-category scores: one bar group per category, one colour per model. */
export function miebLiteCategoriesFigure(rows: readonly MiebCategoryRow[]): PlotlyFigure {
  const cats = [...MIEB_COLUMNS.map((c) => MIEB_COLUMN_LABELS[c]), "Mean (51)"];
  return {
    data: rows.map((r, i) => ({
      type: "bar", name: r.model, x: cats, y: [...MIEB_COLUMNS.map((c) => r.scores[c]), r.mean51],
      marker: { color: PALETTE[i % PALETTE.length] },
    })),
    layout: {
      title: { text: "MIEB-Lite by category [secondary source]" },
      barmode: "group", height: 460, width: 1060, yaxis: { title: { text: "score" }, range: [0, 100] },
      xaxis: { automargin: true },
    },
  };
}

const RECONSTRUCTION_NOTE = "Reconstruction from textbook ingredients (InfoNCE + PAC-Bayes), NOT the paper's Theorem 1";

/** The mutual-information grid of a theory grid. */
function miGrid(g: TheoryGrid): number[] {
  return grid(g.mutualInfo.from, g.mutualInfo.to, g.mutualInfo.step);
}

/** Bound vs mutual information I_P(X;Y), one curve per KL(Q‖P) value. */
export function theoryBoundFigure(g: TheoryGrid): PlotlyFigure {
  const mi = miGrid(g);
  const logN = Math.log(g.nCandidates);
  const data = g.kl.map((kl, i) => {
    const c = theoryBoundCurve(mi, { kl, nPairs: g.nPairs, nCandidates: g.nCandidates, delta: g.delta });
    return { type: "scatter", mode: "lines", name: `KL(Q‖P) = ${kl}`, x: c.mutualInfo.map(r4), y: c.bound.map(r4), line: { color: PALETTE[i % PALETTE.length], width: 2 } };
  });
  return {
    data,
    layout: {
      title: { text: `Toy bound on the contrastive risk vs I_P(X;Y)<br><sub>${RECONSTRUCTION_NOTE}; N = ${g.nCandidates}, n = ${g.nPairs}, δ = ${g.delta}</sub>` },
      xaxis: { title: { text: "mutual information captured by the generative prior, I_P(X;Y) (nats)" } },
      yaxis: { title: { text: "bound (nats)" }, rangemode: "tozero" },
      shapes: [{ type: "line", x0: r4(logN), x1: r4(logN), yref: "paper", y0: 0, y1: 1, line: { dash: "dot", color: "#777777" } }],
      annotations: [{ text: `log N = ${logN.toFixed(2)}`, x: r4(logN), y: 1, yref: "paper", showarrow: false, xanchor: "right", yanchor: "top" }],
      height: 460, width: 820,
    },
  };
}

/** The same bound with a slider over KL(Q‖P) (`restyle` visibility steps; no frames needed). */
export function theoryBoundSliderFigure(g: TheoryGrid): PlotlyFigure {
  const mi = miGrid(g);
  const data = g.klSlider.map((kl, i) => {
    const c = theoryBoundCurve(mi, { kl, nPairs: g.nPairs, nCandidates: g.nCandidates, delta: g.delta });
    return { type: "scatter", mode: "lines", name: `KL = ${kl}`, visible: i === 0, x: c.mutualInfo.map(r4), y: c.bound.map(r4), line: { color: "#D55E00", width: 3 } };
  });
  const yMax = Math.max(...data.flatMap((t) => t.y.filter((v): v is number => v !== null)));
  const steps = g.klSlider.map((kl, i) => ({
    label: String(kl), method: "restyle", args: [{ visible: g.klSlider.map((_, j) => j === i) }],
  }));
  return {
    data,
    layout: {
      title: { text: `Move the slider: how the KL to the prior moves the toy bound<br><sub>${RECONSTRUCTION_NOTE}</sub>` },
      xaxis: { title: { text: "I_P(X;Y) (nats)" } },
      yaxis: { title: { text: "bound (nats)" }, range: [0, r4(yMax * 1.05)] },
      sliders: [{ active: 0, currentvalue: { prefix: "KL(Q‖P) = " }, pad: { t: 50 }, steps }],
      showlegend: false, height: 500, width: 820,
    },
  };
}

/** One line of {@link layerProfileFigure}. */
export interface LayerSeries {
  name: string;
  /** One value per layer. */
  values: readonly number[];
  /** Dashed line (e.g. a chance level or a control). */
  dash?: boolean;
}

/**
 * A per-layer line chart (notebook-only builder for chapter 13, e.g. anisotropy or alignment by
 * layer with its chance level).
 * @param opts `title`, `yTitle`, `series` (each one value per layer), optional `layers` labels (default 0..L−1).
 */
export function layerProfileFigure(opts: { title: string; yTitle: string; series: readonly LayerSeries[]; layers?: readonly number[] }): PlotlyFigure {
  if (opts.series.length === 0) throw new Error("layerProfileFigure needs at least one series");
  const L = opts.series[0].values.length;
  const layers = opts.layers ?? Array.from({ length: L }, (_, i) => i);
  opts.series.forEach((s) => {
    if (s.values.length !== layers.length) throw new Error(`series ${s.name} has ${s.values.length} values; expected ${layers.length} (one per layer)`);
  });
  return {
    data: opts.series.map((s, i) => ({
      type: "scatter", mode: s.dash ? "lines" : "lines+markers", name: s.name, x: [...layers], y: s.values.map(r4),
      line: { dash: s.dash ? "dash" : "solid", color: s.dash ? "#777777" : PALETTE[i % PALETTE.length] },
    })),
    layout: {
      title: { text: opts.title },
      xaxis: { title: { text: "layer (0 = token embeddings)" }, dtick: 1 },
      legend: { orientation: "h", y: -0.25 },
      yaxis: { title: { text: opts.yTitle } },
      height: 480, width: 780,
    },
  };
}

/**
 * Anisotropy (image, text) and image–text mutual-kNN alignment at every layer of a paired stack,
 * with the mutual-kNN chance level k/(n−1) as a dashed line.
 * @param image `[L, n, d]` image stack; @param text `[L, n, d]` text stack (row i paired).
 * @param opts `k` (default 10, the paper's), `title`.
 */
export function layerMetricsFigure(image: NdArray, text: NdArray, opts: { k?: number; title?: string } = {}): PlotlyFigure {
  const k = opts.k ?? 10;
  const n = image.shape[1];
  const chance = chanceLevel("mutual_knn", n, k) ?? NaN;
  const aImg = anisotropyByLayer(image);
  const aTxt = anisotropyByLayer(text);
  const mknn = measureByLayer("mutual_knn", image, text, { k });
  return layerProfileFigure({
    title: opts.title ?? `Anisotropy and image–text alignment by layer (mutual kNN, k = ${k}, n = ${n})`,
    yTitle: "score",
    series: [
      { name: "anisotropy, image", values: aImg },
      { name: "anisotropy, text", values: aTxt },
      { name: `mutual kNN (k = ${k})`, values: mknn },
      { name: `mutual kNN chance = k/(n−1) = ${chance.toFixed(3)}`, values: aImg.map(() => chance), dash: true },
    ],
  });
}

const NB = {
  grsl: "10_grsl-published.ipynb",
  training: "11_training-strategies.ipynb",
  mieb: "12_mieb-lite.ipynb",
  theory: "14_theory.ipynb",
  metrics: "13_metrics-explained.ipynb",
} as const;

/** Figures of the paper track (builders over `data/paper/`). */
export const paperFigures: FigureSpec[] = [
  {
    id: "grsl-panels",
    title: "GRSL: generation vs representation, three panels with OLS fits and 95 % bands",
    notebook: NB.grsl,
    inputs: [PAPER_FILES.grslPoints, PAPER_FILES.grslComponents],
    build: () => grslPanelsFigure(loadGrslPanels()),
  },
  {
    id: "training-strategies",
    title: "Training strategies: category scores per strategy and backbone",
    notebook: NB.training,
    inputs: [PAPER_FILES.trainingStrategies],
    build: () => trainingStrategiesFigure(loadTrainingStrategies()),
  },
  {
    id: "training-cost-quality",
    title: "Training strategies: cost (GPU-hours) vs quality",
    notebook: NB.training,
    inputs: [PAPER_FILES.trainingStrategies],
    build: () => trainingCostQualityFigure(loadTrainingStrategies()),
  },
  {
    id: "mieb-lite-means",
    title: "MIEB-Lite means (secondary source)",
    notebook: NB.mieb,
    inputs: [PAPER_FILES.miebLiteMeans],
    build: () => miebLiteMeansFigure(loadMiebLiteMeans()),
  },
  {
    id: "mieb-lite-categories",
    title: "MIEB-Lite per-category scores (secondary source)",
    notebook: NB.mieb,
    inputs: [PAPER_FILES.miebLiteCategories],
    build: () => miebLiteCategoriesFigure(loadMiebLiteCategories()),
  },
  {
    id: "theory-bound",
    title: "Toy PAC-Bayes-style bound vs mutual information (reconstruction, not the paper's theorem)",
    notebook: NB.theory,
    inputs: [PAPER_FILES.theoryGrid],
    build: () => theoryBoundFigure(loadTheoryGrid()),
  },
  {
    id: "theory-bound-slider",
    title: "Toy bound with a KL slider (reconstruction, not the paper's theorem)",
    notebook: NB.theory,
    inputs: [PAPER_FILES.theoryGrid],
    build: () => theoryBoundSliderFigure(loadTheoryGrid()),
  },
  {
    id: "synthetic-layer-metrics",
    title: "SYNTHETIC example: anisotropy and image–text mutual kNN by layer (alignment rises with depth by construction)",
    notebook: NB.metrics,
    inputs: [SYNTHETIC_FILES.imageNpy, SYNTHETIC_FILES.textNpy],
    build: () =>
      layerMetricsFigure(
        readNpy(path.join(PROJECT_ROOT, SYNTHETIC_FILES.imageNpy)),
        readNpy(path.join(PROJECT_ROOT, SYNTHETIC_FILES.textNpy)),
        { title: "SYNTHETIC example (not model data): anisotropy and image–text mutual kNN by layer" },
      ),
  },
];
