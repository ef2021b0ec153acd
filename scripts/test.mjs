#!/usr/bin/env node
// `npm test`: set up what is missing, build the kit, type-check, then run every test file
// (unit tests, figure snapshots and the notebook smoke runs) in one `node --test` run, so that
// its closing summary is the last thing printed.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
};

run("bash", ["environment/install.sh"]);
run("npx", ["tsc", "-p", "tsconfig.build.json"]);
run("npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
// The layering rules (.dependency-cruiser.cjs; the map is in CONTRIBUTING.md): no circles, no arrow upward.
run("npx", ["depcruise", "src", "bin", "--config", ".dependency-cruiser.cjs"]);
// Optional filter: `npm test -- probes` runs only test files whose name contains "probes".
const filter = process.argv[2];
const files = readdirSync("test")
  .filter((f) => f.endsWith(".test.ts") && (!filter || f.includes(filter)))
  .sort()
  .map((f) => `test/${f}`);
if (files.length === 0) {
  console.error(`no test files match ${filter ?? "test/*.test.ts"}`);
  process.exit(1);
}
run("node", ["--import", "tsx", "--test", "--test-concurrency=1", ...files], { LCO_PROFILE: process.env.LCO_PROFILE ?? "smoke" });
