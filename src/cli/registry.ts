/**
 * Every `lco` sub-command, in the order `lco --help` lists them. Add one import and one entry per
 * command; nothing else needs to change (`main.ts` dispatches by name, including two-word names
 * such as `"bench train"`).
 */
import type { Command } from "./command";
import { alignCommand } from "./align";
import { anisotropyCommand } from "./anisotropy";
import { retrievalCommand } from "./retrieval";
import { benchTrainCommand } from "./bench";
import { embedCommand, organismTrainCommand } from "./organism";
import { experimentCommand } from "./experiment";
import { refineCommand } from "./refine";
import { notebookCommand } from "./notebook";
import { sweepCommands } from "./sweep";

/** The command table `main()` dispatches over (order = `lco --help` order). */
export const COMMANDS: Command[] = [anisotropyCommand, alignCommand, retrievalCommand, benchTrainCommand, organismTrainCommand, refineCommand, embedCommand, experimentCommand, ...sweepCommands, notebookCommand];
