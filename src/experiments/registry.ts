/**
 * The experiments `lco experiment <name>` and `npm run reproduce` know. Adding an experiment is
 * one file (`./<name>.ts` with a preset and a run) plus one entry here.
 *
 * @module
 */
import { InputError } from "../array";
import { parseOverrides, presetDefaults, resolveConfig, type Overrides, type Preset, type Profile } from "../config";
import { ALIGNMENT_PRESET, alignmentSummary, runAlignment, type AlignmentConfig } from "./alignment";
import { publishStrategies, runStrategies, STRATEGIES_PRESET, strategiesConfig, strategiesTable, type StrategiesConfig } from "./strategies";
import { publishRefinement, REFINEMENT_PRESET, refinementComparison, refinementPrintTable, runRefinement, type RefinementConfig } from "./refinement";
import { experimentProvenance, publishOrganismResults } from "./published";
import { checkGrslResults, corruptionArmTable, GRSL_PRESET, grslSummary, grslUnitDirs, publishResult, runGrsl, type GrslConfig } from "./grsl";
import { checkContinualResults, continualConfig, continualPublishName, CONTINUAL_PRESET, continualSummary, continualUnitDirs, generalComparison, generalComparisonTable, loadPublishedContinual, readingSummary, runContinual, type ContinualConfig } from "./continual";
import { GENERATE_EMBED_PRESET, generateEmbedLines, generateEmbedSummary, publishGenerateEmbed, runGenerateEmbed, type GenerateEmbedConfig } from "./generate-embed";
import { generalSubsection, p4Section, p5Section } from "./report";
import { loadGrslPanels } from "../paper/grsl";

/** What every experiment's run gets besides its config. */
export interface ExperimentContext {
  profile: Profile;
  /** Runs folder (see `runs.runsRoot`). */
  root?: string;
  /** Parallel worker processes for independent runs. Default 1. */
  workers?: number;
  log?: (line: string) => void;
}

/** What an experiment returns: its result (JSON data), a table to print, and how to publish it. */
export interface ExperimentOutcome {
  result: unknown;
  /** One row per line of the printed summary. */
  table: Record<string, string | number>[];
  /** A one-line verdict computed from the result by the experiment's stated rule (when it has one). */
  verdict?: string;
  /** Copy the result with its provenance into `data/`; returns the written files. */
  publish(): string[];
}

/** One registered experiment. */
export interface Experiment<C extends object = object> {
  /** Its preset: name, one-line description, defaults (overridable as `--key=value`). */
  preset: Preset<C>;
  /**
   * The config at a profile with overrides, when the experiment owns that resolution (so another
   * caller, e.g. a chapter, gets the same cells). Default: `resolveConfig(preset, overrides, { profile })`.
   */
  config?(profile: Profile, overrides: Overrides): C;
  run(cfg: C, ctx: ExperimentContext): Promise<ExperimentOutcome>;
}

/** Type-erase an experiment for the list (each keeps its own config type inside). */
function entry<C extends object>(e: Experiment<C>): Experiment {
  return e as unknown as Experiment;
}

/** The command line that runs this process (for a provenance file), e.g. `lco experiment grsl --profile full --publish`. */
function invocation(): string {
  return ["lco", ...process.argv.slice(2)].join(" ");
}

/** Every registered experiment. */
export const EXPERIMENTS: readonly Experiment[] = [
  entry<AlignmentConfig>({
    preset: ALIGNMENT_PRESET,
    async run(cfg, ctx) {
      const r = await runAlignment(ctx.profile, cfg, { root: ctx.root, workers: ctx.workers, log: ctx.log });
      const table = Object.entries(r.bySize).flatMap(([size, rows]) => alignmentSummary(rows).map((row) => ({ size, ...row })));
      return { result: r, table, publish: () => {
        const variant = cfg.answerFormat === "few-words" ? "few-words" : undefined;
        const command = `lco experiment alignment --profile ${ctx.profile} --publish${variant ? ` --answerFormat=few-words --sizes=${cfg.sizes.join(",")}` : ""}`;
        return Object.values(publishOrganismResults(ctx.profile, r.family, r.bySize, { root: ctx.root, clipSteps: cfg.clipSteps, command, ...(variant ? { variant } : {}) }));
      } };
    },
  }),
  entry<RefinementConfig>({
    preset: REFINEMENT_PRESET,
    async run(cfg, ctx) {
      const { results, dirs } = await runRefinement(ctx.profile, cfg, { root: ctx.root, workers: ctx.workers, log: ctx.log });
      ctx.log?.(results.verdict);
      const table = refinementPrintTable(refinementComparison(results.cells));
      return { result: results, table, verdict: results.verdict, publish: () => Object.values(publishRefinement(results, dirs)) };
    },
  }),
  entry<StrategiesConfig>({
    preset: STRATEGIES_PRESET,
    config: strategiesConfig,
    async run(cfg, ctx) {
      const { results, dirs, seconds } = await runStrategies(ctx.profile, cfg, { root: ctx.root, workers: ctx.workers, log: ctx.log });
      ctx.log?.(results.verdict);
      return { result: results, table: strategiesTable(results.cells), verdict: results.verdict, publish: () => Object.values(publishStrategies(results, dirs, seconds)) };
    },
  }),
  entry<GrslConfig>({
    preset: GRSL_PRESET,
    async run(cfg, ctx) {
      const r = await runGrsl(ctx.profile, cfg, { root: ctx.root, workers: ctx.workers, log: ctx.log });
      // The verdict by the report's stated rule, on this run's results (published or not).
      const p4 = p4Section(r, loadGrslPanels(), ctx.profile);
      const arm = r.corruptionArm ?? null;
      const table = [
        ...grslSummary(r), { modality: "verdict (P4)", phase: p4.verdict, note: p4.rule },
        ...corruptionArmTable(arm), ...(arm ? [{ modality: "corruption arm", phase: arm.verdict, note: arm.rule }] : []),
      ];
      return {
        result: r,
        table,
        publish: () => publishResult("grsl", ctx.profile, checkGrslResults(r), experimentProvenance("grsl", ctx.profile, grslUnitDirs(ctx.profile, cfg, ctx.root), invocation())),
      };
    },
  }),
  entry<ContinualConfig>({
    preset: CONTINUAL_PRESET,
    config: continualConfig,
    async run(cfg, ctx) {
      const r = await runContinual(ctx.profile, cfg, { root: ctx.root, log: ctx.log });
      const reading = r.reading ? readingSummary(r.reading).map(({ reading: name, ...rest }) => ({ arm: `reading: ${name}`, ...rest })) : [];
      let verdictRows: Record<string, string | number>[];
      if (cfg.variant === "general") {
        // P5's verdict is the default variant's; the variant is judged against the published default by its own rule.
        const def = loadPublishedContinual(ctx.profile);
        const sub = generalSubsection(r, def, ctx.profile);
        const rows = def ? generalComparisonTable(generalComparison(r, def)).map(({ comparison, ...rest }) => ({ arm: comparison, ...rest })) : [];
        verdictRows = [...rows, { arm: "verdict (general captions)", seeds: sub.verdict, "nDCG@10": sub.rule }];
      } else {
        const p5 = p5Section(r, ctx.profile);
        verdictRows = [{ arm: "verdict (P5)", seeds: p5.verdict, "nDCG@10": p5.rule }];
      }
      return {
        result: r,
        table: [...continualSummary(r), ...reading, ...verdictRows],
        publish: () => {
          const name = continualPublishName(ctx.profile, cfg);
          return publishResult(name, ctx.profile, checkContinualResults(r), experimentProvenance(name, ctx.profile, continualUnitDirs(ctx.profile, cfg, ctx.root), invocation()));
        },
      };
    },
  }),
  entry<GenerateEmbedConfig>({
    preset: GENERATE_EMBED_PRESET,
    async run(cfg, ctx) {
      const { results, dirs } = await runGenerateEmbed(ctx.profile, cfg, { root: ctx.root, workers: ctx.workers, log: ctx.log });
      for (const line of generateEmbedLines(results)) ctx.log?.(line);
      return { result: results, table: generateEmbedSummary(results), publish: () => Object.values(publishGenerateEmbed(results, dirs, invocation())) };
    },
  }),
];

/** The experiment with this name; throws an `InputError` listing the known names. */
export function experimentByName(name: string): Experiment {
  const e = EXPERIMENTS.find((x) => x.preset.name === name);
  if (!e) throw new InputError(`unknown experiment "${name}"; known: ${EXPERIMENTS.map((x) => x.preset.name).join(", ")}`);
  return e;
}

/**
 * The config `lco experiment <name> --profile <profile> <flags>` runs: the `--key=value` flags parsed
 * against the profile's defaults, then resolved by the experiment's own `config` (or the preset).
 * @example experimentConfig(experimentByName("strategies"), "smoke", ["--format=one-word"])
 */
export function experimentConfig(exp: Experiment, profile: Profile, flags: readonly string[] = []): object {
  return resolveExperimentConfig(exp, profile, parseOverrides(flags, { defaults: presetDefaults(exp.preset, profile) }));
}

/** The config of an experiment at a profile with parsed overrides: its own `config`, or the preset's resolution. */
export function resolveExperimentConfig(exp: Experiment, profile: Profile, overrides: Overrides = {}): object {
  return exp.config ? exp.config(profile, overrides) : resolveConfig(exp.preset, overrides, { profile });
}
