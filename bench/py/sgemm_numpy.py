"""numpy's float32 matrix product on one shape, for the side-by-side benchmark's GEMM part
(bench/native.bench.ts): best of REPEATS in-process timings of A·B with A [M, K] and B [K, N].
  python3 bench/py/sgemm_numpy.py M N K THREADS REPEATS
THREADS is set through OPENBLAS_NUM_THREADS before numpy loads OpenBLAS. Prints one JSON line:
{"ms": best milliseconds, "gflops": 2·M·N·K / best, "blasCore": …}.
"""
import json, os, sys, time
M, N, K, threads, repeats = (int(v) for v in sys.argv[1:6])
os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
import numpy as np
sys.path.insert(0, os.path.dirname(__file__))
from blas_core import blas_core

rng = np.random.default_rng(0)
a = rng.standard_normal((M, K), dtype=np.float32); b = rng.standard_normal((K, N), dtype=np.float32)
a @ b  # warm-up: threads started, buffers allocated
best = float("inf")
for _ in range(repeats):
    t0 = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t0)
print(json.dumps({"ms": best * 1e3, "gflops": 2 * M * N * K / best / 1e9, "blasCore": blas_core()}))
