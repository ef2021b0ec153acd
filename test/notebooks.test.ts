import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The notebook tools are an ES module script (scripts/notebooks.mjs); load it dynamically.
interface NbTools {
  notebookProblems(nb: unknown): string[];
  cleanNotebook(nb: unknown, name?: string): Record<string, unknown>;
  nbJson(nb: unknown): string;
  jupyterAvailable(): boolean;
  KERNELSPEC: Record<string, string>;
}
const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts", "notebooks.mjs");
const NB_DIR = path.join(ROOT, "notebooks");
const tools = import(SCRIPT) as Promise<NbTools>;
const notebooks = fs.existsSync(NB_DIR) ? fs.readdirSync(NB_DIR).filter((f) => f.endsWith(".ipynb")).sort() : [];
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `lco-${name}-`));

/** A notebook as Jupyter saves it after a run: outputs, counts, extra metadata, no ids. */
function dirtyNotebook(sources: string[], tags: string[][] = []) {
  return {
    cells: sources.map((s, i) => ({
      cell_type: "code",
      execution_count: i + 1,
      metadata: { collapsed: false, ...(tags[i] ? { tags: tags[i] } : {}) },
      outputs: [{ output_type: "stream", name: "stdout", text: ["x\n"] }],
      source: s,
    })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" }, widgets: {} },
    nbformat: 4,
    nbformat_minor: 2,
  };
}

/** Run `notebooks.mjs` with arguments; returns exit status and output. */
function runScript(args: string[], timeoutMs: number, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, error: r.error };
}

test("clean strips outputs, counts and extra metadata, keeps tags and kernelspec, adds ids; cleaning is idempotent", async () => {
  const { notebookProblems, cleanNotebook, nbJson } = await tools;
  const dirty = dirtyNotebook(["const a = 1;\nconsole.log(a)", "a"], [["figure:demo"]]);
  const problems = notebookProblems(dirty);
  for (const p of [/nbformat 4\.2/, /notebook metadata language_info, widgets/, /cell 0 has 1 output/, /cell 1 has execution count 2/, /cell 0 has no id/, /cell 0 metadata collapsed/]) {
    assert.ok(problems.some((x) => p.test(x)), `expected a problem matching ${p} in ${problems.join("; ")}`);
  }
  const clean = cleanNotebook(dirty, "x.ipynb") as { cells: Record<string, unknown>[]; metadata: unknown; nbformat_minor: number };
  assert.deepEqual(notebookProblems(clean), []);
  assert.equal(clean.nbformat_minor, 5);
  assert.deepEqual(clean.metadata, { kernelspec: dirty.metadata.kernelspec });
  assert.deepEqual(clean.cells[0].metadata, { tags: ["figure:demo"] });
  assert.deepEqual(clean.cells[0].source, ["const a = 1;\n", "console.log(a)"]);
  assert.deepEqual([clean.cells[0].outputs, clean.cells[0].execution_count], [[], null]);
  assert.notEqual(clean.cells[0].id, clean.cells[1].id);
  const text = nbJson(clean);
  assert.equal(nbJson(cleanNotebook(JSON.parse(text), "x.ipynb")), text, "cleaning a clean notebook changes nothing");
});

test("committed notebooks are clean (no outputs, no execution counts, cell ids, tslab kernelspec)", async () => {
  const { notebookProblems } = await tools;
  for (const f of notebooks) {
    const problems = notebookProblems(JSON.parse(fs.readFileSync(path.join(NB_DIR, f), "utf8")));
    assert.deepEqual(problems, [], `notebooks/${f} is not clean (run npm run nb:clean): ${problems.join("; ")}`);
  }
  const r = runScript(["check"], 60_000);
  assert.equal(r.status, 0, r.out);
});

test("the check command fails naming a notebook that has outputs", async () => {
  const dir = tmp("nbcheck");
  const file = path.join(dir, "01_dirty.ipynb");
  fs.writeFileSync(file, JSON.stringify(dirtyNotebook(["1"])));
  const r = runScript(["check", file], 60_000);
  assert.equal(r.status, 1);
  assert.match(r.out, /01_dirty\.ipynb: .*cell 0 has 1 output/);
  assert.equal(runScript(["clean", file], 60_000).status, 0);
  assert.equal(runScript(["check", file], 60_000).status, 0);
});

// ---------------------------------------------------------------------------------------------
// Execution through the real kernel. Skipped only when Jupyter itself is missing.

const NOTEBOOK_TIMEOUT_MS = 20 * 60 * 1000;
let skipReason: string | false = false;
{
  const r = spawnSync(process.env.LCO_PYTHON || "/usr/bin/python3", ["-c", "import nbclient, nbformat"], { encoding: "utf8" });
  if (r.status !== 0) skipReason = "Jupyter (nbclient, nbformat for /usr/bin/python3) is not installed; run bash environment/install.sh";
}

test("the runner names the notebook, cell and error of a failing cell, and still runs the cells after it", { skip: skipReason, timeout: NOTEBOOK_TIMEOUT_MS }, async () => {
  const { cleanNotebook, nbJson } = await tools;
  const dir = tmp("nbrun");
  const file = path.join(dir, "98_broken.ipynb");
  const nb = cleanNotebook(
    dirtyNotebook(['console.log("before");', 'const x = 1;\nthrow new Error("deliberate failure 42");', 'console.log("after", process.env.LCO_PROFILE);']),
    "98_broken.ipynb",
  );
  fs.writeFileSync(file, nbJson(nb));
  const out = path.join(dir, "out");
  const r = runScript(["run", "--profile", "smoke", "--out", out, file], NOTEBOOK_TIMEOUT_MS);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /98_broken\.ipynb: cell 1 \(const x = 1;\) failed:\n[\s\S]*Error: deliberate failure 42/);
  const executed = JSON.parse(fs.readFileSync(path.join(out, "98_broken.ipynb"), "utf8"));
  const text = (i: number) => executed.cells[i].outputs.map((o: { text?: string[] | string }) => [o.text ?? ""].flat().join("")).join("");
  assert.match(text(0), /before/);
  assert.match(text(2), /after smoke/, "the cell after the failure ran (0.3 s pause past tslab's abort window), with LCO_PROFILE set");
  assert.ok(fs.existsSync(path.join(out, "98_broken.html")), "HTML export written");
});

test("a dying kernel is reported against the cell that was running (even with outputs) with the kernel's last stderr lines; LCO_PROFILE is honoured without --profile", { skip: skipReason, timeout: NOTEBOOK_TIMEOUT_MS }, async () => {
  const { cleanNotebook, nbJson } = await tools;
  const dir = tmp("nbdie");
  const file = path.join(dir, "97_dies.ipynb");
  const nb = cleanNotebook(
    dirtyNotebook([
      'console.log("profile", process.env.LCO_PROFILE);',
      // Output first, then the process dies: its last words go to the real stderr (fd 2), which
      // tslab does not forward to the notebook.
      'console.log("started");\nawait new Promise((r) => setTimeout(r, 300));\nrequire("node:fs").writeSync(2, "LCO-TEST last words of the kernel\\n");\nprocess.exit(3);',
      'console.log("never");',
    ]),
    "97_dies.ipynb",
  );
  fs.writeFileSync(file, nbJson(nb));
  const out = path.join(dir, "out");
  const r = runScript(["run", "--no-html", "--out", out, file], NOTEBOOK_TIMEOUT_MS, { LCO_PROFILE: "large" });
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /97_dies\.ipynb: cell 1 \(console\.log\("started"\);\) failed:\n\s+the kernel died/);
  assert.match(r.out, /the kernel's last stderr lines:\n[\s\S]*LCO-TEST last words of the kernel/);
  assert.doesNotMatch(r.out, /cell 2/);
  const executed = JSON.parse(fs.readFileSync(path.join(out, "97_dies.ipynb"), "utf8"));
  const text = (i: number) => executed.cells[i].outputs.map((o: { text?: string[] | string }) => [o.text ?? ""].flat().join("")).join("");
  assert.match(text(0), /profile large/, "LCO_PROFILE reached the kernel although no --profile was given");
  assert.match(text(1), /started/);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.doesNotMatch(pkg.scripts.notebooks, /--profile/, "npm run notebooks must leave the profile to LCO_PROFILE (default full)");
});

test("the kernel's sockets queue from start-up; thousands of in-place display updates in one cell: the kernel survives, the output is one display updated to its final state", { skip: skipReason, timeout: NOTEBOOK_TIMEOUT_MS }, async () => {
  // Without the send queue (src/display/send-queue.ts) zeromq throws EBUSY after 512 messages:
  // the display freezes near step 500 and the cell fails or the kernel dies.
  const { cleanNotebook, nbJson } = await tools;
  const dir = tmp("nbprogress");
  const file = path.join(dir, "96_progress.ipynb");
  const nb = cleanNotebook(
    dirtyNotebook([
      // Before the kit is imported: `lco kernel` (the registered kernelspec) installed the queue
      // before tslab bound its sockets and answered kernel_info (the start-up crash).
      'const zmq = require(require.resolve("zeromq", { paths: [require("node:path").dirname(require.resolve("tslab/package.json"))] }));\nconsole.log("queue at start-up:", ["Publisher", "Router", "Reply"].map((k) => zmq[k].prototype.send.__lcoSendQueue === true).join(","));',
      'import * as lco from "lco-kit";\nconst n = 4000;\nconst bar = lco.display.progress(n, { label: "long", minIntervalMs: 0 });\nfor (let i = 1; i <= n; i++) bar.update(i, `loss ${(1 / i).toFixed(4)}`);',
      // The default throttle, in a loop that yields: few updates, final state always drawn.
      'const bar2 = lco.display.progress(300, { label: "throttled" });\nfor (let i = 1; i <= 300; i++) { await new Promise((r) => setImmediate(r)); bar2.update(i); }',
      'console.log("alive after", n, "updates");',
    ]),
    "96_progress.ipynb",
  );
  fs.writeFileSync(file, nbJson(nb));
  const out = path.join(dir, "out");
  const r = runScript(["run", "--profile", "smoke", "--no-html", "--out", out, file], NOTEBOOK_TIMEOUT_MS);
  assert.equal(r.status, 0, r.out);
  const executed = JSON.parse(fs.readFileSync(path.join(out, "96_progress.ipynb"), "utf8"));
  assert.match([executed.cells[0].outputs[0].text].flat().join(""), /queue at start-up: true,true,true/);
  for (const [i, final] of [[1, /^long \[#{20}\] 4000\/4000 100% · .* · done · loss 0\.0003$/], [2, /^throttled \[#{20}\] 300\/300 100%/]] as const) {
    const outs = executed.cells[i].outputs as { output_type: string; data?: Record<string, string | string[]> }[];
    assert.equal(outs.length, 1, `cell ${i}: one output, updated in place (got ${outs.map((o) => o.output_type).join(", ")})`);
    assert.equal(outs[0].output_type, "display_data");
    assert.match([outs[0].data!["text/plain"]].flat().join(""), final);
  }
  assert.match([executed.cells[3].outputs[0].text].flat().join(""), /alive after 4000 updates/);
});

// The executed copies stay in out/notebooks-smoke/: the book test (web-book.test.ts) builds the
// website from them instead of executing every chapter a second time.
const SMOKE_OUT = path.join(ROOT, "out", "notebooks-smoke");
for (const f of notebooks) {
  test(`notebook ${f} runs cleanly with LCO_PROFILE=smoke`, { skip: skipReason, timeout: NOTEBOOK_TIMEOUT_MS }, () => {
    const out = SMOKE_OUT;
    const r = runScript(["run", "--profile", "smoke", "--no-html", "--out", out, path.join(NB_DIR, f)], NOTEBOOK_TIMEOUT_MS);
    if (r.error) assert.fail(`running notebooks/${f} failed: ${r.error.message}`);
    assert.equal(r.status, 0, `notebooks/${f} failed:\n${r.out}`);
  });
}
