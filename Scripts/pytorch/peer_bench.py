"""Times the PyTorch peer: training steps (forward, backward, AdamW) or, with --eval, forward passes
of refmodel.RecurrentGPT2 on random data of one shape, on a fixed number of threads. loop's
`recurrentdepth-bench` runs it beside its own measurement of the same shape and reads the last line
it prints, a JSON object:

    {"peer": "pytorch", "torch": VERSION, "threads": N, "d": .., "layers": .., "heads": .., "r": ..,
     "batch": .., "seq": .., "vocab": .., "eval": false, "ms_per_step": .., "steps_per_s": ..,
     "examples_per_s": ..}

usage: python peer_bench.py --d 128 --layers 2 --heads 4 --r 4 --batch 128 --seq 6 --vocab 220
       [--threads 2] [--seconds 5] [--eval] [--compile]

The workload is the one loop's benchmark times: no position embedding, no dropout, every position a
token, the loss the label-smoothed (0.1) cross-entropy at the last position, AdamW at lr 1e-4 and
weight decay 0.1; --eval takes the argmax at the last position without gradients. --compile runs
the model through torch.compile (inductor's generated C++), PyTorch's fastest CPU configuration.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refmodel import RecurrentGPT2  # noqa: E402


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main():
    ap = argparse.ArgumentParser(description="Times the PyTorch peer of loop's recurrentdepth-bench.")
    ap.add_argument("--d", type=positive, default=128, help="model width (n_embd)")
    ap.add_argument("--layers", type=positive, default=2)
    ap.add_argument("--heads", type=positive, default=4)
    ap.add_argument("--r", type=positive, default=4, help="recurrence steps")
    ap.add_argument("--batch", type=positive, default=128)
    ap.add_argument("--seq", type=positive, default=6, help="sequence length")
    ap.add_argument("--vocab", type=positive, default=220)
    ap.add_argument("--threads", type=positive, default=2)
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds after three warm-up steps")
    ap.add_argument("--eval", action="store_true", help="time forward passes without gradients")
    ap.add_argument("--compile", action="store_true", help="run the model through torch.compile")
    a = ap.parse_args()
    if a.d % a.heads:
        ap.error(f"--d {a.d} is not a multiple of --heads {a.heads}")
    if a.vocab < 2:
        ap.error("--vocab must be at least 2 (id 0 is padding)")

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = RecurrentGPT2(a.vocab, a.d, a.layers, a.heads, max(a.seq, 8), "none", recurrence=a.r)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    forward = torch.compile(model) if a.compile else model
    ids = torch.randint(1, a.vocab, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(1, a.vocab, (a.batch,))

    def step():
        if a.eval:
            with torch.no_grad():
                forward(ids, mask)[:, -1, :].argmax(-1)
            return
        optimizer.zero_grad()
        loss = F.cross_entropy(forward(ids, mask)[:, -1, :], labels, label_smoothing=0.1)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < a.seconds:
        step()
        steps += 1
    seconds = (time.perf_counter() - start) / steps
    print(json.dumps(dict(peer="pytorch-compiled" if a.compile else "pytorch", torch=torch.__version__, threads=a.threads,
                          d=a.d, layers=a.layers, heads=a.heads, r=a.r, batch=a.batch, seq=a.seq, vocab=a.vocab,
                          eval=a.eval, ms_per_step=round(seconds * 1e3, 3), steps_per_s=round(1 / seconds, 2),
                          examples_per_s=round(a.batch / seconds, 1))))


if __name__ == "__main__":
    main()
