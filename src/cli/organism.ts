/**
 * `lco organism train …` (pretrain one run or the whole family, with checkpoints, resumption and a
 * progress line) and `lco embed RUN …` (embeddings with the paper's protocol → `.npy`).
 *
 * @module
 */
import * as path from "node:path";
import { InputError, type NdArray } from "../array";
import { initBackend, describeBackend } from "../backend";
import type { Profile } from "../config";
import { writeNpy } from "../io";
import { writeJsonAtomic } from "../io/atomic";
import { runsRoot } from "../runs";
import { formatProgress } from "../display/progress";
import { FAMILY, MODALITIES, type AnswerFormat, type Modality } from "../organism/config";
import { listCheckpoints, loadOrganism } from "../organism/checkpoint";
import { disposeOrganism } from "../organism/model";
import { embedIndices } from "../organism/embed";
import { defaultWorkers, pretrain, pretrainFamily, pretrainSpec, type PretrainResult } from "../organism/family";
import type { TrainProgress } from "../organism/pretrain";
import { dataForRun } from "../organism/checkpoint";
import { fmt, parseCommandArgs, parseIntList, parseIntStrict, parseProfile, printJson } from "./args";
import type { CliIO, Command } from "./command";
import { UsageError } from "./command";
import { applyAdapter } from "./refine";

const TRAIN_USAGE = `usage: lco organism train [--profile smoke|full|large] [--size S|M|L | --family]
                          [--seed N | --seeds 0,1,2] [--workers N] [--root DIR]
                          [--answer-format one-word|few-words] [--world-seed N]
                          [--steps N] [--eval-items N] [--force] [--json]

Generatively pretrain small omnimodal models (image/audio/document encoders + projector + causal
decoder) on the world's captioning, text-LM and summarize-instruction mixture. Each size × seed
is one run folder under --root (default runs/organism/…/seed-N) with checkpoints at 10 %, 30 %
and 100 % of training (model.safetensors + organism.json, loadable from Python). An interrupted
run resumes from its latest checkpoint; a finished run is loaded, not redone.

  --profile        smoke (seconds) | full (default; minutes per run) | large
  --size           one family member (default S); --family trains every size
  --seed / --seeds one seed (default 0) or a list; --family defaults to 0,1,2
  --workers        parallel worker processes (default 1; "auto" = one per core)
  --answer-format  one-word (paper: "in one word", compound word) | few-words
  --steps          override the number of training steps
  --eval-items     items per split for the generative evaluation
  --json           last stdout line: {"runs":[{size,seed,dir,generativeScore:{iid,ood},…}]}`;

const EMBED_USAGE = `usage: lco embed RUN --modality text|image|audio|document --out FILE.npy
                 [--split train|iid|ood|all] [--step N] [--format one-word|few-words]
                 [--caption I] [--adapter DIR] [--json]

Embeddings with the paper's protocol: each item followed by "Summarize the above {modality} in
one word:", the hidden state at the prompt's last token (before any answer), at every layer.
Writes a float32 .npy of shape [layers+1, n, d] (index 0 = input embeddings), items in split
order, plus FILE.items.json with the item ids and attributes.

  RUN        a run folder written by \`lco organism train\`
  --split    which items (default iid)
  --step     checkpoint step (default: the latest)
  --format   prompt variant (default: the one the model was trained with)
  --caption  for text: which paraphrase (default 0)
  --adapter  a refinement folder written by \`lco refine\` (LoRA adapter merged, or trained
             weights loaded) applied to the run's weights before embedding`;

function parseFormat(v: string | boolean | undefined, fallback: AnswerFormat): AnswerFormat {
  if (v === undefined) return fallback;
  if (v !== "one-word" && v !== "few-words") throw new UsageError(`invalid --answer-format; expected one-word or few-words, got "${v}"`);
  return v;
}

/** A progress callback that redraws one stderr line (with ETA) at most every 250 ms. */
function progressLine(io: CliIO, label: string): (p: TrainProgress) => void {
  let start = NaN;
  let last = 0;
  const tty = Boolean(process.stderr.isTTY);
  return (p) => {
    const now = Date.now();
    // Time from the first step (data rendering before it would distort the ETA).
    if (Number.isNaN(start)) start = now - p.msPerStep;
    const final = p.step === p.numSteps;
    if (!final && now - last < (tty ? 250 : 10_000)) return;
    last = now;
    const line = formatProgress({
      i: p.step,
      total: p.numSteps,
      elapsedMs: now - start,
      label,
      text: `loss ${p.loss.toFixed(3)} · ${p.msPerStep.toFixed(0)} ms/step · ${(p.tokensPerSec / 1000).toFixed(1)}k tok/s`,
    });
    if (tty) process.stderr.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    else io.err(line);
  };
}

function summary(r: PretrainResult & { dir: string; loaded: boolean }) {
  const last = r.checkpoints[r.checkpoints.length - 1];
  return {
    size: r.spec.size,
    seed: r.seed,
    dir: r.dir,
    loaded: r.loaded,
    nParams: r.nParams.total,
    numSteps: r.numSteps,
    seconds: r.seconds,
    msPerStep: r.msPerStep,
    tokensPerSec: r.tokensPerSec,
    finalLoss: r.losses[r.losses.length - 1] ?? null,
    generativeScore: { iid: last.iid.generativeScore, ood: last.ood.generativeScore },
  };
}

/** `lco organism train`. */
export const organismTrainCommand: Command = {
  name: "organism train",
  summary: "pretrain the model organism (one run or the whole family) with checkpoints",
  usage: TRAIN_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { flags } = parseCommandArgs(
      argv,
      {
        profile: "string", size: "string", family: "boolean", seed: "string", seeds: "string", workers: "string", root: "string",
        "answer-format": "string", "world-seed": "string", steps: "string", "eval-items": "string", force: "boolean", json: "boolean",
      },
      [],
    );
    const profile = parseProfile(flags.profile);
    const names = FAMILY[profile].map((f) => f.name);
    if (flags.size !== undefined && !names.includes(flags.size as string)) throw new UsageError(`invalid --size; the ${profile} family has ${names.join(", ")}, got "${flags.size}"`);
    if (flags.size !== undefined && flags.family) throw new UsageError("give either --size or --family, not both");
    if (flags.seed !== undefined && flags.seeds !== undefined) throw new UsageError("give either --seed or --seeds, not both");
    const seeds = flags.seeds !== undefined ? parseIntList(flags.seeds as string, "--seeds", 0) : flags.seed !== undefined ? [parseIntStrict(flags.seed as string, "--seed", 0)] : flags.family ? [0, 1, 2] : [0];
    const sizes = flags.family ? names : [(flags.size as string | undefined) ?? "S"];
    const workers = flags.workers === "auto" ? defaultWorkers() : flags.workers !== undefined ? parseIntStrict(flags.workers as string, "--workers", 1) : 1;
    const over = {
      answerFormat: parseFormat(flags["answer-format"], "one-word"),
      ...(flags["world-seed"] !== undefined ? { worldSeed: parseIntStrict(flags["world-seed"] as string, "--world-seed", 0) } : {}),
      ...(flags.steps !== undefined ? { numSteps: parseIntStrict(flags.steps as string, "--steps", 1) } : {}),
      ...(flags["eval-items"] !== undefined ? { evalItems: parseIntStrict(flags["eval-items"] as string, "--eval-items", 1) } : {}),
    };
    const root = flags.root !== undefined ? path.resolve(flags.root as string) : runsRoot();
    const info = await initBackend();
    if (!flags.json) io.err(describeBackend(info));
    let results: (PretrainResult & { dir: string; loaded: boolean })[];
    if (sizes.length * seeds.length === 1) {
      const spec = pretrainSpec(profile, sizes[0], over);
      const r = await pretrain(spec, seeds[0], {
        root,
        force: Boolean(flags.force),
        onProgress: progressLine(io, `${spec.size}/seed ${seeds[0]}`),
        log: (l) => io.err(l),
      });
      results = [r];
    } else {
      results = await pretrainFamily(profile, {
        sizes,
        seeds,
        workers,
        root,
        force: Boolean(flags.force),
        spec: over,
        onProgress: progressLine(io, "train"),
        log: (l) => io.err(l),
        onJobDone: (done, total, label) => io.err(`finished ${done}/${total}: ${label}`),
        onRunDone: (r, done, total) => io.err(`run ${done}/${total} ${r.loaded ? "loaded" : "trained"}: ${r.spec.size}/seed ${r.seed} → ${r.dir}`),
      });
    }
    const rows = results.map(summary);
    if (flags.json) {
      printJson(io, { command: "organism train", profile, backend: info.name, runs: rows });
      return 0;
    }
    io.out(`size seed  params    steps  ms/step  final loss  gen. score IID  OOD   folder`);
    for (const r of rows) {
      io.out(
        `${r.size.padEnd(4)} ${String(r.seed).padEnd(5)} ${String(r.nParams).padEnd(9)} ${String(r.numSteps).padEnd(6)} ${fmt(r.msPerStep, 0).padEnd(8)} ${fmt(r.finalLoss, 3).padEnd(11)} ${fmt(r.generativeScore.iid, 3).padEnd(15)} ${fmt(r.generativeScore.ood, 3).padEnd(5)} ${r.dir}`,
      );
    }
    return 0;
  },
};

/** `lco embed`. */
export const embedCommand: Command = {
  name: "embed",
  summary: "embeddings of a trained organism with the paper's protocol → .npy [layers+1, n, d]",
  usage: EMBED_USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      { modality: "string", out: "string", split: "string", step: "string", format: "string", caption: "string", adapter: "string", json: "boolean" },
      ["RUN"],
    );
    const run = positionals[0];
    const modality = flags.modality as Modality | undefined;
    if (!modality || !(MODALITIES as readonly string[]).includes(modality)) throw new UsageError(`invalid --modality; expected one of ${MODALITIES.join(", ")}, got ${JSON.stringify(flags.modality ?? null)}`);
    const out = flags.out as string | undefined;
    if (!out) throw new UsageError("missing --out FILE.npy");
    if (!out.endsWith(".npy")) throw new UsageError(`--out must end in .npy, got "${out}"`);
    const split = (flags.split as string | undefined) ?? "iid";
    if (!["train", "iid", "ood", "all"].includes(split)) throw new UsageError(`invalid --split; expected train, iid, ood or all, got "${split}"`);
    await initBackend();
    const steps = listCheckpoints(run);
    if (steps.length === 0) throw new InputError(`no checkpoint in ${run}; train it with \`lco organism train\``);
    const step = flags.step !== undefined ? parseIntStrict(flags.step as string, "--step", 1) : undefined;
    const caption = flags.caption !== undefined ? parseIntStrict(flags.caption as string, "--caption", 0) : undefined;
    const adapter = flags.adapter as string | undefined;
    const { model, step: used } = loadOrganism(run, step);
    let E: NdArray;
    const itemsFile = out.replace(/\.npy$/, ".items.json");
    try {
      if (adapter !== undefined) applyAdapter(model, adapter);
      const data = dataForRun(run);
      const idx = split === "all" ? data.items.map((_, i) => i) : data.splits[split as "train" | "iid" | "ood"];
      const format = flags.format !== undefined ? parseFormat(flags.format, model.config.answerFormat) : undefined;
      E = embedIndices(model, data, idx, modality, { format, caption });
      writeNpy(out, E);
      writeJsonAtomic(itemsFile, idx.map((i) => ({ index: i, id: data.items[i].id, attributes: data.items[i].attributes, caption: data.items[i].captions[caption ?? 0] })));
    } finally {
      disposeOrganism(model);
    }
    if (flags.json) {
      printJson(io, { command: "embed", run, step: used, ...(adapter !== undefined ? { adapter: path.resolve(adapter) } : {}), modality, split, shape: E.shape, out: path.resolve(out), items: path.resolve(itemsFile) });
      return 0;
    }
    io.out(`wrote ${out} [${E.shape.join(", ")}] (${modality}, ${split}, step ${used}${adapter !== undefined ? `, refined by ${adapter}` : ""}) and ${itemsFile}`);
    return 0;
  },
};

/** The organism's commands, for the registry. */
export const organismCommands: Command[] = [organismTrainCommand, embedCommand];
