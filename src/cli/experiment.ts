/**
 * `lco experiment <name> --profile … [--publish]`: run one registered experiment (its preset,
 * overridable with `--key=value`), print its summary table, and optionally publish the results.
 *
 * @module
 */
import * as path from "node:path";
import { initBackend, describeBackend } from "../backend";
import { PROFILES, type Profile } from "../config";
import { EXPERIMENTS, experimentByName, experimentConfig } from "../experiments/registry";
import { defaultWorkers } from "../organism/family";
import { parseIntStrict, printJson } from "./args";
import { type CliIO, type Command, UsageError } from "./command";

const USAGE = `usage: lco experiment NAME [--profile smoke|full|large] [--root DIR] [--workers N|auto]
                      [--publish] [--json] [--KEY=VALUE …]

Run one experiment of the kit: every run it needs is trained or loaded (finished runs are not
redone), then measured; the summary table is printed. --publish copies the results with their
provenance into data/ (the inputs of the registered figures). --KEY=VALUE overrides a field of the
experiment's preset (e.g. --seeds=0,1 --clipSteps=20).

Experiments:
${EXPERIMENTS.map((e) => `  ${e.preset.name.padEnd(12)} ${e.preset.description ?? ""}\n  ${"".padEnd(12)} defaults ${JSON.stringify(e.preset.defaults)}`).join("\n")}`;

const OWN = new Set(["profile", "root", "workers", "publish", "json"]);

/** `lco experiment`. */
export const experimentCommand: Command = {
  name: "experiment",
  summary: "run one experiment (alignment, …) with its preset; --publish copies its results to data/",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [name, ...rest] = argv;
    if (!name || name.startsWith("-")) throw new UsageError(`missing experiment name; known: ${EXPERIMENTS.map((e) => e.preset.name).join(", ")}`);
    const exp = experimentByName(name);
    // Split the command's own flags from preset overrides (--key=value).
    const own: Record<string, string | boolean> = {};
    const overrides: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const m = /^--([^=]+)(?:=(.*))?$/.exec(rest[i]);
      if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(rest[i])}; flags are --name or --name=value`);
      if (!OWN.has(m[1])) {
        overrides.push(rest[i]);
        continue;
      }
      if (m[1] === "publish" || m[1] === "json") own[m[1]] = true;
      else if (m[2] !== undefined) own[m[1]] = m[2];
      else if (i + 1 < rest.length) own[m[1]] = rest[++i];
      else throw new UsageError(`--${m[1]} needs a value`);
    }
    const profile = (own.profile as string | undefined) ?? "full";
    if (!(PROFILES as readonly string[]).includes(profile)) throw new UsageError(`invalid --profile; expected one of ${PROFILES.join(", ")}, got "${profile}"`);
    const cfg = experimentConfig(exp, profile as Profile, overrides);
    const workers = own.workers === "auto" ? defaultWorkers() : own.workers !== undefined ? parseIntStrict(own.workers as string, "--workers", 1) : 1;
    const root = own.root !== undefined ? path.resolve(own.root as string) : undefined;
    const info = await initBackend();
    if (!own.json) io.err(describeBackend(info));
    const out = await exp.run(cfg, { profile: profile as Profile, root, workers, log: (l) => io.err(l) });
    const published = own.publish ? out.publish() : [];
    if (own.json) {
      printJson(io, { command: "experiment", experiment: name, profile, config: cfg, backend: info.name, table: out.table, ...(out.verdict ? { verdict: out.verdict } : {}), published });
      return 0;
    }
    const cols = [...new Set(out.table.flatMap((r) => Object.keys(r)))];
    io.out(cols.join("\t"));
    for (const r of out.table) io.out(cols.map((c) => String(r[c] ?? "")).join("\t"));
    if (out.verdict) io.out(out.verdict);
    for (const f of published) io.out(`published ${f}`);
    return 0;
  },
};
