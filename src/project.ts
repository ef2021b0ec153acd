/**
 * Where the project is: the folder holding `package.json`, `data/` and `runs/`. Computed from this
 * file's own location (`src/` under tsx, `dist/` in the built package), so tests, the CLI and
 * notebooks find the same files whatever the working directory (a notebook kernel starts in
 * `notebooks/`).
 *
 * @module
 */
import * as path from "node:path";

/** Absolute path of the project root. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Absolute path of a project-relative file (absolute paths are returned unchanged). */
export function projectPath(rel: string, root: string = PROJECT_ROOT): string {
  return path.isAbsolute(rel) ? rel : path.join(root, rel);
}
