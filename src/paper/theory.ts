/**
 * A toy of the paper's PAC-Bayesian explanation of GRSL (paper §5).
 *
 * **This is a reconstruction, not the paper's Theorem 1.** The theorem text was not recovered
 * (paper-notes §4.3); what is here combines three textbook ingredients the secondary sources
 * name, with none of the paper's constants:
 *
 *   (1) InfoNCE with N candidates:  L_NCE(Q) ≥ log N − I_Q(X;Y)              (van den Oord et al. 2018)
 *   (2) the generatively pretrained prior P captures I_P(X;Y) = H(Y) − H_P(Y|X), so a better
 *       generator (lower generative loss L_g(P) ≥ H(Y|X)) has a larger I_P;
 *   (3) PAC-Bayes (McAllester; Maurer 2004), loss in [0, 1], prior P fixed before the n
 *       contrastive pairs; with probability ≥ 1 − δ, for every posterior Q:
 *         E_Q R(θ) ≤ E_Q R̂_n(θ) + sqrt( (KL(Q‖P) + ln(2√n/δ)) / (2n) ).
 *
 *   ⇒ bound(I, KL) = max(0, log N − I) + empirical gap + sqrt((KL + ln(2√n/δ)) / (2n)).
 *
 * Reading: more mutual information captured by the generative prior (better generation) lowers
 * the first term; staying close to the prior (LoRA: small KL) keeps the second small. Caveat
 * worth stating to a student: (3) needs a loss in [0, 1] while InfoNCE lives in [0, ~log N], so
 * adding the terms mixes scales; the toy shows the *shape* (monotone in I and KL), not numbers
 * anyone measured.
 *
 * @module
 */
import { InputError } from "../array";

/** Inputs of {@link theoryBound}. All information quantities in nats. */
export interface TheoryBoundParams {
  /** I_P(X;Y), mutual information captured by the generative prior (nats, ≥ 0). */
  mutualInfo: number;
  /** KL(Q‖P) between the refined posterior and the prior (nats, ≥ 0). */
  kl: number;
  /** n, number of contrastive training pairs (≥ 1). */
  nPairs: number;
  /** N, candidates per InfoNCE anchor (batch size; ≥ 2). */
  nCandidates: number;
  /** δ, the bound holds with probability ≥ 1 − δ; in (0, 1). */
  delta: number;
  /** Empirical risk gap term (default 0). */
  empiricalGap?: number;
}

/** The value of the toy bound and its parts. */
export interface TheoryBoundValue {
  /** max(0, log N − I): the InfoNCE floor left by the prior's mutual information. */
  infoTerm: number;
  /** sqrt((KL + ln(2√n/δ)) / (2n)): the PAC-Bayes complexity term. */
  complexityTerm: number;
  /** The empirical gap passed in. */
  empiricalGap: number;
  /** infoTerm + empiricalGap + complexityTerm. */
  bound: number;
}

/**
 * Evaluate the reconstructed bound (see the module comment; **not the paper's theorem**).
 *
 * @example
 * // N = 100, I = 2, KL = 0, n = 1000, δ = 0.05:
 * // infoTerm = ln 100 − 2 = 2.605170; complexity = sqrt(ln(2·√1000/0.05) / 2000) = 0.059761
 * theoryBound({mutualInfo: 2, kl: 0, nPairs: 1000, nCandidates: 100, delta: 0.05}).bound; // 2.664931
 * @throws when a parameter is out of range (naming it and its value).
 */
export function theoryBound(p: TheoryBoundParams): TheoryBoundValue {
  const gap = p.empiricalGap ?? 0;
  if (!(Number.isFinite(p.mutualInfo) && p.mutualInfo >= 0)) throw new InputError(`invalid mutualInfo; need ≥ 0 nats, got ${p.mutualInfo}`);
  if (!(Number.isFinite(p.kl) && p.kl >= 0)) throw new InputError(`invalid kl; need ≥ 0 nats, got ${p.kl}`);
  if (!(Number.isFinite(p.nPairs) && p.nPairs >= 1)) throw new InputError(`invalid nPairs; need ≥ 1, got ${p.nPairs}`);
  if (!(Number.isFinite(p.nCandidates) && p.nCandidates >= 2)) throw new InputError(`invalid nCandidates; need ≥ 2, got ${p.nCandidates}`);
  if (!(p.delta > 0 && p.delta < 1)) throw new InputError(`invalid delta; need 0 < δ < 1, got ${p.delta}`);
  if (!(Number.isFinite(gap) && gap >= 0)) throw new InputError(`invalid empiricalGap; need ≥ 0, got ${gap}`);
  // InfoNCE cannot certify more than log N nats, so past that point the info term stays at 0.
  const infoTerm = Math.max(0, Math.log(p.nCandidates) - p.mutualInfo);
  const complexityTerm = Math.sqrt((p.kl + Math.log((2 * Math.sqrt(p.nPairs)) / p.delta)) / (2 * p.nPairs));
  return { infoTerm, complexityTerm, empiricalGap: gap, bound: infoTerm + gap + complexityTerm };
}

/**
 * The bound along a grid of mutual-information values (one curve of the theory chart).
 * @param mutualInfo grid of I values (nats).
 * @param rest the other parameters, fixed.
 * @returns `{mutualInfo, bound}` arrays of equal length.
 */
export function theoryBoundCurve(
  mutualInfo: readonly number[],
  rest: Omit<TheoryBoundParams, "mutualInfo">,
): { mutualInfo: number[]; bound: number[] } {
  return { mutualInfo: [...mutualInfo], bound: mutualInfo.map((I) => theoryBound({ ...rest, mutualInfo: I }).bound) };
}

/** `from, from+step, …` up to `to` (inclusive, with a small tolerance for float steps). */
export function grid(from: number, to: number, step: number): number[] {
  if (!(step > 0)) throw new InputError(`invalid step; need > 0, got ${step}`);
  if (!(to >= from)) throw new InputError(`invalid range; need to ≥ from, got from = ${from}, to = ${to}`);
  const n = Math.floor((to - from) / step + 1e-9) + 1;
  return Array.from({ length: n }, (_, i) => Number((from + i * step).toFixed(12)));
}
