/**
 * Resumable long jobs.
 *
 * - {@link JobLog}: a JSON Lines file (`metrics.jsonl`, one record per line, appended per step).
 *   A process killed mid-write can leave a torn last line; the reader drops it and the next
 *   append first cuts it off, so the file stays valid JSON Lines. A training loop reads
 *   `lastStep()` on start and continues from there.
 * - {@link checkpointed}: a list of named steps whose results are stored one file per step; a
 *   second call after an interruption loads the finished steps and runs only the rest.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { writeJsonAtomic } from "../io/atomic";

/** What {@link readJsonl} found. */
export interface JsonlRead<R> {
  records: R[];
  /** True when the file ended in an incomplete line that was ignored. */
  tornTail: boolean;
  /** Byte length of the valid part (the offset where a torn tail starts). */
  validBytes: number;
}

/**
 * Read a JSON Lines file. Blank lines are skipped. A last line that lacks its newline and does
 * not parse is a torn write and is ignored (`tornTail: true`); a complete last line without a
 * newline (a hand-edited file) is kept. A missing file reads as no records.
 * @throws InputError naming the file and line number when a line in the middle does not parse
 *   (that is real corruption, not an interrupted append).
 */
export function readJsonl<R = Record<string, unknown>>(file: string): JsonlRead<R> {
  if (!fs.existsSync(file)) return { records: [], tornTail: false, validBytes: 0 };
  const buf = fs.readFileSync(file);
  const text = buf.toString("utf8");
  const records: R[] = [];
  const endsWithNewline = text.endsWith("\n");
  const lines = text.split("\n");
  if (endsWithNewline) lines.pop(); // the empty string after the final newline
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i === lines.length - 1;
    const bytes = Buffer.byteLength(line, "utf8") + (isLast && !endsWithNewline ? 0 : 1);
    if (line.trim() === "") {
      offset += bytes;
      continue;
    }
    try {
      records.push(JSON.parse(line) as R);
    } catch (e) {
      if (isLast && !endsWithNewline) return { records, tornTail: true, validBytes: offset };
      throw new InputError(`${file} line ${i + 1} is not valid JSON (${(e as Error).message})`);
    }
    offset += bytes;
  }
  return { records, tornTail: false, validBytes: offset };
}

/**
 * An append-only JSON Lines log, one record per finished step (e.g. `{step, loss, lr}`).
 * @example
 * const log = new JobLog(path.join(dir, "metrics.jsonl"));
 * for (let step = log.lastStep() + 1; step < numSteps; step++) { …; log.append({ step, loss }); }
 */
export class JobLog<R extends object = Record<string, unknown>> {
  private repaired = false;

  /** @param file the `.jsonl` path; created (with its folder) on the first append. */
  constructor(readonly file: string) {}

  /** All complete records, in order (a torn last line is ignored). */
  read(): R[] {
    return readJsonl<R>(this.file).records;
  }

  /** Number of complete records. */
  get length(): number {
    return this.read().length;
  }

  /**
   * The largest `step` field among the records, or −1 when there is none, so a loop can start at
   * `lastStep() + 1`.
   */
  lastStep(): number {
    let last = -1;
    for (const r of this.read()) {
      const s = (r as { step?: unknown }).step;
      if (typeof s === "number" && s > last) last = s;
    }
    return last;
  }

  /**
   * Append one record as one line. The record must be JSON data (finite numbers). Before the first
   * append, a torn tail left by an interrupted writer is cut off; a complete last line without a
   * newline gets one.
   * @throws InputError when the record does not serialise to one JSON object.
   */
  append(record: R): void {
    const line = JSON.stringify(record, (k, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new InputError(`JobLog record field "${k}" is ${v}; use null for a missing value`);
      return v;
    });
    if (line === undefined || !line.startsWith("{")) throw new InputError(`JobLog records must be objects; got ${String(line)}`);
    if (!this.repaired) this.repair();
    // One write call per line: an interruption can only tear this line, never an earlier one.
    fs.appendFileSync(this.file, line + "\n");
  }

  private repair(): void {
    fs.mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
    if (fs.existsSync(this.file)) {
      const r = readJsonl(this.file);
      const size = fs.statSync(this.file).size;
      if (r.tornTail) fs.truncateSync(this.file, r.validBytes);
      else if (size > 0 && !fs.readFileSync(this.file, "utf8").endsWith("\n")) fs.appendFileSync(this.file, "\n");
    }
    this.repaired = true;
  }
}

/** One named step of a {@link checkpointed} job. */
export interface Step {
  /** Unique, filesystem-safe name (letters, digits, `.`, `_`, `-`). */
  name: string;
  /** Does the work. Receives the results of the earlier steps, by name. Must return JSON data. */
  run: (done: Record<string, unknown>) => unknown;
}

/** Options for {@link checkpointed}. */
export interface CheckpointedOptions {
  /** Receives one line per step ("step train: done" / "step train: loaded"). */
  log?: (line: string) => void;
}

/** The step-file format tag. */
export const STEP_FORMAT = "lco-step v1";

/**
 * Run `steps` in order, storing each result as `dir/steps/<name>.json` (atomically) as soon as
 * it finishes. Called again after an interruption, it loads the finished steps and runs only the
 * remaining ones. The folder should belong to one config (use `runDir`); stored steps are not
 * re-validated against the config.
 * @returns every step's result by name (loaded ones are the stored JSON).
 * @throws InputError on a duplicate or unsafe step name; whatever a step throws (finished steps
 *   stay stored).
 */
export async function checkpointed(dir: string, steps: readonly Step[], opts: CheckpointedOptions = {}): Promise<Record<string, unknown>> {
  const seen = new Set<string>();
  for (const s of steps) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.name)) throw new InputError(`invalid step name ${JSON.stringify(s.name)}; use letters, digits, ".", "_" and "-"`);
    if (seen.has(s.name)) throw new InputError(`step name "${s.name}" is used twice`);
    seen.add(s.name);
  }
  const log = opts.log ?? (() => {});
  const done: Record<string, unknown> = {};
  for (const s of steps) {
    const file = path.join(dir, "steps", `${s.name}.json`);
    if (fs.existsSync(file)) {
      const stored = JSON.parse(fs.readFileSync(file, "utf8")) as { format?: string; name?: string; result?: unknown };
      if (stored.format === STEP_FORMAT && stored.name === s.name) {
        done[s.name] = stored.result;
        log(`step ${s.name}: loaded`);
        continue;
      }
    }
    const value = await s.run({ ...done });
    const json = JSON.stringify(value);
    if (json === undefined) throw new InputError(`step ${s.name} returned undefined; return JSON data (null for nothing)`);
    const result: unknown = JSON.parse(json);
    writeJsonAtomic(file, { format: STEP_FORMAT, name: s.name, result });
    done[s.name] = result;
    log(`step ${s.name}: done`);
  }
  return done;
}
