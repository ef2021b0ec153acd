/**
 * Generative pretraining of an organism: the task mixture, the training loop, checkpoints along
 * the way, and exact resumption after an interruption.
 *
 * Why resumption is exact: the batch of step `s` is drawn from `rng(splitSeed(seed, "batch/s"))`,
 * a function of the seed and the step only, and checkpoints hold the weights *and* the Adam
 * moments. Restarting from the checkpoint at step `s` therefore replays steps `s+1 …` exactly as
 * the uninterrupted run did (on the same backend).
 *
 * @module
 */
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../array";
import { rng, splitSeed, type Rng } from "../random";
import { AdamW, trainStepAsync } from "../nn/optim";
import { prefetch } from "../backend/webgpu";
import type { Modality } from "./config";
import { checkpointSteps, ENCODED_MODALITIES, learningRateAt, MODALITIES } from "./config";
import { assembleBatch, availableModalities, buildSequence, prefixTokens, type AssembledBatch, type OrganismData, type SequenceSpec } from "./data";
import { fitInputNorm, forward, maskedNextTokenLoss, trainableVariables, type Organism } from "./model";
import { listCheckpoints, loadOptimizer, loadWeights, readCheckpointState, removeCheckpoint, saveCheckpoint, writeRunConfig } from "./checkpoint";

/**
 * The sequences of training step `step` (0-based): for every entry of the mixture, that many
 * training items drawn uniformly with replacement, each with a random caption paraphrase.
 * Documents are read out as the caption they show (`item.documentCaption`).
 */
export function sampleSequences(model: Organism, data: OrganismData, seed: number, step: number): SequenceSpec[] {
  const cfg = model.config;
  const r: Rng = rng(splitSeed(seed, `batch/${step}`));
  const train = data.splits.train;
  if (train.length === 0) throw new InputError("the train split is empty");
  const seqs: SequenceSpec[] = [];
  const draw = (modality: Modality, task: "caption" | "instruct", n: number) => {
    for (let i = 0; i < n; i++) {
      const item = train[r.int(train.length)];
      // Caption corruption: a corrupted item is read (its input) but captioned with its donor's
      // captions. Only modality → caption sequences; text LM and the instruction stay true. The
      // draws of `r` are the same either way, so a run without corruption is bit-identical.
      const donor = task === "caption" && modality !== "text" ? data.captionDonors?.get(item) : undefined;
      const it = data.items[donor ?? item];
      const cap = modality === "document" ? it.documentCaption ?? 0 : r.int(it.captions.length);
      seqs.push(buildSequence(data.tokenizer, it, item, modality, task, cfg.answerFormat, cap));
    }
  };
  const have = new Set(availableModalities(data));
  for (const m of ENCODED_MODALITIES) if (have.has(m) && model.inputs[m]) draw(m, "caption", cfg.mixture.caption[m]);
  draw("text", "caption", cfg.mixture.textLm);
  for (const m of MODALITIES) if (have.has(m) && (m === "text" || model.inputs[m])) draw(m, "instruct", cfg.mixture.instruct[m]);
  return seqs;
}

/** The assembled batch of step `step`. */
export function trainingBatch(model: Organism, data: OrganismData, seed: number, step: number): AssembledBatch {
  const seqs = sampleSequences(model, data, seed, step);
  return assembleBatch(seqs, prefixTokens(data.cache), data.tokenizer, model.config.decoder.maxLen);
}

/** The loss of one assembled batch (no update). */
export function batchLoss(model: Organism, data: OrganismData, batch: AssembledBatch): number {
  return tf.tidy(() => maskedNextTokenLoss(forward(model, batch, data.cache).logits, batch.targets, batch.mask).dataSync()[0]);
}

/** Progress report of one step. */
export interface TrainProgress {
  /** Updates done (1-based after the update). */
  step: number;
  numSteps: number;
  loss: number;
  lr: number;
  /** Mean wall time per update over this session (ms). */
  msPerStep: number;
  /** Tokens (all B·T positions) per second over this session. */
  tokensPerSec: number;
  /** Estimated seconds to finish. */
  etaSec: number;
}

/** Options of {@link trainOrganism}. */
export interface TrainOrganismOptions {
  /** Seed of the batch stream (weights are seeded by `createOrganism`). Default `model.seed`. */
  seed?: number;
  /**
   * Run directory for checkpoints. When set, checkpoints are written at `checkpointSteps(config)`
   * (kept) and every `resumeEvery` steps (rolling, for resumption), and training resumes from the
   * latest complete checkpoint found there.
   */
  runDir?: string;
  /** Write a rolling resume checkpoint every this many steps. Default `max(1, round(numSteps / 10))`. */
  resumeEvery?: number;
  /** Stop after this many total updates (simulates an interruption; checkpoints as usual). */
  stopAfter?: number;
  /** Called after every update. */
  onProgress?: (p: TrainProgress) => void;
  /** Called after every checkpoint write with its step and folder. */
  onCheckpoint?: (step: number, dir: string) => void;
  /** Provenance copied into `organism.json`. */
  meta?: Record<string, unknown>;
  /**
   * Replay part of a finished run to make a checkpoint it did not keep: start from the kept
   * checkpoint at step `from` (0 = the model as passed, which must be the run's initial model),
   * train to `stopAfter`, and write only that checkpoint. Other checkpoints and `organism.json`
   * are left as they are. Exact, for the reason given in this module's comment.
   */
  replayFrom?: number;
  /**
   * Fit the input-standardisation buffers on the train split before a fresh run (default `true`;
   * a second call that continues training an already-trained model object should pass `false`).
   */
  fitInputNorm?: boolean;
}

/** Result of {@link trainOrganism}. */
export interface TrainResult {
  /** Updates applied in total (including those before a resume). */
  step: number;
  /** Loss of every update so far. */
  losses: number[];
  /** Step this session resumed from (0 for a fresh start). */
  resumedFrom: number;
  /** Wall time of this session (s). */
  seconds: number;
  /** Steps of the kept checkpoints present at the end. */
  checkpoints: number[];
  /** Throughput of this session: all B·T positions per second (NaN when no step ran). */
  tokensPerSec: number;
}

/**
 * Pretrain `model` on the generative mixture (in place). Memory-flat: every step frees its
 * tensors (`nn.trainStep`), so `tf.memory().numTensors` does not grow.
 */
export async function trainOrganism(model: Organism, data: OrganismData, options: TrainOrganismOptions = {}): Promise<TrainResult> {
  const cfg = model.config;
  const seed = options.seed ?? model.seed;
  const numSteps = cfg.train.numSteps;
  const keep = new Set(checkpointSteps(cfg));
  const resumeEvery = options.resumeEvery ?? Math.max(1, Math.round(numSteps / 10));
  const opt = new AdamW({ lr: (s) => learningRateAt(cfg, s) });
  // The optimiser's moments are tensors: free them however the loop ends (divergence, an error).
  try {
    const vars = trainableVariables(model);
    let losses: number[] = [];
    let start = 0;
    let priorSeconds = 0;
    const runDir = options.runDir;
    const replay = options.replayFrom !== undefined;
    if (replay && (!runDir || options.stopAfter === undefined)) throw new InputError("replayFrom needs runDir and stopAfter");
    if (runDir) {
      const done = listCheckpoints(runDir);
      if (replay && options.replayFrom !== 0 && !done.includes(options.replayFrom!)) {
        throw new InputError(`cannot replay from step ${options.replayFrom}: ${runDir} keeps ${done.join(", ") || "no checkpoint"}`);
      }
      const from = replay ? options.replayFrom! : done[done.length - 1] ?? 0;
      if (from > 0) {
        start = from;
        loadWeights(model, runDir, start);
        const st = readCheckpointState(runDir, start);
        losses = st.losses.slice(0, start);
        priorSeconds = st.seconds;
        if (start > 0 && !loadOptimizer(opt, model, runDir, start)) {
          throw new InputError(`checkpoint ${start} in ${runDir} has no optimizer state; cannot resume exactly`);
        }
      } else if (!replay) {
        fs.mkdirSync(runDir, { recursive: true });
        writeRunConfig(runDir, model, options.meta);
      }
    }
    // A fresh run standardises its encoder inputs with training-split statistics (the buffers are
    // saved with the weights, so a resumed or reloaded model keeps them).
    if (start === 0 && options.fitInputNorm !== false) fitInputNorm(model, data.cache, data.splits.train);
    const end = Math.min(numSteps, options.stopAfter ?? numSteps);
    const t0 = performance.now();
    let tokens = 0;
    let lastRolling = start > 0 ? start : -1;
    for (let s = start; s < end; s++) {
      const batch = trainingBatch(model, data, seed, s);
      const lr = opt.currentLr();
      const { loss } = await trainStepAsync(
        () => maskedNextTokenLoss(forward(model, batch, data.cache).logits, batch.targets, batch.mask),
        vars,
        opt,
        cfg.train.clipNorm > 0 ? { clipNorm: cfg.train.clipNorm } : {},
      );
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${s + 1}`);
      losses.push(loss);
      tokens += batch.B * batch.T;
      const done = s + 1;
      const elapsed = (performance.now() - t0) / 1000;
      const perStep = elapsed / (done - start);
      options.onProgress?.({
        step: done,
        numSteps,
        loss,
        lr,
        msPerStep: perStep * 1000,
        tokensPerSec: tokens / Math.max(elapsed, 1e-9),
        etaSec: perStep * (end - done),
      });
      if (runDir && (replay ? done === end : keep.has(done) || done % resumeEvery === 0 || done === end)) {
        await prefetch([...model.params.variables(), ...opt.stateTensors()]); // webgpu: download before the synchronous writer
        const dir = saveCheckpoint(runDir, model, { step: done, losses: losses.slice(), seconds: priorSeconds + elapsed }, opt);
        options.onCheckpoint?.(done, dir);
        // Rolling checkpoints that are not kept are dropped once a newer one is complete.
        if (!replay && lastRolling >= 0 && !keep.has(lastRolling)) removeCheckpoint(runDir, lastRolling);
        lastRolling = done;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      step: end,
      losses,
      resumedFrom: start,
      seconds,
      checkpoints: runDir ? listCheckpoints(runDir).filter((s) => keep.has(s)) : [],
      tokensPerSec: end > start ? tokens / seconds : NaN,
    };
  } finally {
    opt.dispose();
  }
}
