/**
 * One entry point for "give me the array in this file", choosing the reader by extension.
 *
 * @module
 */
import * as path from "node:path";
import { InputError } from "../array";
import type { NdArray } from "../array";
import { readNpy } from "./npy";
import { readSafetensors } from "./safetensors";

/** Options of {@link readArray}. */
export interface ReadArrayOptions {
  /** For `.safetensors` files with several tensors: which one to return. */
  tensor?: string;
}

/**
 * Read one array from a `.npy` or `.safetensors` file.
 *
 * A `.safetensors` file must hold exactly one tensor, or `opts.tensor` must name one; the error
 * otherwise lists the available names. A `file.safetensors:name` suffix is not parsed here (file
 * names may contain colons); pass the name as `opts.tensor`.
 * @throws InputError for another extension, a missing file, a malformed file or an unknown tensor.
 */
export function readArray(file: string, opts: ReadArrayOptions = {}): NdArray {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".npy") {
    if (opts.tensor !== undefined) throw new InputError(`${file}: a .npy file holds one array; the tensor option applies only to .safetensors files`);
    return readNpy(file);
  }
  if (ext === ".safetensors") {
    const { tensors } = readSafetensors(file);
    const names = Object.keys(tensors).sort();
    if (opts.tensor !== undefined) {
      if (!Object.prototype.hasOwnProperty.call(tensors, opts.tensor)) {
        throw new InputError(`${file} has no tensor named ${JSON.stringify(opts.tensor)}; available: ${names.join(", ") || "(none)"}`);
      }
      return tensors[opts.tensor];
    }
    if (names.length !== 1) {
      throw new InputError(
        names.length === 0
          ? `${file} holds no tensors`
          : `${file} holds ${names.length} tensors (${names.join(", ")}); choose one with the tensor option (on the lco command line: FILE.safetensors:NAME)`,
      );
    }
    return tensors[names[0]];
  }
  throw new InputError(`${file}: unsupported file type ${JSON.stringify(ext || "(no extension)")}; expected .npy or .safetensors`);
}
