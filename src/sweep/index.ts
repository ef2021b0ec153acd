/**
 * The `sweep` area: an experiment's runs as a plan of independent jobs (JSON Lines), run one at a
 * time (`runJob`), with a local process pool (`runLocal`), or as Slurm job arrays
 * (`sbatchScript`, `submitScript`, `sweepStatus`), and collected into the same tables the
 * in-process experiment returns (`collectSweep`). Named exports only.
 *
 * @module
 */
export { STAGES, PLAN_FORMAT } from "./types";
export type { Stage, SweepJob, JobSpec, SweepOptions, SweepExperiment, JobContext } from "./types";
export { planSweep, planJsonl, writePlan, readPlan, refreshDone, planStages } from "./plan";
export { runJob, missingDependencies } from "./run";
export type { JobOutcome, RunJobOptions } from "./run";
export { runLocal, runLocalPlans } from "./local";
export type { LocalOptions, LocalOutcome, LocalPlansOutcome } from "./local";
export { sbatchScript, submitScript, sweepStatus, queueTasks, slurmAvailable, arrayRanges, stageJobName } from "./slurm";
export type { SlurmOptions, Submitted, QueueTask, StageStatus } from "./slurm";
export { collectSweep } from "./collect";
export { SWEEP_EXPERIMENTS, sweepExperiment } from "./registry";
export { alignmentSweep } from "./alignment";
export type { AlignmentTables } from "./alignment";
export { grslSweep, grslSweepConfig, grslOverrides } from "./grsl";
export { unitSweep } from "./units";
export type { UnitSweepDeclaration } from "./units";
export { refinementSweep } from "./refinement";
export { strategiesSweep } from "./strategies";
export { generateEmbedSweep } from "./generate-embed";
export { continualSweep } from "./continual";
export { resultExists } from "./result";
