/**
 * `npm run bench -- organism`: training throughput of each family size on the default backend:
 * wall and CPU milliseconds per step, tokens (all B·T positions) per second, parameters, and the
 * projected pretraining time of one run. CPU time is printed next to wall time because the
 * machine may be shared: CPU ms/step is what one dedicated core would give.
 *
 * `LCO_PROFILE` picks the family (default full); `LCO_BENCH_STEPS` the timed steps (default 5,
 * after 2 warm-up steps). Times are printed, never asserted.
 */
import { initBackend, describeBackend } from "../src/backend";
import { profileFromEnv } from "../src/config";
import { FAMILY } from "../src/organism/config";
import { createOrganism, featureCacheSpec, parameterCounts } from "../src/organism/model";
import { specConfig, specData, pretrainSpec } from "../src/organism/family";
import { trainOrganism } from "../src/organism/pretrain";

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  const profile = profileFromEnv("full");
  const steps = Number(process.env.LCO_BENCH_STEPS ?? 5);
  const warm = 2;
  const t0 = performance.now();
  const data = specData(pretrainSpec(profile));
  console.log(`profile ${profile}: world + renders + features for ${data.items.length} items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log("size  params     B×T      wall ms/step  CPU ms/step  tokens/s (wall)  projected run (CPU)");
  for (const f of FAMILY[profile]) {
    const spec = pretrainSpec(profile, f.name);
    const cfg = specConfig(spec, data.tokenizer.vocabSize);
    const model = createOrganism({ ...cfg, train: { ...cfg.train, numSteps: warm + steps } }, featureCacheSpec(data.cache), 0);
    await trainOrganism(model, data, { stopAfter: warm });
    let bt = "";
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const r = await trainOrganism(model, data, { onProgress: () => {} });
    const wall = (performance.now() - w0) / steps;
    const cu = process.cpuUsage(c0);
    const cpu = (cu.user + cu.system) / 1000 / steps;
    // Batch layout of one step, for the record.
    const { trainingBatch } = await import("../src/organism/pretrain");
    const b = trainingBatch(model, data, 0, 0);
    bt = `${b.B}×${b.T}`;
    const projected = (cpu * cfg.train.numSteps) / 60000;
    console.log(
      `${f.name.padEnd(5)} ${String(parameterCounts(model).total).padEnd(10)} ${bt.padEnd(8)} ${wall.toFixed(0).padStart(12)} ${cpu.toFixed(0).padStart(12)} ${r.tokensPerSec.toFixed(0).padStart(16)}  ${projected.toFixed(1)} min for ${cfg.train.numSteps} steps`,
    );
    model.params.dispose();
  }
  const mem = process.memoryUsage();
  console.log(`peak-ish RSS ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
