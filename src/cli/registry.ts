/**
 * Every `lco` sub-command, in the order `lco --help` lists them. Add one import and one entry per
 * command; nothing else needs to change.
 */
import type { Command } from "./command";

export const COMMANDS: Command[] = [];
