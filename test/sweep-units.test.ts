// The sweeps made from in-process experiments' units (refinement, strategies, generate-embed,
// continual; src/sweep/units.ts): at a tiny size, each plan's measure jobs write exactly the
// folders the in-process run uses; after a pool of worker processes ran the plan, the in-process
// `runX` computes nothing (every run it touches is loaded, no file under the runs folder changes)
// and returns what the same run computes from scratch in another folder.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../src/backend";
import type { Profile } from "../src/config";
import { continualUnitDirs, runContinual, CONTINUAL_PRESET } from "../src/experiments/continual";
import { gteUnitDirs, runGenerateEmbed, GENERATE_EMBED_PRESET } from "../src/experiments/generate-embed";
import { refinementUnits, runRefinement, REFINEMENT_PRESET } from "../src/experiments/refinement";
import { strategiesCellDirs, strategiesConfig, runStrategies } from "../src/experiments/strategies";
import { resolveConfig } from "../src/config";
import { computePathsUsed, resetComputePathsUsed } from "../src/runs/cache";
import { main } from "../src/cli/main";
import { planSweep, runLocal, sbatchScript, writePlan, type SweepJob } from "../src/sweep";

// One BLAS thread, as every worker gets, so a unit computed here and in a worker has the same bits
// (see test/sweep.test.ts).
process.env.LCO_NATIVE_THREADS = "1";

const made: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lco-sweep-units-"));
  made.push(d);
  return d;
}
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** Every file under `dir` with its size and modification time (a run that only loads changes none). */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const st = fs.statSync(path.join(dir, f));
    if (st.isFile()) out[f] = `${st.size} ${st.mtimeMs}`;
  }
  return out;
}

/** A result without its wall-clock timings (they differ between two computations of the same thing) and with run folders relative to their root. */
function comparable(x: unknown, root: string): unknown {
  if (Array.isArray(x)) return x.map((v) => comparable(v, root));
  if (typeof x === "string") return x.startsWith(root) ? path.relative(root, x) : x;
  if (x === null || typeof x !== "object") return x;
  return Object.fromEntries(Object.entries(x).filter(([k]) => !["seconds", "msPerStep", "tokensPerSec"].includes(k)).map(([k, v]) => [k, comparable(v, root)]));
}

/**
 * Plan `name` under a fresh runs folder, check its measure jobs' folders against `dirs`, run the
 * plan with 2 workers, then run `runX` in-process there (must load only and change no file) and in
 * another fresh folder (computes); both results must be equal.
 */
async function sweepThenLoad(name: string, overrides: Record<string, unknown>, dirs: (root: string) => string[], runX: (root: string) => Promise<unknown>): Promise<SweepJob[]> {
  await initBackend();
  const base = tmp();
  const root = path.join(base, "runs");
  const jobs = planSweep(name, { profile: "smoke", seeds: [0, 1, 2], root, overrides });
  assert.deepEqual(jobs.filter((j) => j.stage === "measure").map((j) => j.dir), dirs(root));
  const file = path.join(base, "plan.jsonl");
  writePlan(file, jobs);
  const r = await runLocal(file, { workers: 2 });
  assert.deepEqual(r.ran, jobs.map((j) => j.index));
  const before = listing(root);
  resetComputePathsUsed();
  const loaded = await runX(root);
  const uses = computePathsUsed();
  assert.equal(uses.reduce((n, u) => n + u.computed, 0), 0, `runX computed nothing after the sweep: ${JSON.stringify(uses)}`);
  assert.ok(uses.reduce((n, u) => n + u.loaded, 0) >= dirs(root).length, "and loaded every unit");
  assert.deepEqual(listing(root), before, "no file under the runs folder changed");
  const ref = path.join(base, "ref");
  const direct = await runX(ref);
  assert.deepStrictEqual(comparable(loaded, root), comparable(direct, ref));
  return jobs;
}

const profile: Profile = "smoke";

test("refinement sweep: its cells are runRefinement's; after the sweep runRefinement only loads", async () => {
  const over = { sizes: ["S"], seeds: [0], formats: ["one-word", "few-words"], numSteps: 3, steps: 2, probeItems: 8 };
  const cfg = resolveConfig(REFINEMENT_PRESET, over, { profile });
  const jobs = await sweepThenLoad("refinement", over, (root) => refinementUnits(profile, cfg, root).map((u) => u.dir), (root) => runRefinement(profile, cfg, { root }));
  assert.deepEqual(jobs.map((j) => j.stage), ["pretrain", "pretrain", "measure", "measure", "collect"]);
  assert.deepEqual(jobs.at(-1)!.config.config, cfg, "the sweep's config is the experiment's at the profile with the overrides");
});

test("strategies sweep: its cells are strategiesCellDirs; after the sweep runStrategies only loads", async () => {
  const over = { seeds: [0], strategies: ["none", "lora"], gridSizes: [], numSteps: 3, steps: 2, probeItems: 8 };
  const cfg = strategiesConfig(profile, over);
  const jobs = await sweepThenLoad("strategies", over, (root) => strategiesCellDirs(profile, cfg, root), (root) => runStrategies(profile, cfg, { root }));
  assert.deepEqual(jobs.map((j) => [j.stage, j.label.replace(/__.*/, "")]), [["pretrain", "organism/answerFormat-few-words_numSteps-3"], ["measure", "S/seed 0: none"], ["measure", "S/seed 0: lora"], ["collect", "smoke strategies"]]);
});

test("generate-embed sweep: its units are gteUnitDirs; after the sweep runGenerateEmbed only loads", async () => {
  const over = { sizes: ["S"], seeds: [0, 1], numSteps: 3, refineSteps: 2, galleryItems: 4, heldOutTriples: 2, maxNew: 3 };
  const cfg = resolveConfig(GENERATE_EMBED_PRESET, over, { profile });
  const jobs = await sweepThenLoad("generate-embed", over, (root) => gteUnitDirs(profile, cfg, root), (root) => runGenerateEmbed(profile, cfg, { root }));
  assert.deepEqual(jobs.map((j) => j.stage), ["pretrain", "pretrain", "measure", "measure", "collect"]);
});

test("continual sweep: base → continue → units; they are continualUnitDirs; after the sweep runContinual only loads", async () => {
  const over = { seeds: [0], numSteps: 3, continualSteps: 2, refineSteps: 2, galleryItems: 3, generalCaptions: 2 };
  const cfg = resolveConfig(CONTINUAL_PRESET, over, { profile });
  const jobs = await sweepThenLoad("continual", over, (root) => continualUnitDirs(profile, cfg, root), (root) => runContinual(profile, cfg, { root }));
  const stage = (s: string) => jobs.filter((j) => j.stage === s);
  assert.deepEqual([stage("pretrain").length, stage("continue").length, stage("measure").length, stage("collect").length], [1, 2, 10, 1]);
  // The continual run and the control both start from the base run: each continue job needs the pretrain job.
  for (const c of stage("continue")) assert.deepEqual(c.deps, [stage("pretrain")[0].hash]);
  // The random-init reading needs no run; every other unit needs exactly one.
  assert.deepEqual(stage("measure").map((j) => j.deps.length), [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]);
  assert.equal((jobs.at(-1)!.config.config as { generalCaptions: number }).generalCaptions, 2);
});

test("lco sweep plan: a units sweep takes the experiment's config with --with overrides, and rejects the family flags; Slurm chains pretrain → continue → measure → collect", async () => {
  const root = tmp();
  const c = { out: [] as string[], err: [] as string[] };
  const io = { out: (l: string) => c.out.push(l), err: (l: string) => c.err.push(l) };
  assert.equal(await main(["sweep", "plan", "continual", "--profile", "smoke", "--root", root, "--with", "seeds=0 generalCaptions=4"], io), 0);
  const jobs = c.out.map((l) => JSON.parse(l) as SweepJob);
  assert.deepEqual(jobs.at(-1)!.config.config, resolveConfig(CONTINUAL_PRESET, { seeds: [0], generalCaptions: 4 }, { profile }));
  const script = sbatchScript(jobs, "p.jsonl");
  assert.deepEqual(
    script.split("\n").filter((l) => /^[a-z]+=\$\(sbatch/.test(l)).map((l) => l.replace(/ <<'SBATCH'$/, "")),
    ["pretrain=$(sbatch --parsable", "continue=$(sbatch --parsable --dependency=afterok:$pretrain --kill-on-invalid-dep=yes", "measure=$(sbatch --parsable --dependency=afterok:$continue --kill-on-invalid-dep=yes", "collect=$(sbatch --parsable --dependency=afterok:$measure --kill-on-invalid-dep=yes"],
  );
  for (const [argv, re] of [
    [["sweep", "plan", "strategies", "--profile", "smoke", "--sizes", "S"], /--with "key=value" instead of --sizes/],
    [["sweep", "plan", "refinement", "--profile", "smoke", "--with", "formatz=one-word"], /formatz/],
  ] as [string[], RegExp][]) {
    c.err.length = 0;
    assert.equal(await main(argv, io), 2, argv.join(" "));
    assert.match(c.err[0], re);
  }
});
