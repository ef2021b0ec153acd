#!/usr/bin/env node
// `npm run reproduce`: the main job, stage by stage. Each stage is a command a reader can also run
// alone (printed before it runs). Finished work is not redone: figures rebuild only what changed,
// and organism runs resume from their checkpoints or load their finished results.
//
//   npm run reproduce                      # full profile (minutes on a 2-core CPU)
//   npm run reproduce -- --profile smoke   # the same stages at smoke size (seconds)
//   npm run reproduce -- --only figures    # one stage: setup | figures | cli | organism | refinement | strategies | grsl | generate-embed | continual | report
//   npm run reproduce -- --only organism --publish
//                                          # also copy the organism results (family, alignment,
//                                          # provenance) to data/organism/<profile>/, the inputs
//                                          # of the registered organism figures; then
//                                          # `npm run figures -- --force` and commit both
//
// Results land in out/reproduce/ (gitignored): one JSON per stage plus SUMMARY.md.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const profile = flag("--profile", process.env.LCO_PROFILE || "full");
if (!["smoke", "full", "large"].includes(profile)) {
  console.error(`invalid --profile; expected smoke, full or large, got "${profile}"`);
  process.exit(2);
}
const only = flag("--only", undefined);
const publish = args.includes("--publish");
const outDir = path.resolve("out", "reproduce", profile);
mkdirSync(outDir, { recursive: true });
// Published results come from the wasm path, whose arithmetic gives the same bits on every machine;
// the native BLAS path (issue 13) differs by CPU kernel and thread count. So --publish runs on wasm
// unless LCO_NATIVE=1 is set explicitly (then the provenance records the BLAS kernel).
if (publish && process.env.LCO_NATIVE === undefined) process.env.LCO_NATIVE = "0";
const env = { ...process.env, LCO_PROFILE: profile };

/** Write a file atomically (temp file + rename), so no half-written result is left behind. */
function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Run a command with inherited stderr; capture stdout; fail the job on a non-zero exit. */
function run(cmd, cmdArgs, { capture = false, quiet = false } = {}) {
  console.log(`\n$ ${[cmd, ...cmdArgs].join(" ")}`);
  const r = spawnSync(cmd, cmdArgs, { env, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"], encoding: "utf8" });
  if (r.status !== 0) {
    if (capture && r.stdout) process.stdout.write(r.stdout);
    console.error(`✗ failed (exit ${r.status ?? r.signal}): ${[cmd, ...cmdArgs].join(" ")}`);
    process.exit(r.status || 1);
  }
  if (capture && !quiet) process.stdout.write(r.stdout);
  return r.stdout ?? "";
}

/**
 * Write run-dependent figures (they read results under runs/, which are not committed, so they
 * are not in the figure registry): Plotly JSON, a standalone HTML page, and a PNG when Chromium
 * is available.
 */
async function writeFigures(lco, figures) {
  const dir = path.join(outDir, "figures");
  mkdirSync(dir, { recursive: true });
  const noChromium = lco.figures.chromiumUnavailableReason();
  const plotlySrc = path.relative(dir, path.resolve("node_modules/plotly.js-dist/plotly.js"));
  for (const [id, fig] of figures) {
    writeAtomic(path.join(dir, `${id}.plotly.json`), lco.figures.canonicalJson(fig) + "\n");
    writeAtomic(path.join(dir, `${id}.html`), lco.figures.standaloneHtml(fig, { title: id, plotlySrc, fallbackImage: noChromium ? undefined : `${id}.png` }));
    if (!noChromium) {
      const png = await lco.figures.sharedRenderer().render(fig, { format: "png" });
      const tmp = path.join(dir, `.${id}.png.tmp`);
      writeFileSync(tmp, png);
      renameSync(tmp, path.join(dir, `${id}.png`));
    }
  }
  await lco.figures.closeSharedRenderer();
  summary.push(`Figures: ${figures.length} in \`${path.relative(process.cwd(), dir)}/\`${noChromium ? ` (PNG skipped: ${noChromium})` : ""}.`, "");
}

/** One `lco experiment NAME --json [--publish]` stage: its table into the summary, its JSON into out/. */
function experimentStage(name, cols, title, { keep = () => true, args = [], out = name } = {}) {
  // keep: which table rows go into the summary; args: extra --key=value flags (a variant); out:
  // the name of its JSON in outDir.
  const result = lastJson(run("node", ["bin/lco.js", "experiment", name, "--profile", profile, ...args, "--json", ...(publish ? ["--publish"] : [])], { capture: true }));
  writeAtomic(path.join(outDir, `experiment-${out}.json`), JSON.stringify(result, null, 2) + "\n");
  const rows = result.table.filter(keep);
  cols = cols ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  summary.push(`## ${title}`, "", ...(result.verdict ? [result.verdict, ""] : []), `| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`);
  for (const r of rows) summary.push(`| ${cols.map((c) => String(r[c] ?? "").replace(/\|/g, "\\|")).join(" | ")} |`);
  summary.push("");
  if (publish) summary.push(`Published to ${result.published.join(", ")}.`, "");
}

/**
 * Write an experiment's sweep plan: the config `lco experiment NAME` uses at the profile, into
 * out/. Returns its path.
 */
function plan(name, { with: pairs, sizes, out = name } = {}) {
  // with: preset overrides as `key=value` pairs (a variant, e.g. "variant=general"); sizes: family
  // members (default all); out: the plan's file name.
  const file = path.join(outDir, `${out}.jsonl`);
  writeAtomic(file, run("node", ["bin/lco.js", "sweep", "plan", name, "--profile", profile, ...(sizes ? ["--sizes", sizes] : []), ...(pairs ? ["--with", pairs] : [])], { capture: true, quiet: true }));
  return file;
}

/**
 * Run sweeps on this machine: each plan's pending jobs on one pool of worker processes, one per
 * core; several plans run as one graph of jobs (see `lco sweep local`).
 */
function sweep(...plans) {
  run("node", ["bin/lco.js", "sweep", "local", ...plans, "--workers", "auto"]);
}

/** The JSON object on the last non-empty stdout line (the CLI's `--json` contract). */
const lastJson = (stdout) => JSON.parse(stdout.trim().split("\n").filter(Boolean).pop());

const summary = [`# lco-kit reproduce (${profile} profile)`, "", `started ${new Date().toISOString()}`, ""];
const stages = {
  setup() {
    run("bash", ["environment/install.sh"]);
    run("node", ["environment/check.mjs"]);
  },

  figures() {
    // Paper track: every registered figure, rebuilt only when its inputs or builder changed.
    run("node", ["scripts/figures.mjs"]);
    summary.push("## Figures", "", "Rebuilt into `figures/` (see `figures/MANIFEST.json`).", "");
  },

  cli() {
    // The analysis CLI on the shipped synthetic layer stack (clearly labelled synthetic: alignment
    // rises with depth by construction), so every probe runs end to end on files.
    const img = "data/examples/synthetic_image_layers.npy";
    const txt = "data/examples/synthetic_text_layers.npy";
    const results = {
      anisotropyImage: lastJson(run("node", ["bin/lco.js", "anisotropy", img, "--json"], { capture: true })),
      mutualKnn: lastJson(run("node", ["bin/lco.js", "align", img, txt, "--metric", "mutual_knn", "--k", "10", "--json"], { capture: true })),
      cka: lastJson(run("node", ["bin/lco.js", "align", img, txt, "--metric", "cka", "--control", "20", "--seed", "0", "--json"], { capture: true })),
      retrievalLastLayer: lastJson(run("node", ["bin/lco.js", "retrieval", img, txt, "--layer", "4", "--json"], { capture: true })),
    };
    writeAtomic(path.join(outDir, "cli-synthetic.json"), JSON.stringify(results, null, 2) + "\n");
    const fmt = (v) => (Array.isArray(v) ? v.map((x) => x.toFixed(3)).join(" → ") : Number(v).toFixed(3));
    summary.push(
      "## CLI on the synthetic example (`data/examples/`, synthetic by construction)",
      "",
      `- anisotropy (image) by layer: ${fmt(results.anisotropyImage.value)}`,
      `- mutual_knn@10 by layer: ${fmt(results.mutualKnn.value)} (chance ${fmt(results.mutualKnn.chance)})`,
      `- linear CKA by layer: ${fmt(results.cka.value)} (shuffled-pairs control: ${fmt(results.cka.control.map((c) => c.mean))})`,
      `- retrieval image→text at layer 4: R@1 ${fmt(results.retrievalLastLayer.queryToCandidate["recall@1"])} (chance ${fmt(results.retrievalLastLayer.chance["recall@1"])}); ` +
        "the two synthetic modalities use different random projections, so raw cosine across them carries no pairing: " +
        "aligned kernels (kNN, CKA) do not imply a shared space",
      "",
    );
  },

  async organism() {
    // P1, latent alignment: every size and seed against random-init, shuffled-pairs and CLIP-style
    // controls, IID and OOD. The jobs run as a sweep plan on this machine's process pool (the same
    // jobs a Slurm array would run; finished ones are skipped), then `lco experiment` loads them
    // into its tables. --publish copies the results with provenance into data/organism/.
    // With it, the few-word variant of P1 (S only; its tables follow below), in the same pool.
    sweep(plan("alignment"), plan("alignment", { with: "answerFormat=few-words", sizes: "S", out: "alignment-few-words" }));
    const out = run("node", ["bin/lco.js", "experiment", "alignment", "--profile", profile, "--workers", "auto", "--json", ...(publish ? ["--publish"] : [])], { capture: true });
    const result = lastJson(out);
    writeAtomic(path.join(outDir, "experiment-alignment.json"), JSON.stringify(result, null, 2) + "\n");
    const cols = ["size", "condition", "split", "modality", "seeds", "mutual_knn", "mknn chance", "cka", "cka shuffled", "R@1", "R@1 chance", "within-class R@1", "within chance"];
    summary.push("## Model organism: alignment (last layer; mean ± 95 % CI over seeds)", "", `| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`);
    for (const r of result.table) summary.push(`| ${cols.map((c) => r[c] ?? "").join(" | ")} |`);
    summary.push("");
    // The few-word variant of P1 (S only): does a longer answer change the alignment? Published
    // next to the default results as `*-few-words.json`. Its sweep ran above, so this only loads.
    const fw = lastJson(run("node", ["bin/lco.js", "experiment", "alignment", "--profile", profile, "--workers", "auto", "--json", "--sizes=S", "--answerFormat=few-words", ...(publish ? ["--publish"] : [])], { capture: true }));
    writeAtomic(path.join(outDir, "experiment-alignment-few-words.json"), JSON.stringify(fw, null, 2) + "\n");
    summary.push("## Model organism: alignment with few-word answers (S)", "", `| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`);
    for (const r of fw.table) summary.push(`| ${cols.map((c) => r[c] ?? "").join(" | ")} |`);
    summary.push("");

    // Run-dependent figures (their inputs live under runs/, which is not committed): everything
    // below loads the finished runs, nothing trains.
    const lco = require("../dist/index.js");
    await lco.initBackend({ verbose: true });
    const { family, bySize } = await lco.experiments.runAlignment(profile, result.config);
    summary.push("## Model organism: generative pretraining", "", "| size | seed | generative score (IID) | (OOD) |", "|---|---|---|---|");
    for (const r of family) {
      const last = r.checkpoints[r.checkpoints.length - 1];
      summary.push(`| ${r.spec.size} | ${r.seed} | ${last.iid.generativeScore.toFixed(3)} | ${last.ood.generativeScore.toFixed(3)} |`);
    }
    summary.push("");
    const figures = [
      ["organism-loss-curves", lco.figures.lossCurveFigure(family)],
      ["organism-generative-score", lco.figures.generativeScoreFigure(family)],
    ];
    for (const [size, rows] of Object.entries(bySize)) {
      for (const modality of ["image", "audio"]) {
        for (const metric of ["mutualKnn", "cka", "recallAt1", "anisotropy"]) {
          figures.push([`organism-${size}-${modality}-${metric}`, lco.figures.alignmentLayerFigure(rows, metric, modality)]);
        }
      }
    }
    await writeFigures(lco, figures);
    const timing = lco.experiments.stageTiming(family.map((r) => r.dir));
    summary.push(
      `Pretraining of the family (${timing.runs} runs computed in this folder): ${(timing.wallSeconds / 60).toFixed(1)} min wall clock ` +
        `(first start ${timing.startedAt}, last end ${timing.endedAt}; includes each run's checkpoint evaluation), ` +
        `${(timing.sumSeconds / 60).toFixed(1)} min summed over runs.`,
      "",
    );
    if (publish) summary.push(`Published to ${[...result.published, ...fw.published].join(", ")}; rebuild the registered figures with \`npm run figures -- --force\`.`, "");
  },

  refinement() {
    // P2, contrastive refinement: every size × seed × answer format of the family refined once
    // (text-only LoRA), before / after with the random-init control. Each cell is independent: the
    // sweep runs them on the worker pool (finished cells load), then `lco experiment` loads them all.
    sweep(plan("refinement"));
    experimentStage("refinement", ["size", "format", "split", "modality", "metric", "seeds", "before", "after", "after − before", "after > before", "chance", "init after"], "Model organism: contrastive refinement (P2), IID", {
      keep: (r) => r.split === "iid" && (r.metric === "R@1" || r.metric.endsWith(" top1")),
    });
  },

  strategies() {
    // P3, which refinement: none / linear / full / LoRA text-only / CLIP-style paired, and a small
    // τ × rank × batch grid, from the same pretrained runs; each (run, variant) is one sweep job.
    sweep(plan("strategies"));
    experimentStage("strategies", null, "Model organism: refinement strategies (P3)");
  },

  grsl() {
    // P4, the GRSL sweep: every kept checkpoint of every size × seed (and the caption-corruption
    // arm) gets the text-only refinement and its retrieval is measured. The (run, checkpoint)
    // units are independent, so they go to a pool of worker processes, one per core, through the
    // sweep machinery (the same jobs a Slurm array runs); finished units are loaded, an
    // interrupted sweep resumes at the first missing one. `lco experiment grsl` then only loads
    // them, fits the panels, applies the verdict rule and (--publish) writes data/organism/<profile>/grsl.json.
    sweep(plan("grsl"));
    experimentStage("grsl", ["modality", "phase", "n", "runs", "slope", "t 95 %", "run bootstrap", "rho", "perm p", "chance"], "Model organism: GRSL (P4), representation score after/before refinement vs generative score");
  },

  "generate-embed"() {
    // P4's mechanism check: each family run's final checkpoint captions the gallery greedily, gets
    // the GRSL sweep's refinement, and each input is embedded as the text of its own caption.
    // One sweep job per run (runs/organism-generate-embed/); a rerun loads.
    sweep(plan("generate-embed"));
    experimentStage("generate-embed", ["modality", "size", "models", "caption exact", "R@1 direct", "R@1 generate→embed", "gte − exact", "R@1 shuffled", "R@1 paraphrase", "chance"], "Model organism: generate-then-embed (P4 mechanism check), after refinement");
  },

  continual() {
    // P5: continual generative pretraining on low-resource-script documents, four arms × seeds,
    // text → document retrieval. The sweep trains the continual runs and controls (from the base
    // runs' last checkpoints), then measures every (arm, seed) and reading score as its own job.
    // With it, in the same pool, the variant with general image captions mixed into the continual
    // stage (the parent's image captions per step; published beside the default as
    // continual-general.json). It shares the base, refinement and control units with the default
    // (the same folders, so the same jobs), so only its continual runs are new.
    sweep(plan("continual"), plan("continual", { with: "variant=general", out: "continual-general" }));
    experimentStage("continual", ["arm", "seeds", "nDCG@10", "R@1"], "Model organism: continual pretraining for a low-resource script (P5)");
    experimentStage("continual", ["arm", "seeds", "nDCG@10", "R@1", "metric", "mean ± 95 % CI", "wins"], "Model organism: P5 with general captions mixed in", {
      args: ["--variant=general"],
      out: "continual-general",
    });
  },

  report() {
    // The reproduction report: P1–P5, each with our measurement and its interval, the paper's
    // number or statement, a verdict by a stated rule, and the figures. Built only from committed
    // published results (data/organism/<profile>/, data/paper/), so it never retrains.
    const lco = require("../dist/index.js");
    const { md, html, report } = lco.experiments.writeReport(profile, outDir);
    summary.push("## Reproduction report", "", ...report.claims.map((c) => `- ${c.id}: ${c.verdict}`), "", `Written: ${path.relative(process.cwd(), md)}, ${path.relative(process.cwd(), html)}.`, "");
  },
};

const names = only ? [only] : Object.keys(stages);
for (const name of names) {
  if (!stages[name]) {
    console.error(`unknown stage "${name}"; stages: ${Object.keys(stages).join(", ")}`);
    process.exit(2);
  }
}
// Per-stage timings: this run's are written to timings.json; the previous run's give an ETA
// (an upper bound: finished work loads instead of recomputing).
const timingsFile = path.join(outDir, "timings.json");
const previous = existsSync(timingsFile) ? JSON.parse(readFileSync(timingsFile, "utf8")) : {};
const timings = { ...previous };
const fmtSec = (s) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);
for (const [i, name] of names.entries()) {
  const left = names.slice(i).map((n) => previous[n]).filter((v) => typeof v === "number");
  const eta = previous[name] !== undefined ? ` — last time ${fmtSec(previous[name])}; ETA for the rest ≤ ${fmtSec(left.reduce((a, b) => a + b, 0))}` : "";
  console.log(`\n=== ${name} (${profile}), stage ${i + 1}/${names.length}${eta}`);
  const t0 = Date.now();
  await stages[name]();
  timings[name] = (Date.now() - t0) / 1000;
  writeAtomic(timingsFile, JSON.stringify(timings, null, 2) + "\n");
  console.log(`=== ${name}: ${fmtSec(timings[name])}`);
}
summary.push("## Stage timings (this machine)", "", "| stage | seconds |", "|---|---|", ...names.map((n) => `| ${n} | ${timings[n].toFixed(1)} |`), "");
summary.push(`finished ${new Date().toISOString()}`, "");
writeAtomic(path.join(outDir, "SUMMARY.md"), summary.join("\n"));
console.log(`\n${summary.join("\n")}\nwritten: ${path.relative(process.cwd(), outDir)}/SUMMARY.md`);
