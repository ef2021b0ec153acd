#!/usr/bin/env node
// Print the live versions and the active TF.js backend next to the versions the kit was tested
// with (environment/versions.json). `npm run env` ; `--json` for one JSON line. Exit 0 always:
// differences are reported, not fatal (the tests decide whether anything is broken).
import { createRequire } from "node:module";
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { kernelStatus } from "../scripts/notebooks.mjs";

const require = createRequire(import.meta.url);
const tested = JSON.parse(readFileSync(new URL("./versions.json", import.meta.url), "utf8"));
const pkgVersion = (name) => {
  try { return require(`${name}/package.json`).version; } catch { return "not installed"; }
};
const sh = (cmd, args) => {
  try { return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(); } catch { return "not found"; }
};
const py = sh("/usr/bin/python3", ["-c", "import sys,nbclient,nbconvert,jupyter_client;print(sys.version.split()[0],nbclient.__version__,nbconvert.__version__,jupyter_client.__version__)"]).split(" ");

let backend = "dist/ not built (run npm run build)";
let native = backend;
if (existsSync(new URL("../dist/index.js", import.meta.url))) {
  const lco = require("../dist/index.js");
  const info = await lco.initBackend();
  backend = lco.describeBackend(info);
  // Which compute path the matrix products take, and why (issue 13; src/backend/native.ts).
  const n = info.native;
  native = !n ? "not applicable (backend is not wasm)" : n.active ? lco.describeNative(n) : `off: ${n.reason}; matrix products run on wasm`;
}
const live = {
  node: process.versions.node,
  npm: sh("npm", ["--version"]),
  typescript: pkgVersion("typescript"),
  tslab: pkgVersion("tslab"),
  tslabTypescript: pkgVersion("@tslab/typescript-for-tslab"),
  tfjs: pkgVersion("@tensorflow/tfjs"),
  "tfjs-backend-wasm": pkgVersion("@tensorflow/tfjs-backend-wasm"),
  "tfjs-node-gpu (optional)": pkgVersion("@tensorflow/tfjs-node-gpu"),
  python3: py[0] ?? "not found",
  nbclient: py[1] ?? "not installed",
  nbconvert: py[2] ?? "not installed",
  jupyter_client: py[3] ?? "not installed",
  chromium: existsSync("/usr/bin/chromium") ? sh("/usr/bin/chromium", ["--version"]).replace(/^Chromium\s+/, "").split(" ")[0] : "not installed",
  tslabKernel: { current: "registered in .jupyter/ (lco kernel)", missing: "not registered (run bash environment/install.sh)", "out of date": "out of date (run bash environment/install.sh)" }[kernelStatus()],
  backend,
  "native BLAS": native,
  profile: process.env.LCO_PROFILE ?? "full (default)",
};
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ live, tested }));
} else {
  const w = Math.max(...Object.keys(live).map((k) => k.length));
  for (const [k, v] of Object.entries(live)) {
    const t = tested[k];
    // Compare on the first word of the tested value ("3.11.2 (/usr/bin/python3, Debian)" → "3.11.2").
    const same = t === undefined || String(v).includes(String(t).split(" ")[0]);
    const note = same ? "" : `   (tested: ${t})`;
    console.log(`${k.padEnd(w)}  ${v}${note}`);
  }
}
