#!/usr/bin/env node
// `npm run notebook` / `lco notebook`: the chapters in Jupyter's notebook UI, with the tslab kernel.
//
//   node scripts/notebook.mjs [--port 8888] [--no-browser]
//
// Starts Debian's `jupyter-notebook` (6.4; Debian has no JupyterLab) for /usr/bin/python3 on the
// chapters (notebook folder: notebooks/), bound to 127.0.0.1 with a fresh random token, and prints the URL of
// chapter 00 (the chapter map). The tslab kernel comes from the project's .jupyter/ folder
// (JUPYTER_PATH) and its `lco kernel` binary from node_modules/.bin (PATH): nothing global is needed
// beyond `bash environment/install.sh`. Works as root (`--allow-root` is passed then). Ctrl-C
// stops the server and its kernels.
//
// `--port 0` picks a free port. The module also exports startNotebookServer() for the browser
// tests.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { registerKernel } from "./notebooks.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.LCO_PYTHON || "/usr/bin/python3";
/** The page the server opens first: chapter 00, whose first cells list every chapter. */
export const FIRST_PAGE = "notebooks/00_setup.ipynb"; // a URL path: /notebooks/ + the file in notebooks/

/** Why the notebook server cannot start here, or null when it can. */
export function notebookUnavailableReason() {
  const r = spawnSync(PYTHON, ["-c", "import notebook.notebookapp, nbformat"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return `the Jupyter notebook server is not installed for ${PYTHON}: run \`bash environment/install.sh\` as root, or \`sudo apt-get install --no-install-recommends jupyter-notebook\``;
  }
  if (!existsSync(join(ROOT, "node_modules", ".bin", "tslab"))) return "node_modules/.bin/tslab is missing: run `bash environment/install.sh` (it runs npm ci)";
  registerKernel(); // .jupyter/'s kernelspec, written or brought up to date (it holds no absolute path)
  if (!existsSync(join(ROOT, "dist", "index.js"))) return "the kit is not built (dist/ is missing): run `npm run build`";
  return null;
}

/** Resolves to a free TCP port on 127.0.0.1 (port 0), or checks that `port` is free. */
export function freePort(port = 0) {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", (e) =>
      rej(
        e.code === "EADDRINUSE"
          ? new Error(`port ${port} on 127.0.0.1 is taken (another Jupyter, perhaps: \`jupyter notebook list\`); pick another with --port N, or --port 0 for any free one`)
          : e,
      ),
    );
    srv.listen(port, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => res(p));
    });
  });
}

/** The environment the server and its kernels need (same as the headless runner's). */
function serverEnv(profile) {
  const env = {
    ...process.env,
    PATH: [join(ROOT, "node_modules", ".bin"), process.env.PATH].join(delimiter),
    JUPYTER_PATH: [join(ROOT, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(delimiter),
    // Runtime files (connection files, the server's info) stay in the project, not in ~.
    JUPYTER_RUNTIME_DIR: join(ROOT, ".jupyter", "runtime"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  if (profile) env.LCO_PROFILE = profile;
  return env;
}

async function waitReady(base, token, child, timeoutMs) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) return false;
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      if (r.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Start the server. Resolves once it answers, to `{port, token, base, url, stop()}`; `url` opens
 * chapter 00 with the token. Rejects with a one-line reason when Jupyter is missing, the port is
 * taken or the server does not come up.
 * @param {{port?: number, browser?: boolean, profile?: string, quiet?: boolean, timeoutMs?: number}} opts
 *   `profile` sets LCO_PROFILE for the kernels; `quiet` sends the server's log to a buffer
 *   (`log()`) instead of this terminal.
 */
export async function startNotebookServer(opts = {}) {
  const reason = notebookUnavailableReason();
  if (reason) throw new Error(reason);
  const port = await freePort(opts.port ?? 8888);
  const token = randomBytes(24).toString("hex");
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/${FIRST_PAGE}?token=${token}`;
  mkdirSync(join(ROOT, ".jupyter", "runtime"), { recursive: true });
  const args = [
    "-m", "notebook",
    `--notebook-dir=${join(ROOT, "notebooks")}`,
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    `--NotebookApp.default_url=/${FIRST_PAGE}`,
    // The kernels' working directory is the notebook's folder; run folders and imports resolve
    // from the project root in the kit itself, whatever the working directory.
    "--MappingKernelManager.default_kernel_name=tslab",
    ...(opts.browser ? [] : ["--no-browser"]),
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  const logLines = [];
  const child = spawn(PYTHON, args, {
    cwd: ROOT,
    env: serverEnv(opts.profile),
    stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    detached: false,
  });
  if (opts.quiet) {
    const keep = (d) => {
      logLines.push(...String(d).split("\n").filter(Boolean));
      if (logLines.length > 400) logLines.splice(0, logLines.length - 400);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
  }
  const exited = new Promise((res) => child.once("exit", (code, signal) => res(code ?? signal)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  if (!(await waitReady(base, token, child, opts.timeoutMs ?? 60_000))) {
    await stop();
    throw new Error(`the notebook server did not come up on ${base}${logLines.length ? `:\n${logLines.slice(-10).join("\n")}` : " (see its log above)"}`);
  }
  return { port, token, base, url, stop, exited, log: () => logLines.join("\n") };
}

function parseArgs(argv) {
  const o = { port: 8888, browser: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-browser") o.browser = false;
    else if (a === "--port" || a.startsWith("--port=")) {
      const v = a.includes("=") ? a.slice(7) : argv[++i];
      const n = Number(v);
      if (!(Number.isInteger(n) && n >= 0 && n <= 65535)) throw new Error(`invalid --port; need an integer 0–65535 (0 = any free port), got ${v === undefined ? "nothing" : `"${v}"`}`);
      o.port = n;
    } else if (a === "--help" || a === "-h") o.help = true;
    else throw new Error(`unknown option ${a}; usage: npm run notebook -- [--port N] [--no-browser]`);
  }
  return o;
}

async function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error(e.message);
    return 2;
  }
  if (o.help) {
    console.log("usage: npm run notebook -- [--port N (default 8888; 0 = any free port)] [--no-browser]\nStarts Jupyter's notebook UI on the chapters with the tslab kernel; Ctrl-C stops it.");
    return 0;
  }
  let server;
  try {
    server = await startNotebookServer({ port: o.port, browser: o.browser });
  } catch (e) {
    console.error(`cannot start the notebook server: ${e.message}`);
    return 1;
  }
  const profile = process.env.LCO_PROFILE || "full (default; start with LCO_PROFILE=smoke for quick runs)";
  console.log(
    [
      "",
      "The chapters are open in Jupyter (kernel: TypeScript, tslab). Open this URL in a browser:",
      "",
      `    ${server.url}`,
      "",
      `All chapters: ${server.base}/tree?token=${server.token}`,
      `Profile: ${profile}. After editing src/: npm run build, then Kernel → Restart.`,
      "Stop with Ctrl-C.",
      "",
    ].join("\n"),
  );
  const onSignal = () => void server.stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const code = await server.exited;
  return typeof code === "number" ? code : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => (process.exitCode = c));
}
