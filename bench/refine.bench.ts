/**
 * `npm run bench -- refine`: the cost of contrastive refinement per family size and strategy on
 * the default backend: wall and CPU milliseconds per refinement step, the projected time of one
 * refinement at the profile's step count, and the time of one measurement (`measureCondition`: P1's
 * alignment on IID and OOD plus the linear probes), from which one P2 cell (2 refinements + 4
 * measurements) and one P3 cell (1 refinement + 1 IID measurement) are projected.
 *
 * Weights are a random initialisation: step time does not depend on them. `LCO_PROFILE` picks
 * the family (default full); `LCO_BENCH_STEPS` the timed steps (default 10, after 2 warm-up
 * steps on another copy). Times are printed, never asserted.
 */
import { initBackend, describeBackend } from "../src/backend";
import { profileFromEnv } from "../src/config";
import { FAMILY } from "../src/organism/config";
import { createOrganism, disposeOrganism, featureCacheSpec, fitInputNorm } from "../src/organism/model";
import { specConfig, specData, pretrainSpec } from "../src/organism/family";
import { refine, refineConfig, refineTriples, REFINE_STRATEGIES } from "../src/organism/refine";
import { measureCondition } from "../src/experiments/refinement";

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  const profile = profileFromEnv("full");
  const steps = Number(process.env.LCO_BENCH_STEPS ?? 10);
  const data = specData(pretrainSpec(profile));
  const fresh = (size: string) => {
    const m = createOrganism(specConfig(pretrainSpec(profile, size), data.tokenizer.vocabSize), featureCacheSpec(data.cache), 0);
    fitInputNorm(m, data.cache, data.splits.train);
    return m;
  };
  console.log(`profile ${profile}; ${steps} timed steps per row`);
  console.log("size  strategy  trained params  wall ms/step  CPU ms/step  projected refinement (wall)");
  for (const f of FAMILY[profile]) {
    const perStep: Record<string, number> = {};
    for (const strategy of REFINE_STRATEGIES) {
      const full = refineConfig(strategy, profile);
      const triples = full.pairs === "text" ? refineTriples(data, full) : undefined;
      const warm = fresh(f.name);
      refine(warm, data, { ...full, steps: 2, warmupSteps: 1 }, 0, { triples });
      disposeOrganism(warm);
      const m = fresh(f.name);
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const r = refine(m, data, { ...full, steps, warmupSteps: 1 }, 0, { triples });
      const wall = (performance.now() - w0) / steps;
      const cu = process.cpuUsage(c0);
      disposeOrganism(m);
      perStep[strategy] = wall;
      console.log(
        `${f.name.padEnd(5)} ${strategy.padEnd(9)} ${String(r.trainableParams).padStart(14)} ${wall.toFixed(0).padStart(13)} ${((cu.user + cu.system) / 1000 / steps).toFixed(0).padStart(12)}  ${((wall * full.steps) / 1000).toFixed(1)} s for ${full.steps} steps`,
      );
    }
    const m = fresh(f.name);
    const w0 = performance.now();
    measureCondition(m, data, { seed: 0, probeItems: 240 });
    const measure = (performance.now() - w0) / 1000;
    disposeOrganism(m);
    const lora = (perStep.lora * refineConfig("lora", profile).steps) / 1000;
    console.log(`${f.name.padEnd(5)} one measurement (IID + OOD, probes) ${measure.toFixed(1)} s → one P2 cell ≈ ${(2 * lora + 4 * measure).toFixed(0)} s (LoRA)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
