#!/usr/bin/env node
// `npm run figures`: build every registered figure into figures/ (JSON snapshot, standalone HTML,
// PNG, SVG) and write figures/MANIFEST.json. Only figures whose inputs, builder or kit changed
// are rebuilt.
//
//   node scripts/figures.mjs [ids…]        build (all, or the named ids)
//   node scripts/figures.mjs --force       rebuild everything
//   node scripts/figures.mjs --check       rebuild the JSON only and compare with the committed
//                                          snapshots; on a mismatch write <id>-changed.plotly.json
//                                          and exit 1
//   node scripts/figures.mjs --no-images   skip PNG/SVG (no browser)
//
// The figures come from the compiled kit in dist/; when dist/ is missing or older than src/,
// the script builds it first (tsc -p tsconfig.build.json).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "figures");

function walk(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

function ensureBuilt() {
  const dist = join(ROOT, "dist", "index.js");
  const newestSrc = Math.max(0, ...walk(join(ROOT, "src"), ".ts").map((f) => statSync(f).mtimeMs));
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestSrc) return;
  console.error("dist/ is missing or older than src/: building the kit (tsc -p tsconfig.build.json)");
  const r = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
  // tsc still emits JavaScript when there are type errors elsewhere; go on if dist exists.
  if (r.status !== 0 && !existsSync(dist)) {
    console.error("building the kit failed; run npm run build and fix the errors");
    process.exit(1);
  }
}

/** sha256 over the compiled kit: any code change a builder may depend on changes it. */
function codeHash() {
  const h = createHash("sha256");
  for (const f of walk(join(ROOT, "dist"), ".js").sort()) h.update(relative(ROOT, f)).update(readFileSync(f));
  return h.digest("hex");
}

async function main(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const ids = argv.filter((a) => !a.startsWith("--"));
  for (const f of flags) if (!["--force", "--check", "--no-images"].includes(f)) throw new Error(`unknown option ${f}`);
  ensureBuilt();
  const require = createRequire(import.meta.url);
  const lco = require(join(ROOT, "dist", "index.js"));
  const { FIGURES, figureById, buildFigures, checkFigures, checkFigureTags, findFigureTags, closeSharedRenderer } = lco.figures;
  const specs = ids.length ? ids.map((id) => figureById(id)) : [...FIGURES];

  if (flags.has("--check")) {
    const rep = checkFigures(specs, OUT);
    for (const m of rep.mismatched) {
      console.error(`✗ ${m.id}: ${m.status === "missing" ? "no committed snapshot" : "differs from the committed snapshot"}; rebuilt JSON written to ${relative(ROOT, m.changedFile)}`);
    }
    if (!ids.length) for (const o of rep.orphans) console.error(`! figures/${o} belongs to no registered figure (delete it?)`);
    console.log(`${rep.same.length}/${specs.length} figure snapshot(s) match`);
    if (rep.mismatched.length) {
      console.error("if the change is intended, run npm run figures and commit the new figures/*.plotly.json");
      return 1;
    }
    return 0;
  }

  const t0 = Date.now();
  let rep;
  try {
    rep = await buildFigures({
      specs,
      outDir: OUT,
      root: ROOT,
      force: flags.has("--force"),
      images: !flags.has("--no-images"),
      kitVersion: lco.version,
      codeHash: codeHash(),
      keep: FIGURES.map((s) => s.id),
      log: (l) => console.log(l),
    });
  } finally {
    // An open browser keeps Node alive: close it on every path.
    await closeSharedRenderer();
  }
  if (rep.imagesSkipped) console.error(`PNG/SVG skipped: ${rep.imagesSkipped}`);
  for (const f of rep.renderFailures) console.error(`✗ PNG/SVG of ${f.id} failed: ${f.error}`);
  for (const m of rep.missingInputs) console.error(`✗ ${m.id} not built: missing input ${m.files.join(", ")}`);
  for (const p of checkFigureTags(FIGURES, findFigureTags(join(ROOT, "notebooks")))) console.error(`! ${p}`);
  console.log(
    `${rep.built.length} built, ${rep.upToDate.length} up to date, in ${((Date.now() - t0) / 1000).toFixed(1)} s; manifest: figures/MANIFEST.json`,
  );
  return rep.renderFailures.length || rep.missingInputs.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e.message);
    process.exitCode = 1;
  },
);
