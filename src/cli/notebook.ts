/**
 * `lco notebook`: the chapters in Jupyter's notebook UI with the tslab kernel. The server logic
 * lives in `scripts/notebook.mjs` (also `npm run notebook`); this command runs it, so both routes
 * behave the same.
 *
 * @module
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { CliIO, Command } from "./command";

const USAGE = `usage: lco notebook [--port N] [--no-browser]

Start Debian's Jupyter notebook server (127.0.0.1, with a token) on the chapters in notebooks/,
with the TypeScript (tslab) kernel, and print the URL of chapter 00. Ctrl-C stops it.
  --port        port on 127.0.0.1 (default 8888; 0 = any free port); a taken port is an error
  --no-browser  do not open a browser (print the URL only)
LCO_PROFILE=smoke|full|large sets the profile of the chapters' kernels (default full).`;

/** The `notebook` command. */
export const notebookCommand: Command = {
  name: "notebook",
  summary: "open the chapters in Jupyter's notebook UI (tslab kernel)",
  usage: USAGE,
  run(argv: string[], _io: CliIO): Promise<number> {
    // dist/cli/notebook.js and src/cli/notebook.ts are both two levels below the project root.
    const script = path.join(__dirname, "..", "..", "scripts", "notebook.mjs");
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [script, ...argv], { stdio: "inherit" });
      // Ctrl-C reaches both processes; the script stops the server, we wait for it.
      const ignore = () => undefined;
      process.on("SIGINT", ignore);
      child.on("exit", (code) => {
        process.off("SIGINT", ignore);
        resolve(code ?? 1);
      });
    });
  },
};
