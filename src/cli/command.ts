/**
 * The contract every `lco` sub-command implements. `src/cli/registry.ts` lists the commands;
 * `src/cli/main.ts` dispatches `lco <name> ...args` to `run`.
 *
 * Exit codes: 0 success; 2 bad input or usage (any `InputError`, including {@link UsageError});
 * 1 anything else.
 * With `--json`, the last line a command prints to stdout is one JSON object.
 * Also here: the process's {@link stdio} and {@link packageVersion}, which `main.ts` needs before
 * any command module is loaded.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";

/**
 * Thrown for bad usage (unknown flag, missing argument). Like any {@link InputError}, the CLI
 * prints the message and exits with code 2.
 */
export class UsageError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Where a command writes; injectable so tests can capture output without spawning. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

/** One sub-command of `lco`. */
export interface Command {
  /** Sub-command name, e.g. `"anisotropy"`; may contain a space for groups (`"bench train"`). */
  name: string;
  /** One line for `lco --help`. */
  summary: string;
  /** Full usage text for `lco <name> --help`. */
  usage: string;
  /** Run with the arguments after the name. Resolves to the exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** The `io` that writes to the real process streams. */
export const stdio: CliIO = {
  out: (line) => void process.stdout.write(line + "\n"),
  err: (line) => void process.stderr.write(line + "\n"),
};

/** The kit's version from package.json (two folders up from both `src/cli` and `dist/cli`). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
