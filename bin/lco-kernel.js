#!/usr/bin/env node
// `lco kernel --config-path FILE [--js]` (also `node bin/lco-kernel.js …`): tslab's Jupyter
// kernel with the kit's zeromq send queue (src/display/send-queue.ts) installed before tslab
// creates a socket. The project's kernelspec (.jupyter/share/jupyter/kernels/tslab/kernel.json,
// written by `node scripts/notebooks.mjs register-kernel`) starts this instead of `tslab kernel`:
// on a loaded machine the client's kernel_info request can arrive while tslab's sockets are still
// binding, and zeromq's refusal then kills the kernel at start-up, long before a notebook imports
// the kit. It goes through the `lco` binary because that one is linked into node_modules/.bin
// already (a new binary would need `npm ci` again in every existing checkout).
"use strict";

function fail(msg) {
  process.stderr.write(`lco kernel: ${msg}\n`);
  process.exit(2);
}

/** Start the kernel; `args` as after `lco kernel`. */
function main(args) {
  let configPath = "";
  let jsKernel = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--config-path") configPath = args[++i] ?? fail("--config-path needs a file");
    else if (a.startsWith("--config-path=")) configPath = a.slice("--config-path=".length);
    else if (a === "--js") jsKernel = true;
    else fail(`unknown argument ${JSON.stringify(a)}; usage: lco kernel --config-path FILE [--js]`);
  }
  if (!configPath) fail("--config-path FILE is required (Jupyter passes the connection file)");

  let queue;
  try {
    queue = require("../dist/display/send-queue.js");
  } catch (e) {
    if (e && e.code === "MODULE_NOT_FOUND") fail("the kit is not built yet; run `npm run build` first");
    throw e;
  }
  if (!queue.installSendQueue()) {
    process.stderr.write("lco kernel: tslab's zeromq sockets could not be patched; starting without the send queue\n");
  }
  // This tslab (the one whose zeromq was just patched), not one found from the working directory.
  const tslab = require("tslab/dist/main.js");
  tslab.startKernel({ configPath, jsKernel, enableFindLocal: false, globalVersion: require("tslab/package.json").version });
}

module.exports = { main };
if (require.main === module) main(process.argv.slice(2));
