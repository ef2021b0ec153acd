#!/usr/bin/env node
// A software GPU for the webgpu tests: Mesa's Vulkan lavapipe from Debian bookworm-backports,
// unpacked into data/cache/lavapipe/ (gitignored; no root needed, the system is not changed).
//
//   node environment/software-gpu.mjs           # fetch, verify and unpack (idempotent), then probe it
//   node environment/software-gpu.mjs --check   # verify what is unpacked; exit 1 if missing
//
// Why backports: Debian 12's own Mesa 22.3 lavapipe lacks the dynamic-indexing features Dawn
// needs, and Dawn rejects it; Mesa 25 from bookworm-backports works. It also needs the Vulkan
// loader libvulkan1 (stock bookworm, installed by install.sh).
// How: a private apt configuration in data/cache/apt-backports/ lists only bookworm-backports, on
// the same Debian mirror as the system's own apt sources, and is used only for `apt-get update`
// and `apt-get download`; the pinned .deb is sha256-checked, `dpkg -x` unpacks it, the driver
// library is sha256-checked, and lvp_icd.json (a Vulkan driver manifest with a path relative to
// itself) selects it: VK_ICD_FILENAMES=data/cache/lavapipe/lvp_icd.json, or LCO_WEBGPU_ADAPTER=software.
// The software adapter proves correctness only: it is a CPU emulation of a GPU, and slow.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "data", "cache", "lavapipe");
const aptDir = path.join(root, "data", "cache", "apt-backports");
const checkOnly = process.argv.includes("--check");

// The pinned package (Debian bookworm-backports, amd64). When backports moves on to a newer
// Mesa, this version leaves the mirror: update the three values (`--print-sums` shows them).
const PKG = {
  package: "mesa-vulkan-drivers",
  version: "25.0.7-2~bpo12+1",
  arch: "amd64",
  suite: "bookworm-backports",
  debSha256: "3899f1800424c60a05df5d6913076a526ca8fdbabec43672cd397563d1ca3263",
  lib: "usr/lib/x86_64-linux-gnu/libvulkan_lvp.so",
  libSha256: "ec746632947ef2ccb20930a674f026176ad00cc61a7d0f01f285dfc7e4104024",
  licence: "MIT (Mesa), see usr/share/doc/mesa-vulkan-drivers/copyright",
};
const deb = `${PKG.package}_${PKG.version.replace(/:/g, "%3a")}_${PKG.arch}.deb`;
const sha256 = (file) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const fail = (msg) => {
  console.log(`software GPU not set up: ${msg}`);
  process.exit(1);
};

function dpkgArch() {
  try {
    return execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

/** The Debian mirror of the system's own apt sources (deb822 `.sources` or one-line `sources.list`). */
function debianMirror() {
  const files = ["/etc/apt/sources.list", ...(fs.existsSync("/etc/apt/sources.list.d") ? fs.readdirSync("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`) : [])];
  for (const f of files.filter((x) => /\.(list|sources)$/.test(x) && fs.existsSync(x))) {
    const text = fs.readFileSync(f, "utf8");
    for (const line of text.split("\n")) {
      const m = line.match(/^\s*URIs:\s*(\S+)/) ?? line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\b/);
      if (m && /\/debian\/?$/.test(m[1]) && !/security/.test(m[1])) return m[1];
    }
  }
  return null;
}

const libFile = path.join(outDir, "root", PKG.lib);
const icdFile = path.join(outDir, "lvp_icd.json");
const ready = () => fs.existsSync(icdFile) && fs.existsSync(libFile) && sha256(libFile) === PKG.libSha256;

if (!ready()) {
  if (checkOnly) fail(`nothing in ${path.relative(root, outDir)}/ (run node environment/software-gpu.mjs)`);
  if (process.platform !== "linux") fail("only Linux needs it (macOS and Windows have a GPU driver through Metal / D3D12)");
  const arch = dpkgArch();
  if (arch !== PKG.arch) fail(`the pinned package is for ${PKG.arch}, this machine is ${arch ?? "not Debian"}`);
  const mirror = debianMirror();
  if (!mirror) fail("no Debian mirror found in /etc/apt/sources.list(.d)");
  fs.mkdirSync(path.join(aptDir, "lists", "partial"), { recursive: true });
  fs.mkdirSync(path.join(aptDir, "cache", "archives", "partial"), { recursive: true });
  fs.mkdirSync(path.join(aptDir, "sources"), { recursive: true });
  fs.mkdirSync(path.join(aptDir, "debs"), { recursive: true });
  const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
  fs.writeFileSync(path.join(aptDir, "sources", "backports.sources"), `Types: deb\nURIs: ${mirror}\nSuites: ${PKG.suite}\nComponents: main\nSigned-By: ${keyring}\n`);
  // A private apt state: the system's sources, lists and cache are not touched.
  const opts = [
    `Dir::Etc::SourceList=${path.join(aptDir, "sources", "none.list")}`,
    `Dir::Etc::SourceParts=${path.join(aptDir, "sources")}`,
    `Dir::State::Lists=${path.join(aptDir, "lists")}`,
    `Dir::Cache=${path.join(aptDir, "cache")}`,
    "Debug::NoLocking=1",
    "APT::Sandbox::User=root",
  ].flatMap((o) => ["-o", o]);
  const debPath = path.join(aptDir, "debs", deb);
  if (!fs.existsSync(debPath)) {
    console.log(`apt-get update (${PKG.suite} only, private lists in ${path.relative(root, aptDir)}/) …`);
    const u = spawnSync("apt-get", [...opts, "-qq", "update"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (u.status !== 0) fail(`apt-get update for ${PKG.suite} failed: ${(u.stderr || "").trim().split("\n").pop()}`);
    console.log(`apt-get download ${PKG.package}=${PKG.version} …`);
    const d = spawnSync("apt-get", [...opts, "-qq", "download", `${PKG.package}=${PKG.version}`], { cwd: path.join(aptDir, "debs"), stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (d.status !== 0) fail(`apt-get download ${PKG.package}=${PKG.version} failed (${(d.stderr || "").trim().split("\n").pop()}); if ${PKG.suite} moved to a newer Mesa, update PKG in environment/software-gpu.mjs`);
  }
  const got = sha256(debPath);
  if (process.argv.includes("--print-sums")) console.log(`deb sha256 ${got}`);
  if (got !== PKG.debSha256) fail(`sha256 mismatch for ${deb}: pinned ${PKG.debSha256}, file ${got}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, "root"), { recursive: true });
  execFileSync("dpkg", ["-x", debPath, path.join(outDir, "root")]);
  const libGot = sha256(libFile);
  if (process.argv.includes("--print-sums")) console.log(`lib sha256 ${libGot}`);
  if (libGot !== PKG.libSha256) fail(`sha256 mismatch for ${PKG.lib}: pinned ${PKG.libSha256}, file ${libGot}`);
  // Unneeded drivers out (radeon, intel, …): only lavapipe is used. ~45 MB saved.
  const libDir = path.dirname(libFile);
  for (const f of fs.readdirSync(libDir)) if (f !== path.basename(PKG.lib)) fs.rmSync(path.join(libDir, f), { recursive: true, force: true });
  fs.writeFileSync(icdFile, JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: `./root/${PKG.lib}`, api_version: "1.4.305" } }, null, 2) + "\n");
  fs.writeFileSync(path.join(outDir, "SOURCE"), `${PKG.package} ${PKG.version} (Debian ${PKG.suite}, ${PKG.arch}), .deb sha256 ${PKG.debSha256}; ${PKG.licence}\n`);
}

// Every library the driver needs must resolve (they come with Debian 12's libllvm15, libdrm2, …).
const ldd = spawnSync("ldd", [libFile], { encoding: "utf8" });
const missing = (ldd.stdout || "").split("\n").filter((l) => l.includes("not found")).map((l) => l.trim().split(" ")[0]);
if (missing.length) fail(`the lavapipe driver needs libraries that are not installed: ${missing.join(", ")}`);
let loader = false;
for (const d of ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"]) loader ||= fs.existsSync(path.join(d, "libvulkan.so.1"));
if (!loader) fail("the Vulkan loader libvulkan.so.1 is missing (Debian: apt-get install libvulkan1)");
console.log(`software GPU ready: ${PKG.package} ${PKG.version} in ${path.relative(root, outDir)}/ (VK_ICD_FILENAMES=${path.relative(root, icdFile)}, or LCO_WEBGPU_ADAPTER=software)`);
