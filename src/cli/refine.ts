/**
 * `lco refine RUN --out DIR …`: one contrastive refinement of one pretrained run (the organism's
 * `refine` loop) → a refinement folder (`refine.json` + the adapter or the trained weights), which
 * `lco embed RUN --adapter DIR` applies before embedding.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../array";
import { initBackend, describeBackend } from "../backend";
import { prefetch } from "../backend/webgpu";
import { PROFILES, type Profile } from "../config";
import { configHash } from "../runs";
import { dataForRun, listCheckpoints, loadOrganism } from "../organism/checkpoint";
import { disposeOrganism, type Organism } from "../organism/model";
import { readRefinement, refineAsync, refineConfig, REFINE_STRATEGIES, saveRefinement, applyRefinement, type RefineData, type RefineFile, type RefineStrategy } from "../organism/refine";
import { fmt, parseCommandArgs, parseIntStrict, printJson } from "./args";
import type { CliIO, Command } from "./command";
import { UsageError } from "./command";

const USAGE = `usage: lco refine RUN --out DIR [--strategy lora|full|linear|clip] [--data world|verses|both]
                  [--steps N] [--batch-size N] [--tau X] [--seed N] [--step N]
                  [--profile smoke|full|large] [--json]

Contrastive refinement of a pretrained run (InfoNCE on the prompt-end read-out, warm-up then
linear decay). Writes DIR/refine.json and, for lora, DIR/adapter.safetensors + adapter.json (for
full/linear/clip-with-weights, DIR/weights.safetensors). Embed with it:
\`lco embed RUN --adapter DIR --modality image --out x.npy\`.

  RUN         a run folder written by \`lco organism train\`
  --strategy  lora (text-only LoRA, default) | full (text-only, whole decoder) |
              linear (text-only, a projection on the read-out) | clip (LoRA on image/audio ↔ caption pairs)
  --data      text triples: world (default) | verses | both
  --steps     optimiser steps (default: the profile's, 200 at full)
  --profile   the defaults' profile (default: the run's)
  --seed      seed of the batches and adapters (default 0)
  --step      checkpoint of RUN to start from (default: the latest)`;

/** The profile recorded in a run folder's `meta.json`, if any. */
function runProfile(run: string): Profile | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(run, "meta.json"), "utf8")) as { profile?: string };
    return (PROFILES as readonly string[]).includes(m.profile ?? "") ? (m.profile as Profile) : null;
  } catch {
    return null;
  }
}

/** A refinement's identity of its base: the organism config's hash (the weights it fits). */
export function baseIdentity(model: Organism): string {
  return configHash(model.config);
}

/**
 * Apply a refinement folder to a loaded base model, after checking that it was made for a model
 * of this config.
 * @throws InputError when the folder is not a refinement or was made for another config.
 */
export function applyAdapter(model: Organism, dir: string): RefineFile {
  const r = readRefinement(dir);
  const want = r.base?.config;
  if (typeof want === "string" && want !== baseIdentity(model)) {
    throw new InputError(`the refinement at ${dir} was made for another model (config ${want.slice(0, 8)}; this run's is ${baseIdentity(model).slice(0, 8)})`);
  }
  return applyRefinement(model, dir);
}

/** `lco refine`. */
export const refineCommand: Command = {
  name: "refine",
  summary: "contrastive refinement of a pretrained run (lora | full | linear | clip) → a refinement folder",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { positionals, flags } = parseCommandArgs(
      argv,
      { out: "string", strategy: "string", data: "string", steps: "string", "batch-size": "string", tau: "string", seed: "string", step: "string", profile: "string", json: "boolean" },
      ["RUN"],
    );
    const run = positionals[0];
    const out = flags.out as string | undefined;
    if (!out) throw new UsageError("missing --out DIR");
    const strategy = (flags.strategy as string | undefined) ?? "lora";
    if (!(REFINE_STRATEGIES as readonly string[]).includes(strategy)) throw new UsageError(`invalid --strategy; expected one of ${REFINE_STRATEGIES.join(", ")}, got "${strategy}"`);
    const data = (flags.data as string | undefined) ?? "world";
    if (!["world", "verses", "both"].includes(data)) throw new UsageError(`invalid --data; expected world, verses or both, got "${data}"`);
    const profileFlag = flags.profile as string | undefined;
    if (profileFlag !== undefined && !(PROFILES as readonly string[]).includes(profileFlag)) throw new UsageError(`invalid --profile; expected one of ${PROFILES.join(", ")}, got "${profileFlag}"`);
    let tau: number | undefined;
    if (flags.tau !== undefined) {
      tau = Number(flags.tau);
      if (!(Number.isFinite(tau) && tau > 0)) throw new UsageError(`invalid --tau; need a number > 0, got "${flags.tau}"`);
    }
    const steps = flags.steps !== undefined ? parseIntStrict(flags.steps as string, "--steps", 1) : undefined;
    const batchSize = flags["batch-size"] !== undefined ? parseIntStrict(flags["batch-size"] as string, "--batch-size", 2) : undefined;
    const seed = flags.seed !== undefined ? parseIntStrict(flags.seed as string, "--seed", 0) : 0;
    const step = flags.step !== undefined ? parseIntStrict(flags.step as string, "--step", 1) : undefined;
    if (!fs.existsSync(run) || listCheckpoints(run).length === 0) throw new InputError(`no checkpoint in ${run}; train it with \`lco organism train\``);
    if (fs.existsSync(path.join(out, "refine.json"))) throw new InputError(`${out} already holds a refinement; choose another --out or remove it`);
    const profile = (profileFlag as Profile | undefined) ?? runProfile(run) ?? "full";
    const cfg = refineConfig(strategy as RefineStrategy, profile, {
      data: data as RefineData,
      ...(steps !== undefined ? { steps, warmupSteps: Math.min(Math.max(1, Math.round(0.1 * steps)), steps - 1) } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(tau !== undefined ? { tau } : {}),
    });
    const info = await initBackend();
    if (!flags.json) io.err(describeBackend(info));
    const { model, step: used } = loadOrganism(run, step);
    let result;
    try {
      const d = dataForRun(run);
      result = await refineAsync(model, d, cfg, seed, {
        onProgress: (p) => {
          if (!flags.json && (p.step === p.steps || p.step % Math.max(1, Math.round(p.steps / 10)) === 0)) io.err(`step ${p.step}/${p.steps} loss ${fmt(p.loss, 4)} (chance ${fmt(p.chance, 4)})`);
        },
      });
      await prefetch(model.params.variables()); // webgpu: download before the synchronous writer
      saveRefinement(out, model, result, { run: path.resolve(run), step: used, config: baseIdentity(model) });
    } finally {
      disposeOrganism(model);
    }
    const summary = {
      command: "refine",
      run,
      step: used,
      out: path.resolve(out),
      strategy,
      data,
      steps: cfg.steps,
      firstLoss: result.losses[0],
      lastLoss: result.losses[result.losses.length - 1],
      chance: result.chance,
      trainableParams: result.trainableParams,
      examplesSeen: result.examplesSeen,
      seconds: result.seconds,
    };
    if (flags.json) {
      printJson(io, summary);
      return 0;
    }
    io.out(`refined ${run} (step ${used}) with ${strategy} on ${cfg.pairs === "paired" ? "paired captions" : data}: loss ${fmt(summary.firstLoss, 4)} → ${fmt(summary.lastLoss, 4)} (chance ${fmt(result.chance, 4)}), ${result.trainableParams} trained parameters, ${fmt(result.seconds, 1)} s → ${out}`);
    return 0;
  },
};
