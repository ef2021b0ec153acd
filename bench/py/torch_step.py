"""The kit's reference training step (src/train/reference.ts) in PyTorch CPU, for the side-by-side
benchmark: vocab 512, d 128, 4 heads, seq 32, batch 32, 2 pre-LN blocks (causal self-attention with
a fused qkv projection, tanh-GELU MLP 4x), learned positions, untied head, softmax cross-entropy on
random tokens, Adam lr 1e-3. Prints one JSON line: median and min ms per step.
  python3 bench/py/torch_step.py THREADS [STEPS]
"""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from blas_core import blas_core

threads = int(sys.argv[1]); steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)
V, D, H, L, T, B = 512, 128, 4, 2, 32, 32

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
    def forward(self, x):
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        sh = lambda t: t.view(B, T, H, D // H).transpose(1, 2)
        s = (sh(q) @ sh(k).transpose(-1, -2)) / (D // H) ** 0.5
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        ctx = (s.softmax(-1) @ sh(v)).transpose(1, 2).reshape(B, T, D)
        x = x + self.out(ctx)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, D), nn.Parameter(torch.randn(T, D) * 0.02)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.ln, self.head = nn.LayerNorm(D), nn.Linear(D, V)
    def forward(self, ids):
        x = self.tok(ids) + self.pos
        for b in self.blocks: x = b(x)
        return self.head(self.ln(x))

m = Model(); opt = torch.optim.Adam(m.parameters(), lr=1e-3)
g = torch.Generator().manual_seed(1)
times = []
for i in range(steps + 3):
    ids = torch.randint(0, V, (B, T), generator=g); tgt = torch.randint(0, V, (B, T), generator=g)
    t0 = time.perf_counter()
    loss = F.cross_entropy(m(ids).view(-1, V), tgt.view(-1))
    opt.zero_grad(); loss.backward(); opt.step()
    ms = (time.perf_counter() - t0) * 1000
    if i >= 3: times.append(ms)
times.sort()
print(json.dumps({"threads": threads, "msPerStep": times[len(times) // 2], "minMsPerStep": times[0], "steps": steps, "torch": torch.__version__, "blasCore": blas_core()}))
