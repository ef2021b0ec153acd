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
function runScript(args: string[], timeoutMs: number) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: "utf8", timeout: timeoutMs, env: { ...process.env } });
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

for (const f of notebooks) {
  test(`notebook ${f} runs cleanly with LCO_PROFILE=smoke`, { skip: skipReason, timeout: NOTEBOOK_TIMEOUT_MS }, () => {
    const out = tmp("nbsmoke");
    const r = runScript(["run", "--profile", "smoke", "--no-html", "--out", out, path.join(NB_DIR, f)], NOTEBOOK_TIMEOUT_MS);
    if (r.error) assert.fail(`running notebooks/${f} failed: ${r.error.message}`);
    assert.equal(r.status, 0, `notebooks/${f} failed:\n${r.out}`);
  });
}
