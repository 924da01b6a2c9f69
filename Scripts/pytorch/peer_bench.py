"""Times the PyTorch peer: training steps (forward, backward, AdamW) or, with --eval, forward passes
of refmodel.RecurrentGPT2 on random data of one shape, on a fixed number of threads. loop's
`recurrentdepth-bench` runs it beside its own measurement of the same shape and reads the last line
it prints, a JSON object:

    {"peer": "pytorch", "torch": VERSION, "threads": N, "d": .., "layers": .., "heads": .., "r": ..,
     "batch": .., "seq": .., "vocab": .., "span": 1, "eval": false, "ms_per_step": .., "steps_per_s": ..,
     "examples_per_s": .., "first_loss": ..}

usage: python peer_bench.py --d 128 --layers 2 --heads 4 --r 4 --batch 128 --seq 6 --vocab 220
       [--span K] [--weights DIR] [--threads 2] [--seconds 5] [--eval] [--compile]

The workload is the one loop's benchmark times: no position embedding, no dropout, every position a
token, the loss the label-smoothed (0.1) cross-entropy at the last position, AdamW at lr 1e-4 and
weight decay 0.1; --eval takes the argmax at the last position without gradients. --compile runs
the model through torch.compile (inductor's generated C++), PyTorch's fastest CPU configuration.

Answers of several tokens (--span K): each row is read at its last K positions (an answer of K
tokens under teacher forcing: the row holds the input and the answer but its last token); the
logits of those positions are gathered and the loss is the mean cross-entropy over all of them;
--eval counts an example right when every one of its K tokens is (exact match). With --weights DIR
the model and the batch are loop's (`recurrentdepth-bench --single ... --export DIR`): the
checkpoint's config.json and model.safetensors, and batch.json (ids and mask [B, T], each example's
last read position and span, the labels in read order, the label smoothing); the shape options must
then agree with them. The first step is computed at those weights, so its result — "first_loss", or
with --eval "first_hits" (read positions predicted right) and "first_exact" (answers right) — is
loop's to float32 rounding.
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
    ap.add_argument("--span", type=positive, default=1, help="read each row at its last K positions (an answer of K tokens)")
    ap.add_argument("--weights", metavar="DIR", help="loop's exported weights and batch (config.json, model.safetensors, batch.json)")
    ap.add_argument("--compile", action="store_true", help="run the model through torch.compile")
    a = ap.parse_args()
    if a.d % a.heads:
        ap.error(f"--d {a.d} is not a multiple of --heads {a.heads}")
    if a.vocab < 2:
        ap.error("--vocab must be at least 2 (id 0 is padding)")

    if a.span > a.seq:
        ap.error(f"--span {a.span} exceeds --seq {a.seq}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    smoothing = 0.1
    if a.weights:
        model, ids, mask, rows, columns, labels, spans, smoothing = exported(a.weights)
        config = model.config
        given = dict(d=config["n_embd"], layers=config["n_layer"], heads=config["n_head"], r=config["recurrence"],
                     batch=ids.shape[0], seq=ids.shape[1], vocab=config["vocab_size"], span=max(spans))
        wrong = [f"--{k} {getattr(a, k)} (the export has {v})" for k, v in given.items() if getattr(a, k) != v]
        if wrong:
            ap.error(f"{a.weights} does not match " + ", ".join(wrong))
    else:
        model = RecurrentGPT2(a.vocab, a.d, a.layers, a.heads, max(a.seq, 8), "none", recurrence=a.r)
        ids = torch.randint(1, a.vocab, (a.batch, a.seq))
        mask = torch.ones(a.batch, a.seq, dtype=torch.long)
        # The last `span` positions of every row, row after row.
        rows = torch.arange(a.batch).repeat_interleave(a.span)
        columns = torch.arange(a.seq - a.span, a.seq).repeat(a.batch)
        labels = torch.randint(1, a.vocab, (a.batch * a.span,))
        spans = [a.span] * a.batch
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    forward = torch.compile(model) if a.compile else model
    # Which example each read position belongs to, for the exact match.
    owner = torch.arange(len(spans)).repeat_interleave(torch.tensor(spans))
    # One read position per example at the last column: the plain slice, as this benchmark always
    # took it (its figures stay comparable); otherwise the read positions' logits gathered.
    last_column = a.span == 1 and not a.weights
    first = {}

    def read(logits):
        return logits[:, -1, :] if last_column else logits[rows, columns]

    def step():
        if a.eval:
            with torch.no_grad():
                hits = read(forward(ids, mask)).argmax(-1) == labels
                if not last_column or not first:
                    wrong = torch.zeros(len(spans), dtype=torch.long).index_add_(0, owner, (~hits).long())
                    if not first:
                        first.update(first_hits=int(hits.sum()), first_exact=int((wrong == 0).sum()))
            return
        optimizer.zero_grad()
        loss = F.cross_entropy(read(forward(ids, mask)), labels, label_smoothing=smoothing)
        loss.backward()
        optimizer.step()
        if not first:
            first.update(first_loss=loss.item())

    for _ in range(3):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < a.seconds:
        step()
        steps += 1
    seconds = (time.perf_counter() - start) / steps
    print(json.dumps(dict(peer="pytorch-compiled" if a.compile else "pytorch", torch=torch.__version__, threads=a.threads,
                          d=a.d, layers=a.layers, heads=a.heads, r=a.r, batch=a.batch, seq=a.seq, vocab=a.vocab,
                          span=a.span, eval=a.eval, ms_per_step=round(seconds * 1e3, 3), steps_per_s=round(1 / seconds, 2),
                          examples_per_s=round(a.batch / seconds, 1), **first)))


def exported(folder):
    """loop's model and batch from `folder` (see the module's docstring): the model, ids, mask, the
    read positions' rows and columns, their labels, each example's span, the label smoothing."""
    from safetensors.torch import load_file

    with open(os.path.join(folder, "config.json")) as f:
        model = RecurrentGPT2.from_config(json.load(f))
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    with open(os.path.join(folder, "batch.json")) as f:
        batch = json.load(f)
    b, t = batch["shape"]
    ids = torch.tensor(batch["ids"], dtype=torch.long).reshape(b, t)
    mask = torch.tensor(batch["mask"], dtype=torch.long).reshape(b, t)
    spans = batch["spans"]
    # The positions each example is read at, ascending, example after example: loop's read order.
    rows = torch.tensor([e for e, s in enumerate(spans) for _ in range(s)])
    columns = torch.tensor([p - s + 1 + j for p, s in zip(batch["positions"], spans) for j in range(s)])
    labels = torch.tensor(batch["labels"], dtype=torch.long)
    return model, ids, mask, rows, columns, labels, spans, batch["label_smoothing"]


if __name__ == "__main__":
    main()
