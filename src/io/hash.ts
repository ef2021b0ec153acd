/**
 * sha256, the one hash of the kit: config identities (`runs.configHash`), figure inputs and
 * snapshots, and the asset registry all use these two functions.
 *
 * @module
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { InputError } from "../array";

/** Hex sha256 (64 characters) of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex sha256 of a file's bytes. @throws InputError naming the file if it is missing. */
export function sha256File(file: string): string {
  if (!fs.existsSync(file)) throw new InputError(`missing file ${file}`);
  return sha256(fs.readFileSync(file));
}
