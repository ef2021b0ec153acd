/**
 * The `nn` area: a small functional transformer toolkit on TF.js — named, seeded parameters,
 * layers, a causal decoder and a bidirectional encoder, LoRA, losses and AdamW.
 * Named exports only.
 *
 * @example
 * await initBackend();
 * const ps = new ParamStore(0);
 * const cfg = { vocabSize: 64, dModel: 32, nHeads: 4, nLayers: 2, maxLen: 16 };
 * initDecoder(ps, "dec", cfg);
 * const opt = new AdamW({ lr: cosineSchedule({ lr: 1e-3, warmupSteps: 10, totalSteps: 100 }) });
 * const { loss } = trainStep(() => tf.tidy(() => {
 *   const { logits } = decoderForward(ps, "dec", cfg, embedTokens(ps, "dec", ids));
 *   return nextTokenLoss(logits, ids);
 * }), ps.variables(), opt, { clipNorm: 1 });
 *
 * @module
 */
export { ParamStore, selectorFn } from "./params";
export type { Init, ParamSelector, LoraAdapter } from "./params";
export {
  INIT_STD,
  initLinear,
  linear,
  initLayerNorm,
  layerNorm,
  initEmbedding,
  embedding,
  addPositional,
  gelu,
  initAttention,
  attention,
  attentionBias,
  initMlp,
  mlp,
  initBlock,
  block,
} from "./layers";
export type { NnImpl, ForwardOptions, AttentionOptions } from "./layers";
export { initDecoder, initEncoder, embedTokens, decoderForward, encoderForward } from "./transformer";
export type { TransformerConfig, DecoderConfig, StackOptions, DecoderOutput } from "./transformer";
export { addLora, mergeLora, unmergeLora, removeLora, blockLinears, LORA_PARAMS, LORA_FORMAT, LORA_FILES, saveLoraAdapter, readLoraAdapter, loadLoraAdapter, loraParamCount } from "./lora";
export type { LoraOptions, MergeLoraOptions, LoraAdapterFile } from "./lora";
export { tokenCrossEntropy, nextTokenLoss, infoNCE, infoNCEChance, infoNCEFromSimilarities } from "./losses";
export type { InfoNCEByHand } from "./losses";
export type { InfoNCEOptions } from "./losses";
export { AdamW, cosineSchedule, linearSchedule, clipByGlobalNorm, trainStep, trainStepAsync } from "./optim";
export type { AdamWOptions, CosineScheduleOptions, LinearScheduleOptions, Schedule, TrainStepOptions, TrainStepResult } from "./optim";
