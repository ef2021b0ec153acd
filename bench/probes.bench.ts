/**
 * `npm run bench -- probes`: wall-clock times of the probes and of retrieval at n = 2,000,
 * 10,000 and 20,000 items, d = 512 (seeded Gaussian data; B = A + noise so the pairs are
 * related), plus the backend line and the peak resident set size. Times are printed, never
 * asserted. Set LCO_BENCH_SIZES=2000,10000 to run fewer sizes.
 */
import { initBackend, describeBackend } from "../src/backend";
import type { Matrix } from "../src/array";
import { rng } from "../src/random";
import { anisotropy, measure } from "../src/probes";
import { retrievalScores } from "../src/retrieval";

function gaussian(n: number, d: number, seed: number): Matrix {
  const r = rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = r.normal();
  return { data, rows: n, cols: d };
}

/** B = A + noise (std 1): paired rows share direction (cosine ≈ 0.7), so retrieval is non-trivial. */
function related(A: Matrix, seed: number): Matrix {
  const r = rng(seed);
  const out = new Float32Array(A.data.length);
  for (let i = 0; i < out.length; i++) out[i] = A.data[i] + r.normal();
  return { data: out, rows: A.rows, cols: A.cols };
}

function time<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const v = f();
  const ms = performance.now() - t0;
  const shown = typeof v === "number" ? v.toFixed(4) : "";
  console.log(`  ${label.padEnd(30)} ${(ms / 1000).toFixed(2).padStart(8)} s   ${shown}`);
  return v;
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(describeBackend(info));
  const sizes = (process.env.LCO_BENCH_SIZES ?? "2000,10000,20000").split(",").map(Number);
  const d = 512;
  for (const n of sizes) {
    console.log(`n = ${n}, d = ${d}`);
    const A = gaussian(n, d, 1);
    const B = related(A, 2);
    time("anisotropy(A)", () => anisotropy(A));
    time("mutual_knn (k=10)", () => measure("mutual_knn", A, B, { k: 10 }));
    time("cka", () => measure("cka", A, B));
    time("unbiased_cka", () => measure("unbiased_cka", A, B));
    time("cknna (k=10)", () => measure("cknna", A, B, { k: 10 }));
    const r = time("retrieval (both directions)", () => retrievalScores(A, B));
    console.log(`  retrieval R@1 q→c ${r.queryToCandidate.scores["recall@1"].toFixed(4)} (chance ${r.queryToCandidate.chance["recall@1"].toExponential(2)})`);
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
