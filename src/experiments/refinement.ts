/**
 * P2, first cut: does text-only contrastive refinement change cross-modal alignment? For each
 * pretrained run (a run folder with checkpoints), measure image/audio ↔ caption alignment
 * (`measureAlignment`: R@1, R@5, class-R@1, within-class R@1, attribute top-1, mutual-kNN and CKA
 * with their shuffled-pairs controls) before and after one refinement, and the same for the same
 * architecture at random initialisation (the control: what refinement alone can do).
 *
 * Not yet here (see the closing note of the refinement branch): the CLIP-style condition, the
 * document modality, text paraphrase R@1, the linear probe and the layer-wise calibration in the
 * table, the IID+OOD mixed gallery, the strategies comparison (P3) and publishing.
 *
 * @module
 */
import { dataForRun, loadOrganism } from "../organism/checkpoint";
import { createOrganism, disposeOrganism, fitInputNorm, type Organism } from "../organism/model";
import type { OrganismData } from "../organism/data";
import { refine, refineConfig, worldTriples, type RefineConfig, type RefineResult } from "../organism/refine";
import { configHash, runOrLoad } from "../runs";
import type { Profile } from "../config";
import { alignmentTable, measureAlignment, type AlignmentRow, type ModalityAlignment } from "./alignment";
import * as path from "node:path";

/** One measured condition of one pretrained run. */
export interface RefinementRow {
  run: string;
  seed: number;
  condition: "pretrained" | "pretrained + refined" | "random init" | "random init + refined";
  split: "iid" | "ood";
  alignment: ModalityAlignment[];
}

/** Result of {@link refinementRun}. */
export interface RefinementRunResult {
  rows: RefinementRow[];
  /** The refinement of the pretrained model and of the random initialisation. */
  refinements: { pretrained: Omit<RefineResult, "config">; init: Omit<RefineResult, "config"> };
}

/** Options of {@link refinementRun}. */
export interface RefinementRunOptions {
  /** Refinement config (default: `refineConfig("lora", profile)`: text-only LoRA on the world's triples). */
  refine?: RefineConfig;
  /** Profile recorded with the run. Default `"full"`. */
  profile?: Profile;
  /** Recompute even when cached. */
  force?: boolean;
  log?: (line: string) => void;
}

/**
 * Before / after one refinement for one pretrained run, cached with `runOrLoad` in
 * `<runDir>/refinement/<hash>/seed-<n>` (the seed is the pretrained run's).
 */
export async function refinementRun(runDirPath: string, options: RefinementRunOptions = {}): Promise<RefinementRunResult> {
  const profile = options.profile ?? "full";
  const cfg = options.refine ?? refineConfig("lora", profile);
  const { model: probe } = loadOrganism(runDirPath);
  const seed = probe.seed;
  disposeOrganism(probe);
  const ident = { refine: cfg, measure: "refinement v1" };
  const dir = path.join(runDirPath, "refinement", configHash(ident).slice(0, 8), `seed-${seed}`);
  return runOrLoad<RefinementRunResult, typeof ident>({
    dir,
    cfg: ident,
    seed,
    profile,
    force: options.force,
    log: options.log,
    compute: () => {
      const data: OrganismData = dataForRun(runDirPath);
      const triples = worldTriples(data);
      const rows: RefinementRow[] = [];
      const measureAll = (m: Organism, condition: RefinementRow["condition"]) => {
        for (const split of ["iid", "ood"] as const) {
          options.log?.(`${path.basename(runDirPath)}: ${condition}, ${split}`);
          rows.push({ run: runDirPath, seed, condition, split, alignment: measureAlignment(m, data, data.splits[split], { seed }) });
        }
      };
      const strip = ({ config: _c, ...r }: RefineResult) => r;
      const { model } = loadOrganism(runDirPath);
      let pre: RefineResult, ini: RefineResult;
      try {
        measureAll(model, "pretrained");
        pre = refine(model, data, cfg, seed, { triples });
        measureAll(model, "pretrained + refined");
      } finally {
        disposeOrganism(model);
      }
      const init = createOrganism(model.config, model.inputs, seed);
      try {
        fitInputNorm(init, data.cache, data.splits.train);
        measureAll(init, "random init");
        ini = refine(init, data, cfg, seed, { triples });
        measureAll(init, "random init + refined");
      } finally {
        disposeOrganism(init);
      }
      return { rows, refinements: { pretrained: strip(pre), init: strip(ini) } };
    },
  });
}

/** Key last-layer numbers of every row, flat (the P1 table's columns plus the run and condition). */
export function refinementTable(rows: readonly RefinementRow[]): Record<string, string | number>[] {
  return rows.flatMap((r) =>
    // The P1 table builder reads seed, condition, split and alignment only.
    alignmentTable([r as unknown as AlignmentRow]).map((t) => ({ run: path.basename(path.dirname(r.run)), ...t })),
  );
}
