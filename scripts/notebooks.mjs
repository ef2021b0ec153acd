#!/usr/bin/env node
// Notebook hygiene and execution.
//
//   node scripts/notebooks.mjs check [files…]   exit 1, naming the files, if a notebook has outputs,
//                                               execution counts, missing cell ids or metadata
//                                               that `clean` would strip
//   node scripts/notebooks.mjs clean [files…]   strip outputs, execution counts and metadata other
//                                               than the kernelspec and cell tags; write nbformat
//                                               4.5 with cell ids
//   node scripts/notebooks.mjs register-kernel [--check]
//                                               write the project's tslab kernelspec into .jupyter/
//                                               when missing or out of date (--check: exit 1 and say so)
//   node scripts/notebooks.mjs run [--profile smoke|full|large (default: LCO_PROFILE, else full)] [--out out/notebooks]
//                                  [--timeout 600] [--no-html] [names or paths…]
//                                               (--timeout is per cell; a cell tagged
//                                               `timeout-<seconds>` gets that limit if longer)
//                                               execute notebooks with the tslab kernel (nbclient,
//                                               scripts/run_nb.py); write executed copies and an
//                                               HTML export of each into --out; exit 1 if a cell
//                                               failed, naming notebook, cell and error
//
// Names select notebooks in notebooks/ by prefix or substring ("00", "setup"); a path ending in
// .ipynb is used as is. Without names, every notebooks/*.ipynb.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NB_DIR = join(ROOT, "notebooks");
/** The kernelspec every chapter uses (tslab). */
export const KERNELSPEC = { display_name: "TypeScript", language: "typescript", name: "tslab" };
const PYTHON = process.env.LCO_PYTHON || "/usr/bin/python3";

// ------------------------------------------------------------------------------------------
// The kernelspec, in the project-local Jupyter prefix .jupyter/ (no global state). It holds no
// absolute path: Jupyter finds it through JUPYTER_PATH and `lco` through node_modules/.bin on
// PATH (kernelEnv and scripts/notebook.mjs set both). `lco kernel` is tslab's kernel with the
// zeromq send queue installed before any socket exists (bin/lco-kernel.js).

/** The kernelspec file. */
export const KERNEL_FILE = join(ROOT, ".jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json");
/** Its content. */
export const KERNEL_JSON = { argv: ["lco", "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript (lco-kit)", language: "typescript" };

/** "current", "missing" or "out of date" (an older argv, e.g. a bare `tslab kernel`). */
export function kernelStatus() {
  if (!existsSync(KERNEL_FILE)) return "missing";
  try {
    return JSON.stringify(sortKeys(JSON.parse(readFileSync(KERNEL_FILE, "utf8")))) === JSON.stringify(sortKeys(KERNEL_JSON)) ? "current" : "out of date";
  } catch {
    return "out of date";
  }
}

/** Write the kernelspec unless it is current; returns the status it had. */
export function registerKernel() {
  const status = kernelStatus();
  if (status !== "current") {
    mkdirSync(dirname(KERNEL_FILE), { recursive: true });
    writeAtomic(KERNEL_FILE, JSON.stringify(KERNEL_JSON) + "\n");
  }
  return status;
}

// ------------------------------------------------------------------------------------------
// JSON in nbformat's own layout (sorted keys, indent 1, trailing newline), so a notebook saved
// by Jupyter and one cleaned here differ only where the content differs.

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
export function nbJson(nb) {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}
/** nbformat stores multi-line strings as arrays of lines, each but the last ending in "\n". */
function splitLines(src) {
  const s = Array.isArray(src) ? src.join("") : String(src ?? "");
  if (s === "") return [];
  return s.match(/[^\n]*\n|[^\n]+$/g);
}
function writeAtomic(file, text) {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

// ------------------------------------------------------------------------------------------
// check / clean

/** Problems that make a committed notebook unclean, one string each. */
export function notebookProblems(nb) {
  const problems = [];
  if (nb.nbformat !== 4 || (nb.nbformat_minor ?? 0) < 5) problems.push(`nbformat ${nb.nbformat}.${nb.nbformat_minor} (need 4.5, with cell ids)`);
  const extraMeta = Object.keys(nb.metadata ?? {}).filter((k) => k !== "kernelspec");
  if (extraMeta.length) problems.push(`notebook metadata ${extraMeta.join(", ")}`);
  const ks = nb.metadata?.kernelspec;
  if (!ks || ks.name !== KERNELSPEC.name) problems.push(`kernelspec ${JSON.stringify(ks?.name)} (need "tslab")`);
  (nb.cells ?? []).forEach((c, i) => {
    if (c.cell_type === "code" && c.outputs?.length) problems.push(`cell ${i} has ${c.outputs.length} output(s)`);
    if (c.cell_type === "code" && c.execution_count != null) problems.push(`cell ${i} has execution count ${c.execution_count}`);
    if (!c.id) problems.push(`cell ${i} has no id`);
    const extra = Object.keys(c.metadata ?? {}).filter((k) => k !== "tags");
    if (extra.length) problems.push(`cell ${i} metadata ${extra.join(", ")}`);
    if (c.attachments) problems.push(`cell ${i} has attachments`);
  });
  return problems;
}

/** A cleaned copy: no outputs or counts, only kernelspec + tags metadata, nbformat 4.5 with ids. */
export function cleanNotebook(nb, name = "") {
  const used = new Set();
  const cells = (nb.cells ?? []).map((c, i) => {
    // Keep existing ids; give missing (or duplicate) ones a stable id derived from the
    // notebook name and position, so cleaning twice gives the same file.
    let id = typeof c.id === "string" && /^[a-zA-Z0-9-_]{1,64}$/.test(c.id) && !used.has(c.id) ? c.id : null;
    for (let k = 0; !id || used.has(id); k++) id = createHash("sha256").update(`${name}:${i}:${k}`).digest("hex").slice(0, 8);
    used.add(id);
    const tags = Array.isArray(c.metadata?.tags) && c.metadata.tags.length ? { tags: c.metadata.tags } : {};
    const out = { cell_type: c.cell_type, id, metadata: tags, source: splitLines(c.source) };
    if (c.cell_type === "code") Object.assign(out, { execution_count: null, outputs: [] });
    return out;
  });
  return { cells, metadata: { kernelspec: nb.metadata?.kernelspec ?? KERNELSPEC }, nbformat: 4, nbformat_minor: 5 };
}

function readNb(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read notebook ${file}: ${e.message}`);
  }
}

// ------------------------------------------------------------------------------------------
// run

function selectNotebooks(names) {
  const all = existsSync(NB_DIR) ? readdirSync(NB_DIR).filter((f) => f.endsWith(".ipynb")).sort() : [];
  if (!names.length) return all.map((f) => join(NB_DIR, f));
  return names.map((n) => {
    if (n.endsWith(".ipynb") && existsSync(n)) return resolve(n);
    const hits = all.filter((f) => f.startsWith(n)).length ? all.filter((f) => f.startsWith(n)) : all.filter((f) => f.includes(n));
    if (hits.length !== 1) throw new Error(`notebook name "${n}" matches ${hits.length ? hits.join(", ") : "nothing"} in notebooks/ (${all.join(", ") || "empty"})`);
    return join(NB_DIR, hits[0]);
  });
}

/** The environment the kernel needs: node_modules/.bin on PATH, the project-local JUPYTER_PATH. */
export function kernelEnv(profile) {
  return {
    ...process.env,
    PATH: [join(ROOT, "node_modules", ".bin"), process.env.PATH].join(delimiter),
    JUPYTER_PATH: [join(ROOT, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(delimiter),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    LCO_PROFILE: profile,
  };
}

function indent(s, pad = "    ") {
  return s.split("\n").map((l) => pad + l).join("\n");
}

/** Execute one notebook; returns {ok, seconds, failures, outFile, htmlFile, bytes}. */
export function runNotebook(file, { profile, outDir, timeout, html }) {
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, basename(file));
  const t0 = Date.now();
  const r = spawnSync(PYTHON, [join(ROOT, "scripts", "run_nb.py"), file, outFile, "--timeout", String(timeout)], {
    cwd: ROOT, // the kernel's working directory (see run_nb.py)
    env: kernelEnv(profile),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = (r.stdout ?? "").split("\n").reverse().find((l) => l.startsWith("LCO-RESULT "));
  let result;
  if (line) result = JSON.parse(line.slice("LCO-RESULT ".length));
  else {
    const why = r.error ? r.error.message : (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").slice(-8).join("\n");
    result = { ok: false, failures: [{ cell: null, first_line: "", error: `the runner failed: ${why}` }] };
  }
  result.seconds = (Date.now() - t0) / 1000;
  result.outFile = outFile;
  result.bytes = existsSync(outFile) ? readFileSync(outFile).length : 0;
  if (html && existsSync(outFile)) {
    const h = spawnSync(PYTHON, ["-m", "nbconvert", "--to", "html", "--log-level", "WARN", outFile], { cwd: ROOT, env: kernelEnv(profile), encoding: "utf8" });
    result.htmlFile = outFile.replace(/\.ipynb$/, ".html");
    if (h.status !== 0) result.htmlError = (h.stderr || h.stdout).trim().split("\n").slice(-3).join("\n");
  }
  return result;
}

/** True when the Jupyter side (nbclient + nbformat for /usr/bin/python3) is installed. */
export function jupyterAvailable() {
  const r = spawnSync(PYTHON, ["-c", "import nbclient, nbformat"], { encoding: "utf8" });
  return r.status === 0;
}

function parseRunArgs(argv) {
  // The profile: --profile, else LCO_PROFILE, else full (what `npm run notebooks` means).
  const o = { profile: process.env.LCO_PROFILE || "full", outDir: join(ROOT, "out", "notebooks"), timeout: 600, html: true, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--profile") o.profile = val();
    else if (a === "--out") o.outDir = resolve(val());
    else if (a === "--timeout") o.timeout = Number(val());
    else if (a === "--no-html") o.html = false;
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else o.names.push(a);
  }
  if (!["smoke", "full", "large"].includes(o.profile)) throw new Error(`invalid --profile (or LCO_PROFILE); expected smoke, full or large, got "${o.profile}"`);
  if (!(Number.isInteger(o.timeout) && o.timeout > 0)) throw new Error(`invalid --timeout; need a positive integer of seconds, got ${o.timeout}`);
  return o;
}

// ------------------------------------------------------------------------------------------

function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === "check" || cmd === "clean") {
    const files = rest.length ? rest.map((f) => resolve(f)) : selectNotebooks([]);
    let bad = 0;
    for (const f of files) {
      const nb = readNb(f);
      if (cmd === "check") {
        const p = notebookProblems(nb);
        if (p.length) {
          bad++;
          console.error(`✗ ${f.replace(ROOT + "/", "")}: ${p.slice(0, 6).join("; ")}${p.length > 6 ? `; … (${p.length} problems)` : ""}`);
        }
      } else {
        const text = nbJson(cleanNotebook(nb, basename(f)));
        if (text !== readFileSync(f, "utf8")) {
          writeAtomic(f, text);
          console.log(`cleaned ${f.replace(ROOT + "/", "")}`);
        }
      }
    }
    if (cmd === "check") {
      if (bad) {
        console.error(`${bad} notebook(s) not clean; run: node scripts/notebooks.mjs clean`);
        return 1;
      }
      console.log(`${files.length} notebook(s) clean`);
    }
    return 0;
  }
  if (cmd === "register-kernel") {
    const status = kernelStatus();
    if (rest.includes("--check")) {
      if (status !== "current") console.error(`the tslab kernelspec in .jupyter/ is ${status}: run node scripts/notebooks.mjs register-kernel`);
      return status === "current" ? 0 : 1;
    }
    registerKernel();
    if (status !== "current") console.log(`tslab kernel registered in ${KERNEL_FILE.replace(ROOT + "/", "")} (was ${status})`);
    return 0;
  }
  if (cmd === "run") {
    const o = parseRunArgs(rest);
    registerKernel(); // an older checkout's kernelspec would start the kernel without the send queue
    if (!jupyterAvailable()) {
      console.error(`Jupyter is not installed for ${PYTHON} (need nbclient, nbformat): run bash environment/install.sh`);
      return 1;
    }
    const files = selectNotebooks(o.names);
    if (!files.length) {
      console.error("no notebooks to run");
      return 1;
    }
    let failed = 0;
    for (const f of files) {
      const name = f.startsWith(ROOT + "/") ? f.slice(ROOT.length + 1) : f;
      process.stderr.write(`running ${name} (profile ${o.profile}) … `);
      const r = runNotebook(f, o);
      const size = `${(r.bytes / 1024).toFixed(0)} kB`;
      if (r.failures.length === 0) process.stderr.write(`ok in ${r.seconds.toFixed(1)} s, ${size}\n`);
      else {
        failed++;
        process.stderr.write(`FAILED in ${r.seconds.toFixed(1)} s\n`);
        for (const x of r.failures) {
          console.error(`✗ ${name}: cell ${x.cell ?? "?"}${x.first_line ? ` (${x.first_line.slice(0, 80)})` : ""} failed:\n${indent(x.error.trimEnd())}`);
          if (x.kernel_stderr) console.error(`  the kernel's last stderr lines:\n${indent(x.kernel_stderr.trimEnd())}`);
        }
      }
      if (r.htmlError) console.error(`  HTML export failed: ${r.htmlError}`);
    }
    console.error(`${files.length - failed}/${files.length} notebook(s) ran cleanly; executed copies in ${o.outDir}`);
    return failed ? 1 : 0;
  }
  console.error("usage: node scripts/notebooks.mjs check|clean [files…] | register-kernel [--check] | run [--profile smoke|full|large] [--out DIR] [--timeout S] [--no-html] [names…]");
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exitCode = 2;
  }
}
