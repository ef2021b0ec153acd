/**
 * Profiles: how big a run is. Every experiment preset has a size per profile, and the same code
 * path runs in all of them.
 *
 * - `smoke`: seconds; what CI and `npm test` run (`LCO_PROFILE=smoke`).
 * - `full`: minutes on a 2-core laptop CPU; the default for `npm run reproduce`.
 * - `large`: for users with a GPU (tfjs-node-gpu); bigger models, more seeds.
 *
 * @module
 */

/** Size of a run. */
export type Profile = "smoke" | "full" | "large";

/** All profiles, smallest first. */
export const PROFILES: readonly Profile[] = ["smoke", "full", "large"];

/**
 * The profile named by `LCO_PROFILE`, else `fallback` (default `"full"`).
 * Throws on an unknown name, naming it.
 */
export function profileFromEnv(fallback: Profile = "full"): Profile {
  const v = process.env.LCO_PROFILE;
  if (v === undefined || v === "") return fallback;
  if ((PROFILES as readonly string[]).includes(v)) return v as Profile;
  throw new Error(`invalid LCO_PROFILE; expected one of ${PROFILES.join(", ")}, got "${v}"`);
}

/** Pick the value for a profile from a per-profile table, e.g. `byProfile(p, {smoke: 2, full: 200, large: 2000})`. */
export function byProfile<T>(profile: Profile, values: Record<Profile, T>): T {
  if (!(profile in values)) throw new Error(`invalid profile "${profile}"`);
  return values[profile];
}
