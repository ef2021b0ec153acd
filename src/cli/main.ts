/**
 * `lco`: the kit's command line. `bin/lco.js` calls {@link main} with `process.argv.slice(2)`.
 *
 *   lco --help                 list the commands
 *   lco <command> --help       usage of one command
 *   lco --version              the kit's version
 *
 * Dispatch finds the longest command name whose words start the arguments, so two-word names
 * (`bench train`) work next to one-word ones. Exit codes follow `./command.ts`: 0 success,
 * 2 bad input or usage (any `InputError`, one line on stderr, nothing on stdout), 1 anything else.
 *
 * @module
 */
import { InputError } from "../array";
import { type CliIO, type Command, packageVersion, stdio } from "./command";
import { COMMANDS } from "./registry";

/** The overview printed by `lco --help`. */
export function helpText(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  const lines = [
    "usage: lco <command> [arguments] [--json]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `lco <command> --help` for a command's usage. With --json the last line of stdout is one JSON object.",
    "Exit codes: 0 ok, 2 bad input or usage, 1 internal error.",
  ];
  return lines.join("\n");
}

/** The command whose name's words start `argv` (longest match), and the remaining arguments. */
export function findCommand(argv: readonly string[], commands: readonly Command[] = COMMANDS): { command: Command; rest: string[] } | null {
  let best: { command: Command; rest: string[] } | null = null;
  let bestLen = 0;
  for (const command of commands) {
    const words = command.name.split(" ");
    if (words.length > bestLen && words.every((w, i) => argv[i] === w)) {
      best = { command, rest: argv.slice(words.length) };
      bestLen = words.length;
    }
  }
  return best;
}

/** True when the arguments ask for help (`--help` / `-h` before any `--`). */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/** Message of any thrown value, on one line. */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, " ");
}

/**
 * Run `lco` with `argv` (the arguments after `lco`).
 * @param io where output goes (default: the process's stdout/stderr); tests pass a recorder.
 * @param commands the command table (default {@link COMMANDS}).
 * @returns the exit code.
 */
export async function main(argv: readonly string[], io: CliIO = stdio, commands: readonly Command[] = COMMANDS): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.err(helpText(commands));
    return 2;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    io.out(helpText(commands));
    return 0;
  }
  if (first === "--version" || first === "-V") {
    io.out(packageVersion());
    return 0;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    // A group word alone (`lco bench`) or with an unknown sub-command: list the group.
    const group = commands.filter((c) => c.name.startsWith(first + " "));
    if (group.length > 0) {
      const sub = argv[1] === undefined ? "a sub-command" : `a known sub-command (got ${JSON.stringify(argv[1])})`;
      io.err(`lco ${first} needs ${sub}: ${group.map((c) => c.name).join(", ")}`);
    } else {
      io.err(`lco: unknown command ${JSON.stringify(first)}; run \`lco --help\` for the list`);
    }
    return 2;
  }
  const { command, rest } = found;
  if (wantsHelp(rest)) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`lco ${command.name}: ${oneLine(e)}`);
      return 2;
    }
    io.err(`lco ${command.name}: internal error: ${oneLine(e)}`);
    if (process.env.LCO_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}
