/**
 * `progress(total)`: a progress bar with an ETA for training loops. In a notebook it is one
 * output updated in place (`tslab.newDisplay()`-style display ids, so the saved notebook holds
 * only the final state); in a terminal it is one stderr line rewritten with `\r`; when stderr
 * is not a terminal (CI logs) it prints a line every 10 %.
 *
 * @module
 */
import { displayData, inKernel, newDisplayId } from "./kernel";

/** Inputs of {@link formatProgress}. */
export interface ProgressState {
  /** Steps done, 0 ≤ i ≤ total. */
  i: number;
  total: number;
  /** Milliseconds since the bar started. */
  elapsedMs: number;
  /** Label in front of the bar. */
  label?: string;
  /** Free text after the bar, e.g. `"loss 2.31"`. */
  text?: string;
  /** Bar width in characters; default 20. */
  width?: number;
}

/** Seconds as `"42s"`, `"3m05s"` or `"1h02m"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * One progress line, e.g. `train [########............] 40/100 40% · 12s · ETA 18s · loss 2.3`.
 * The ETA assumes the remaining steps take as long as the finished ones did on average; it is
 * `?` before the first step.
 */
export function formatProgress(s: ProgressState): string {
  const width = s.width ?? 20;
  const frac = s.total > 0 ? Math.min(1, Math.max(0, s.i / s.total)) : 1;
  const filled = Math.round(frac * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  const elapsed = s.elapsedMs / 1000;
  const eta = s.i > 0 ? (elapsed / s.i) * (s.total - s.i) : NaN;
  const parts = [
    `${s.label ? s.label + " " : ""}[${bar}] ${s.i}/${s.total} ${Math.round(frac * 100)}%`,
    formatDuration(elapsed),
    s.i >= s.total ? "done" : `ETA ${formatDuration(eta)}`,
  ];
  if (s.text) parts.push(s.text);
  return parts.join(" · ");
}

/** A running progress bar. */
export interface Progress {
  /** Record that `i` of `total` steps are done, with optional text (e.g. the current loss). */
  update(i: number, text?: string): void;
  /** Mark the bar finished (i = total) with optional final text. */
  done(text?: string): void;
}

/** Options for {@link progress}. */
export interface ProgressOptions {
  /** Label in front of the bar. */
  label?: string;
  /** Minimum milliseconds between notebook/terminal redraws; default 200 (final state always drawn). */
  minIntervalMs?: number;
}

/**
 * Start a progress bar over `total` steps.
 * @example
 * const bar = lco.display.progress(numSteps, { label: "train" });
 * for (let step = 1; step <= numSteps; step++) { ...; bar.update(step, `loss ${loss.toFixed(3)}`); }
 * bar.done();
 */
export function progress(total: number, opts: ProgressOptions = {}): Progress {
  if (!(Number.isInteger(total) && total >= 0)) throw new Error(`invalid total for progress(); need an integer ≥ 0, got ${total}`);
  const start = Date.now();
  const minInterval = opts.minIntervalMs ?? 200;
  const kernel = inKernel();
  const displayId = newDisplayId("lco-progress");
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  let lastDraw = -Infinity;
  let lastDecile = -1;

  const draw = (i: number, text: string | undefined, final: boolean) => {
    const now = Date.now();
    const line = formatProgress({ i, total, elapsedMs: now - start, label: opts.label, text });
    if (kernel) {
      if (!final && now - lastDraw < minInterval) return;
      displayData({ "text/plain": line }, { displayId, update: shown });
      shown = true;
    } else if (tty) {
      if (!final && now - lastDraw < minInterval) return;
      process.stderr.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    } else {
      // Logs: one line per 10 %, plus the final one.
      const decile = total > 0 ? Math.floor((10 * i) / total) : 10;
      if (!final && decile === lastDecile) return;
      lastDecile = decile;
      process.stderr.write(line + "\n");
    }
    lastDraw = now;
  };

  let finished = false;
  return {
    update(i: number, text?: string) {
      if (!(Number.isFinite(i) && i >= 0 && i <= total)) throw new Error(`invalid progress step; need 0 ≤ i ≤ ${total}, got ${i}`);
      if (finished) return;
      if (i === total) {
        finished = true;
        draw(i, text, true);
      } else draw(i, text, false);
    },
    done(text?: string) {
      if (finished) return;
      finished = true;
      draw(total, text, true);
    },
  };
}
