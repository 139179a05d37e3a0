#!/usr/bin/env python3
"""PyTorch timings of the packed-sequence workload W1-packed, the twin of `seqlab bench speed --workload W1-packed`.

W1-packed is the W1 model of ../shared/bench/anchors/torch_bench.py (Embedding(10000, 128) -> 2-layer
bidirectional LSTM, hidden 256, dropout 0.3 -> Linear(512, 2)) on one fixed batch of 32 sequences whose
lengths are uniform in 5..T (T = 50 by default), fed to the LSTM with pack_padded_sequence
(batch_first, enforce_sorted=False); the classifier reads the last layer's final hidden states of both
directions (h_n[-2] || h_n[-1]).

The methodology is torch_bench.py's: --threads sets OMP/OpenBLAS/MKL threads before torch loads,
3 untimed warm-up steps then 20 timed ones, median / min / max, one JSON line per measurement with
torch_bench.py's fields (plus min_len, tokens = sum of lengths, peak_rss_mb). tokens_per_s counts the
real tokens (sum of lengths), not B * T.

  * train: zero_grad(set_to_none) + forward (dropout active) + cross-entropy + backward +
    clip_grad_norm_(5) + Adam(1e-3) step, timed end to end
  * infer: forward only (model.eval(), torch.inference_mode())

The batch is drawn as seqlab draws it (its TorchGenerator is PyTorch's generator): lengths, then token
ids (0 past each length), then labels, from torch.Generator().manual_seed(seed + 1); the weights come
from torch.manual_seed(seed). So `--only infer` and `seqlab bench speed --workload W1-packed --mode infer`
start from the same weights and batch.

Examples:
  OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tools/bench/torch_packed.py --threads 2
  /usr/bin/python3 tools/bench/torch_packed.py --threads 1 --max-len 25,50,100,200   # the T sweep
"""
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (also OpenMP/OpenBLAS)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps")
    p.add_argument("--max-len", default="50", help="longest length T, comma-separated for a sweep (lengths 5..T)")
    p.add_argument("--only", choices=["all", "train", "infer"], default="all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="append JSON lines to this file")
    p.add_argument("--tag", default="", help="free-form label copied into every record")
    args = p.parse_args()
    try:
        args.max_lens = [int(t) for t in args.max_len.split(",") if t.strip()]
    except ValueError:
        p.error(f"--max-len: expected comma-separated integers, got {args.max_len!r}")
    if not args.max_lens or min(args.max_lens) < 5:
        p.error(f"--max-len: expected lengths >= 5 (the shortest sequence), got {args.max_len!r}")
    return args


ARGS = parse_args()
# Thread pools must be sized before torch (and its BLAS) is loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

torch.set_num_threads(ARGS.threads)

# W1 of torch_bench.py, with the shortest length of the packed batch; `seq` is the longest (T).
WORKLOADS = {
    "W1-packed": dict(vocab=10000, emb=128, cell="lstm", hidden=256, layers=2, bidir=True, dropout=0.3,
                      batch=32, seq=50, min_len=5, classes=2),
}


def blas_info():
    try:
        import threadpoolctl
        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas":
                return {"blas": lib.get("internal_api"), "blas_version": lib.get("version"),
                        "blas_arch": lib.get("architecture"), "blas_threads": lib.get("num_threads")}
    except Exception:  # threadpoolctl missing or unsupported
        pass
    return {"blas": "unknown"}


META = {"system": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "python": platform.python_version(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), **blas_info()}
if ARGS.tag:
    META["tag"] = ARGS.tag


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(rec):
    rec = {**META, **rec, "loadavg_1m": round(os.getloadavg()[0], 2), "peak_rss_mb": peak_rss_mb()}
    line = json.dumps(rec)
    print(line, flush=True)
    if ARGS.json:
        with open(ARGS.json, "a") as f:
            f.write(line + "\n")


class PackedClassifier(nn.Module):
    """Embedding -> pack_padded_sequence -> (bi)LSTM/GRU stack -> last layer's final states -> Linear."""

    def __init__(self, cfg):
        super().__init__()
        self.bidir = cfg["bidir"]
        self.emb = nn.Embedding(cfg["vocab"], cfg["emb"])
        rnn = nn.LSTM if cfg["cell"] == "lstm" else nn.GRU
        self.rnn = rnn(cfg["emb"], cfg["hidden"], num_layers=cfg["layers"], batch_first=True,
                       bidirectional=cfg["bidir"], dropout=cfg["dropout"] if cfg["layers"] > 1 else 0.0)
        self.fc = nn.Linear(cfg["hidden"] * (2 if cfg["bidir"] else 1), cfg["classes"])

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.emb(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state
        last = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.bidir else h_n[-1]
        return self.fc(last)


def make_batch(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(cfg["min_len"], cfg["seq"] + 1, (cfg["batch"],), generator=g)
    x = torch.randint(0, cfg["vocab"], (cfg["batch"], cfg["seq"]), generator=g)
    y = torch.randint(0, cfg["classes"], (cfg["batch"],), generator=g)
    for b, n in enumerate(lengths.tolist()):
        x[b, n:] = 0
    return x, lengths, y


def summarize(times_s, tokens):
    ms = [t * 1e3 for t in times_s]
    med = statistics.median(ms)
    return {"steps": len(ms), "warmup": ARGS.warmup, "median_ms": round(med, 3),
            "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3),
            "tokens_per_s": round(tokens / (med / 1e3), 1)}


def bench_workload(name, cfg):
    torch.manual_seed(ARGS.seed)
    model = PackedClassifier(cfg)
    x, lengths, y = make_batch(cfg, ARGS.seed + 1)
    tokens = int(lengths.sum())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n_params = sum(p.numel() for p in model.parameters())
    base = {"workload": name, "batch": cfg["batch"], "seq": cfg["seq"], "params": n_params,
            "min_len": cfg["min_len"], "tokens": tokens}

    if ARGS.only in ("all", "train"):
        model.train()
        times, losses = [], []
        for i in range(ARGS.warmup + ARGS.steps):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x, lengths), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            dt = time.perf_counter() - t0
            losses.append(loss.item())
            if i >= ARGS.warmup:
                times.append(dt)
        emit({**base, "mode": "train", **summarize(times, tokens),
              "loss_first": round(losses[0], 5), "loss_last": round(losses[-1], 5)})

    if ARGS.only in ("all", "infer"):
        model.eval()
        times = []
        with torch.inference_mode():
            for i in range(ARGS.warmup + ARGS.steps):
                t0 = time.perf_counter()
                logits = model(x, lengths)
                dt = time.perf_counter() - t0
                if i >= ARGS.warmup:
                    times.append(dt)
        emit({**base, "mode": "infer", **summarize(times, tokens),
              "logits_sum": round(float(logits.sum()), 5)})


def main():
    for T in ARGS.max_lens:
        bench_workload("W1-packed", {**WORKLOADS["W1-packed"], "seq": T})


if __name__ == "__main__":
    sys.exit(main())
