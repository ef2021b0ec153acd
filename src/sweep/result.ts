/**
 * Whether a run folder holds the finished result of a config: the test every sweep job's
 * `isDone` makes, with the same rule `runs.runOrLoad` uses to load (hash and seed both match).
 *
 * @module
 */
import { loadRun } from "../runs/cache";
import { configHash } from "../runs/hash";

/**
 * True when `dir/result.json` exists and was written for `configHash(cfg)` and `seed` (`null`: a
 * run without a seed).
 */
export function resultExists(dir: string, cfg: unknown, seed: number | null): boolean {
  const stored = loadRun(dir);
  return stored !== null && stored.configHash === configHash(cfg) && stored.seed === seed;
}
