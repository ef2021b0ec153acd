/**
 * `npm run figures`: build every registered figure into `figures/`, with a manifest.
 *
 * For each figure `<id>` it writes
 * - `<id>.plotly.json`: the canonical JSON (`canonicalJson`); also the committed snapshot;
 * - `<id>.html`: a small standalone page drawing it interactively (plotly referenced from
 *   `node_modules`, so it works offline from disk in a checkout);
 * - `<id>.png` and `<id>.svg`: static renders through headless Chromium (skipped, with the
 *   reason, when Chromium is unavailable);
 * and records everything in `MANIFEST.json`: inputs with sha256, the notebook cell that shows
 * the figure (its `figure:<id>` tag), and sha256 of every output.
 *
 * A figure is rebuilt only when its build key changes: the sha256 of its inputs, its builder's
 * source, the kit version and a hash of the compiled kit. Images are re-rendered only when the
 * JSON changed or an image is missing.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic";
import { chromiumUnavailableReason, sharedRenderer, standaloneHtml } from "./render";
import { sha256, sha256File } from "../io/hash";
import { buildCanonical, compareSnapshot, snapshotPath } from "./snapshot";
import { findFigureTags, type FigureTag } from "./tags";
import type { FigureSpec, PlotlyFigure } from "./types";

/** The manifest's format tag. */
export const MANIFEST_FORMAT = "lco-figures-manifest v1";

/** One output file in the manifest. */
export interface ManifestOutput {
  /** File name inside the figures folder. */
  file: string;
  sha256: string;
}

/** One figure in `figures/MANIFEST.json`. */
export interface ManifestEntry {
  id: string;
  title: string;
  /** The notebook the spec names. */
  notebook: string;
  /** The cell tagged `figure:<id>`, or `null` if no cell is tagged (a registry test fails then). */
  cell: { notebook: string; index: number; id?: string } | null;
  /** The command that rebuilds just this figure. */
  cli: string;
  /** Input files (relative to the project root) with their sha256. */
  inputs: { path: string; sha256: string }[];
  /** sha256 over inputs, builder source, kit version and compiled-kit hash. */
  buildKey: string;
  /** Outputs; `png`/`svg` are `null` when they could not be rendered. */
  outputs: { json: ManifestOutput; html: ManifestOutput; png: ManifestOutput | null; svg: ManifestOutput | null };
}

/** `figures/MANIFEST.json`. */
export interface Manifest {
  format: string;
  figures: ManifestEntry[];
}

/** Options for {@link buildFigures}. */
export interface BuildFiguresOptions {
  /** The figures to build (default: all the caller passes). */
  specs: readonly FigureSpec[];
  /** Output folder, e.g. `<root>/figures`. */
  outDir: string;
  /** Project root: input paths and the notebooks folder are relative to it. */
  root: string;
  /** Folder scanned for `figure:<id>` tags; default `<root>/notebooks`. */
  notebooksDir?: string;
  /** Rebuild everything, ignoring build keys. Default false. */
  force?: boolean;
  /** Render PNG/SVG (when Chromium is available). Default true. */
  images?: boolean;
  /** Kit version and a hash of the compiled code, folded into the build key. */
  kitVersion?: string;
  codeHash?: string;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
  /**
   * Ids of figures not being built now whose manifest entries are kept (building one figure
   * must not drop the others from the manifest). Default: none.
   */
  keep?: readonly string[];
}

/** What {@link buildFigures} did. */
export interface BuildFiguresReport {
  built: string[];
  upToDate: string[];
  /** Why PNG/SVG were skipped, if they were. */
  imagesSkipped: string | null;
  /** Figures whose PNG/SVG render failed, with the error (their JSON and HTML were written). */
  renderFailures: { id: string; error: string }[];
  /** Figures not built because an input file is missing (e.g. a run that was not done yet). */
  missingInputs: { id: string; files: string[] }[];
  manifest: Manifest;
}

/** Read a manifest; a missing file gives an empty one. Throws naming the file on bad JSON. */
export function readManifest(file: string): Manifest {
  if (!fs.existsSync(file)) return { format: MANIFEST_FORMAT, figures: [] };
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
    if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.figures)) throw new Error(`format is not "${MANIFEST_FORMAT}"`);
    return m;
  } catch (e) {
    throw new Error(`cannot read figure manifest ${file}: ${(e as Error).message}`);
  }
}

function output(dir: string, file: string): ManifestOutput | null {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? { file, sha256: sha256File(p) } : null;
}

function outputsIntact(dir: string, e: ManifestEntry, wantImages: boolean): boolean {
  const outs = [e.outputs.json, e.outputs.html, ...(wantImages ? [e.outputs.png, e.outputs.svg] : [])];
  return outs.every((o) => o !== null && fs.existsSync(path.join(dir, o.file)) && sha256File(path.join(dir, o.file)) === o.sha256);
}

/**
 * Build figures into `outDir` and rewrite `MANIFEST.json` there (entries sorted by id; entries
 * of figures neither in `specs` nor in `keep` are dropped). A figure with a missing input file is skipped and
 * listed in `missingInputs`; a failing builder throws, naming the figure.
 *
 * Images use the process-wide Chromium ({@link sharedRenderer}); a script must call
 * `closeSharedRenderer()` when done, or the open browser keeps Node running.
 */
export async function buildFigures(opts: BuildFiguresOptions): Promise<BuildFiguresReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const manifestFile = path.join(opts.outDir, "MANIFEST.json");
  const old = new Map(readManifest(manifestFile).figures.map((e) => [e.id, e]));
  const tags: FigureTag[] = findFigureTags(opts.notebooksDir ?? path.join(opts.root, "notebooks"));
  const noChromium = opts.images === false ? "images switched off (--no-images)" : chromiumUnavailableReason();
  const report: BuildFiguresReport = { built: [], upToDate: [], imagesSkipped: noChromium, renderFailures: [], missingInputs: [], manifest: { format: MANIFEST_FORMAT, figures: [] } };
  fs.mkdirSync(opts.outDir, { recursive: true });

  for (const spec of [...opts.specs].sort((a, b) => a.id.localeCompare(b.id))) {
    const missing = spec.inputs.filter((p) => !fs.existsSync(path.join(opts.root, p)));
    if (missing.length) {
      // Skip this figure but build the others; keep its old manifest entry (its committed
      // outputs are still what they were).
      report.missingInputs.push({ id: spec.id, files: missing });
      log(`skipped ${spec.id}: missing input ${missing.join(", ")}`);
      const prev = old.get(spec.id);
      if (prev) report.manifest.figures.push(prev);
      continue;
    }
    const inputs = spec.inputs.map((p) => ({ path: p, sha256: sha256File(path.join(opts.root, p)) }));
    const buildKey = sha256(
      JSON.stringify({ inputs, builder: spec.build.toString(), kit: opts.kitVersion ?? "", code: opts.codeHash ?? "" }),
    );
    const tag = tags.find((t) => t.id === spec.id);
    const cell = tag ? { notebook: tag.notebook, index: tag.cellIndex, ...(tag.cellId ? { id: tag.cellId } : {}) } : null;
    const prev = old.get(spec.id);
    const base = { id: spec.id, title: spec.title, notebook: spec.notebook, cell, cli: `npm run figures -- ${spec.id}`, inputs, buildKey };

    if (!opts.force && prev && prev.buildKey === buildKey && outputsIntact(opts.outDir, prev, !noChromium)) {
      report.upToDate.push(spec.id);
      report.manifest.figures.push({ ...base, outputs: prev.outputs });
      continue;
    }

    const t0 = Date.now();
    const json = buildCanonical(spec);
    const jsonFile = snapshotPath(opts.outDir, spec.id);
    const jsonChanged = !fs.existsSync(jsonFile) || fs.readFileSync(jsonFile, "utf8") !== json;
    if (jsonChanged) writeFileAtomic(jsonFile, json);
    // The HTML and images are drawn from the rounded JSON, so they show exactly the snapshot.
    const fig = JSON.parse(json) as PlotlyFigure;
    writeFileAtomic(path.join(opts.outDir, `${spec.id}.html`), standaloneHtml(fig, { title: spec.title, fallbackImage: `${spec.id}.png` }));

    const png = path.join(opts.outDir, `${spec.id}.png`), svg = path.join(opts.outDir, `${spec.id}.svg`);
    if (!noChromium) {
      if (opts.force || jsonChanged || !fs.existsSync(png) || !fs.existsSync(svg)) {
        const r = sharedRenderer();
        try {
          writeFileAtomic(png, await r.render(fig, { format: "png", scale: 2 }));
          writeFileAtomic(svg, await r.render(fig, { format: "svg" }));
        } catch (e) {
          const error = (e as Error).message.split("\n")[0];
          report.renderFailures.push({ id: spec.id, error });
          log(`PNG/SVG of ${spec.id} failed: ${error}`);
          fs.rmSync(png, { force: true });
          fs.rmSync(svg, { force: true });
        }
      }
    } else if (jsonChanged) {
      // Images of an older version of the figure would be misleading: remove them.
      fs.rmSync(png, { force: true });
      fs.rmSync(svg, { force: true });
    }
    const outputs = {
      json: output(opts.outDir, `${spec.id}.plotly.json`)!,
      html: output(opts.outDir, `${spec.id}.html`)!,
      png: output(opts.outDir, `${spec.id}.png`),
      svg: output(opts.outDir, `${spec.id}.svg`),
    };
    report.built.push(spec.id);
    report.manifest.figures.push({ ...base, outputs });
    log(`built ${spec.id} (${jsonChanged ? "JSON changed" : "JSON unchanged"}) in ${Date.now() - t0} ms`);
  }
  const building = new Set(opts.specs.map((s) => s.id));
  for (const id of opts.keep ?? []) {
    const prev = old.get(id);
    if (prev && !building.has(id)) report.manifest.figures.push(prev);
  }
  report.manifest.figures.sort((a, b) => a.id.localeCompare(b.id));
  writeJsonAtomic(manifestFile, report.manifest);
  return report;
}

/** What {@link checkFigures} found. */
export interface CheckFiguresReport {
  same: string[];
  /** Figures whose rebuilt JSON differs from (or has no) snapshot, with the `-changed` file. */
  mismatched: { id: string; status: "changed" | "missing"; changedFile: string }[];
  /** Snapshot files in the folder that no registered figure produces. */
  orphans: string[];
}

/** Rebuild every figure's JSON and compare it with the snapshots in `dir` (no images, no manifest). */
export function checkFigures(specs: readonly FigureSpec[], dir: string): CheckFiguresReport {
  const rep: CheckFiguresReport = { same: [], mismatched: [], orphans: [] };
  for (const spec of specs) {
    const r = compareSnapshot(spec, dir);
    if (r.status === "same") rep.same.push(r.id);
    else rep.mismatched.push({ id: r.id, status: r.status, changedFile: r.changedFile! });
  }
  const ids = new Set(specs.map((s) => s.id));
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir).sort()) {
      const m = /^(.*)\.plotly\.json$/.exec(f);
      if (m && !m[1].endsWith("-changed") && !ids.has(m[1])) rep.orphans.push(f);
    }
  }
  return rep;
}
