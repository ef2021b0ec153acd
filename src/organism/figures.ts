/**
 * Figures of the model-organism track. Each builder is pure: it reads the family summary that
 * `pretrainFamily` writes (`runs/organism/family-<profile>.json`) and returns Plotly JSON.
 *
 * @module
 */
import * as fs from "node:fs";
import { InputError } from "../array";
import type { FigureSpec, PlotlyFigure } from "../figures/types";
import type { PretrainResult } from "./family";
import type { AlignmentRow, LayerCurves } from "./align";

/** One run as stored in the family summary. */
export type FamilyRun = PretrainResult & { dir: string };

/** The family summary file of a profile (relative to the project root). */
export function familySummaryPath(profile: string, root = "runs"): string {
  return `${root}/organism/family-${profile}.json`;
}

/** Read a family summary written by `pretrainFamily`. */
export function readFamilySummary(file: string): FamilyRun[] {
  if (!fs.existsSync(file)) throw new InputError(`no family summary at ${file}; run \`lco organism train --family\` first`);
  const j = JSON.parse(fs.readFileSync(file, "utf8")) as { runs: FamilyRun[] };
  return j.runs;
}

const COLOURS: Record<string, string> = { S: "#4C78A8", M: "#F58518", L: "#54A24B" };

/** Training loss per step for every run (one line per size × seed, colour = size). */
export function lossCurveFigure(runs: readonly FamilyRun[]): PlotlyFigure {
  return {
    data: runs.map((r) => ({
      type: "scatter",
      mode: "lines",
      name: `${r.spec.size} · seed ${r.seed}`,
      legendgroup: r.spec.size,
      line: { color: COLOURS[r.spec.size] ?? "#888", width: 1 },
      x: r.losses.map((_, i) => (i + 1) * r.lossEvery),
      y: r.losses.map((v) => Math.round(v * 1000) / 1000),
    })),
    layout: {
      title: { text: "Generative pretraining loss (nats per target token)" },
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: "masked next-token loss" } },
      width: 760,
      height: 420,
    },
  };
}

/**
 * Generative score at every checkpoint (step 0 = random init), IID (●) and OOD (×), one marker
 * per seed; colour = size. These scores are the x-axis of the GRSL regression later.
 */
export function generativeScoreFigure(runs: readonly FamilyRun[]): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  for (const split of ["iid", "ood"] as const) {
    const bySize = new Map<string, FamilyRun[]>();
    for (const r of runs) bySize.set(r.spec.size, [...(bySize.get(r.spec.size) ?? []), r]);
    for (const [size, rs] of bySize) {
      const xs: number[] = [], ys: number[] = [], text: string[] = [];
      for (const r of rs) {
        for (const c of r.checkpoints) {
          xs.push(c.step);
          ys.push(Math.round(c[split].generativeScore * 1000) / 1000);
          text.push(`seed ${r.seed}`);
        }
      }
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${size} ${split.toUpperCase()}`,
        marker: { color: COLOURS[size] ?? "#888", symbol: split === "iid" ? "circle" : "x", size: 8 },
        x: xs,
        y: ys,
        text,
      });
    }
  }
  return {
    data,
    layout: {
      title: { text: "Generative score along training (IID ● vs OOD ×)" },
      xaxis: { title: { text: "checkpoint step (0 = random init)" } },
      yaxis: { title: { text: "generative score (½ caption exact + ½ answer attributes)" }, range: [0, 1] },
      width: 760,
      height: 420,
    },
  };
}

/**
 * Registered figures of the model-organism track. Empty for now: a registered figure needs
 * committed inputs (its JSON is snapshot-tested), and the full-profile family summary
 * (`runs/organism/family-full.json`, written by `lco organism train --family --profile full`) is
 * not committed yet. Once it is (e.g. copied to `data/organism/family-full.json`), register
 * `lossCurveFigure` and `generativeScoreFigure` over it here, with the notebook cells of
 * chapter 21 tagged `figure:organism-pretraining-loss` and `figure:organism-generative-score`.
 */
export const organismFigures: FigureSpec[] = [];

/**
 * One alignment metric per layer (mean over seeds, with min–max whiskers as error bars), for each
 * condition (pretrained, random init, CLIP control), IID solid and OOD dashed, for one modality.
 * @param metric `"mutualKnn"`, `"cka"`, `"recallAt1"`, `"anisotropy"` or `"anisotropyText"`.
 */
export function alignmentLayerFigure(rows: readonly AlignmentRow[], metric: keyof LayerCurves, modality: string): PlotlyFigure {
  const colour: Record<string, string> = { pretrained: "#4C78A8", "random init": "#9D9D9D", "CLIP control": "#E45756" };
  const data: Record<string, unknown>[] = [];
  for (const condition of ["pretrained", "random init", "CLIP control"] as const) {
    for (const split of ["iid", "ood"] as const) {
      const curves = rows
        .filter((r) => r.condition === condition && r.split === split)
        .map((r) => r.alignment.find((a) => a.modality === modality)?.layers[metric])
        .filter((c): c is number[] => Array.isArray(c));
      if (curves.length === 0) continue;
      const L = curves[0].length;
      const round = (v: number) => Math.round(v * 1000) / 1000;
      // Layer 0 is left out: the prompt-end state at the input layer is the same token embedding
      // for every item, so every kNN list is a pure tie and its "agreement" is an artefact of the
      // tie policy (organism-notes: report layer 0 separately, never as a finding).
      const layersShown = Array.from({ length: L - 1 }, (_, i) => i + 1);
      const mean = layersShown.map((l) => round(curves.reduce((s, c) => s + c[l], 0) / curves.length));
      const lo = layersShown.map((l, i) => round(mean[i] - Math.min(...curves.map((c) => c[l]))));
      const hi = layersShown.map((l, i) => round(Math.max(...curves.map((c) => c[l])) - mean[i]));
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${condition} · ${split.toUpperCase()}`,
        line: { color: colour[condition], dash: split === "iid" ? "solid" : "dash" },
        x: layersShown,
        y: mean,
        error_y: { type: "data", symmetric: false, array: hi, arrayminus: lo, visible: curves.length > 1 },
      });
    }
  }
  const chance = rows[0]?.alignment.find((a) => a.modality === modality);
  if (chance && metric === "mutualKnn") {
    const L = chance.layers.mutualKnn.length;
    data.push({ type: "scatter", mode: "lines", name: "chance k/(n−1) (IID)", line: { color: "black", dash: "dot", width: 1 }, x: [1, L - 1], y: [chance.mutualKnnChance, chance.mutualKnnChance] });
  }
  return {
    data,
    layout: {
      title: { text: `${modality}–caption ${metric} per layer (mean over seeds; bars: min–max)` },
      xaxis: { title: { text: "decoder layer (layer 0, the input embedding, is identical for every item and left out)" }, dtick: 1 },
      yaxis: { title: { text: metric } },
      width: 760,
      height: 420,
    },
  };
}
