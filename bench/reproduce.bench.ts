/**
 * `npm run bench -- reproduce`: the wall time of each stage of `npm run reproduce`. It runs
 * `node scripts/reproduce.mjs --profile P` (P = `LCO_BENCH_REPRODUCE_PROFILE`, default `smoke`) in
 * a temporary copy of the project, so the user's runs/, out/, figures/ and data/ are never touched
 * (the runs folder is `runs/` under the project root, the folder above `dist/`: hence a copy of the
 * code, with node_modules and native/ linked), reads the copy's `timings.json` and prints one row
 * per stage. Then, when present, it prints the last full-profile timings of this checkout
 * (`out/reproduce/full/timings.json`) with the file's modification time.
 *
 * It times the built `dist/` (run `npm run build` first). Every run starts with empty runs/, so
 * this is the cost of computing everything at that profile. Times are printed, never asserted.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
/** Copied (the code resolves the project root from dist/, and the figures stage writes figures/). */
const COPY = ["bin", "dist", "scripts", "environment", "src", "data", "figures", "package.json", "tsconfig.json", "tsconfig.build.json"];
/** Linked (read only). */
const LINK = ["node_modules", "native"];

/** `{stage: seconds}` as a printed table, with the total. */
function printTimings(t: Record<string, number>): void {
  const width = Math.max(5, ...Object.keys(t).map((k) => k.length));
  console.log(`${"stage".padEnd(width)}  seconds`);
  for (const [stage, s] of Object.entries(t)) console.log(`${stage.padEnd(width)}  ${s.toFixed(1).padStart(7)}`);
  console.log(`${"total".padEnd(width)}  ${Object.values(t).reduce((a, b) => a + b, 0).toFixed(1).padStart(7)}`);
}

function main(): number {
  const profile = process.env.LCO_BENCH_REPRODUCE_PROFILE ?? "smoke";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lco-bench-reproduce-"));
  try {
    for (const f of COPY) if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(tmp, f), { recursive: true });
    for (const f of LINK) if (fs.existsSync(path.join(ROOT, f))) fs.symlinkSync(path.join(ROOT, f), path.join(tmp, f));
    console.log(`reproduce --profile ${profile} in ${tmp} (a copy of ${ROOT}; empty runs/)`);
    const log = path.join(tmp, "reproduce.log");
    const fd = fs.openSync(log, "w");
    const r = spawnSync("node", ["scripts/reproduce.mjs", "--profile", profile], { cwd: tmp, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    if (r.status !== 0) {
      console.log(fs.readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
      console.log(`reproduce failed (exit ${r.status ?? r.signal})`);
      return 1;
    }
    printTimings(JSON.parse(fs.readFileSync(path.join(tmp, "out", "reproduce", profile, "timings.json"), "utf8")));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const full = path.join(ROOT, "out", "reproduce", "full", "timings.json");
  if (fs.existsSync(full)) {
    console.log(`\nlast full-profile timings of this checkout (${path.relative(ROOT, full)}, written ${fs.statSync(full).mtime.toISOString()}):`);
    printTimings(JSON.parse(fs.readFileSync(full, "utf8")));
  } else console.log(`\nno full-profile timings yet (${path.relative(ROOT, full)}; npm run reproduce writes it)`);
  return 0;
}

process.exit(main());
