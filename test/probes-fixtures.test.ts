/**
 * Agreement with fixtures from a float64 NumPy port of platonic-rep `metrics.py` and LCO-Embedding
 * `anisotropy.py` (generator: scripts/fixtures/platonic_fixtures.py; the JSON is committed, so
 * this test needs no Python).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { anisotropy, measure } from "../src/probes";
import type { MetricName } from "../src/probes";

interface Case { n: number; dA: number; dB: number; seed: number; k: number; A: number[][]; B: number[][]; expected: Record<string, number> }
const fixtures = JSON.parse(readFileSync(join(__dirname, "reference", "platonic-fixtures.json"), "utf8")) as { cases: Case[] };

const close = (a: number, b: number, tol: number, msg: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg}: expected ${b}, got ${a} (|diff| = ${Math.abs(a - b)})`);

test("fixtures exist and cover three cases", () => {
  assert.equal(fixtures.cases.length, 3);
});

for (const c of fixtures.cases) {
  test(`NumPy platonic-rep port agrees to 1e-5: n=${c.n}, dA=${c.dA}, dB=${c.dB}, k=${c.k}`, () => {
    const e = c.expected;
    for (const m of ["mutual_knn", "cycle_knn", "lcs_knn", "edit_distance_knn", "cka", "unbiased_cka", "cknna"] as MetricName[]) {
      close(measure(m, c.A, c.B, { k: c.k }), e[m], 1e-5, m);
    }
    close(measure("cka", c.A, c.B, { kernel: "rbf" }), e.cka_rbf, 1e-5, "cka rbf");
    close(measure("unbiased_cka", c.A, c.B, { kernel: "rbf", rbfSigma: 0.5 }), e["unbiased_cka_rbf_sigma0.5"], 1e-5, "unbiased cka rbf σ=0.5");
    close(anisotropy(c.A), e.anisotropy_A, 1e-10, "anisotropy A");
    close(anisotropy(c.B), e.anisotropy_B, 1e-10, "anisotropy B");
  });
}
