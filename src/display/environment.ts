/**
 * What a chapter runs on: printed by every chapter's setup cell so that a reader comparing
 * numbers knows the versions, the TF.js backend and the profile that produced them.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, describeBackend } from "../backend";
import { profileFromEnv, type Profile } from "../config";
import { chromiumUnavailableReason } from "../figures/render";
import { inKernel } from "./kernel";

/** The environment of the current process. */
export interface EnvironmentInfo {
  /** lco-kit version (from package.json). */
  kit: string;
  node: string;
  /** tslab and its bundled TypeScript, when tslab is installed. */
  tslab: string | null;
  typescript: string | null;
  /** `@tensorflow/tfjs` version. */
  tfjs: string;
  /** The TF.js backend line ({@link describeBackend}), or a hint to call `initBackend()`. */
  backend: string;
  /** `LCO_PROFILE` (default `"full"`). */
  profile: Profile;
  /** Whether we run inside a notebook kernel. */
  kernel: boolean;
  /** `"available"` or why static figure rendering is unavailable. */
  chromium: string;
}

function kitVersion(): string {
  // dist/display/environment.js and src/display/environment.ts are both two levels below the root.
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Collect the {@link EnvironmentInfo}. Call after `await lco.initBackend()` to see the backend. */
export function environment(): EnvironmentInfo {
  let tslab: string | null = null, typescript: string | null = null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const v = (require("tslab") as { versions: { tslab: string; typescript: string } }).versions;
    tslab = v.tslab;
    typescript = v.typescript;
  } catch {
    // tslab is a dev dependency; the CLI works without it.
  }
  const info = backendInfo();
  return {
    kit: kitVersion(),
    node: process.version,
    tslab,
    typescript,
    tfjs: tf.version.tfjs,
    backend: info ? describeBackend(info) : "not initialised (call await lco.initBackend())",
    profile: profileFromEnv(),
    kernel: inKernel(),
    chromium: chromiumUnavailableReason() ?? "available",
  };
}

/**
 * Print the environment, one `name: value` line each. Returns nothing, so that a notebook cell
 * ending with this call does not print the same information a second time as a raw object
 * (tslab echoes a cell's last value); call {@link environment} for the values.
 */
export function printEnvironment(): void {
  const e = environment();
  const lines = [
    `lco-kit ${e.kit} · node ${e.node}` + (e.tslab ? ` · tslab ${e.tslab} (TypeScript ${e.typescript})` : ""),
    `tfjs ${e.tfjs} · ${e.backend}`,
    `profile ${e.profile}${process.env.LCO_PROFILE ? "" : " (default; set LCO_PROFILE=smoke for a quick run)"}`,
    `static figures (Chromium): ${e.chromium}`,
  ];
  console.log(lines.join("\n"));
}
