#!/usr/bin/env node
// `lco`: the kit's command line (npm bin). The code lives in src/cli/ and runs from the built
// dist/ (run `npm run build` after editing src/).
"use strict";
// `lco kernel …`: the Jupyter kernel (bin/lco-kernel.js), started by Jupyter from the project's
// kernelspec. Dispatched before the CLI loads: the kernel must not pay for (or patch after) it.
if (process.argv[2] === "kernel") {
  require("./lco-kernel.js").main(process.argv.slice(3));
} else {
  runCli();
}

function runCli() {
  let cli;
  try {
    cli = require("../dist/cli/main.js");
  } catch (e) {
    if (e && e.code === "MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main/.test(String(e.message))) {
      process.stderr.write("lco: the kit is not built yet; run `npm run build` first\n");
      process.exit(1);
    }
    throw e;
  }
  // Set exitCode instead of calling process.exit() so piped stdout is flushed completely.
  cli.main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`lco: internal error: ${e && e.message ? e.message : e}\n`);
      process.exitCode = 1;
    },
  );
}
