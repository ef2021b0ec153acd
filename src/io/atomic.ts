/**
 * Atomic file writes: nothing half-written is ever left behind. We write to a temporary file in
 * the same directory (same filesystem, so `rename` is atomic on POSIX) and rename it over the
 * target; on failure the temporary file is removed.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";

let counter = 0;

/** Write `data` to `file` atomically, creating parent directories. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Write pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}
