/**
 * The figure contract. Every figure has one pure builder that returns Plotly JSON; one notebook
 * cell (tagged `figure:<id>`) and `npm run figures` both call it through the registry.
 *
 * @module
 */

/** Plotly figure as plain JSON: `{data, layout}` (no functions, no DOM). */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** One registered figure. */
export interface FigureSpec {
  /** Stable id, kebab-case, e.g. `"grsl-panels"`; also the output file stem. */
  id: string;
  /** Human title. */
  title: string;
  /** Notebook (file name under `notebooks/`) whose cell tagged `figure:<id>` shows it. */
  notebook: string;
  /** Input files (paths relative to the project root) the builder reads; hashed in the manifest. */
  inputs: string[];
  /** Pure builder: reads its inputs and returns Plotly JSON. Same inputs → same JSON. */
  build(): PlotlyFigure;
}
