"""numpy equivalents of the kit's probes, for the side-by-side benchmark (whole process: timed from
outside, including Python start-up and the .npy load). One probe per call:
  python3 bench/py/probes_numpy.py anisotropy A.npy
  python3 bench/py/probes_numpy.py cka A.npy B.npy
  python3 bench/py/probes_numpy.py mutual_knn A.npy B.npy [k]
  python3 bench/py/probes_numpy.py retrieval Q.npy C.npy
Each computes what a user would write with numpy on the same definitions: cosine anisotropy as
the mean of the strict lower triangle, linear CKA on centred features, mutual kNN (k 10) by
argpartition of row blocks, retrieval ranks of the paired item both ways (R@1/5/10, MRR).
A [layers, n, d] stack runs the probe per layer.
"""
import json, sys
import numpy as np

def unit(x):
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)

def anisotropy(x):
    u = unit(x); n = len(u)
    tot = 0.0
    for s in range(0, n, 2048):
        blk = u[s:s + 2048] @ u[:s + 2048].T
        tot += float(np.tril(blk, k=s - 1).sum())  # row s+r keeps columns j < s+r
    return tot / (n * (n - 1) / 2)

def cka(a, b):
    a = unit(a); b = unit(b); a = a - a.mean(0); b = b - b.mean(0)
    kl = np.linalg.norm(a.T @ b) ** 2; kk = np.linalg.norm(a.T @ a) ** 2; ll = np.linalg.norm(b.T @ b) ** 2
    return float(kl / (np.sqrt(kk * ll) + 1e-6))

def knn(x, k):
    u = unit(x); n = len(u); out = np.empty((n, k), dtype=np.int64)
    for s in range(0, n, 2048):
        blk = u[s:s + 2048] @ u.T
        blk[np.arange(len(blk)), np.arange(s, s + len(blk))] = -np.inf
        out[s:s + 2048] = np.argpartition(-blk, k, axis=1)[:, :k]
    return out

def mutual_knn(a, b, k=10):
    ka, kb = knn(a, k), knn(b, k)
    return float(np.mean([len(np.intersect1d(ka[i], kb[i])) / k for i in range(len(ka))]))

def ranks(q, c):
    q = unit(q); c = unit(c); n = len(q); r = np.empty(n)
    for s in range(0, n, 2048):
        blk = q[s:s + 2048] @ c.T
        own = blk[np.arange(len(blk)), np.arange(s, s + len(blk))]
        r[s:s + 2048] = (blk >= own[:, None]).sum(1)
    return r

def retrieval(q, c):
    out = {}
    for name, (x, y) in {"q2c": (q, c), "c2q": (c, q)}.items():
        r = ranks(x, y)
        out[name] = {"r@1": float((r <= 1).mean()), "r@5": float((r <= 5).mean()), "r@10": float((r <= 10).mean()), "mrr": float((1 / r).mean())}
    return out

probe = sys.argv[1]
a = np.load(sys.argv[2]); b = np.load(sys.argv[3]) if len(sys.argv) > 3 else None
f = {"anisotropy": lambda x, y: anisotropy(x), "cka": cka, "mutual_knn": mutual_knn, "retrieval": retrieval}[probe]
val = [f(a[l], None if b is None else b[l]) for l in range(a.shape[0])] if a.ndim == 3 else f(a, b)
from blas_core import blas_core
print(json.dumps({"probe": probe, "value": val, "blasCore": blas_core()}))
