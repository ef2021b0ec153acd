/**
 * `npm run bench`: run every `bench/*.bench.ts` in its own process, one after another (so that
 * benchmarks never share the two cores), and print what each one reports.
 *   npm run bench            # all benchmarks
 *   npm run bench -- probes  # only files whose name contains "probes"
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const filter = process.argv[2];
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith(".bench.ts") && (!filter || f.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filter ?? "bench/*.bench.ts"}`);
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync("node", ["--import", "tsx", `${__dirname}/${f}`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
