/**
 * The `io` area: reading and writing arrays exchanged with Python (`.npy`, `.safetensors`) and
 * atomic file writes. See `src/io/README.md` for the one-line exports from PyTorch / NumPy.
 * Named exports only.
 *
 * @module
 */
export { readNpy, writeNpy, parseNpy, encodeNpy } from "./npy";
export { readSafetensors, writeSafetensors, parseSafetensors, encodeSafetensors } from "./safetensors";
export type { SafetensorsFile } from "./safetensors";
export { readArray } from "./readArray";
export type { ReadArrayOptions } from "./readArray";
export { halfToFloat, floatToHalf } from "./float16";
export { writeFileAtomic, writeJsonAtomic } from "./atomic";
export { sha256, sha256File } from "./hash";
